"""The emulated deploy's recording, and the deploy role judged against every call of it (both stacks)."""

from __future__ import annotations

import json

import pytest

from arbiter_tools import api_calls
from arbiter_tools.api_calls import (
    PROVIDER_CALLS,
    ApiCall,
    UnmappedCall,
    authorize,
    provider_authorizations,
)
from arbiter_tools.iam_eval import Request, evaluate
from arbiter_tools.runtime import ACCOUNT_ID, REGION, run_program
from components import deploy_grants
from tests.tooling.iam_proof.proof import ADMIN_ONLY, Proof, decide, judge

pytestmark = pytest.mark.moto


# ---- the recording ----------------------------------------------------------------------------------


#: Declared types moto has no API for (their creates are in `PROVIDER_CALLS` writes instead).
NO_MOTO_API = {
    "aws:elasticache/parameterGroup:ParameterGroup",
    "aws:backup/selection:Selection",
    "aws:backup/vaultPolicy:VaultPolicy",
    # moto runs a function only in Docker: the invocation's InvokeFunction is a provider write.
    "aws:lambda/invocation:Invocation",
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
    failures, used = judge(proof, proof.authorizations, proof.policies("deploy"), ADMIN_ONLY)
    assert failures == []
    assert all(used.values()), [e.target for e, n in used.items() if not n]  # no stale entry


def test_admin_only_calls_are_denied_as_a_whole(proof: Proof) -> None:
    """A call with one admin-only authorization fails in AWS: list them, all denied."""
    policies = proof.policies("deploy")
    admin_calls = {a.call for a in proof.authorizations if any(e.matches(a, proof.stack) for e in ADMIN_ONLY)}
    by_kind = sorted({f"{c.operation} {c.resource.split(' ')[0]}" for c in admin_calls})
    assert "CreateRole aws:iam/role:Role" in by_kind and "CreatePolicy aws:iam/policy:Policy" in by_kind
    for call in admin_calls:
        verdicts = [decide(policies, a).verdict for a in proof.authorizations if a.call is call]
        assert "denied" in verdicts, call
    # 3 CI roles (deploy, preview, drift) + 3 execution roles + the database-users function's (the
    # master secret's only reader); one policy per area for each CI role + the boundary; their
    # attachments; the default security group's adoption (revoke, tag).
    areas = len(deploy_grants.AREAS)
    assert len(deploy_grants.PREVIEW_AREAS) == len(deploy_grants.DRIFT_AREAS) == areas == 10
    assert sum(c.operation == "CreateRole" for c in admin_calls) == 7
    assert sum(c.operation == "CreatePolicy" for c in admin_calls) == 3 * areas + 1 == 31
    assert sum(c.operation == "AttachRolePolicy" for c in admin_calls) == 3 * areas == 30


def test_deploy_role_allows_the_providers_refresh_and_update_calls(proof: Proof) -> None:
    reads = provider_authorizations(proof.deployment.resources, proof.authorizer, writes=False)
    writes = provider_authorizations(proof.deployment.resources, proof.authorizer, writes=True)
    failures, _ = judge(proof, reads + writes, proof.policies("deploy"), ADMIN_ONLY)
    assert failures == []


def test_every_declared_type_has_its_provider_calls_listed(proof: Proof) -> None:
    types = {r.type for r in proof.deployment.resources if r.custom and r.type.startswith("aws:")}
    assert types <= set(PROVIDER_CALLS), sorted(types - set(PROVIDER_CALLS))
    for calls in PROVIDER_CALLS.values():
        # A read that calls nothing (a Lambda invocation's) says so in its source.
        assert calls.source.startswith("internal/service/") and (calls.reads or "no read" in calls.source)


def test_deploy_role_cannot_create_a_role_without_the_boundary(proof: Proof) -> None:
    [create] = [
        a
        for a in proof.authorizations
        if a.action == "iam:CreateRole" and a.resource.endswith(f"arbiter-{proof.stack}-web-api-task")
    ]
    policies = proof.policies("deploy")
    assert decide(policies, create).verdict == "allowed"
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
    failures, _ = judge(proof, proof.authorizations, policies, ADMIN_ONLY)
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
    verdicts = {a.resource.rsplit(":", 1)[1]: decide(proof.policies("deploy"), a).verdict for a in auths}
    assert verdicts == {"subnet/*": "denied", "vpc/vpc-0foreign": "denied"}
