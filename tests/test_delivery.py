"""The delivery tier as the real program declares it: OIDC trust, deploy-role policies, ECR."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from arbiter_infra.iam import TAG_CONDITION_KEYS, UNSCOPABLE_ACTIONS
from arbiter_infra.runtime import ACCOUNT_ID, REGION, ArbiterMocks, Deployment, run_program
from components.delivery import (
    GITHUB_OIDC_HOST,
    IMAGE_REPOSITORIES,
    MANAGED_POLICY_MAX_CHARS,
    MAX_ATTACHED_POLICIES,
    policy_size,
)

OIDC_LOOKUP = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"
ECR_LOOKUP = "aws:ecr/getRepository:getRepository"
LOOKED_UP_OIDC_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
EXPECTED = {
    "staging": ("arbiter-bot/arbiter-infra", "staging"),
    "prod": ("arbiter-bot/arbiter-infra", "deploy-prod"),
}
INLINE_POLICY_MAX_CHARS = 10_240


class RecordingMocks(ArbiterMocks):
    """ArbiterMocks that records invokes and answers the OIDC-provider lookup by its real token."""

    def __init__(self, environment: str) -> None:
        super().__init__(environment)
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.invokes.append((args.token, dict(args.args)))
        if args.token == OIDC_LOOKUP:
            return {
                "arn": LOOKED_UP_OIDC_ARN,
                "url": args.args.get("url", ""),
                "clientIdLists": ["sts.amazonaws.com"],
                "thumbprintLists": [],
                "tags": {},
                "id": LOOKED_UP_OIDC_ARN,
            }, []
        return super().call(args)


@pytest.fixture(scope="module", params=["staging", "prod"])
def owned(request: pytest.FixtureRequest) -> Deployment:
    return run_program(request.param)


@pytest.fixture(scope="module", params=["staging", "prod"])
def looked_up(request: pytest.FixtureRequest) -> tuple[Deployment, RecordingMocks]:
    stack = request.param
    mocks = RecordingMocks(stack)
    delivery = _stack_delivery(stack)
    delivery["manageAccountResources"] = False
    return run_program(stack, mocks=mocks, config_overrides={"delivery": delivery}), mocks


def _stack_delivery(stack: str) -> dict[str, Any]:
    from arbiter_infra.runtime import read_stack_file

    values, _ = read_stack_file(stack)
    return dict(json.loads(values["arbiter:delivery"]))


def _delivery_children(d: Deployment) -> list[Any]:
    component = d.one("arbiter:delivery:Delivery")
    return d.children(component)


def _policies(d: Deployment) -> dict[str, dict[str, Any]]:
    return {p.inputs["name"]: json.loads(p.inputs["policy"]) for p in d.of_type("aws:iam/policy:Policy")
            if p.inputs["name"].startswith(f"arbiter-{d.stack}-deploy-")}  # fmt: skip


def _statements(d: Deployment) -> list[dict[str, Any]]:
    return [s for doc in _policies(d).values() for s in doc["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(d: Deployment, action: str, arn: str) -> bool:
    """True if some Allow statement grants `action` on `arn` by ARN pattern and no Deny blocks it."""
    allowed = False
    for s in _statements(d):
        if action not in _as_list(s["Action"]):
            continue
        if any(fnmatchcase(arn, pattern) for pattern in _as_list(s["Resource"])):
            if s["Effect"] == "Deny" and "Condition" not in s:
                return False
            if s["Effect"] == "Allow":
                allowed = True
    return allowed


# ---- OIDC trust -----------------------------------------------------------------------------------


def test_deploy_role_trusts_only_this_repository_and_its_environment(owned: Deployment) -> None:
    repo, environment = EXPECTED[owned.stack]
    role = owned.one("aws:iam/role:Role", f"arbiter-{owned.stack}-delivery-deploy-role")
    assert role.inputs["name"] == f"arbiter-{owned.stack}-deploy"
    assert len(role.inputs["name"]) <= 64
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [stmt] = trust["Statement"]
    provider = owned.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert stmt["Principal"] == {"Federated": provider.outputs["arn"]}
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert stmt["Condition"] == {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repo}:environment:{environment}",
        }
    }


def test_oidc_provider_is_github_with_sts_audience(owned: Deployment) -> None:
    provider = owned.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider.retain_on_delete, "the other stack's deploy role trusts it"
    assert owned.outputs["oidcProviderArn"] == provider.outputs["arn"]


def test_stack_outputs(owned: Deployment) -> None:
    role = owned.one("aws:iam/role:Role", f"arbiter-{owned.stack}-delivery-deploy-role")
    assert owned.outputs["deployRoleArn"] == role.outputs["arn"]
    assert owned.outputs["deployRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{owned.stack}-deploy"
    assert set(owned.outputs["ecrRepositoryUrls"]) == set(IMAGE_REPOSITORIES.values())


def test_delivery_children_use_the_delivery_provider(owned: Deployment) -> None:
    children = [r for r in _delivery_children(owned) if r.custom]
    assert len(children) >= 1 + 1 + 3 + 3  # provider, role, repositories, lifecycle policies
    assert {r.provider for r in children} == {
        f"urn:pulumi:{owned.stack}::arbiter::pulumi:providers:aws::arbiter-{owned.stack}-aws-delivery"
    }


# ---- deploy-role permissions ------------------------------------------------------------------------


def test_policies_fit_iam_quotas_and_are_attached(owned: Deployment) -> None:
    policies = owned.of_type("aws:iam/policy:Policy")
    mine = [p for p in policies if p.inputs["name"].startswith(f"arbiter-{owned.stack}-deploy-")]
    assert 1 <= len(mine) <= MAX_ATTACHED_POLICIES
    for p in mine:
        size = policy_size(json.loads(p.inputs["policy"]))
        assert size <= MANAGED_POLICY_MAX_CHARS <= INLINE_POLICY_MAX_CHARS, (p.inputs["name"], size)
    attachments = [
        a for a in owned.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == f"arbiter-{owned.stack}-deploy"
    ]  # fmt: skip
    assert sorted(a.inputs["policyArn"] for a in attachments) == sorted(p.outputs["arn"] for p in mine)


def test_no_wildcard_actions_and_every_statement_has_a_sid(owned: Deployment) -> None:
    sids = [s["Sid"] for s in _statements(owned)]
    assert len(sids) == len(set(sids)) and all(sids)
    for s in _statements(owned):
        for action in _as_list(s["Action"]):
            service, _, name = action.partition(":")
            assert service and name and "*" not in action, (s["Sid"], action)


def test_star_resource_only_for_unscopable_or_tag_conditioned(owned: Deployment) -> None:
    for s in _statements(owned):
        if "*" not in _as_list(s["Resource"]):
            continue
        assert _as_list(s["Resource"]) == ["*"], s["Sid"]
        if set(_as_list(s["Action"])) <= UNSCOPABLE_ACTIONS:
            continue
        keys = s.get("Condition", {}).get("StringEquals", {})
        for tag in ("Project", "Environment"):
            assert any(f"{prefix}{tag}" in keys for prefix in TAG_CONDITION_KEYS), (s["Sid"], tag)
        tag_values = {k.rsplit("/", 1)[1]: v for k, v in keys.items() if k.startswith(TAG_CONDITION_KEYS)}
        assert tag_values == {"Project": "arbiter", "Environment": owned.stack}, s["Sid"]


#: ARNs that legitimately name no stack prefix, and why (each asserted to be narrow in itself).
SHARED_ARNS = (
    f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/*",  # the three shared image repositories
    f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}",
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:rds!cluster-*",
    f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:og:default:aurora-postgresql-*",
    f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/*",
    "arn:aws:route53:::hostedzone/*",
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/*",  # only with a kms:ResourceAliases condition
    f"arn:aws:iam::{ACCOUNT_ID}:role/*",  # only in a Deny
)


def test_resource_arns_are_scoped_to_this_stack(owned: Deployment) -> None:
    env = owned.stack
    other = "prod" if env == "staging" else "staging"
    short = {"staging": "arb-stg", "prod": "arb-prd"}[env]
    for s in _statements(owned):
        for arn in _as_list(s["Resource"]):
            if arn == "*":
                continue
            assert arn.startswith("arn:aws:"), arn
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
    assert _allows(owned, "s3:PutObject", f"{bucket}/.pulumi/stacks/arbiter/{env}.json")
    assert _allows(owned, "s3:GetObject", f"{bucket}/.pulumi/locks/organization/arbiter/{env}/x.json")
    assert not _allows(owned, "s3:GetObject", f"{bucket}/.pulumi/stacks/arbiter/{other}.json")
    assert not _allows(owned, "s3:PutObject", f"{bucket}/.pulumi/meta.yaml")
    [kms] = [s for s in _statements(owned) if s["Sid"] == "SecretsProviderKey"]
    assert kms["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/arbiter-pulumi-state-{env}"}
    }


def test_rollout_and_rollback_actions_are_granted(owned: Deployment) -> None:
    env = owned.stack
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}"
    for svc in ("trading-core", "telegram-bot", "web-api"):
        assert _allows(owned, "ecs:UpdateService", f"{ecs}:service/arbiter-{env}/{svc}")
        assert _allows(owned, "ecs:DescribeServices", f"{ecs}:service/arbiter-{env}/{svc}")
        log_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/ecs/arbiter-{env}-{svc}"
        assert _allows(owned, "logs:GetLogEvents", f"{log_group}:log-stream:ecs/{svc}/abc")
    assert _allows(owned, "ecs:DescribeTasks", f"{ecs}:task/arbiter-{env}/0123456789abcdef")
    other = "prod" if env == "staging" else "staging"
    assert not _allows(owned, "ecs:UpdateService", f"{ecs}:service/arbiter-{other}/web-api")


def test_ci_cannot_change_its_own_role_or_hand_out_its_policies(owned: Deployment) -> None:
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{owned.stack}-deploy"
    task_role = f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{owned.stack}-web-api-task"
    assert _allows(owned, "iam:PutRolePolicy", task_role)
    assert _allows(owned, "iam:GetRole", role)
    for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"):
        assert not _allows(owned, action, role), action
    denies = [s for s in _statements(owned) if s["Effect"] == "Deny"]
    [attach] = [s for s in denies if "Condition" in s]
    assert attach["Condition"]["ArnLike"]["iam:PolicyARN"].endswith(f"policy/arbiter-{owned.stack}-deploy-*")
    [pass_role] = [s for s in _statements(owned) if s["Sid"] == "IamPassOwnRolesToTheirServices"]
    assert "iam:PassedToService" in pass_role["Condition"]["StringEquals"]


#: (resource type, input holding the physical name, create action, ARN template) for every
#: named resource the program declares: the deploy role must be able to create each one.
NAMED = (
    ("aws:cloudwatch/logGroup:LogGroup", "name", "logs:CreateLogGroup", "arn:aws:logs:{r}:{a}:log-group:{n}"),
    ("aws:iam/role:Role", "name", "iam:CreateRole", "arn:aws:iam::{a}:role/{n}"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name", "cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:{r}:{a}:alarm:{n}"),
    ("aws:cloudwatch/dashboard:Dashboard", "dashboardName", "cloudwatch:PutDashboard", "arn:aws:cloudwatch::{a}:dashboard/{n}"),
    ("aws:sns/topic:Topic", "name", "sns:CreateTopic", "arn:aws:sns:{r}:{a}:{n}"),
    ("aws:secretsmanager/secret:Secret", "name", "secretsmanager:CreateSecret", "arn:aws:secretsmanager:{r}:{a}:secret:{n}-AbCdEf"),
    ("aws:ecs/cluster:Cluster", "name", "ecs:DescribeClusters", "arn:aws:ecs:{r}:{a}:cluster/{n}"),
    ("aws:rds/cluster:Cluster", "clusterIdentifier", "rds:CreateDBCluster", "arn:aws:rds:{r}:{a}:cluster:{n}"),
    ("aws:rds/clusterInstance:ClusterInstance", "identifier", "rds:CreateDBInstance", "arn:aws:rds:{r}:{a}:db:{n}"),
    ("aws:rds/subnetGroup:SubnetGroup", "name", "rds:CreateDBSubnetGroup", "arn:aws:rds:{r}:{a}:subgrp:{n}"),
    ("aws:rds/clusterParameterGroup:ClusterParameterGroup", "name", "rds:CreateDBClusterParameterGroup", "arn:aws:rds:{r}:{a}:cluster-pg:{n}"),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId", "elasticache:CreateReplicationGroup", "arn:aws:elasticache:{r}:{a}:replicationgroup:{n}"),
    ("aws:elasticache/subnetGroup:SubnetGroup", "name", "elasticache:CreateCacheSubnetGroup", "arn:aws:elasticache:{r}:{a}:subnetgroup:{n}"),
    ("aws:elasticache/parameterGroup:ParameterGroup", "name", "elasticache:CreateCacheParameterGroup", "arn:aws:elasticache:{r}:{a}:parametergroup:{n}"),
    ("aws:lb/loadBalancer:LoadBalancer", "name", "elasticloadbalancing:CreateLoadBalancer", "arn:aws:elasticloadbalancing:{r}:{a}:loadbalancer/app/{n}/0123456789abcdef"),
    ("aws:lb/targetGroup:TargetGroup", "name", "elasticloadbalancing:CreateTargetGroup", "arn:aws:elasticloadbalancing:{r}:{a}:targetgroup/{n}/0123456789abcdef"),
    ("aws:s3/bucket:Bucket", "bucket", "s3:CreateBucket", "arn:aws:s3:::{n}"),
    ("aws:kms/alias:Alias", "name", "kms:CreateAlias", "arn:aws:kms:{r}:{a}:{n}"),
    ("aws:iam/policy:Policy", "name", "iam:GetPolicy", "arn:aws:iam::{a}:policy/{n}"),
)  # fmt: skip


def test_deploy_role_can_create_every_named_resource_of_the_program(owned: Deployment) -> None:
    checked = 0
    for type_, key, action, template in NAMED:
        for r in owned.of_type(type_):
            name = r.inputs.get(key)
            assert isinstance(name, str), (type_, r.name)
            arn = template.format(r=REGION, a=ACCOUNT_ID, n=name)
            assert _allows(owned, action, arn), (action, arn)
            checked += 1
    assert checked >= 30


def test_task_definition_families_are_ours(owned: Deployment) -> None:
    for td in owned.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/{td.inputs['family']}:7"
        assert _allows(owned, "ecs:TagResource", arn)


# ---- ECR ----------------------------------------------------------------------------------------


def test_ecr_repositories(owned: Deployment) -> None:
    key = owned.one("aws:kms/key:Key")
    repos = {r.inputs["name"]: r for r in owned.of_type("aws:ecr/repository:Repository")}
    assert set(repos) == {"arbiter-engine", "telegram-bot", "web-api"}
    for name, repo in repos.items():
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [
            {"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}
        ]
        assert repo.retain_on_delete
        assert owned.outputs["ecrRepositoryUrls"][name] == repo.outputs["repositoryUrl"]
    lifecycles = owned.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert sorted(lp.inputs["repository"] for lp in lifecycles) == sorted(repos)
    for lp in lifecycles:
        [rule] = json.loads(lp.inputs["policy"])["rules"]
        assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
        assert rule["action"] == {"type": "expire"}


def test_repositories_match_the_image_uris_in_the_stack_file(owned: Deployment) -> None:
    services = json.loads(owned.config["arbiter:services"])
    for key, service in (
        ("tradingCore", "trading-core"),
        ("telegramBot", "telegram-bot"),
        ("webApi", "web-api"),
    ):
        image = services[key]["image"]
        url, _, _tag = image.rpartition(":")
        assert owned.outputs["ecrRepositoryUrls"][IMAGE_REPOSITORIES[service]] == url


def test_lifecycle_keeps_configured_count() -> None:
    delivery = _stack_delivery("staging")
    delivery["ecrKeepImages"] = 7
    d = run_program("staging", config_overrides={"delivery": delivery})
    for lp in d.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        assert json.loads(lp.inputs["policy"])["rules"][0]["selection"]["countNumber"] == 7


def test_image_outside_the_managed_repositories_is_refused() -> None:
    services = json.loads(run_program("staging").config["arbiter:services"])
    services["webApi"]["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other-repo:staging"
    with pytest.raises(Exception, match=r"web-api.*must be in ECR repository 'web-api'"):
        run_program("staging", config_overrides={"services": services})


# ---- account resources looked up ------------------------------------------------------------------


def test_not_owning_account_resources_looks_them_up(looked_up: tuple[Deployment, RecordingMocks]) -> None:
    d, mocks = looked_up
    assert d.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert d.of_type("aws:ecr/repository:Repository") == []
    assert d.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy") == []
    tokens = [t for t, _ in mocks.invokes]
    assert (OIDC_LOOKUP, {"url": f"https://{GITHUB_OIDC_HOST}"}) in mocks.invokes
    assert sorted(a["name"] for t, a in mocks.invokes if t == ECR_LOOKUP) == sorted(
        IMAGE_REPOSITORIES.values()
    )
    assert tokens.count(OIDC_LOOKUP) == 1
    role = d.one("aws:iam/role:Role", f"arbiter-{d.stack}-delivery-deploy-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Federated": LOOKED_UP_OIDC_ARN}
    repo, environment = EXPECTED[d.stack]
    sub = trust["Statement"][0]["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"]
    assert sub == f"repo:{repo}:environment:{environment}"
    assert d.outputs["oidcProviderArn"] == LOOKED_UP_OIDC_ARN
    assert d.outputs["ecrRepositoryUrls"] == {
        name: f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{name}" for name in IMAGE_REPOSITORIES.values()
    }


def test_not_owning_drops_ecr_management_but_keeps_reads(
    looked_up: tuple[Deployment, RecordingMocks],
) -> None:
    d, _ = looked_up
    sids = {s["Sid"] for s in _statements(d)}
    assert "EcrManageOwnedRepositories" not in sids
    assert "EcrReadRepositories" in sids and "OidcProviderRead" in sids
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/web-api"
    assert _allows(d, "ecr:DescribeRepositories", repo)
    assert not _allows(d, "ecr:PutLifecyclePolicy", repo)
