"""The service tier (issue 4): cluster, ALB, the three Fargate services, their roles and wiring.

Every expected value that AWS computes (ARNs, endpoints, cluster resource id) is read from the
mocked outputs of the resource that owns it, so a test only passes if the `apply` callbacks that
build task definitions and policies actually ran.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_tools.runtime import ACCOUNT_ID, DeclaredResource, Deployment, run_program
from tests.conftest import stack_sections

SERVICES = ("trading-core", "telegram-bot", "web-api")
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ACM_CERT = "aws:acm/certificate:Certificate"
TLS_KEY = "tls:index/privateKey:PrivateKey"
TLS_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"

#: Per environment: cpu, memory, count, log retention. Prod is the application's documented sizing;
#: staging (paper trading, one replica, low traffic) the smallest Fargate sizes that run it.
SIZES = {
    "prod": {
        "trading-core": (4096, 8192, 2, 30),
        "telegram-bot": (512, 1024, 1, 14),
        "web-api": (1024, 2048, 2, 14),
    },
    "staging": {
        "trading-core": (1024, 2048, 1, 30),
        "telegram-bot": (256, 512, 1, 14),
        "web-api": (512, 1024, 1, 14),
    },
}
EXCHANGE_ENV = {
    "POLY_PRIVATE_KEY": ("polymarket", "private_key"),
    "POLY_API_KEY": ("polymarket", "api_key"),
    "POLY_API_SECRET": ("polymarket", "api_secret"),
    "POLY_API_PASSPHRASE": ("polymarket", "passphrase"),
    "KALSHI_KEY_ID": ("kalshi", "key_id"),
    "KALSHI_PRIVATE_KEY": ("kalshi", "private_key"),
}
EXPECTED_SECRETS = {
    "trading-core": {*EXCHANGE_ENV, "DATABASE_USERNAME", "DATABASE_PASSWORD", "REDIS_AUTH_TOKEN"},
    "telegram-bot": {"TELEGRAM_BOT_TOKEN", "REDIS_AUTH_TOKEN"},
    "web-api": {"DATABASE_USERNAME", "DATABASE_PASSWORD", "REDIS_AUTH_TOKEN"},
}
EXPECTED_ENV = {
    "trading-core": {
        "RUST_LOG",
        "ARBITER_ENV",
        "ARBITER_PAPER_TRADE",
        "DATABASE_HOST",
        "DATABASE_READER_HOST",
        "DATABASE_PORT",
        "DATABASE_NAME",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_TLS",
    },
    "telegram-bot": {
        "RUST_LOG",
        "ARBITER_ENV",
        "ARBITER_PAPER_TRADE",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_TLS",
        "TRADING_CORE_GRPC_ADDR",
    },
    "web-api": {
        "RUST_LOG",
        "ARBITER_ENV",
        "ARBITER_PAPER_TRADE",
        "DATABASE_HOST",
        "DATABASE_READER_HOST",
        "DATABASE_PORT",
        "DATABASE_NAME",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_TLS",
        "TRADING_CORE_GRPC_ADDR",
    },
}
USES_DATABASE = ("trading-core", "web-api")


# --- fixtures: the real program, per stack --------------------------------------------------------


@pytest.fixture(scope="module")
def staging_d() -> Deployment:
    return run_program("staging")


@pytest.fixture(scope="module")
def prod_d() -> Deployment:
    return run_program("prod")


@pytest.fixture(params=["staging", "prod"])
def d(request: pytest.FixtureRequest, staging_d: Deployment, prod_d: Deployment) -> Deployment:
    return staging_d if request.param == "staging" else prod_d


@pytest.fixture(scope="module")
def exec_d() -> Deployment:
    """Staging with ECS Exec switched on."""
    services = stack_sections("staging")["services"]
    services["enableExec"] = True
    return run_program("staging", config_overrides={"services": services})


# --- helpers --------------------------------------------------------------------------------------


def env_of(d: Deployment) -> str:
    return d.stack


def service(d: Deployment, svc: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(ECS_SERVICE) if r.inputs["name"] == svc]
    return found


def task_def(d: Deployment, svc: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(TASK_DEF) if r.inputs["family"] == f"arbiter-{env_of(d)}-{svc}"]
    return found


def container(d: Deployment, svc: str) -> dict[str, Any]:
    [c] = json.loads(task_def(d, svc).inputs["containerDefinitions"])
    return c


def log_group(d: Deployment, name: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(LOG_GROUP) if r.inputs["name"] == name]
    return found


def role(d: Deployment, name: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(ROLE) if r.inputs.get("name") == name]
    return found


def policies_of(d: Deployment, role_res: DeclaredResource) -> list[DeclaredResource]:
    return [p for p in d.of_type(ROLE_POLICY) if p.inputs["role"] == role_res.id]


def statements(policy: DeclaredResource) -> dict[str, dict[str, Any]]:
    doc = json.loads(policy.inputs["policy"])
    return {s["Sid"]: s for s in doc["Statement"]}


def stack_key_arn(d: Deployment) -> str:
    return str(d.one("aws:kms/key:Key", f"arbiter-{d.stack}-key-key").outputs["arn"])


def secret_arn(d: Deployment, name: str) -> str:
    [found] = [r for r in d.of_type("aws:secretsmanager/secret:Secret") if r.inputs["name"] == name]
    return str(found.outputs["arn"])


def db_cluster(d: Deployment) -> DeclaredResource:
    return d.one("aws:rds/cluster:Cluster")


def master_secret_arn(d: Deployment) -> str:
    return str(db_cluster(d).outputs["masterUserSecrets"][0]["secretArn"])


def listeners(d: Deployment) -> dict[int, DeclaredResource]:
    return {int(r.inputs["port"]): r for r in d.of_type(LISTENER)}


def target_group(d: Deployment, protocol_version: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(TARGET_GROUP) if r.inputs["protocolVersion"] == protocol_version]
    return found


# --- cluster ---------------------------------------------------------------------------------------


def test_cluster_name_insights_and_exec_logging(d: Deployment) -> None:
    cluster = d.one("aws:ecs/cluster:Cluster")
    assert cluster.inputs["name"] == f"arbiter-{env_of(d)}"
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]
    exec_cfg = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_cfg["logging"] == "OVERRIDE"
    assert exec_cfg["kmsKeyId"] == stack_key_arn(d)
    exec_logs = log_group(d, f"/ecs/arbiter-{env_of(d)}/exec")
    assert exec_cfg["logConfiguration"]["cloudWatchLogGroupName"] == exec_logs.inputs["name"]
    assert exec_cfg["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert exec_logs.inputs["kmsKeyId"] == stack_key_arn(d)
    assert exec_logs.inputs["retentionInDays"] > 0


def test_capacity_providers_fargate_and_spot_available(d: Deployment) -> None:
    cps = d.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    cluster = d.one("aws:ecs/cluster:Cluster")
    assert cps.inputs["clusterName"] == cluster.outputs["name"]
    assert sorted(cps.inputs["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert [s["capacityProvider"] for s in cps.inputs["defaultCapacityProviderStrategies"]] == ["FARGATE"]


def test_components_have_type_tokens_and_parents(d: Deployment) -> None:
    tier = d.one("arbiter:services:ServiceTier")
    [lb] = d.of_type("arbiter:services:LoadBalancer")
    fargate = d.of_type("arbiter:services:FargateService")
    assert lb.parent == tier.urn
    assert len(fargate) == 3 and all(f.parent == tier.urn for f in fargate)
    assert d.one("aws:ecs/cluster:Cluster").parent == tier.urn
    assert d.one("aws:lb/loadBalancer:LoadBalancer").parent == lb.urn
    for svc in SERVICES:
        assert service(d, svc).parent in {f.urn for f in fargate}


def test_each_service_has_its_own_tagging_provider(d: Deployment) -> None:
    for svc in SERVICES:
        provider = service(d, svc).provider
        assert provider is not None and provider.endswith(f"::arbiter-{env_of(d)}-aws-{svc}")
        assert task_def(d, svc).provider == provider
    assert str(d.one("aws:ecs/cluster:Cluster").provider).endswith(f"::arbiter-{env_of(d)}-aws-services")


# --- sizes, names, counts --------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_sizes_counts_names_and_log_groups(d: Deployment, svc: str) -> None:
    cpu, memory, count, retention = SIZES[env_of(d)][svc]
    td, ecs = task_def(d, svc), service(d, svc)
    assert (td.inputs["cpu"], td.inputs["memory"]) == (str(cpu), str(memory))
    assert ecs.inputs["desiredCount"] == count
    assert ecs.inputs["name"] == svc
    # The service runs the registered revision (a computed ARN of the mocked task definition).
    assert ecs.inputs["taskDefinition"] == td.outputs["arn"]
    assert ecs.inputs["taskDefinition"].endswith(f":task-definition/arbiter-{env_of(d)}-{svc}:1")
    assert ecs.inputs["cluster"] == d.one("aws:ecs/cluster:Cluster").outputs["arn"]
    lg = log_group(d, f"/ecs/arbiter-{env_of(d)}-{svc}")
    assert lg.inputs["retentionInDays"] == retention
    assert lg.inputs["kmsKeyId"] == stack_key_arn(d)


@pytest.mark.parametrize("svc", SERVICES)
def test_task_definition_runtime(d: Deployment, svc: str) -> None:
    td = task_def(d, svc)
    assert td.inputs["networkMode"] == "awsvpc"
    assert td.inputs["requiresCompatibilities"] == ["FARGATE"]
    # Both stack files run Graviton: the release pipeline pushes multi-arch images.
    assert td.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    assert td.inputs["volumes"] == [{"name": "scratch"}]
    image = stack_sections(env_of(d))["services"][
        {"trading-core": "tradingCore", "telegram-bot": "telegramBot", "web-api": "webApi"}[svc]
    ]["image"]
    assert container(d, svc)["image"] == image


def test_cpu_architecture_follows_config() -> None:
    services = stack_sections("staging")["services"]
    services["cpuArchitecture"] = "X86_64"
    dep = run_program("staging", config_overrides={"services": services})
    for svc in SERVICES:
        assert task_def(dep, svc).inputs["runtimePlatform"]["cpuArchitecture"] == "X86_64"


# --- networking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_tasks_run_in_private_subnets_with_their_own_group(d: Deployment, svc: str) -> None:
    net = service(d, svc).inputs["networkConfiguration"]
    assert net["subnets"] == d.outputs["privateSubnetIds"]
    assert not set(net["subnets"]) & set(d.outputs["publicSubnetIds"])
    assert net["securityGroups"] == [d.outputs["securityGroupIds"][svc]]
    assert net["assignPublicIp"] is False


def test_no_security_groups_or_rules_created_by_the_tier(d: Deployment) -> None:
    tier = d.one("arbiter:services:ServiceTier")
    inside = {tier.urn} | {r.urn for r in d.resources if r.parent == tier.urn}
    for r in d.resources:
        if r.parent in inside:
            inside.add(r.urn)
    sg_types = {
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    }
    assert not [r.name for r in d.resources if r.urn in inside and r.type in sg_types]


def test_cloud_map_registers_trading_core(d: Deployment) -> None:
    env = env_of(d)
    ns = d.one("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
    assert ns.inputs["name"] == f"arbiter-{env}.internal"
    assert ns.inputs["vpc"] == d.outputs["vpcId"]
    disc = d.one("aws:servicediscovery/service:Service")
    assert disc.inputs["name"] == "trading-core"
    dns = disc.inputs["dnsConfig"]
    assert dns["namespaceId"] == ns.id
    assert dns["routingPolicy"] == "MULTIVALUE"
    assert [r["type"] for r in dns["dnsRecords"]] == ["A"]
    assert disc.inputs["healthCheckCustomConfig"]["failureThreshold"] == 1
    assert service(d, "trading-core").inputs["serviceRegistries"]["registryArn"] == disc.outputs["arn"]
    assert "serviceRegistries" not in service(d, "web-api").inputs
    assert "serviceRegistries" not in service(d, "telegram-bot").inputs
    address = f"trading-core.arbiter-{env}.internal:50051"
    assert d.outputs["tradingCoreAddress"] == address
    for svc in ("telegram-bot", "web-api"):
        env_vars = {e["name"]: e["value"] for e in container(d, svc)["environment"]}
        assert env_vars["TRADING_CORE_GRPC_ADDR"] == address


# --- containers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_container_hardening(d: Deployment, svc: str) -> None:
    c = container(d, svc)
    cfg = stack_sections(env_of(d))["services"][
        {"trading-core": "tradingCore", "telegram-bot": "telegramBot", "web-api": "webApi"}[svc]
    ]
    assert c["name"] == svc
    assert c["essential"] is True
    assert c["readonlyRootFilesystem"] is True
    assert c["privileged"] is False
    assert c["user"] == cfg["user"] == "10001:10001"
    assert c["mountPoints"] == [{"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False}]
    assert c["stopTimeout"] == cfg["stopTimeoutSeconds"]
    assert c["portMappings"] == [{"name": svc, "containerPort": cfg["port"], "protocol": "tcp"}]
    assert c["healthCheck"]["command"] == cfg["healthCheckCommand"]
    assert "/health" in " ".join(c["healthCheck"]["command"])
    logs = c["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"] == {
        "awslogs-group": f"/ecs/arbiter-{env_of(d)}-{svc}",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": svc,
        # A throttled log stream must never stall trading: buffered, never blocking.
        "mode": "non-blocking",
        "max-buffer-size": "25m",
    }


def test_trading_core_stops_slowly_to_unwind_positions(d: Deployment) -> None:
    assert container(d, "trading-core")["stopTimeout"] == 120


def test_health_check_command_is_configurable() -> None:
    services = stack_sections("staging")["services"]
    services["telegramBot"]["healthCheckCommand"] = ["CMD", "/bin/healthcheck", "--path", "/health"]
    dep = run_program("staging", config_overrides={"services": services})
    assert container(dep, "telegram-bot")["healthCheck"]["command"] == [
        "CMD",
        "/bin/healthcheck",
        "--path",
        "/health",
    ]


# --- environment and secrets -----------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_environment_is_exactly_the_non_secret_settings(d: Deployment, svc: str) -> None:
    env = {e["name"]: e["value"] for e in container(d, svc)["environment"]}
    assert set(env) == EXPECTED_ENV[svc]
    assert env["ARBITER_ENV"] == env_of(d)
    assert env["RUST_LOG"] == "info"
    assert env["ARBITER_PAPER_TRADE"] == ("true" if env_of(d) == "staging" else "false")
    cache = d.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert env["REDIS_HOST"] == cache.outputs["primaryEndpointAddress"]
    assert env["REDIS_PORT"] == "6379"
    assert env["REDIS_TLS"] == "true"
    if svc in USES_DATABASE:
        cluster = db_cluster(d)
        assert env["DATABASE_HOST"] == cluster.outputs["endpoint"]
        assert env["DATABASE_READER_HOST"] == cluster.outputs["readerEndpoint"]
        assert env["DATABASE_PORT"] == "5432"
        assert env["DATABASE_NAME"] == "arbiter"
    # Nothing in the environment points at, or is named like, a secret.
    assert not set(env) & EXPECTED_SECRETS[svc]
    assert not any(":secret:" in v or "secretsmanager" in v for v in env.values())


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_gets_exactly_its_secrets_per_key(d: Deployment, svc: str) -> None:
    env = env_of(d)
    secrets = {s["name"]: s["valueFrom"] for s in container(d, svc)["secrets"]}
    assert set(secrets) == EXPECTED_SECRETS[svc]
    redis = secret_arn(d, f"arbiter-{env}/redis-auth")
    assert secrets["REDIS_AUTH_TOKEN"] == f"{redis}:auth_token::"
    for name, (secret, field) in EXCHANGE_ENV.items():
        if name in secrets:
            assert secrets[name] == f"{secret_arn(d, f'arbiter-{env}/{secret}')}:{field}::"
    if svc == "telegram-bot":
        telegram = secret_arn(d, f"arbiter-{env}/telegram")
        assert secrets["TELEGRAM_BOT_TOKEN"] == f"{telegram}:bot_token::"
    if svc in USES_DATABASE:
        master = master_secret_arn(d)
        assert master.startswith("arn:aws:secretsmanager:") and "rds!cluster" in master
        assert secrets["DATABASE_USERNAME"] == f"{master}:username::"
        assert secrets["DATABASE_PASSWORD"] == f"{master}:password::"


# --- IAM ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_task_and_execution_roles_are_distinct_and_trust_ecs_tasks(d: Deployment, svc: str) -> None:
    env = env_of(d)
    exec_role = role(d, f"arbiter-{env}-{svc}-exec")
    task_role = role(d, f"arbiter-{env}-{svc}-task")
    td = task_def(d, svc)
    assert td.inputs["executionRoleArn"] == exec_role.outputs["arn"]
    assert td.inputs["taskRoleArn"] == task_role.outputs["arn"]
    assert exec_role.urn != task_role.urn and td.inputs["executionRoleArn"] != td.inputs["taskRoleArn"]
    for r in (exec_role, task_role):
        assert len(r.inputs["name"]) <= 64
        [stmt] = json.loads(r.inputs["assumeRolePolicy"])["Statement"]
        assert stmt["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert stmt["Action"] == "sts:AssumeRole"
        assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
        assert not d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") or all(
            a.inputs["role"] not in (r.id, r.inputs["name"])
            for a in d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        )


@pytest.mark.parametrize("svc", SERVICES)
def test_execution_role_policy_is_exact(d: Deployment, svc: str) -> None:
    env = env_of(d)
    exec_role = role(d, f"arbiter-{env}-{svc}-exec")
    [policy] = policies_of(d, exec_role)
    stmts = statements(policy)
    repo = {"trading-core": "arbiter-engine", "telegram-bot": "telegram-bot", "web-api": "web-api"}[svc]
    assert stmts["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert stmts["EcrLogin"]["Resource"] == ["*"]
    assert stmts["PullOwnImage"]["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert stmts["PullOwnImage"]["Resource"] == [f"arn:aws:ecr:us-east-1:{ACCOUNT_ID}:repository/{repo}"]
    lg = log_group(d, f"/ecs/arbiter-{env}-{svc}")
    assert stmts["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert stmts["WriteOwnLogs"]["Resource"] == [f"{lg.outputs['arn']}:*"]
    # Exactly the distinct secrets its task definition references.
    referenced = {":".join(s["valueFrom"].split(":")[:7]) for s in container(d, svc)["secrets"]}
    assert stmts["ReadInjectedSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert set(stmts["ReadInjectedSecrets"]["Resource"]) == referenced
    assert len(stmts["ReadInjectedSecrets"]["Resource"]) == len(referenced)
    expected = {secret_arn(d, f"arbiter-{env}/redis-auth")}
    if svc == "trading-core":
        expected |= {secret_arn(d, f"arbiter-{env}/polymarket"), secret_arn(d, f"arbiter-{env}/kalshi")}
    if svc == "telegram-bot":
        expected |= {secret_arn(d, f"arbiter-{env}/telegram")}
    if svc in USES_DATABASE:
        expected |= {master_secret_arn(d)}
    assert referenced == expected
    assert stmts["DecryptInjectedSecrets"]["Action"] == ["kms:Decrypt"]
    assert stmts["DecryptInjectedSecrets"]["Resource"] == [stack_key_arn(d)]
    assert set(stmts) == {
        "EcrLogin",
        "PullOwnImage",
        "WriteOwnLogs",
        "ReadInjectedSecrets",
        "DecryptInjectedSecrets",
    }


def test_exec_role_policies_have_no_wildcards_beyond_unscopable(d: Deployment) -> None:
    from arbiter_infra.iam import UNSCOPABLE_ACTIONS

    for svc in SERVICES:
        for r in (role(d, f"arbiter-{env_of(d)}-{svc}-exec"), role(d, f"arbiter-{env_of(d)}-{svc}-task")):
            for p in policies_of(d, r):
                for stmt in statements(p).values():
                    assert not any(a == "*" or a.endswith(":*") for a in stmt["Action"])
                    if "*" in stmt["Resource"]:
                        assert set(stmt["Action"]) <= UNSCOPABLE_ACTIONS


@pytest.mark.parametrize("svc", USES_DATABASE)
def test_database_users_get_rds_db_connect_only(d: Deployment, svc: str) -> None:
    task_role = role(d, f"arbiter-{env_of(d)}-{svc}-task")
    [policy] = policies_of(d, task_role)
    stmts = statements(policy)
    resource_id = db_cluster(d).outputs["clusterResourceId"]
    assert resource_id.startswith("cluster-")
    assert stmts == {
        "IamDatabaseAuth": {
            "Sid": "IamDatabaseAuth",
            "Effect": "Allow",
            "Action": ["rds-db:connect"],
            "Resource": [f"arn:aws:rds-db:us-east-1:{ACCOUNT_ID}:dbuser:{resource_id}/arbiter"],
        }
    }


def test_bot_task_role_has_no_policy(d: Deployment) -> None:
    task_role = role(d, f"arbiter-{env_of(d)}-telegram-bot-task")
    assert policies_of(d, task_role) == []
    assert "inlinePolicies" not in task_role.inputs or not task_role.inputs["inlinePolicies"]


def test_exec_off_by_default(d: Deployment) -> None:
    for svc in SERVICES:
        assert service(d, svc).inputs["enableExecuteCommand"] is False


def test_enable_exec_turns_on_exec_and_its_task_permissions(exec_d: Deployment) -> None:
    exec_logs = log_group(exec_d, "/ecs/arbiter-staging/exec")
    for svc in SERVICES:
        assert service(exec_d, svc).inputs["enableExecuteCommand"] is True
        [policy] = policies_of(exec_d, role(exec_d, f"arbiter-staging-{svc}-task"))
        stmts = statements(policy)
        assert stmts["EcsExecChannel"]["Action"] == [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ]
        assert stmts["EcsExecSessionLogs"]["Resource"] == [f"{exec_logs.outputs['arn']}:*"]
        assert stmts["EcsExecSessionKey"]["Resource"] == [stack_key_arn(exec_d)]
        assert ("IamDatabaseAuth" in stmts) == (svc in USES_DATABASE)


# --- deployment behaviour --------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_deployment_settings(d: Deployment, svc: str) -> None:
    ecs = service(d, svc)
    assert ecs.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert ecs.inputs["waitForSteadyState"] is False
    assert ecs.inputs["propagateTags"] == "SERVICE"
    assert ecs.inputs["enableEcsManagedTags"] is True
    assert ecs.inputs["platformVersion"] == "LATEST"
    assert [s["capacityProvider"] for s in ecs.inputs["capacityProviderStrategies"]] == ["FARGATE"]
    assert ecs.inputs["deploymentMaximumPercent"] == 200
    cps = d.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert cps.urn in ecs.dependencies


def test_trading_core_never_drops_below_its_count(d: Deployment) -> None:
    assert service(d, "trading-core").inputs["deploymentMinimumHealthyPercent"] == 100


def test_web_api_is_created_after_its_listeners_and_rule(d: Deployment) -> None:
    web = service(d, "web-api")
    for listener in d.of_type(LISTENER):
        assert listener.urn in web.dependencies
    assert d.one(LISTENER_RULE).urn in web.dependencies
    assert web.inputs["healthCheckGracePeriodSeconds"] > 0
    lbs = {lb["targetGroupArn"]: lb for lb in web.inputs["loadBalancers"]}
    assert set(lbs) == {target_group(d, "HTTP1").outputs["arn"], target_group(d, "GRPC").outputs["arn"]}
    assert all(lb["containerName"] == "web-api" and lb["containerPort"] == 8080 for lb in lbs.values())
    for svc in ("trading-core", "telegram-bot"):
        assert "loadBalancers" not in service(d, svc).inputs or not service(d, svc).inputs["loadBalancers"]


def test_autoscaling_only_for_web_api(d: Deployment) -> None:
    [target] = d.of_type(SCALING_TARGET)
    [policy] = d.of_type(SCALING_POLICY)
    env = env_of(d)
    min_max = {"staging": (1, 3), "prod": (2, 6)}[env]
    assert target.inputs["resourceId"] == f"service/arbiter-{env}/web-api"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == min_max
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["resourceId"] == target.inputs["resourceId"]
    tt = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tt["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert tt["targetValue"] == 60
    assert not any("trading-core" in t.inputs["resourceId"] for t in d.of_type(SCALING_TARGET))


# --- ALB ---------------------------------------------------------------------------------------------


def test_alb_is_public_hardened_and_in_public_subnets(d: Deployment) -> None:
    alb = d.one("aws:lb/loadBalancer:LoadBalancer")
    short = {"staging": "stg", "prod": "prd"}[env_of(d)]
    assert alb.inputs["name"] == f"arb-{short}-alb" and len(alb.inputs["name"]) <= 32
    assert alb.inputs["internal"] is False
    assert alb.inputs["loadBalancerType"] == "application"
    assert alb.inputs["subnets"] == d.outputs["publicSubnetIds"]
    [alb_sg] = [
        s for s in d.of_type("aws:ec2/securityGroup:SecurityGroup") if s.inputs["name"].endswith("-alb")
    ]
    assert alb.inputs["securityGroups"] == [alb_sg.id]
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is (env_of(d) == "prod")
    bucket = d.one("aws:s3/bucket:Bucket")
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}
    assert d.one("aws:s3/bucketPolicy:BucketPolicy").urn in alb.dependencies


def test_access_log_bucket(d: Deployment) -> None:
    env = env_of(d)
    bucket = d.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == f"arbiter-{env}-alb-logs-{ACCOUNT_ID}"
    assert bucket.protect is (env == "prod")
    assert bucket.inputs["forceDestroy"] is (env == "staging")
    pab = d.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert pab.inputs["bucket"] == bucket.id
    assert all(
        pab.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    own = d.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert own.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    sse = d.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    [rule] = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    life = d.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    days = {"staging": 30, "prod": 90}[env]
    assert [r["expiration"]["days"] for r in life.inputs["rules"]] == [days]
    assert [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in life.inputs["rules"]] == [days]
    versioning = d.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["bucket"] == bucket.id
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    policy = d.one("aws:s3/bucketPolicy:BucketPolicy")
    stmts = statements(policy)
    arn = bucket.outputs["arn"]
    assert stmts["ElbWritesAccessLogs"]["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert stmts["ElbWritesAccessLogs"]["Action"] == ["s3:PutObject"]
    assert stmts["ElbWritesAccessLogs"]["Resource"] == [f"{arn}/alb/AWSLogs/{ACCOUNT_ID}/*"]
    deny = stmts["DenyNonTlsRequests"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {arn, f"{arn}/*"}


def test_target_groups_rest_and_grpc(d: Deployment) -> None:
    short = {"staging": "stg", "prod": "prd"}[env_of(d)]
    vpc = d.outputs["vpcId"]
    rest, grpc = target_group(d, "HTTP1"), target_group(d, "GRPC")
    for tg in (rest, grpc):
        assert len(tg.inputs["name"]) <= 32 and tg.inputs["name"].startswith(f"arb-{short}-")
        assert tg.inputs["targetType"] == "ip"
        assert tg.inputs["protocol"] == "HTTP"
        assert tg.inputs["port"] == 8080
        assert tg.inputs["vpcId"] == vpc
        assert 0 < tg.inputs["deregistrationDelay"] <= 60
    assert rest.inputs["healthCheck"]["path"] == "/health"
    assert rest.inputs["healthCheck"]["matcher"] == "200"
    assert grpc.inputs["healthCheck"]["path"] == "/grpc.health.v1.Health/Check"
    assert grpc.inputs["healthCheck"]["matcher"] == "0"


def test_grpc_rule_on_the_https_listener(d: Deployment) -> None:
    """ALB forwards to a GRPC target group only from HTTPS: both stacks put the rule there."""
    rule = d.one(LISTENER_RULE)
    serving = listeners(d)[443]
    assert serving.inputs["protocol"] == "HTTPS"
    assert rule.inputs["listenerArn"] == serving.outputs["arn"]
    [cond] = rule.inputs["conditions"]
    assert cond["httpHeader"] == {"httpHeaderName": "content-type", "values": ["application/grpc*"]}
    [action] = rule.inputs["actions"]
    assert action == {"type": "forward", "targetGroupArn": target_group(d, "GRPC").outputs["arn"]}


def test_every_stack_serves_tls13_https_and_redirects_http(d: Deployment) -> None:
    by_port = listeners(d)
    assert set(by_port) == {80, 443}
    https, http = by_port[443], by_port[80]
    alb = d.one("aws:lb/loadBalancer:LoadBalancer")
    assert https.inputs["loadBalancerArn"] == http.inputs["loadBalancerArn"] == alb.outputs["arn"]
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["sslPolicy"] == TLS13
    [fwd] = https.inputs["defaultActions"]
    assert fwd == {"type": "forward", "targetGroupArn": target_group(d, "HTTP1").outputs["arn"]}
    [redirect] = http.inputs["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert d.outputs["albUrl"] == f"https://{alb.outputs['dnsName']}"


def test_prod_uses_its_configured_certificate_and_generates_none(prod_d: Deployment) -> None:
    assert listeners(prod_d)[443].inputs["certificateArn"] == CERT
    assert prod_d.of_type(ACM_CERT) == [] and prod_d.of_type(TLS_KEY) == [] and prod_d.of_type(TLS_CERT) == []
    assert not [w for w in prod_d.warnings if "certificateArn" in w and "example" not in w]


def test_staging_without_certificate_imports_a_self_signed_one(staging_d: Deployment) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key, cert, acm = staging_d.one(TLS_KEY), staging_d.one(TLS_CERT), staging_d.one(ACM_CERT)
    alb = staging_d.one("aws:lb/loadBalancer:LoadBalancer")
    assert key.inputs["algorithm"] == "ECDSA" and key.inputs["ecdsaCurve"] == "P256"
    assert cert.inputs["privateKeyPem"] == key.outputs["privateKeyPem"]
    assert cert.inputs["dnsNames"] == [alb.outputs["dnsName"]]
    assert cert.inputs["subject"]["commonName"] == "arbiter-staging-alb"
    assert cert.inputs["validityPeriodHours"] == 365 * 24
    assert 0 < cert.inputs["earlyRenewalHours"] < cert.inputs["validityPeriodHours"]
    assert "server_auth" in cert.inputs["allowedUses"]
    # ACM gets the certificate and its key; the key is a secret wherever it is held in state.
    assert acm.inputs["certificateBody"] == cert.outputs["certPem"]
    assert acm.inputs["privateKey"] == key.outputs["privateKeyPem"]
    assert "privateKey" in acm.secret_inputs
    # The certificate's input is the key's output: secret there means the key output is a secret
    # (additional_secret_outputs; the mocks mark nothing secret on their own).
    assert "privateKeyPem" in cert.secret_inputs
    assert listeners(staging_d)[443].inputs["certificateArn"] == acm.outputs["arn"]
    # What ACM would parse: a certificate for the ALB's name, signed by that key.
    parsed = x509.load_pem_x509_certificate(cert.outputs["certPem"].encode())
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [alb.outputs["dnsName"]]
    private = serialization.load_pem_private_key(key.outputs["privateKeyPem"].encode(), password=None)
    assert parsed.public_key() == private.public_key()
    assert any("self-signed" in w and "certificateArn" in w for w in staging_d.warnings)


def test_staging_with_a_certificate_uses_it() -> None:
    services = stack_sections("staging")["services"]
    services["certificateArn"] = CERT
    dep = run_program("staging", config_overrides={"services": services})
    assert set(listeners(dep)) == {80, 443}
    assert listeners(dep)[443].inputs["certificateArn"] == CERT
    assert dep.of_type(ACM_CERT) == [] and dep.of_type(TLS_KEY) == []
    assert not [w for w in dep.warnings if "certificateArn" in w and "example" not in w]


WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def test_waf_protects_the_alb_in_both_shipped_stacks(d: Deployment) -> None:
    env = env_of(d)
    waf = stack_sections(env)["services"]["waf"]
    acl = d.one(WEB_ACL)
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert sorted(rules, key=lambda n: rules[n]["priority"]) == [
        "AWSManagedRulesAmazonIpReputationList",
        "rate-limit-per-ip",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesCommonRuleSet",
    ]
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": waf["rateLimitPer5Min"],
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    assert rate["action"] == {"block": {"customResponse": {"responseCode": 429}}}
    for name in ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet"):
        group = rules[name]["statement"]["managedRuleGroupStatement"]
        assert group == {"name": name, "vendorName": "AWS"}  # every rule blocks
        assert rules[name]["overrideAction"] == {"none": {}}
    common = rules["AWSManagedRulesCommonRuleSet"]
    # Only the 8 KB body-size rule counts instead of blocking (gRPC-Web and large REST bodies).
    assert common["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"] == [
        {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
    ]
    assert common["overrideAction"] == {"none": {}}
    association = d.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    alb = d.one("aws:lb/loadBalancer:LoadBalancer")
    assert association.inputs["resourceArn"] == alb.outputs["arn"]
    assert association.inputs["webAclArn"] == acl.outputs["arn"]


def test_waf_logs_are_encrypted_retained_and_carry_no_authorization_header(d: Deployment) -> None:
    env = env_of(d)
    logging = d.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    group = log_group(d, f"aws-waf-logs-arbiter-{env}-alb")
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["resourceArn"] == d.one(WEB_ACL).outputs["arn"]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "authorization"}}]
    assert group.inputs["kmsKeyId"] == stack_key_arn(d)
    assert group.inputs["retentionInDays"] == stack_sections(env)["services"]["waf"]["logRetentionDays"]


def test_staging_may_turn_waf_off() -> None:
    services = stack_sections("staging")["services"]
    services["waf"] = {"enabled": False}
    dep = run_program("staging", config_overrides={"services": services})
    assert dep.of_type(WEB_ACL) == []
    assert dep.of_type("aws:wafv2/webAclAssociation:WebAclAssociation") == []
    assert not [g for g in dep.of_type("aws:cloudwatch/logGroup:LogGroup") if "waf" in g.inputs["name"]]


def test_stack_outputs(d: Deployment) -> None:
    alb = d.one("aws:lb/loadBalancer:LoadBalancer")
    assert d.outputs["albDnsName"] == alb.outputs["dnsName"]
    assert d.outputs["clusterName"] == f"arbiter-{env_of(d)}"
    assert d.outputs["serviceNames"] == list(SERVICES)
