"""`Resource: "*"` only where AWS's Service Authorization Reference allows nothing else (CKV_AWS_290/355).

The SAR is AWS's table of which resource types each action is authorized on; the `parliament`
package ships it (`arbiter_tools.aws_published.sar_action`). An action it lists a resource type for
is scoped to the stack's ARNs; `*` stays only for actions without one, or where an exception
below says why.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter_infra import iam
from arbiter_tools.aws_published import sar_action
from arbiter_tools.runtime import Deployment
from components import deploy_grants

#: Actions of `UNSCOPABLE_ACTIONS` that the SAR (as parliament ships it) does not list at all.
NOT_IN_SAR: dict[str, str] = {
    "backup-storage:Mount": "AWS's CloudFormation handler for AWS::Backup::BackupVault lists it; the SAR has only MountCapsule",
}

#: (statement Sid, action): `*` kept although the action takes a resource type, and why.
STAR_KEPT: dict[tuple[str, str], str] = {
    (
        "KmsCreateStackKey",
        "kms:TagResource",
    ): "tags on CreateKey: authorized with CreateKey, which has no resource type (the key id is not known yet); the request tags confine it",
    (
        "CloudMapCreateTagged",
        "servicediscovery:CreateService",
    ): "in one statement with CreatePrivateDnsNamespace (no resource type); the request tags confine it",
    (
        "CloudMapCreateTagged",
        "servicediscovery:TagResource",
    ): "tags on CreatePrivateDnsNamespace (no resource type); the request tags confine it",
}


def _policies(d: Deployment, *kinds: str) -> list[dict[str, Any]]:
    names = tuple(f"arbiter-{d.stack}-{k}" for k in kinds)
    return [
        json.loads(p.inputs["policy"])
        for p in d.of_type("aws:iam/policy:Policy")
        if p.inputs["name"].startswith(names)
    ]


def test_unscopable_actions_are_those_the_sar_lists_no_resource_type_for() -> None:
    wrong = []
    for action in sorted(iam.UNSCOPABLE_ACTIONS):
        sar = sar_action(action)
        if sar is None:
            if action not in NOT_IN_SAR:
                wrong.append(f"{action}: not in the SAR")
        elif sar.resources:
            wrong.append(f"{action}: the SAR scopes it to {[name for name, _req, _fmt in sar.resources]}")
    assert wrong == []
    assert set(NOT_IN_SAR) <= iam.UNSCOPABLE_ACTIONS


def star_grants(docs: list[dict[str, Any]]) -> set[str]:
    """Allow statements granting `*` for an action the SAR scopes, not in `STAR_KEPT`."""
    wrong: set[str] = set()
    for doc in docs:
        for stmt in doc["Statement"]:
            if stmt["Effect"] != "Allow" or "*" not in stmt["Resource"]:
                continue
            for action in stmt["Action"]:
                sar = sar_action(action)
                sid = stmt["Sid"].removeprefix("Preview")
                if sar is not None and sar.resources and (sid, action) not in STAR_KEPT:
                    wrong.add(
                        f"{stmt['Sid']}: {action} ({sar.access_level}) takes {[n for n, _r, _f in sar.resources]}"
                    )
    return wrong


def test_no_statement_grants_star_for_an_action_the_sar_scopes(staging: Deployment, prod: Deployment) -> None:
    """Deploy, preview and boundary policies: `*` only for actions without a resource type."""
    for d in (staging, prod):
        docs = _policies(d, "deploy-", "preview-", "boundary")
        assert len(docs) == 2 * len(deploy_grants.AREAS) + 1
        assert sorted(star_grants(docs)) == []


def test_a_star_grant_for_a_scopable_action_is_found() -> None:
    doc = {
        "Statement": [
            {
                "Sid": "Rogue",
                "Effect": "Allow",
                "Action": ["rds:DeleteDBCluster", "sts:GetCallerIdentity"],
                "Resource": ["*"],
            }
        ]
    }
    assert star_grants([doc]) == {"Rogue: rds:DeleteDBCluster (Write) takes ['cluster', 'cluster-snapshot']"}


def test_the_star_exceptions_are_still_needed() -> None:
    granted = {
        (g.sid, a)
        for g in deploy_grants.GRANTS
        for a in g.actions
        if g.scope in ("request-tag", "resource-tag") and not g.resources
    }
    assert set(STAR_KEPT) <= granted


def test_an_arn_scoped_statement_holds_only_actions_the_sar_scopes() -> None:
    """An action without a resource type is authorized on `*` only: an ARN would never match it."""
    wrong = [
        f"{g.sid}: {a}"
        for g in (*deploy_grants.GRANTS, *deploy_grants.BOUNDARY_GRANTS)
        if g.effect == "Allow" and g.resources
        for a in g.actions
        if (sar := sar_action(a)) is not None and not sar.resources
    ]
    assert wrong == []
