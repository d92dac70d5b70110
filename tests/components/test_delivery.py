"""Delivery and PermissionsBoundary alone: the CI roles carry what their args say, nothing of the application."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra.naming import Naming
from arbiter_tools.runtime import Deployment
from components import deploy_grants
from components.delivery import (
    GITHUB_OIDC_HOST,
    Delivery,
    DeliveryArgs,
    GrantScope,
    PermissionsBoundary,
    PermissionsBoundaryArgs,
    ServiceImage,
)
from tests.components.conftest import Build

ACCOUNT = "111122223333"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SCOPE = GrantScope(
    region="eu-west-1",
    copy_region="eu-central-1",
    state_bucket="state-bucket",
    secrets_kms_alias="alias/state-unit",
    image_repositories=("engine-repo", "bot-repo"),
    app_secrets=("acme", "chat"),
)


def _delivery(naming: Naming, images: dict[str, ServiceImage] | None = None) -> Delivery:
    return Delivery(
        naming("delivery"),
        DeliveryArgs(
            naming=naming,
            account_id=ACCOUNT,
            scope=SCOPE,
            github_repository="org/repo",
            github_environment="ship",
            preview_environment="look",
            drift_environment="watch",
            images=images or {},
        ),
    )


def _statements(d: Deployment, kind: str) -> list[dict[str, Any]]:
    return [
        s
        for p in d.of_type(POLICY)
        if p.inputs["name"].startswith(f"arbiter-unit-{kind}-")
        for s in json.loads(p.inputs["policy"])["Statement"]
    ]


def _resources(statements: list[dict[str, Any]], sid: str) -> list[str]:
    [s] = [s for s in statements if s["Sid"] == sid]
    return s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]


@pytest.mark.parametrize(
    ("kind", "environment"), [("deploy", "ship"), ("preview", "look"), ("drift", "watch")]
)
def test_each_role_trusts_only_its_repository_and_environment(
    build: Build, naming: Naming, kind: str, environment: str
) -> None:
    d = build(lambda: _delivery(naming))
    role = d.one(ROLE, f"arbiter-unit-delivery-{kind}-role")
    assert role.inputs["name"] == f"arbiter-unit-{kind}"
    [stmt] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert stmt["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"}
    assert (
        stmt["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"]
        == f"repo:org/repo:environment:{environment}"
    )
    assert "org/repo" in role.inputs["description"] and environment in role.inputs["description"]


def test_one_policy_per_area_each_attached_to_its_role(build: Build, naming: Naming) -> None:
    d = build(lambda: _delivery(naming))
    for kind, areas in (
        ("deploy", deploy_grants.AREAS),
        ("preview", deploy_grants.PREVIEW_AREAS),
        ("drift", deploy_grants.DRIFT_AREAS),
    ):
        names = sorted(
            p.inputs["name"]
            for p in d.of_type(POLICY)
            if p.inputs["name"].startswith(f"arbiter-unit-{kind}-")
        )
        assert names == sorted(f"arbiter-unit-{kind}-{area}" for area in areas)
        attached = [a for a in d.of_type(ATTACHMENT) if a.inputs["role"] == f"arbiter-unit-{kind}"]
        assert len(attached) == len(areas)


def test_the_ci_roles_have_no_boundary_of_their_own(build: Build, naming: Naming) -> None:
    """They are the admin's: the boundary caps the roles they create, and CI cannot touch them."""
    d = build(lambda: _delivery(naming))
    assert all("permissionsBoundary" not in r.inputs for r in d.of_type(ROLE))


def test_repositories_and_secrets_come_from_the_scope(build: Build, naming: Naming) -> None:
    d = build(lambda: _delivery(naming))
    deploy = _statements(d, "deploy")
    secrets = _resources(deploy, "DenyApplicationSecretValues")
    assert secrets == [
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:arbiter-unit/{n}-*" for n in ("acme", "chat")
    ]
    preview_deny = _resources(_statements(d, "preview"), "PreviewDenyApplicationSecretValues")
    assert preview_deny == secrets
    # The drift role reads generated values under the stack's prefix; the Deny still holds.
    assert _resources(_statements(d, "drift"), "PreviewDenyApplicationSecretValues") == secrets
    assert _resources(_statements(d, "drift"), "DriftReadGeneratedSecretValues") == [
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:arbiter-unit/*",
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:arbiter-unit-*",
    ]
    everything = json.dumps(deploy)
    for repo in ("engine-repo", "bot-repo"):
        assert f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{repo}" in everything
    assert "arbiter-engine" not in everything and "polymarket" not in everything
    assert "arn:aws:s3:::state-bucket/.pulumi/stacks/arbiter/unit.json*" in everything
    assert "eu-central-1" in everything and "us-east-1" not in everything


def test_an_image_outside_its_repository_is_refused(build: Build, naming: Naming) -> None:
    good = ServiceImage(uri="x/engine-repo:v1", repository="engine-repo", expected_repository="engine-repo")
    assert build(lambda: _delivery(naming, {"engine": good})).of_type(ROLE)
    bad = ServiceImage(uri="x/other:v1", repository="other", expected_repository="engine-repo")
    with pytest.raises(
        Exception, match=r"image 'x/other:v1' of engine: must be in ECR repository 'engine-repo'"
    ):
        build(lambda: _delivery(naming, {"engine": bad}))


def test_the_boundary_is_one_policy_scoped_by_the_args(build: Build, naming: Naming) -> None:
    d = build(
        lambda: PermissionsBoundary(
            naming("boundary"), PermissionsBoundaryArgs(naming=naming, account_id=ACCOUNT, scope=SCOPE)
        )
    )
    policy = d.one(POLICY)
    assert policy.inputs["name"] == "arbiter-unit-boundary"
    doc = json.loads(policy.inputs["policy"])
    pulls = _resources(doc["Statement"], "PullServiceImages")
    assert pulls == [f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{r}" for r in ("engine-repo", "bot-repo")]
    [secrets] = [s for s in doc["Statement"] if s["Sid"] == "OnlyExecutionRolesReadSecrets"]
    assert secrets["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/arbiter-unit-*-exec"}
    }


def test_grant_tables_have_unique_sids_and_a_reason_each() -> None:
    for table in (deploy_grants.GRANTS, deploy_grants.PREVIEW_GRANTS, deploy_grants.BOUNDARY_GRANTS):
        sids = [g.sid for g in table]
        assert len(sids) == len(set(sids))
        assert all(g.why for g in table)
    assert deploy_grants.AREAS == (
        "network",
        "data",
        "backup",
        "cache",
        "compute",
        "ingress",
        "identity",
        "automation",
        "observability",
        "state",
    )


def test_a_repository_template_gives_one_arn_per_repository() -> None:
    grant = deploy_grants.Grant(
        "x", "Sid", "why", ("ecr:BatchGetImage",), "arns", ("arn:{region}:{repository}",)
    )
    docs = deploy_grants.documents((grant,), SCOPE, Naming("unit"), ACCOUNT)
    assert docs["x"]["Statement"][0]["Resource"] == ["arn:eu-west-1:engine-repo", "arn:eu-west-1:bot-repo"]
