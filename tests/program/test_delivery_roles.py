"""The delivery tier as the real program declares it: OIDC trust, deploy and preview roles, boundary.

Permission checks run the IAM evaluator (`arbiter_tools.iam_eval`) over the policy documents the
program attaches, so conditions (boundary, PassedToService, tags) count, not only ARN patterns.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from arbiter_infra.config import ConfigError
from arbiter_infra.iam import TAG_CONDITION_KEYS, UNSCOPABLE_ACTIONS
from arbiter_tools.iam_eval import Request, context_for, evaluate
from arbiter_tools.runtime import ACCOUNT_ID, REGION, Deployment, run_program
from components.delivery import (
    GITHUB_OIDC_HOST,
    IMAGE_REPOSITORIES,
    MANAGED_POLICY_MAX_CHARS,
    MAX_ATTACHED_POLICIES,
    policy_size,
)
from tests.conftest import stack_sections

OIDC_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
EXPECTED = {
    "staging": ("arbiter-bot/arbiter-infra", "staging", "staging-preview"),
    "prod": ("arbiter-bot/arbiter-infra", "deploy-prod", "prod-preview"),
}
INLINE_POLICY_MAX_CHARS = 10_240
IAM = f"arn:aws:iam::{ACCOUNT_ID}"
SM = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}"
TAGS = {"Project": "arbiter"}


@pytest.fixture(scope="module", params=["staging", "prod"])
def owned(request: pytest.FixtureRequest) -> Deployment:
    return run_program(request.param)


def _policies(d: Deployment, kind: str) -> dict[str, dict[str, Any]]:
    return {
        p.inputs["name"]: json.loads(p.inputs["policy"])
        for p in d.of_type("aws:iam/policy:Policy")
        if p.inputs["name"].startswith(f"arbiter-{d.stack}-{kind}-")
    }


def _boundary(d: Deployment) -> dict[str, Any]:
    [p] = [p for p in d.of_type("aws:iam/policy:Policy") if p.inputs["name"] == f"arbiter-{d.stack}-boundary"]
    return dict(json.loads(p.inputs["policy"]))


def _statements(d: Deployment, kind: str = "deploy") -> list[dict[str, Any]]:
    return [s for doc in _policies(d, kind).values() for s in doc["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _boundary_arn(d: Deployment) -> str:
    return f"{IAM}:policy/arbiter-{d.stack}-boundary"


def _decide(
    d: Deployment, action: str, arn: str, kind: str = "deploy", *, untagged: bool = False, **context: Any
) -> str:
    """The verdict for `action` on `arn`, a resource tagged as this stack's unless `untagged`."""
    tags = {} if untagged else {"Environment": d.stack, **TAGS}
    ctx = context_for(resource_tags=tags, extra=context)
    return evaluate(_policies(d, kind).values(), Request(action, arn, ctx)).verdict


# ---- OIDC trust -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["deploy", "preview"])
def test_roles_trust_only_this_repository_and_their_own_environment(owned: Deployment, kind: str) -> None:
    repo, deploy_env, preview_env = EXPECTED[owned.stack]
    role = owned.one("aws:iam/role:Role", f"arbiter-{owned.stack}-delivery-{kind}-role")
    assert role.inputs["name"] == f"arbiter-{owned.stack}-{kind}"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [stmt] = trust["Statement"]
    assert stmt["Principal"] == {"Federated": OIDC_ARN}  # the account stack's provider, by its fixed ARN
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    environment = deploy_env if kind == "deploy" else preview_env
    assert stmt["Condition"] == {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repo}:environment:{environment}",
        }
    }


def test_account_resources_are_not_in_environment_stacks(owned: Deployment) -> None:
    assert owned.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert owned.of_type("aws:ecr/repository:Repository") == []
    assert owned.outputs["oidcProviderArn"] == OIDC_ARN
    assert "ecrRepositoryUrls" not in owned.outputs


def test_stack_outputs(owned: Deployment) -> None:
    assert owned.outputs["deployRoleArn"] == f"{IAM}:role/arbiter-{owned.stack}-deploy"
    assert owned.outputs["previewRoleArn"] == f"{IAM}:role/arbiter-{owned.stack}-preview"
    assert owned.outputs["permissionsBoundaryArn"] == _boundary_arn(owned)


def test_preview_environment_must_differ_from_the_deploy_environment() -> None:
    delivery = stack_sections("staging")["delivery"]
    delivery["previewEnvironment"] = delivery["githubEnvironment"]
    with pytest.raises(ConfigError) as err:
        run_program("staging", config_overrides={"delivery": delivery})
    assert str(err.value) == (
        'arbiter:delivery.previewEnvironment = "staging": must be a GitHub environment other than '
        "githubEnvironment (staging)"
    )


def test_image_outside_the_account_repositories_is_refused() -> None:
    services = stack_sections("staging")["services"]
    services["webApi"]["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other-repo:v1"
    with pytest.raises(Exception, match=r"web-api.*must be in ECR repository 'web-api'"):
        run_program("staging", config_overrides={"services": services})
    assert set(IMAGE_REPOSITORIES.values()) == {"arbiter-engine", "telegram-bot", "web-api"}


# ---- permissions boundary -------------------------------------------------------------------------


def test_every_role_the_program_creates_carries_the_boundary(owned: Deployment) -> None:
    ci_roles = {f"arbiter-{owned.stack}-deploy", f"arbiter-{owned.stack}-preview"}
    roles = owned.of_type("aws:iam/role:Role")
    bounded = [r for r in roles if r.inputs["name"] not in ci_roles]
    assert len(bounded) >= 8  # 3 x (task, exec), flow logs, RDS monitoring
    boundary = owned.one("aws:iam/policy:Policy", f"arbiter-{owned.stack}-boundary-policy")
    for role in bounded:
        assert role.inputs.get("permissionsBoundary") == boundary.outputs["arn"], role.inputs["name"]
    for role in roles:
        if role.inputs["name"] in ci_roles:
            assert "permissionsBoundary" not in role.inputs  # admin-managed, denied to CI below


def test_deploy_role_cannot_create_a_role_without_the_boundary(owned: Deployment) -> None:
    role = f"{IAM}:role/arbiter-{owned.stack}-web-api-task"
    assert (
        _decide(owned, "iam:CreateRole", role, **{"iam:PermissionsBoundary": _boundary_arn(owned)})
        == "allowed"
    )
    assert _decide(owned, "iam:CreateRole", role) == "denied"
    other = f"{IAM}:policy/arbiter-{owned.stack}-deploy-network"
    assert _decide(owned, "iam:CreateRole", role, **{"iam:PermissionsBoundary": other}) == "denied"
    for action in ("iam:PutRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePolicy"):
        assert _decide(owned, action, role) == "denied", action
        assert _decide(owned, action, role, **{"iam:PermissionsBoundary": _boundary_arn(owned)}) == "allowed"
    for arn in (role, f"{IAM}:role/anything"):
        assert _decide(owned, "iam:DeleteRolePermissionsBoundary", arn) == "denied"


def test_deploy_role_cannot_attach_admin_or_ci_policies(owned: Deployment) -> None:
    role = f"{IAM}:role/arbiter-{owned.stack}-web-api-task"
    bounded = {"iam:PermissionsBoundary": _boundary_arn(owned)}
    own = f"{IAM}:policy/arbiter-{owned.stack}-extra"
    assert _decide(owned, "iam:AttachRolePolicy", role, **bounded, **{"iam:PolicyARN": own}) == "allowed"
    for policy in (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        f"{IAM}:policy/arbiter-{owned.stack}-deploy-identity",
        f"{IAM}:policy/arbiter-{owned.stack}-preview-state",
        _boundary_arn(owned),
    ):
        assert (
            _decide(owned, "iam:AttachRolePolicy", role, **bounded, **{"iam:PolicyARN": policy}) == "denied"
        )


def test_ci_cannot_touch_its_own_roles_or_the_boundary(owned: Deployment) -> None:
    bounded = {"iam:PermissionsBoundary": _boundary_arn(owned)}
    for name in ("deploy", "preview"):
        role = f"{IAM}:role/arbiter-{owned.stack}-{name}"
        for action in (
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:UpdateAssumeRolePolicy",
            "iam:PassRole",
            "iam:DeleteRole",
        ):
            assert _decide(owned, action, role, **bounded) == "denied", (name, action)
        policy = f"{IAM}:policy/arbiter-{owned.stack}-{name}-identity"
        assert _decide(owned, "iam:CreatePolicyVersion", policy) == "denied"
    for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"):
        assert _decide(owned, action, _boundary_arn(owned)) == "denied", action
    # Execution roles are fixed by the admin: CI cannot re-create or re-trust one to read secrets.
    exec_role = f"{IAM}:role/arbiter-{owned.stack}-trading-core-exec"
    for action in ("iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"):
        assert _decide(owned, action, exec_role, **bounded) == "denied", action
    assert _decide(owned, "iam:PutRolePolicy", exec_role, **bounded) == "allowed"


def test_pass_role_only_to_the_services_that_use_the_roles(owned: Deployment) -> None:
    role = f"{IAM}:role/arbiter-{owned.stack}-web-api-exec"
    for service in ("ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com", "vpc-flow-logs.amazonaws.com"):
        assert _decide(owned, "iam:PassRole", role, **{"iam:PassedToService": service}) == "allowed"
    for service in ("lambda.amazonaws.com", "ec2.amazonaws.com", None):
        ctx = {} if service is None else {"iam:PassedToService": service}
        assert _decide(owned, "iam:PassRole", role, **ctx) == "denied", service


def test_boundary_lets_only_execution_roles_read_secrets(owned: Deployment) -> None:
    boundary = _boundary(owned)
    secret = f"{SM}:secret:arbiter-{owned.stack}/polymarket-AbCdEf"
    for name, expected in (
        ("trading-core-exec", "allowed"),
        ("trading-core-task", "denied"),
        ("minted", "denied"),
    ):
        ctx = {"aws:PrincipalArn": f"{IAM}:role/arbiter-{owned.stack}-{name}"}
        assert (
            evaluate([boundary], Request("secretsmanager:GetSecretValue", secret, ctx)).verdict == expected
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


@pytest.mark.parametrize("kind", ["deploy", "preview"])
def test_ci_roles_cannot_read_the_trading_credentials(owned: Deployment, kind: str) -> None:
    for name in ("polymarket", "kalshi", "telegram"):
        secret = f"{SM}:secret:arbiter-{owned.stack}/{name}-AbCdEf"
        assert _decide(owned, "secretsmanager:GetSecretValue", secret, kind) == "denied", name
        assert _decide(owned, "secretsmanager:PutSecretValue", secret, kind) == "denied", name
        assert _decide(owned, "secretsmanager:DescribeSecret", secret, kind) == "allowed", name
    redis = f"{SM}:secret:arbiter-{owned.stack}/redis-auth-AbCdEf"
    assert _decide(owned, "secretsmanager:GetSecretValue", redis, "deploy") == "allowed"  # pulumi's own value
    assert _decide(owned, "secretsmanager:GetSecretValue", redis, "preview") == "denied"


# ---- deploy-role permissions ------------------------------------------------------------------------


def test_missing_grants_are_there(owned: Deployment) -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd"
    alias = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/arbiter-{owned.stack}"
    for action in ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"):
        assert _decide(owned, action, key) == "allowed", action  # key side (tagged stack key)
        assert _decide(owned, action, alias) == "allowed", action
    og = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:og:default:aurora-postgresql-16"
    assert _decide(owned, "rds:CreateDBCluster", og) == "allowed"
    for action in ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"):
        assert _decide(owned, action, "*") == "allowed", action
    rule = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:security-group-rule/sgr-1"
    tag_on_create = context_for(
        request_tags={"Project": "arbiter", "Environment": owned.stack},
        extra={"ec2:CreateAction": "AuthorizeSecurityGroupIngress"},
    )
    assert (
        evaluate(_policies(owned, "deploy").values(), Request("ec2:CreateTags", rule, tag_on_create)).verdict
        == "allowed"
    )


def test_policies_fit_iam_quotas_and_are_attached(owned: Deployment) -> None:
    for kind in ("deploy", "preview"):
        policies = [
            p
            for p in owned.of_type("aws:iam/policy:Policy")
            if p.inputs["name"].startswith(f"arbiter-{owned.stack}-{kind}-")
        ]
        assert 1 <= len(policies) <= MAX_ATTACHED_POLICIES
        for p in policies:
            size = policy_size(json.loads(p.inputs["policy"]))
            assert size <= MANAGED_POLICY_MAX_CHARS <= INLINE_POLICY_MAX_CHARS, (p.inputs["name"], size)
        attachments = [
            a
            for a in owned.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.inputs["role"] == f"arbiter-{owned.stack}-{kind}"
        ]
        assert sorted(a.inputs["policyArn"] for a in attachments) == sorted(
            p.outputs["arn"] for p in policies
        )
    assert policy_size(_boundary(owned)) <= MANAGED_POLICY_MAX_CHARS


@pytest.mark.parametrize("kind", ["deploy", "preview"])
def test_no_wildcard_actions_and_every_statement_has_a_sid(owned: Deployment, kind: str) -> None:
    statements = _statements(owned, kind) + (_boundary(owned)["Statement"] if kind == "deploy" else [])
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)) and all(sids)
    for s in statements:
        for action in _as_list(s["Action"]):
            service, _, name = action.partition(":")
            assert service and name and "*" not in action, (s["Sid"], action)


@pytest.mark.parametrize("kind", ["deploy", "preview"])
def test_star_resource_only_for_unscopable_or_tag_conditioned(owned: Deployment, kind: str) -> None:
    for s in _statements(owned, kind):
        if "*" not in _as_list(s["Resource"]):
            continue
        assert _as_list(s["Resource"]) == ["*"], s["Sid"]
        if set(_as_list(s["Action"])) <= UNSCOPABLE_ACTIONS:
            continue
        keys = s.get("Condition", {}).get("StringEquals", {})
        tag_values = {k.rsplit("/", 1)[1]: v for k, v in keys.items() if k.startswith(TAG_CONDITION_KEYS)}
        assert tag_values == {"Project": "arbiter", "Environment": owned.stack}, s["Sid"]


#: ARNs that legitimately name no stack prefix, and why (each asserted to be narrow in itself).
SHARED_ARNS = (
    f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/*",  # the three shared image repositories
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:rds!cluster-*",
    f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:og:default:aurora-postgresql-*",
    f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/*",
    "arn:aws:route53:::hostedzone/*",
    # AWS's managed rule groups, which the web ACL references (no one's to own)
    f"arn:aws:wafv2:{REGION}:{ACCOUNT_ID}:regional/managedruleset/AWSManagedRules*/*",
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/*",  # only with a kms:ResourceAliases condition
    f"arn:aws:iam::{ACCOUNT_ID}:role/*",  # only in a Deny
)


@pytest.mark.parametrize("kind", ["deploy", "preview"])
def test_resource_arns_are_scoped_to_this_stack(owned: Deployment, kind: str) -> None:
    env = owned.stack
    other = "prod" if env == "staging" else "staging"
    short = {"staging": "arb-stg", "prod": "arb-prd"}[env]
    for s in _statements(owned, kind):
        for arn in _as_list(s["Resource"]):
            if arn == "*":
                continue
            assert ACCOUNT_ID in arn or arn.startswith(("arn:aws:s3:::", "arn:aws:route53:::")), arn
            assert f"arbiter-{other}" not in arn and f"arb-{other[:3]}" not in arn, arn
            scoped = (
                f"arbiter-{env}" in arn
                or f"{short}-" in arn
                or arn.startswith("arn:aws:s3:::arbiter-pulumi-state")
            )
            if not scoped:
                assert any(fnmatchcase(arn, pattern) for pattern in SHARED_ARNS), (s["Sid"], arn)
            if arn.endswith(":key/*"):
                assert "kms:ResourceAliases" in json.dumps(s.get("Condition", {})), s["Sid"]
            if arn.endswith(":role/*"):
                assert s["Effect"] == "Deny", s["Sid"]


def test_state_access_is_this_stack_only(owned: Deployment) -> None:
    bucket = "arn:aws:s3:::arbiter-pulumi-state-123456789012"
    env, other = owned.stack, "prod" if owned.stack == "staging" else "staging"
    assert _decide(owned, "s3:PutObject", f"{bucket}/.pulumi/stacks/arbiter/{env}.json") == "allowed"
    assert (
        _decide(owned, "s3:GetObject", f"{bucket}/.pulumi/locks/organization/arbiter/{env}/x.json")
        == "allowed"
    )
    assert _decide(owned, "s3:GetObject", f"{bucket}/.pulumi/stacks/arbiter/{other}.json") == "denied"
    assert _decide(owned, "s3:PutObject", f"{bucket}/.pulumi/meta.yaml") == "denied"
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/state"
    alias = {"kms:ResourceAliases": [f"alias/arbiter-pulumi-state-{env}"]}
    assert _decide(owned, "kms:Decrypt", key, untagged=True, **alias) == "allowed"
    other_alias = {"kms:ResourceAliases": [f"alias/arbiter-pulumi-state-{other}"]}
    assert _decide(owned, "kms:Decrypt", key, untagged=True, **other_alias) == "denied"


def test_preview_role_reads_state_but_writes_nothing(owned: Deployment) -> None:
    bucket = "arn:aws:s3:::arbiter-pulumi-state-123456789012"
    env = owned.stack
    checkpoint = f"{bucket}/.pulumi/stacks/arbiter/{env}.json"
    assert _decide(owned, "s3:GetObject", checkpoint, "preview") == "allowed"
    assert _decide(owned, "s3:GetObject", f"{bucket}/.pulumi/meta.yaml", "preview") == "allowed"
    assert _decide(owned, "s3:ListBucket", bucket, "preview") == "allowed"
    for action, arn in (
        ("s3:PutObject", checkpoint),
        (
            "s3:PutObject",
            f"{bucket}/.pulumi/locks/organization/arbiter/{env}/x.json",
        ),  # preview takes no lock
        ("s3:GetObject", f"{bucket}/.pulumi/history/arbiter/{env}/x.json"),
        ("ecs:UpdateService", f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/arbiter-{env}/web-api"),
        ("iam:CreateRole", f"{IAM}:role/arbiter-{env}-x"),
    ):
        assert _decide(owned, action, arn, "preview") == "denied", action
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/state"
    alias = {"kms:ResourceAliases": [f"alias/arbiter-pulumi-state-{env}"]}
    assert _decide(owned, "kms:Decrypt", key, "preview", untagged=True, **alias) == "allowed"
    assert _decide(owned, "kms:Encrypt", key, "preview", untagged=True, **alias) == "denied"


def test_preview_role_has_only_read_actions(owned: Deployment) -> None:
    from parliament import iam_definition

    levels = {
        f"{svc['prefix']}:{p['privilege']}".lower(): p["access_level"]
        for svc in iam_definition
        for p in svc["privileges"]
    }
    for s in _statements(owned, "preview"):
        if s["Effect"] == "Deny":
            continue
        for action in _as_list(s["Action"]):
            level = levels[action.lower()]
            # kms:Decrypt is "Write" in IAM's catalogue; it is how the state's secrets are read.
            assert level in ("List", "Read") or action == "kms:Decrypt", (s["Sid"], action, level)


def test_rollout_and_rollback_actions_are_granted(owned: Deployment) -> None:
    env = owned.stack
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}"
    for svc in ("trading-core", "telegram-bot", "web-api"):
        assert _decide(owned, "ecs:UpdateService", f"{ecs}:service/arbiter-{env}/{svc}") == "allowed"
        assert _decide(owned, "ecs:DescribeServices", f"{ecs}:service/arbiter-{env}/{svc}") == "allowed"
        log_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/ecs/arbiter-{env}-{svc}"
        assert _decide(owned, "logs:GetLogEvents", f"{log_group}:log-stream:ecs/{svc}/abc") == "allowed"
    other = "prod" if env == "staging" else "staging"
    assert _decide(owned, "ecs:UpdateService", f"{ecs}:service/arbiter-{other}/web-api") == "denied"
