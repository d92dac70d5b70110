"""The proof that the roles suffice: every AWS call of an emulated deploy, judged by the IAM evaluator.

Each stack is deployed once into moto with a `CallRecorder` on the emulator's clients;
`arbiter_tools.api_calls` turns every recorded call into the authorizations IAM checks for it,
and the provider's own calls (refresh reads, update-path writes) are added from
`PROVIDER_CALLS`. Then, with the policies exactly as the program generated them for the stack:

- the deploy role is allowed every authorization, except the admin-only ones in `ADMIN_ONLY`,
  which must be denied;
- the preview role is allowed every read of a refresh and the state reads, and denied every write;
- the drift role likewise, with no exemption: it also reads the generated secret values;
- each execution role is allowed what ECS does for its service, and denied secrets it does not inject.

"unsupported" (a condition the evaluator cannot judge) fails like a denial. This module holds what
the package's test modules share: the exemption tables, the recorded deploy, the judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_infra.config import StackConfig, parse_stack_values
from arbiter_tools.api_calls import (
    ApiCall,
    Authorization,
    Authorizer,
    CallRecorder,
    authorize,
)
from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from arbiter_tools.iam_eval import Decision, Request, evaluate
from arbiter_tools.runtime import ACCOUNT_ID, REGION, Deployment
from tests.conftest import FAKE_ENV


@dataclass(frozen=True)
class AdminOnly:
    """Authorizations an admin's `pulumi up` makes and CI must not: asserted denied to the deploy role."""

    action: str
    #: Glob over the resource ARN, or over the creating call's `<pulumi type> <name>` (ids are random).
    target: str
    reason: str

    def matches(self, a: Authorization, env: str) -> bool:
        target = self.target.format(env=env, account=ACCOUNT_ID)
        if self.action.endswith("*") and a.action.split(":")[1].startswith(_READS):
            return False  # reading the CI roles or the boundary is no change
        return fnmatchcase(a.action, self.action) and (
            fnmatchcase(a.resource, target)
            # By declared resource: the first run's calls only (later updates find it adopted).
            or (a.call.service != "provider" and fnmatchcase(a.call.resource, target))
        )


_READS = ("Describe", "Get", "List")
_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{{env}}"
_POLICY = f"arn:aws:iam::{ACCOUNT_ID}:policy/arbiter-{{env}}"
#: What only an admin's run may do (docs/delivery.md, "Bootstrap" and "No escalation").
ADMIN_ONLY: tuple[AdminOnly, ...] = (
    AdminOnly("iam:*", f"{_ROLE}-deploy", "the deploy role itself: CI must not widen its own permissions"),
    AdminOnly("iam:*", f"{_ROLE}-preview", "the preview role: pull-request code runs with it"),
    AdminOnly("iam:*", f"{_POLICY}-deploy-*", "the deploy role's own policies"),
    AdminOnly("iam:*", f"{_POLICY}-preview-*", "the preview role's policies"),
    AdminOnly("iam:*", f"{_ROLE}-drift", "the drift role: it reads generated secret values"),
    AdminOnly("iam:*", f"{_POLICY}-drift-*", "the drift role's policies"),
    AdminOnly(
        "iam:*",
        f"{_POLICY}-boundary",
        "the permissions boundary: a CI-written boundary would cap nothing",
    ),
    AdminOnly(
        "iam:CreateRole",
        f"{_ROLE}-*-exec",
        "execution roles are the only readers of the trading credentials: who may assume them "
        "is fixed by the admin who creates them",
    ),
    *(
        AdminOnly(
            action,
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup *",
            "adopting a new VPC's default security group: AWS creates it untagged, and CI changes "
            "only resources tagged as this stack's, so the first (admin) run adopts and tags it",
        )
        for action in ("ec2:RevokeSecurityGroup*", "ec2:CreateTags")
    ),
)

#: Reads of a refresh the preview role is denied by design, and why.
PREVIEW_DENIED_BY_DESIGN: tuple[AdminOnly, ...] = (
    AdminOnly(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:*:*:secret:arbiter-{env}/redis-*",
        "the SecretVersions' Read returns the Redis users' passwords (and, while migrating, the AUTH "
        "token): pull-request code must not read them, so `pulumi preview --refresh` (not what "
        "preview.yml runs) cannot refresh these resources; the drift role (drift.yml) can",
    ),
)


@dataclass
class Proof:
    stack: str
    deployment: Deployment
    calls: list[ApiCall]
    authorizations: list[Authorization]
    authorizer: Authorizer
    config: StackConfig

    def policies(self, kind: str) -> list[dict[str, Any]]:
        return [
            json.loads(p.inputs["policy"])
            for p in self.deployment.of_type("aws:iam/policy:Policy")
            if p.inputs["name"].startswith(f"arbiter-{self.stack}-{kind}-")
        ]

    @property
    def boundary(self) -> dict[str, Any]:
        [p] = [
            p
            for p in self.deployment.of_type("aws:iam/policy:Policy")
            if p.inputs["name"] == f"arbiter-{self.stack}-boundary"
        ]
        return dict(json.loads(p.inputs["policy"]))


def make_proof(stack: str) -> Proof:
    """Deploy `stack` into moto with a recorder, and turn every call into its authorizations."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_ENV.items():
            mp.setenv(key, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
            recorder = CallRecorder()
            session = boto3.Session(region_name=REGION)
            deployment = deploy(stack, EmulatorMocks(stack, session=session, recorder=recorder))
    auths, authorizer = authorize(recorder.calls, ACCOUNT_ID, REGION)
    return Proof(stack, deployment, recorder.calls, auths, authorizer, parse_stack_values(deployment.config))


def decide(policies: list[dict[str, Any]], a: Authorization) -> Decision:
    return evaluate(policies, Request(a.action, a.resource, a.context))


def judge(
    proof: Proof, auths: list[Authorization], policies: list[dict[str, Any]], exempt: tuple[AdminOnly, ...]
) -> tuple[list[str], dict[AdminOnly, int]]:
    """Failures (allowed where exempt, anything else not allowed) and how often each exemption held."""
    failures: list[str] = []
    used = dict.fromkeys(exempt, 0)
    for a in auths:
        decision = decide(policies, a)
        rule = next((e for e in exempt if e.matches(a, proof.stack)), None)
        if rule is not None:
            used[rule] += 1
            if decision.verdict != "denied":
                failures.append(f"{a}: {decision.verdict} but admin-only ({rule.reason})")
        elif decision.verdict != "allowed":
            failures.append(f"{a}: {decision.verdict} ({decision.reason})")
    return failures, used
