"""The delivery tier as the real program declares it: OIDC trust, the permissions boundary, what CI
may never do to itself, and the application secrets it never reads (both stacks)."""

from __future__ import annotations

import json

import pytest

from arbiter_infra.catalog import IMAGE_REPOSITORIES
from arbiter_infra.config import ConfigError
from arbiter_tools.iam_eval import Request, context_for, evaluate
from arbiter_tools.runtime import Deployment, run_program
from components.delivery import GITHUB_OIDC_HOST
from tests.conftest import stack_sections
from tests.program.delivery_support import IAM, OIDC_ARN, SM, boundary_arn, boundary_of, decide

EXPECTED = {
    "staging": ("arbiter-bot/arbiter-infra", "staging", "staging-preview", "staging-drift"),
    "prod": ("arbiter-bot/arbiter-infra", "deploy-prod", "prod-preview", "prod-drift"),
}


# ---- OIDC trust -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["deploy", "preview", "drift"])
def test_roles_trust_only_this_repository_and_their_own_environment(
    deployment: Deployment, kind: str
) -> None:
    repo, deploy_env, preview_env, drift_env = EXPECTED[deployment.stack]
    role = deployment.one("aws:iam/role:Role", f"arbiter-{deployment.stack}-delivery-{kind}-role")
    assert role.inputs["name"] == f"arbiter-{deployment.stack}-{kind}"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [stmt] = trust["Statement"]
    assert stmt["Principal"] == {"Federated": OIDC_ARN}  # the account stack's provider, by its fixed ARN
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    environment = {"deploy": deploy_env, "preview": preview_env, "drift": drift_env}[kind]
    assert stmt["Condition"] == {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repo}:environment:{environment}",
        }
    }


def test_account_resources_are_not_in_environment_stacks(deployment: Deployment) -> None:
    assert deployment.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert deployment.of_type("aws:ecr/repository:Repository") == []
    assert deployment.outputs["oidcProviderArn"] == OIDC_ARN
    assert "ecrRepositoryUrls" not in deployment.outputs


def test_stack_outputs(deployment: Deployment) -> None:
    assert deployment.outputs["deployRoleArn"] == f"{IAM}:role/arbiter-{deployment.stack}-deploy"
    assert deployment.outputs["previewRoleArn"] == f"{IAM}:role/arbiter-{deployment.stack}-preview"
    assert deployment.outputs["driftRoleArn"] == f"{IAM}:role/arbiter-{deployment.stack}-drift"
    assert deployment.outputs["permissionsBoundaryArn"] == boundary_arn(deployment)


def test_preview_environment_must_differ_from_the_deploy_environment() -> None:
    delivery = stack_sections("staging")["delivery"]
    delivery["previewEnvironment"] = delivery["githubEnvironment"]
    with pytest.raises(ConfigError) as err:
        run_program("staging", config_overrides={"delivery": delivery})
    assert str(err.value) == (
        'arbiter:delivery.previewEnvironment = "staging": must be a GitHub environment other than '
        "githubEnvironment (staging)"
    )


@pytest.mark.parametrize("other", ["githubEnvironment", "previewEnvironment"])
def test_drift_environment_is_one_of_its_own(other: str) -> None:
    """The drift role reads generated secret values: no deploy or pull-request job may assume it."""
    delivery = stack_sections("prod")["delivery"]
    delivery["driftEnvironment"] = delivery[other]
    with pytest.raises(ConfigError) as err:
        run_program("prod", config_overrides={"delivery": delivery})
    assert str(err.value) == (
        f'arbiter:delivery.driftEnvironment = "{delivery[other]}": must be a GitHub environment of its '
        f"own, not {other}'s ({delivery[other]})"
    )


def test_image_outside_the_account_repositories_is_refused() -> None:
    services = stack_sections("staging")["services"]
    services["webApi"]["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other-repo:v1"
    with pytest.raises(Exception, match=r"web-api.*must be in ECR repository 'web-api'"):
        run_program("staging", config_overrides={"services": services})
    assert set(IMAGE_REPOSITORIES.values()) == {"arbiter-engine", "telegram-bot", "web-api"}


# ---- permissions boundary -------------------------------------------------------------------------


def test_every_role_the_program_creates_carries_the_boundary(deployment: Deployment) -> None:
    ci_roles = {f"arbiter-{deployment.stack}-{kind}" for kind in ("deploy", "preview", "drift")}
    roles = deployment.of_type("aws:iam/role:Role")
    bounded = [r for r in roles if r.inputs["name"] not in ci_roles]
    assert len(bounded) >= 8  # 3 x (task, exec), flow logs, RDS monitoring
    boundary = deployment.one("aws:iam/policy:Policy", f"arbiter-{deployment.stack}-boundary-policy")
    for role in bounded:
        assert role.inputs.get("permissionsBoundary") == boundary.outputs["arn"], role.inputs["name"]
    for role in roles:
        if role.inputs["name"] in ci_roles:
            assert "permissionsBoundary" not in role.inputs  # admin-managed, denied to CI below


def test_deploy_role_cannot_create_a_role_without_the_boundary(deployment: Deployment) -> None:
    role = f"{IAM}:role/arbiter-{deployment.stack}-web-api-task"
    assert (
        decide(deployment, "iam:CreateRole", role, **{"iam:PermissionsBoundary": boundary_arn(deployment)})
        == "allowed"
    )
    assert decide(deployment, "iam:CreateRole", role) == "denied"
    other = f"{IAM}:policy/arbiter-{deployment.stack}-deploy-network"
    assert decide(deployment, "iam:CreateRole", role, **{"iam:PermissionsBoundary": other}) == "denied"
    for action in ("iam:PutRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePolicy"):
        assert decide(deployment, action, role) == "denied", action
        assert (
            decide(deployment, action, role, **{"iam:PermissionsBoundary": boundary_arn(deployment)})
            == "allowed"
        )
    for arn in (role, f"{IAM}:role/anything"):
        assert decide(deployment, "iam:DeleteRolePermissionsBoundary", arn) == "denied"


def test_deploy_role_cannot_attach_admin_or_ci_policies(deployment: Deployment) -> None:
    role = f"{IAM}:role/arbiter-{deployment.stack}-web-api-task"
    bounded = {"iam:PermissionsBoundary": boundary_arn(deployment)}
    own = f"{IAM}:policy/arbiter-{deployment.stack}-extra"
    assert decide(deployment, "iam:AttachRolePolicy", role, **bounded, **{"iam:PolicyARN": own}) == "allowed"
    for policy in (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        f"{IAM}:policy/arbiter-{deployment.stack}-deploy-identity",
        f"{IAM}:policy/arbiter-{deployment.stack}-preview-state",
        f"{IAM}:policy/arbiter-{deployment.stack}-drift-data",
        boundary_arn(deployment),
    ):
        assert (
            decide(deployment, "iam:AttachRolePolicy", role, **bounded, **{"iam:PolicyARN": policy})
            == "denied"
        )


def test_ci_cannot_touch_its_own_roles_or_the_boundary(deployment: Deployment) -> None:
    bounded = {"iam:PermissionsBoundary": boundary_arn(deployment)}
    for name in ("deploy", "preview", "drift"):
        role = f"{IAM}:role/arbiter-{deployment.stack}-{name}"
        for action in (
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:UpdateAssumeRolePolicy",
            "iam:PassRole",
            "iam:DeleteRole",
        ):
            assert decide(deployment, action, role, **bounded) == "denied", (name, action)
        policy = f"{IAM}:policy/arbiter-{deployment.stack}-{name}-identity"
        assert decide(deployment, "iam:CreatePolicyVersion", policy) == "denied"
    for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"):
        assert decide(deployment, action, boundary_arn(deployment)) == "denied", action
    # Execution roles are fixed by the admin: CI cannot re-create or re-trust one to read secrets.
    exec_role = f"{IAM}:role/arbiter-{deployment.stack}-trading-core-exec"
    for action in ("iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"):
        assert decide(deployment, action, exec_role, **bounded) == "denied", action
    assert decide(deployment, "iam:PutRolePolicy", exec_role, **bounded) == "allowed"


def test_pass_role_only_to_the_services_that_use_the_roles(deployment: Deployment) -> None:
    role = f"{IAM}:role/arbiter-{deployment.stack}-web-api-exec"
    for service in ("ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com", "vpc-flow-logs.amazonaws.com"):
        assert decide(deployment, "iam:PassRole", role, **{"iam:PassedToService": service}) == "allowed"
    for service in ("glue.amazonaws.com", "ec2.amazonaws.com", "states.amazonaws.com", None):
        ctx = {} if service is None else {"iam:PassedToService": service}
        assert decide(deployment, "iam:PassRole", role, **ctx) == "denied", service
    function_role = f"{IAM}:role/arbiter-{deployment.stack}-database-users-exec"
    passed = {"iam:PassedToService": "lambda.amazonaws.com"}
    assert decide(deployment, "iam:PassRole", function_role, **passed) == "allowed"


def test_boundary_lets_only_execution_roles_read_secrets(deployment: Deployment) -> None:
    boundary = boundary_of(deployment)
    secret = f"{SM}:secret:arbiter-{deployment.stack}/polymarket-AbCdEf"
    for name, expected in (
        ("trading-core-exec", "allowed"),
        ("trading-core-task", "denied"),
        ("minted", "denied"),
    ):
        ctx = {"aws:PrincipalArn": f"{IAM}:role/arbiter-{deployment.stack}-{name}"}
        assert (
            evaluate([boundary], Request("secretsmanager:GetSecretValue", secret, ctx)).verdict == expected
        ), name
    # The RDS master secret: the database-users function alone, no service's execution role.
    master = f"{SM}:secret:rds!cluster-0a1b2c3d-AbCdEf"
    for name, expected in (
        ("database-users-exec", "allowed"),
        ("trading-core-exec", "denied"),
        ("web-api-exec", "denied"),
        ("minted", "denied"),
    ):
        ctx = {"aws:PrincipalArn": f"{IAM}:role/arbiter-{deployment.stack}-{name}"}
        assert (
            evaluate([boundary], Request("secretsmanager:GetSecretValue", master, ctx)).verdict == expected
        ), name
    # Nothing administrative fits under the boundary, whatever a role's own policies say.
    for action in ("iam:CreateRole", "iam:PassRole", "s3:GetObject", "kms:Encrypt", "sts:AssumeRole"):
        assert evaluate([boundary], Request(action, "*")).verdict == "denied", action
    state_key = context_for(resource_tags={"Project": "other"})
    assert (
        evaluate([boundary], Request("kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", state_key)).verdict
        == "denied"
    )


# ---- application secrets --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["deploy", "preview", "drift"])
def test_ci_roles_cannot_read_the_trading_credentials(deployment: Deployment, kind: str) -> None:
    for name in ("polymarket", "kalshi", "telegram"):
        secret = f"{SM}:secret:arbiter-{deployment.stack}/{name}-AbCdEf"
        assert decide(deployment, "secretsmanager:GetSecretValue", secret, kind) == "denied", name
        assert decide(deployment, "secretsmanager:PutSecretValue", secret, kind) == "denied", name
        assert decide(deployment, "secretsmanager:DescribeSecret", secret, kind) == "allowed", name
    redis = f"{SM}:secret:arbiter-{deployment.stack}/redis-auth-AbCdEf"
    assert (
        decide(deployment, "secretsmanager:GetSecretValue", redis, "deploy") == "allowed"
    )  # pulumi's own value
    assert decide(deployment, "secretsmanager:GetSecretValue", redis, "preview") == "denied"


def test_drift_role_reads_generated_secret_values_by_prefix_but_writes_none(deployment: Deployment) -> None:
    """Any secret the program generates under the stack's prefix (the AUTH token today, per-service
    users tomorrow), decrypted with the stack key only through Secrets Manager; never a write."""
    prefix = f"{SM}:secret:arbiter-{deployment.stack}"
    for name in ("redis-auth", "redis-user-web-api", "db-user-trading-core"):
        secret = f"{prefix}/{name}-AbCdEf"
        assert decide(deployment, "secretsmanager:GetSecretValue", secret, "drift") == "allowed", name
        for write in (
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecret",
            "secretsmanager:DeleteSecret",
        ):
            assert decide(deployment, write, secret, "drift") == "denied", (name, write)
    other_stack = "prod" if deployment.stack == "staging" else "staging"
    theirs = f"{SM}:secret:arbiter-{other_stack}/redis-auth-AbCdEf"
    assert decide(deployment, "secretsmanager:GetSecretValue", theirs, "drift") == "denied"
    key = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-stack"
    via = {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    assert decide(deployment, "kms:Decrypt", key, "drift", **via) == "allowed"
    assert decide(deployment, "kms:Decrypt", key, "drift") == "denied"  # not directly
    assert (
        decide(deployment, "kms:Decrypt", key, "drift", untagged=True, **via) == "denied"
    )  # not another key
