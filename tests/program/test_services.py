"""The service tier in both stacks: cluster, the three Fargate services, their sizes, networking, containers, environment and secrets."""

from __future__ import annotations

import pytest

from arbiter_tools.runtime import Deployment, run_program
from tests.conftest import stack_sections
from tests.program.service_helpers import (
    EXCHANGE_ENV,
    EXPECTED_ENV,
    EXPECTED_SECRETS,
    SERVICES,
    SIZES,
    USES_DATABASE,
    container,
    db_cluster,
    env_of,
    log_group,
    master_secret_arn,
    secret_arn,
    service,
    stack_key_arn,
    task_def,
)

# --- cluster ---------------------------------------------------------------------------------------


def test_cluster_name_insights_and_exec_logging(deployment: Deployment) -> None:
    cluster = deployment.one("aws:ecs/cluster:Cluster")
    assert cluster.inputs["name"] == f"arbiter-{env_of(deployment)}"
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]
    exec_cfg = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_cfg["logging"] == "OVERRIDE"
    assert exec_cfg["kmsKeyId"] == stack_key_arn(deployment)
    exec_logs = log_group(deployment, f"/ecs/arbiter-{env_of(deployment)}/exec")
    assert exec_cfg["logConfiguration"]["cloudWatchLogGroupName"] == exec_logs.inputs["name"]
    assert exec_cfg["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert exec_logs.inputs["kmsKeyId"] == stack_key_arn(deployment)
    assert exec_logs.inputs["retentionInDays"] > 0


def test_capacity_providers_fargate_and_spot_available(deployment: Deployment) -> None:
    cps = deployment.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    cluster = deployment.one("aws:ecs/cluster:Cluster")
    assert cps.inputs["clusterName"] == cluster.outputs["name"]
    assert sorted(cps.inputs["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert [s["capacityProvider"] for s in cps.inputs["defaultCapacityProviderStrategies"]] == ["FARGATE"]


def test_components_have_type_tokens_and_parents(deployment: Deployment) -> None:
    tier = deployment.one("arbiter:services:ServiceTier")
    [lb] = deployment.of_type("arbiter:services:LoadBalancer")
    fargate = deployment.of_type("arbiter:services:FargateService")
    assert lb.parent == tier.urn
    assert len(fargate) == 3 and all(f.parent == tier.urn for f in fargate)
    assert deployment.one("aws:ecs/cluster:Cluster").parent == tier.urn
    assert deployment.one("aws:lb/loadBalancer:LoadBalancer").parent == lb.urn
    for svc in SERVICES:
        assert service(deployment, svc).parent in {f.urn for f in fargate}


def test_each_service_has_its_own_tagging_provider(deployment: Deployment) -> None:
    for svc in SERVICES:
        provider = service(deployment, svc).provider
        assert provider is not None and provider.endswith(f"::arbiter-{env_of(deployment)}-aws-{svc}")
        assert task_def(deployment, svc).provider == provider
    assert str(deployment.one("aws:ecs/cluster:Cluster").provider).endswith(
        f"::arbiter-{env_of(deployment)}-aws-services"
    )


# --- sizes, names, counts --------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_sizes_counts_names_and_log_groups(deployment: Deployment, svc: str) -> None:
    cpu, memory, count, retention = SIZES[env_of(deployment)][svc]
    td, ecs = task_def(deployment, svc), service(deployment, svc)
    assert (td.inputs["cpu"], td.inputs["memory"]) == (str(cpu), str(memory))
    assert ecs.inputs["desiredCount"] == count
    assert ecs.inputs["name"] == svc
    # The service runs the registered revision (a computed ARN of the mocked task definition).
    assert ecs.inputs["taskDefinition"] == td.outputs["arn"]
    assert ecs.inputs["taskDefinition"].endswith(f":task-definition/arbiter-{env_of(deployment)}-{svc}:1")
    assert ecs.inputs["cluster"] == deployment.one("aws:ecs/cluster:Cluster").outputs["arn"]
    lg = log_group(deployment, f"/ecs/arbiter-{env_of(deployment)}-{svc}")
    assert lg.inputs["retentionInDays"] == retention
    assert lg.inputs["kmsKeyId"] == stack_key_arn(deployment)


@pytest.mark.parametrize("svc", SERVICES)
def test_task_definition_runtime(deployment: Deployment, svc: str) -> None:
    td = task_def(deployment, svc)
    assert td.inputs["networkMode"] == "awsvpc"
    assert td.inputs["requiresCompatibilities"] == ["FARGATE"]
    # Both stack files run Graviton: the release pipeline pushes multi-arch images.
    assert td.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    assert td.inputs["volumes"] == [{"name": "scratch"}]
    image = stack_sections(env_of(deployment))["services"][
        {"trading-core": "tradingCore", "telegram-bot": "telegramBot", "web-api": "webApi"}[svc]
    ]["image"]
    assert container(deployment, svc)["image"] == image


def test_cpu_architecture_follows_config() -> None:
    services = stack_sections("staging")["services"]
    services["cpuArchitecture"] = "X86_64"
    dep = run_program("staging", config_overrides={"services": services})
    for svc in SERVICES:
        assert task_def(dep, svc).inputs["runtimePlatform"]["cpuArchitecture"] == "X86_64"


# --- networking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_tasks_run_in_private_subnets_with_their_own_group(deployment: Deployment, svc: str) -> None:
    net = service(deployment, svc).inputs["networkConfiguration"]
    assert net["subnets"] == deployment.outputs["privateSubnetIds"]
    assert not set(net["subnets"]) & set(deployment.outputs["publicSubnetIds"])
    assert net["securityGroups"] == [deployment.outputs["securityGroupIds"][svc]]
    assert net["assignPublicIp"] is False


def test_no_security_groups_or_rules_created_by_the_tier(deployment: Deployment) -> None:
    tier = deployment.one("arbiter:services:ServiceTier")
    inside = {tier.urn} | {r.urn for r in deployment.resources if r.parent == tier.urn}
    for r in deployment.resources:
        if r.parent in inside:
            inside.add(r.urn)
    sg_types = {
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    }
    assert not [r.name for r in deployment.resources if r.urn in inside and r.type in sg_types]


def test_cloud_map_registers_trading_core(deployment: Deployment) -> None:
    env = env_of(deployment)
    ns = deployment.one("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
    assert ns.inputs["name"] == f"arbiter-{env}.internal"
    assert ns.inputs["vpc"] == deployment.outputs["vpcId"]
    disc = deployment.one("aws:servicediscovery/service:Service")
    assert disc.inputs["name"] == "trading-core"
    dns = disc.inputs["dnsConfig"]
    assert dns["namespaceId"] == ns.id
    assert dns["routingPolicy"] == "MULTIVALUE"
    assert [r["type"] for r in dns["dnsRecords"]] == ["A"]
    assert disc.inputs["healthCheckCustomConfig"]["failureThreshold"] == 1
    assert (
        service(deployment, "trading-core").inputs["serviceRegistries"]["registryArn"] == disc.outputs["arn"]
    )
    assert "serviceRegistries" not in service(deployment, "web-api").inputs
    assert "serviceRegistries" not in service(deployment, "telegram-bot").inputs
    address = f"trading-core.arbiter-{env}.internal:50051"
    assert deployment.outputs["tradingCoreAddress"] == address
    for svc in ("telegram-bot", "web-api"):
        env_vars = {e["name"]: e["value"] for e in container(deployment, svc)["environment"]}
        assert env_vars["TRADING_CORE_GRPC_ADDR"] == address


# --- containers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_container_hardening(deployment: Deployment, svc: str) -> None:
    c = container(deployment, svc)
    cfg = stack_sections(env_of(deployment))["services"][
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
        "awslogs-group": f"/ecs/arbiter-{env_of(deployment)}-{svc}",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": svc,
        # A throttled log stream must never stall trading: buffered, never blocking.
        "mode": "non-blocking",
        "max-buffer-size": "25m",
    }


def test_trading_core_stops_slowly_to_unwind_positions(deployment: Deployment) -> None:
    assert container(deployment, "trading-core")["stopTimeout"] == 120


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
def test_environment_is_exactly_the_non_secret_settings(deployment: Deployment, svc: str) -> None:
    env = {e["name"]: e["value"] for e in container(deployment, svc)["environment"]}
    assert set(env) == EXPECTED_ENV[svc]
    assert env["ARBITER_ENV"] == env_of(deployment)
    assert env["RUST_LOG"] == "info"
    assert env["ARBITER_PAPER_TRADE"] == ("true" if env_of(deployment) == "staging" else "false")
    cache = deployment.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert env["REDIS_HOST"] == cache.outputs["primaryEndpointAddress"]
    assert env["REDIS_PORT"] == "6379"
    assert env["REDIS_TLS"] == "true"
    if svc in USES_DATABASE:
        cluster = db_cluster(deployment)
        assert env["DATABASE_HOST"] == cluster.outputs["endpoint"]
        assert env["DATABASE_READER_HOST"] == cluster.outputs["readerEndpoint"]
        assert env["DATABASE_PORT"] == "5432"
        assert env["DATABASE_NAME"] == "arbiter"
    # Nothing in the environment points at, or is named like, a secret.
    assert not set(env) & EXPECTED_SECRETS[svc]
    assert not any(":secret:" in v or "secretsmanager" in v for v in env.values())


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_gets_exactly_its_secrets_per_key(deployment: Deployment, svc: str) -> None:
    env = env_of(deployment)
    secrets = {s["name"]: s["valueFrom"] for s in container(deployment, svc)["secrets"]}
    assert set(secrets) == EXPECTED_SECRETS[svc]
    # Its own Redis user's secret, no other service's.
    redis = secret_arn(deployment, f"arbiter-{env}/redis-{svc}")
    assert secrets["REDIS_USERNAME"] == f"{redis}:username::"
    assert secrets["REDIS_PASSWORD"] == f"{redis}:password::"
    for name, (secret, field) in EXCHANGE_ENV.items():
        if name in secrets:
            assert secrets[name] == f"{secret_arn(deployment, f'arbiter-{env}/{secret}')}:{field}::"
    if svc == "telegram-bot":
        telegram = secret_arn(deployment, f"arbiter-{env}/telegram")
        assert secrets["TELEGRAM_BOT_TOKEN"] == f"{telegram}:bot_token::"
    master = master_secret_arn(deployment)
    assert master.startswith("arn:aws:secretsmanager:") and "rds!cluster" in master
    # No service receives the master user's name or password: each logs in as its own user.
    assert not [v for v in secrets.values() if v.startswith(master)]
    if svc in USES_DATABASE:
        env = {e["name"]: e["value"] for e in container(deployment, svc)["environment"]}
        assert env["DATABASE_USER"] == svc.replace("-", "_")
        assert env["DATABASE_SSLMODE"] == "verify-full"
