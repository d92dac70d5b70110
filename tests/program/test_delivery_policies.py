"""The deploy and preview roles' policies as the real program attaches them: IAM quotas, scoping to
this stack, the state backend, read-only previews, rollouts (both stacks)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pytest

from arbiter_infra.iam import TAG_CONDITION_KEYS, UNSCOPABLE_ACTIONS
from arbiter_tools.iam_eval import Request, context_for, evaluate
from arbiter_tools.runtime import ACCOUNT_ID, REGION, Deployment
from components.delivery import MANAGED_POLICY_MAX_CHARS, MAX_ATTACHED_POLICIES, policy_size
from tests.program.delivery_support import IAM, as_list, boundary_of, decide, policies_of, statements_of

INLINE_POLICY_MAX_CHARS = 10_240


# ---- deploy-role permissions ------------------------------------------------------------------------


def test_missing_grants_are_there(deployment: Deployment) -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd"
    alias = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/arbiter-{deployment.stack}"
    for action in ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"):
        assert decide(deployment, action, key) == "allowed", action  # key side (tagged stack key)
        assert decide(deployment, action, alias) == "allowed", action
    og = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:og:default:aurora-postgresql-16"
    assert decide(deployment, "rds:CreateDBCluster", og) == "allowed"
    for action in ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"):
        assert decide(deployment, action, "*") == "allowed", action
    rule = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:security-group-rule/sgr-1"
    tag_on_create = context_for(
        request_tags={"Project": "arbiter", "Environment": deployment.stack},
        extra={"ec2:CreateAction": "AuthorizeSecurityGroupIngress"},
    )
    assert (
        evaluate(
            policies_of(deployment, "deploy").values(), Request("ec2:CreateTags", rule, tag_on_create)
        ).verdict
        == "allowed"
    )


def test_policies_fit_iam_quotas_and_are_attached(deployment: Deployment) -> None:
    for kind in ("deploy", "preview", "drift"):
        policies = [
            p
            for p in deployment.of_type("aws:iam/policy:Policy")
            if p.inputs["name"].startswith(f"arbiter-{deployment.stack}-{kind}-")
        ]
        assert 1 <= len(policies) <= MAX_ATTACHED_POLICIES
        for p in policies:
            size = policy_size(json.loads(p.inputs["policy"]))
            assert size <= MANAGED_POLICY_MAX_CHARS <= INLINE_POLICY_MAX_CHARS, (p.inputs["name"], size)
        attachments = [
            a
            for a in deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.inputs["role"] == f"arbiter-{deployment.stack}-{kind}"
        ]
        assert sorted(a.inputs["policyArn"] for a in attachments) == sorted(
            p.outputs["arn"] for p in policies
        )
    assert policy_size(boundary_of(deployment)) <= MANAGED_POLICY_MAX_CHARS


@pytest.mark.parametrize("kind", ["deploy", "preview", "drift"])
def test_no_wildcard_actions_and_every_statement_has_a_sid(deployment: Deployment, kind: str) -> None:
    statements = statements_of(deployment, kind) + (
        boundary_of(deployment)["Statement"] if kind == "deploy" else []
    )
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)) and all(sids)
    for s in statements:
        for action in as_list(s["Action"]):
            service, _, name = action.partition(":")
            assert service and name and "*" not in action, (s["Sid"], action)


@pytest.mark.parametrize("kind", ["deploy", "preview", "drift"])
def test_star_resource_only_for_unscopable_or_tag_conditioned(deployment: Deployment, kind: str) -> None:
    for s in statements_of(deployment, kind):
        if "*" not in as_list(s["Resource"]):
            continue
        assert as_list(s["Resource"]) == ["*"], s["Sid"]
        if set(as_list(s["Action"])) <= UNSCOPABLE_ACTIONS:
            continue
        keys = s.get("Condition", {}).get("StringEquals", {})
        tag_values = {k.rsplit("/", 1)[1]: v for k, v in keys.items() if k.startswith(TAG_CONDITION_KEYS)}
        assert tag_values == {"Project": "arbiter", "Environment": deployment.stack}, s["Sid"]


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


@pytest.mark.parametrize("kind", ["deploy", "preview", "drift"])
def test_resource_arns_are_scoped_to_this_stack(deployment: Deployment, kind: str) -> None:
    env = deployment.stack
    other = "prod" if env == "staging" else "staging"
    short = {"staging": "arb-stg", "prod": "arb-prd"}[env]
    for s in statements_of(deployment, kind):
        for arn in as_list(s["Resource"]):
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


def test_state_access_is_this_stack_only(deployment: Deployment) -> None:
    bucket = "arn:aws:s3:::arbiter-pulumi-state-123456789012"
    env, other = deployment.stack, "prod" if deployment.stack == "staging" else "staging"
    assert decide(deployment, "s3:PutObject", f"{bucket}/.pulumi/stacks/arbiter/{env}.json") == "allowed"
    assert (
        decide(deployment, "s3:GetObject", f"{bucket}/.pulumi/locks/organization/arbiter/{env}/x.json")
        == "allowed"
    )
    assert decide(deployment, "s3:GetObject", f"{bucket}/.pulumi/stacks/arbiter/{other}.json") == "denied"
    assert decide(deployment, "s3:PutObject", f"{bucket}/.pulumi/meta.yaml") == "denied"
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/state"
    alias = {"kms:ResourceAliases": [f"alias/arbiter-pulumi-state-{env}"]}
    assert decide(deployment, "kms:Decrypt", key, untagged=True, **alias) == "allowed"
    other_alias = {"kms:ResourceAliases": [f"alias/arbiter-pulumi-state-{other}"]}
    assert decide(deployment, "kms:Decrypt", key, untagged=True, **other_alias) == "denied"


def test_preview_role_reads_state_but_writes_nothing(deployment: Deployment) -> None:
    bucket = "arn:aws:s3:::arbiter-pulumi-state-123456789012"
    env = deployment.stack
    checkpoint = f"{bucket}/.pulumi/stacks/arbiter/{env}.json"
    assert decide(deployment, "s3:GetObject", checkpoint, "preview") == "allowed"
    assert decide(deployment, "s3:GetObject", f"{bucket}/.pulumi/meta.yaml", "preview") == "allowed"
    assert decide(deployment, "s3:ListBucket", bucket, "preview") == "allowed"
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
        assert decide(deployment, action, arn, "preview") == "denied", action
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/state"
    alias = {"kms:ResourceAliases": [f"alias/arbiter-pulumi-state-{env}"]}
    assert decide(deployment, "kms:Decrypt", key, "preview", untagged=True, **alias) == "allowed"
    assert decide(deployment, "kms:Encrypt", key, "preview", untagged=True, **alias) == "denied"


@pytest.mark.parametrize("kind", ["preview", "drift"])
def test_read_only_roles_have_only_read_actions(deployment: Deployment, kind: str) -> None:
    from parliament import iam_definition

    levels = {
        f"{svc['prefix']}:{p['privilege']}".lower(): p["access_level"]
        for svc in iam_definition
        for p in svc["privileges"]
    }
    for s in statements_of(deployment, kind):
        if s["Effect"] == "Deny":
            continue
        for action in as_list(s["Action"]):
            level = levels[action.lower()]
            # kms:Decrypt is "Write" in IAM's catalogue; it is how the state's (and, for the drift
            # role, the generated secrets') values are read.
            assert level in ("List", "Read") or action == "kms:Decrypt", (s["Sid"], action, level)


def test_rollout_and_rollback_actions_are_granted(deployment: Deployment) -> None:
    env = deployment.stack
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}"
    for svc in ("trading-core", "telegram-bot", "web-api"):
        assert decide(deployment, "ecs:UpdateService", f"{ecs}:service/arbiter-{env}/{svc}") == "allowed"
        assert decide(deployment, "ecs:DescribeServices", f"{ecs}:service/arbiter-{env}/{svc}") == "allowed"
        log_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/ecs/arbiter-{env}-{svc}"
        assert decide(deployment, "logs:GetLogEvents", f"{log_group}:log-stream:ecs/{svc}/abc") == "allowed"
    other = "prod" if env == "staging" else "staging"
    assert decide(deployment, "ecs:UpdateService", f"{ecs}:service/arbiter-{other}/web-api") == "denied"
