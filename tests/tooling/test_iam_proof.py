"""The proof that the roles suffice: every AWS call of an emulated deploy, judged by the IAM evaluator.

Each stack is deployed once into moto with a `CallRecorder` on the emulator's clients;
`arbiter_tools.api_calls` turns every recorded call into the authorizations IAM checks for it,
and the provider's own calls (refresh reads, update-path writes) are added from
`PROVIDER_CALLS`. Then, with the policies exactly as the program generated them for the stack:

- the deploy role is allowed every authorization, except the admin-only ones in `ADMIN_ONLY`,
  which must be denied;
- the preview role is allowed every read of a refresh and the state reads, and denied every write;
- each execution role is allowed what ECS does for its service, and denied secrets it does not inject.

"unsupported" (a condition the evaluator cannot judge) fails like a denial.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_infra.catalog import IMAGE_REPOSITORIES
from arbiter_infra.config import StackConfig, parse_stack_values
from arbiter_tools import api_calls
from arbiter_tools.api_calls import (
    PROVIDER_CALLS,
    ApiCall,
    Authorization,
    Authorizer,
    CallRecorder,
    UnmappedCall,
    authorize,
    provider_authorizations,
)
from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from arbiter_tools.iam_eval import Decision, Request, context_for, evaluate, evaluate_bounded
from arbiter_tools.runtime import ACCOUNT_ID, REGION, Deployment, run_program
from components import deploy_grants
from tests.conftest import FAKE_ENV

pytestmark = pytest.mark.moto


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
        "arn:aws:secretsmanager:*:*:secret:arbiter-{env}/redis-auth-*",
        "the SecretVersion's Read returns the Redis AUTH token: pull-request code must not read "
        "it, so `pulumi preview --refresh` (not what preview.yml runs) cannot refresh this one resource",
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


@pytest.fixture(scope="module", params=["staging", "prod"])
def proof(request: pytest.FixtureRequest) -> Iterator[Proof]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_ENV.items():
            mp.setenv(key, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
            recorder = CallRecorder()
            session = boto3.Session(region_name=REGION)
            deployment = deploy(
                request.param, EmulatorMocks(request.param, session=session, recorder=recorder)
            )
    auths, authorizer = authorize(recorder.calls, ACCOUNT_ID, REGION)
    yield Proof(
        request.param, deployment, recorder.calls, auths, authorizer, parse_stack_values(deployment.config)
    )


def _decide(policies: list[dict[str, Any]], a: Authorization) -> Decision:
    return evaluate(policies, Request(a.action, a.resource, a.context))


def _judge(
    proof: Proof, auths: list[Authorization], policies: list[dict[str, Any]], exempt: tuple[AdminOnly, ...]
) -> tuple[list[str], dict[AdminOnly, int]]:
    """Failures (allowed where exempt, anything else not allowed) and how often each exemption held."""
    failures: list[str] = []
    used = dict.fromkeys(exempt, 0)
    for a in auths:
        decision = _decide(policies, a)
        rule = next((e for e in exempt if e.matches(a, proof.stack)), None)
        if rule is not None:
            used[rule] += 1
            if decision.verdict != "denied":
                failures.append(f"{a}: {decision.verdict} but admin-only ({rule.reason})")
        elif decision.verdict != "allowed":
            failures.append(f"{a}: {decision.verdict} ({decision.reason})")
    return failures, used


# ---- the recording ----------------------------------------------------------------------------------


#: Declared types moto has no API for (their creates are in `PROVIDER_CALLS` writes instead).
NO_MOTO_API = {
    "aws:elasticache/parameterGroup:ParameterGroup",
    "aws:backup/selection:Selection",
    "aws:backup/vaultPolicy:VaultPolicy",
}


def test_every_call_is_recorded_with_the_resource_it_was_made_for(proof: Proof) -> None:
    creates = {(c.operation, c.type) for c in proof.calls}
    assert ("CreateVpc", "aws:ec2/vpc:Vpc") in creates
    assert ("RegisterTaskDefinition", "aws:ecs/taskDefinition:TaskDefinition") in creates
    assert ("CreateDBCluster", "aws:rds/cluster:Cluster") in creates
    [vpc] = [c for c in proof.calls if c.operation == "CreateVpc"]
    assert vpc.resource_tags["Environment"] == proof.stack
    assert api_calls.request_tags(vpc.params) == vpc.resource_tags  # TagSpecifications reached the API
    # Each declared AWS resource the emulator creates left at least one call behind.
    made_for = {c.resource for c in proof.calls}
    for r in proof.deployment.resources:
        # Types without a moto API: the provider table covers their calls.
        if r.custom and r.type.startswith("aws:") and r.type not in NO_MOTO_API:
            assert f"{r.type} {r.name}" in made_for, r.name


def test_every_recorded_call_has_an_iam_rule(proof: Proof) -> None:
    judged = [c for c in proof.calls if not c.failed and not api_calls.emulator_only(c)]
    assert {str(a.call) for a in proof.authorizations} == {str(c) for c in judged}
    assert len(proof.authorizations) >= len(judged)  # implied ones (tags, PassRole, KMS) come on top


def test_an_unknown_call_is_reported_not_assumed_harmless() -> None:
    call = ApiCall("ec2", "CreateTransitGateway", {}, {"TransitGateway": {"TransitGatewayId": "tgw-1"}})
    with pytest.raises(UnmappedCall, match="no IAM rule for ec2:CreateTransitGateway"):
        authorize([call], ACCOUNT_ID, REGION)


# ---- the deploy role ---------------------------------------------------------------------------------


def test_deploy_role_allows_every_call_of_a_deploy_but_the_admin_only_ones(proof: Proof) -> None:
    failures, used = _judge(proof, proof.authorizations, proof.policies("deploy"), ADMIN_ONLY)
    assert failures == []
    assert all(used.values()), [e.target for e, n in used.items() if not n]  # no stale entry


def test_admin_only_calls_are_denied_as_a_whole(proof: Proof) -> None:
    """A call with one admin-only authorization fails in AWS: list them, all denied."""
    policies = proof.policies("deploy")
    admin_calls = {a.call for a in proof.authorizations if any(e.matches(a, proof.stack) for e in ADMIN_ONLY)}
    by_kind = sorted({f"{c.operation} {c.resource.split(' ')[0]}" for c in admin_calls})
    assert "CreateRole aws:iam/role:Role" in by_kind and "CreatePolicy aws:iam/policy:Policy" in by_kind
    for call in admin_calls:
        verdicts = [_decide(policies, a).verdict for a in proof.authorizations if a.call is call]
        assert "denied" in verdicts, call
    # 2 CI roles + 3 execution roles; 9 deploy + 9 preview policies (one per area) + the boundary;
    # their 18 attachments to the CI roles; the default security group's adoption (revoke, tag).
    areas = len(deploy_grants.AREAS)
    assert sum(c.operation == "CreateRole" for c in admin_calls) == 5
    assert sum(c.operation == "CreatePolicy" for c in admin_calls) == 2 * areas + 1 == 19
    assert sum(c.operation == "AttachRolePolicy" for c in admin_calls) == 2 * areas == 18


def test_deploy_role_allows_the_providers_refresh_and_update_calls(proof: Proof) -> None:
    reads = provider_authorizations(proof.deployment.resources, proof.authorizer, writes=False)
    writes = provider_authorizations(proof.deployment.resources, proof.authorizer, writes=True)
    failures, _ = _judge(proof, reads + writes, proof.policies("deploy"), ADMIN_ONLY)
    assert failures == []


def test_every_declared_type_has_its_provider_calls_listed(proof: Proof) -> None:
    types = {r.type for r in proof.deployment.resources if r.custom and r.type.startswith("aws:")}
    assert types <= set(PROVIDER_CALLS), sorted(types - set(PROVIDER_CALLS))
    for calls in PROVIDER_CALLS.values():
        assert calls.source.startswith("internal/service/") and calls.reads


def test_deploy_role_cannot_create_a_role_without_the_boundary(proof: Proof) -> None:
    [create] = [
        a
        for a in proof.authorizations
        if a.action == "iam:CreateRole" and a.resource.endswith(f"arbiter-{proof.stack}-web-api-task")
    ]
    policies = proof.policies("deploy")
    assert _decide(policies, create).verdict == "allowed"
    unbounded = {k: v for k, v in create.context.items() if k != "iam:PermissionsBoundary"}
    assert evaluate(policies, Request(create.action, create.resource, unbounded)).verdict == "denied"


# ---- a component that adds a call its role does not allow ---------------------------------------------


def test_a_missing_grant_fails_with_the_exact_denial(proof: Proof, monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop one statement from the grants table: the proof names every call that now fails."""
    monkeypatch.setattr(
        deploy_grants, "GRANTS", tuple(g for g in deploy_grants.GRANTS if g.sid != "Ec2CreateInOwnNetwork")
    )
    without = run_program(proof.stack)
    policies = [
        json.loads(p.inputs["policy"])
        for p in without.of_type("aws:iam/policy:Policy")
        if p.inputs["name"].startswith(f"arbiter-{proof.stack}-deploy-")
    ]
    failures, _ = _judge(proof, proof.authorizations, policies, ADMIN_ONLY)
    vpc = proof.deployment.outputs["vpcId"]
    subnet = next(a for a in proof.authorizations if a.action == "ec2:CreateSubnet" and vpc in a.resource)
    assert (
        f"ec2:CreateSubnet on arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc/{vpc} <- ec2:CreateSubnet "
        f"({subnet.call.resource}): denied (no statement allows it (implicit deny))"
    ) in failures
    assert {f.split(" on ")[0] for f in failures} == {
        "ec2:CreateFlowLogs",
        "ec2:CreateNatGateway",
        "ec2:CreateNetworkAcl",
        "ec2:CreateRouteTable",
        "ec2:CreateSecurityGroup",
        "ec2:CreateSubnet",
        *(["ec2:CreateVpcEndpoint"] if proof.stack == "prod" else []),
    }


def test_a_call_outside_the_stack_is_denied(proof: Proof) -> None:
    foreign = ApiCall(
        "ec2",
        "CreateSubnet",
        {"VpcId": "vpc-0foreign", "TagSpecifications": [{"ResourceType": "subnet", "Tags": []}]},
        {"Subnet": {"SubnetId": "subnet-0new"}},
        "aws:ec2/subnet:Subnet rogue",
    )
    auths = proof.authorizer.authorizations(foreign)
    verdicts = {a.resource.rsplit(":", 1)[1]: _decide(proof.policies("deploy"), a).verdict for a in auths}
    assert verdicts == {"subnet/*": "denied", "vpc/vpc-0foreign": "denied"}


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
    failures, used = _judge(proof, reads, proof.policies("preview"), PREVIEW_DENIED_BY_DESIGN)
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
    allowed = [str(a) for a in writes if _decide(policies, a).verdict != "denied"]
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
