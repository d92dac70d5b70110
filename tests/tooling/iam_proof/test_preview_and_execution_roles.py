"""The preview role and the services' execution roles judged against the emulated deploy (both stacks)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra.catalog import IMAGE_REPOSITORIES
from arbiter_tools.api_calls import (
    provider_authorizations,
)
from arbiter_tools.iam_eval import Request, context_for, evaluate, evaluate_bounded
from arbiter_tools.runtime import ACCOUNT_ID, REGION
from components.alb import ECS_LB_TARGET_ACTIONS
from tests.tooling.iam_proof.proof import PREVIEW_DENIED_BY_DESIGN, Proof, decide, judge

pytestmark = pytest.mark.moto


# ---- the preview role ----------------------------------------------------------------------------------


def _state(proof: Proof) -> list[Request]:
    bucket = proof.config.delivery.state_bucket
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0b1c2d3e-state"
    alias = {"kms:ResourceAliases": [proof.config.delivery.secrets_kms_alias]}
    return [
        Request("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        Request("s3:GetObject", f"arn:aws:s3:::{bucket}/.pulumi/meta.yaml"),
        Request("s3:GetObject", f"arn:aws:s3:::{bucket}/.pulumi/stacks/arbiter/{proof.stack}.json"),
        Request("kms:Decrypt", key, context_for(extra=alias)),
        Request("sts:GetCallerIdentity", "*"),
        Request("ec2:DescribeAvailabilityZones", "*"),
    ]


def test_preview_role_reads_everything_a_refresh_reads(proof: Proof) -> None:
    reads = provider_authorizations(proof.deployment.resources, proof.authorizer, writes=False)
    failures, used = judge(proof, reads, proof.policies("preview"), PREVIEW_DENIED_BY_DESIGN)
    assert failures == []
    assert all(used.values())
    for request in _state(proof):
        assert evaluate(proof.policies("preview"), request).verdict == "allowed", request.action


def test_preview_role_is_denied_every_write_of_a_deploy(proof: Proof) -> None:
    policies = proof.policies("preview")
    writes = [
        a for a in proof.authorizations if not a.action.split(":")[1].startswith(("Describe", "Get", "List"))
    ]
    writes += provider_authorizations(proof.deployment.resources, proof.authorizer, writes=True)
    assert len(writes) > 300
    allowed = [str(a) for a in writes if decide(policies, a).verdict != "denied"]
    assert allowed == []
    bucket = proof.config.delivery.state_bucket
    checkpoint = f"arn:aws:s3:::{bucket}/.pulumi/stacks/arbiter/{proof.stack}.json"
    assert evaluate(policies, Request("s3:PutObject", checkpoint)).verdict == "denied"


# ---- the execution roles -------------------------------------------------------------------------------


def _secret_arn(value_from: str) -> str:
    """`arn:aws:secretsmanager:<r>:<a>:secret:<name>-<6>:<json-key>::` -> the secret's ARN."""
    return ":".join(value_from.split(":")[:7])


def _execution_requests(proof: Proof, service: str) -> tuple[str, list[Request], set[str]]:
    d = proof.deployment
    [td] = [
        t for t in d.of_type("aws:ecs/taskDefinition:TaskDefinition") if t.inputs["family"].endswith(service)
    ]
    role = str(td.inputs["executionRoleArn"])
    [container] = json.loads(td.inputs["containerDefinitions"])
    secrets = {_secret_arn(s["valueFrom"]) for s in container.get("secrets", [])}
    group = container["logConfiguration"]["options"]["awslogs-group"]
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:log-stream:{service}/{service}/0a1b2c"
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{IMAGE_REPOSITORIES[service]}"
    key = d.one("aws:kms/key:Key", f"arbiter-{d.stack}-key-key").outputs["arn"]
    principal = {"aws:PrincipalArn": role}
    via_sm = {**principal, "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    requests = [
        Request("ecr:GetAuthorizationToken", "*", principal),
        *(Request(a, repo, principal) for a in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")),
        *(Request(a, stream, principal) for a in ("logs:CreateLogStream", "logs:PutLogEvents")),
        *(Request("secretsmanager:GetSecretValue", s, principal) for s in sorted(secrets)),
        Request("kms:Decrypt", key, context_for(resource_tags=proof.authorizer.tags[key], extra=via_sm)),
    ]
    return role, requests, secrets


def _execution_policies(proof: Proof, role_arn: str) -> list[dict[str, Any]]:
    name = role_arn.rsplit("/", 1)[1]
    d = proof.deployment
    inline = [
        json.loads(p.inputs["policy"])
        for p in d.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"] == name
    ]
    attached = [
        a.inputs["policyArn"]
        for a in d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == name
    ]
    managed = {p.outputs["arn"]: json.loads(p.inputs["policy"]) for p in d.of_type("aws:iam/policy:Policy")}
    assert set(attached) <= set(managed), attached  # an AWS managed policy could not be judged
    return inline + [managed[arn] for arn in attached]


@pytest.mark.parametrize("service", sorted(IMAGE_REPOSITORIES))
def test_execution_role_allows_what_ecs_does_for_its_service(proof: Proof, service: str) -> None:
    role, requests, secrets = _execution_requests(proof, service)
    policies = _execution_policies(proof, role)
    for request in requests:
        decision = evaluate_bounded(policies, proof.boundary, request)
        assert decision.verdict == "allowed", (request.action, request.resource, decision.reason)
    if service != "web-api":
        assert secrets  # trading-core and the bot inject credentials
    stack_secrets = {s.outputs["arn"] for s in proof.deployment.of_type("aws:secretsmanager/secret:Secret")}
    others = stack_secrets - secrets
    assert others
    for secret in others:
        request = Request("secretsmanager:GetSecretValue", secret, {"aws:PrincipalArn": role})
        assert evaluate_bounded(policies, proof.boundary, request).verdict == "denied", (service, secret)
    other_repo = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{IMAGE_REPOSITORIES['web-api' if service != 'web-api' else 'trading-core']}"
    assert (
        evaluate_bounded(policies, proof.boundary, Request("ecr:BatchGetImage", other_repo)).verdict
        == "denied"
    )


# ---- ECS's traffic-shift role (prod's canary) -------------------------------------------------------------


def test_the_traffic_shift_role_may_shift_this_alb_and_nothing_else(proof: Proof) -> None:
    """Through its policy and the boundary, ECS (as this role) registers revisions in the stack's
    groups and moves its production rules; another stack's group, or the same call from a task
    role, is denied by the boundary."""
    d = proof.deployment
    roles = [r for r in d.of_type("aws:iam/role:Role") if r.inputs["name"].endswith("-ecs-traffic-shift")]
    if proof.stack == "staging":
        assert roles == []
        return
    [role] = roles
    arn = role.outputs["arn"]
    policies = _execution_policies(proof, arn)
    principal = {"aws:PrincipalArn": arn}
    groups = [tg.outputs["arn"] for tg in d.of_type("aws:lb/targetGroup:TargetGroup")]
    rules = [r.outputs["arn"] for r in d.of_type("aws:lb/listenerRule:ListenerRule")]
    assert len(groups) == 4 and len(rules) == 2
    requests = [
        *(Request(a, g, principal) for g in groups for a in ECS_LB_TARGET_ACTIONS),
        *(Request("elasticloadbalancing:ModifyRule", r, principal) for r in rules),
        Request("elasticloadbalancing:DescribeTargetHealth", "*", principal),
    ]
    for request in requests:
        decision = evaluate_bounded(policies, proof.boundary, request)
        assert decision.verdict == "allowed", (request.action, request.resource, decision.reason)
    foreign = (
        f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:targetgroup/arb-stg-web-rest/0123456789abcdef"
    )
    denied = Request("elasticloadbalancing:RegisterTargets", foreign, principal)
    assert evaluate_bounded(policies, proof.boundary, denied).verdict == "denied"
    # The boundary admits these writes for the traffic-shift role only.
    task_role = f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{proof.stack}-web-api-task"
    as_task = Request("elasticloadbalancing:ModifyRule", rules[0], {"aws:PrincipalArn": task_role})
    assert evaluate([proof.boundary], as_task).verdict == "denied"
