"""Every IAM document the program generates, linted by an independent linter (parliament).

Documents: the deploy and preview policies, the boundary, task/execution/flow-log/monitoring role
policies, every trust policy, the KMS key policy, the bucket and topic policies. A finding must
match a judgement in `JUDGED` (false positive, or accepted with its reason); every judgement must
still be needed, so a fixed finding also removes its entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import pytest
from parliament import analyze_policy_string

from arbiter_tools.runtime import Deployment

#: Pulumi type -> the input holding an IAM policy document.
DOCUMENTS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:kms/key:Key": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
}


@dataclass(frozen=True)
class Finding:
    document: str  # the policy's or role's name (resource name for key/bucket/topic policies)
    issue: str
    actions: frozenset[str]
    statements: tuple[dict[str, Any], ...]


def _tag_conditioned(f: Finding) -> bool:
    """Resource "*" narrowed by this stack's tags: parliament does not read conditions."""
    scoped: set[str] = set()
    for s in f.statements:
        keys = json.dumps(s.get("Condition", {}))
        if "aws:RequestTag/" in keys or "aws:ResourceTag/" in keys:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            scoped |= set(actions)
    return bool(f.actions) and f.actions <= scoped


@dataclass(frozen=True)
class Judgement:
    issue: str
    document: str  # glob over the document name
    verdict: str  # "false positive" or "accepted"
    reason: str
    actions: frozenset[str] | None = None  # the finding's actions must be among these
    holds: Callable[[Finding], bool] | None = None

    def matches(self, f: Finding) -> bool:
        return (
            f.issue == self.issue
            and fnmatchcase(f.document, self.document)
            and (self.actions is None or f.actions <= self.actions)
            and (self.holds is None or self.holds(f))
        )


JUDGED: tuple[Judgement, ...] = (
    Judgement(
        "RESOURCE_MISMATCH",
        "arbiter-*-services-lb-traffic-shift-policy",
        "false positive",
        "ECS's traffic-shift role changes this ALB's production rules and HTTPS listener "
        "(listener-rule/app/..., listener/app/...); parliament expects the network-load-balancer "
        "form too, which this stack has none of",
        actions=frozenset({"elasticloadbalancing:ModifyRule", "elasticloadbalancing:ModifyListener"}),
    ),
    Judgement(
        "RESOURCE_MISMATCH",
        "arbiter-*-boundary",
        "false positive",
        "the boundary's room for the traffic-shift role: this stack's ALB listener and rule ARNs "
        "(listener/app/..., listener-rule/app/...); parliament expects the network-load-balancer form too",
        actions=frozenset({"elasticloadbalancing:ModifyRule", "elasticloadbalancing:ModifyListener"}),
    ),
    Judgement(
        "RESOURCE_STAR",
        "arbiter-*-*",
        "false positive",
        "Resource * with aws:RequestTag/aws:ResourceTag Project+Environment conditions: the tags "
        "scope it to this stack (generated ids are not known in advance); parliament ignores conditions",
        holds=_tag_conditioned,
    ),
    Judgement(
        "UNKNOWN_ACTION",
        "arbiter-*-deploy-backup",
        "accepted",
        "backup-storage:Mount: AWS's CloudFormation handler for AWS::Backup::BackupVault lists it "
        "(arbiter_tools/data/aws_handler_permissions.json); the SAR parliament ships lacks it",
    ),
    Judgement(
        "RESOURCE_STAR",
        "arbiter-*-key-key",
        "false positive",
        'in a key policy "Resource": "*" means this key only',
    ),
    Judgement(
        "RESOURCE_STAR",
        "arbiter-*-backup-copy-key",
        "false positive",
        'in a key policy "Resource": "*" means this key only (the backup copy-region key)',
    ),
    Judgement(
        "RESOURCE_MISMATCH",
        "arbiter-*-deploy-data",
        "false positive",
        "alias calls are authorized on the alias as well as on the key, and CreateDBCluster/"
        "CreateDBInstance on the default option group (og:): parliament's catalogue lacks those resource types",
        actions=frozenset(
            {"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "rds:CreateDBCluster"}
            | {"rds:CreateDBInstance", "rds:ModifyDBInstance"}
        ),
    ),
    Judgement(
        "RESOURCE_MISMATCH",
        "arbiter-*-deploy-backup",
        "false positive",
        "alias calls are authorized on the alias as well as on the key (the copy-region key's alias); "
        "parliament's catalogue lacks the alias resource type",
        actions=frozenset({"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"}),
    ),
    Judgement(
        "RESOURCE_MISMATCH",
        "arbiter-*-*-ingress",
        "false positive",
        "listener and rule ARNs are scoped to application load balancers (listener/app/...); "
        "parliament expects the network-load-balancer form too, which this stack has none of",
        actions=frozenset(
            {
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:DescribeCapacityReservation",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            }
        ),
    ),
    Judgement(
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        "arbiter-*-deploy-ingress",
        "accepted",
        "the deploy role manages the ALB access-log bucket's policy (arbiter-<env>-*), so it could "
        "grant itself access to the access logs; they hold request metadata, no credentials",
    ),
    Judgement(
        "MISMATCHED_TYPE_BUT_USABLE",
        "arbiter-*-deploy-identity",
        "false positive",
        "iam:PermissionsBoundary is a String condition key whose value is the boundary's ARN "
        "(IAM's documented form)",
    ),
    Judgement(
        "UNKNOWN_CONDITION_FOR_ACTION",
        "arbiter-*-*-state",
        "false positive",
        "kms:ResourceAliases (2021) is missing from parliament's catalogue; AWS supports it for "
        "Decrypt/Encrypt",
    ),
    Judgement(
        "UNKNOWN_CONDITION_FOR_ACTION",
        "arbiter-*-key-key",
        "false positive",
        "the CloudWatch Logs statement of the key policy is AWS's documented one "
        "(kms:EncryptionContext:aws:logs:arn, also listing DescribeKey)",
    ),
    Judgement(
        "MISMATCHED_TYPE",
        "arbiter-*-key-key",
        "false positive",
        "ArnLike on kms:EncryptionContext:aws:logs:arn, as AWS documents for encrypted log groups",
    ),
    Judgement(
        "MALFORMED",
        "arbiter-*",
        "false positive",
        "a trust policy has a Principal and no Resource (the role is the resource); parliament "
        "lints it as an identity policy",
    ),
    Judgement(
        "UNKNOWN_FEDERATION_SOURCE",
        "arbiter-*-*",
        "false positive",
        "the GitHub Actions OIDC provider (token.actions.githubusercontent.com) is not in "
        "parliament's list of federation sources",
    ),
)


def _name(r: Any) -> str:
    return str(r.inputs.get("name") or r.name)


def _findings(d: Deployment) -> tuple[int, list[Finding]]:
    docs = 0
    out: list[Finding] = []
    for r in d.resources:
        field = DOCUMENTS.get(r.type)
        if field is None or field not in r.inputs:
            continue
        text = r.inputs[field] if isinstance(r.inputs[field], str) else json.dumps(r.inputs[field])
        statements = tuple(json.loads(text)["Statement"])
        docs += 1
        for f in analyze_policy_string(text).findings:
            detail = f.detail if isinstance(f.detail, list) else []
            actions = frozenset(x["action"] if isinstance(x, dict) else str(x) for x in detail)
            out.append(Finding(_name(r), f.issue, actions, statements))
    return docs, out


@pytest.fixture(scope="module")
def linted(staging: Deployment, prod: Deployment) -> dict[str, tuple[int, list[Finding]]]:
    return {d.stack: _findings(d) for d in (staging, prod)}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_iam_document_is_linted(linted: dict[str, tuple[int, list[Finding]]], stack: str) -> None:
    docs, _ = linted[stack]
    # 10 deploy + 10 preview + 10 drift policies (one per area; `cache`: Redis and its RBAC
    # users), the boundary, 7 role policies (services, flow logs, the database-users function), 13
    # trust policies (AWS Backup's too), two keys, bucket, topic; prod's canary adds the ECS
    # traffic-shift role's trust and policy.
    assert docs == (57 if stack == "prod" else 55)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_linter_finding_without_a_judgement(
    linted: dict[str, tuple[int, list[Finding]]], stack: str
) -> None:
    _, findings = linted[stack]
    unjudged = [
        (f.document, f.issue, sorted(f.actions)) for f in findings if not any(j.matches(f) for j in JUDGED)
    ]
    assert unjudged == []


def test_every_judgement_is_still_needed(linted: dict[str, tuple[int, list[Finding]]]) -> None:
    findings = [f for _, fs in linted.values() for f in fs]
    unused = [(j.issue, j.document) for j in JUDGED if not any(j.matches(f) for f in findings)]
    assert unused == []


def test_the_linter_reports_a_real_mistake() -> None:
    """The gate is live: an unjudged finding (a misspelt action) would fail the test above."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
    }
    issues = {f.issue for f in analyze_policy_string(json.dumps(bad)).findings}
    assert "UNKNOWN_ACTION" in issues
    finding = Finding("arbiter-staging-deploy-state", "UNKNOWN_ACTION", frozenset({"s3:GetObjekt"}), ())
    assert not any(j.matches(finding) for j in JUDGED)
