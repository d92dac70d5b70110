"""FargateService alone: deploy safety, secrets only as ECS secrets, least-privilege roles."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_infra.naming import Naming
from components.ecs_service import (
    DatabaseUser,
    ExecSettings,
    FargateService,
    FargateServiceArgs,
    SecretRef,
    TrafficRoute,
    TrafficShift,
)
from tests.components.conftest import Build
from tests.components.service_fixtures import (
    ACCOUNT,
    KEY_ARN,
    REGION,
    container,
    service_config,
    statements,
)

ECS_SERVICE = "aws:ecs/service:Service"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:arbiter-unit/vendor"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _service(naming: Naming, **overrides: Any) -> FargateService:
    config = overrides.pop("config", service_config())
    args: dict[str, Any] = {
        "service": "svc",
        "config": config,
        "naming": naming,
        "region": REGION,
        "account_id": ACCOUNT,
        "cluster_arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/arbiter-unit",
        "cluster_name": "arbiter-unit",
        "cpu_architecture": "ARM64",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "security_group_id": "sg-svc",
        "kms_key_arn": KEY_ARN,
        "environment_variables": {"PLAIN": "value"},
        "deployment_alarm_names": ["arbiter-unit-ecs-memory-svc"],
    }
    args.update(overrides)
    return FargateService("unit-svc", FargateServiceArgs(**args))


CANARY = {"strategy": "canary", "canaryPercent": 10, "canaryMinutes": 10, "bakeMinutes": 15}
SHIFT = TrafficShift(
    routes=[
        TrafficRoute("arn:tg/rest", "arn:tg/rest-alt", "arn:rule/rest"),
        TrafficRoute("arn:tg/grpc", "arn:tg/grpc-alt", "arn:rule/grpc"),
    ],
    role_arn="arn:aws:iam::111122223333:role/arbiter-unit-ecs-traffic-shift",
)


def _policy(d: Any, suffix: str) -> dict[str, dict[str, Any]]:
    [policy] = [p for p in d.of_type(ROLE_POLICY) if p.name.endswith(suffix)]
    return statements(policy)


def test_steady_capacity_never_drops_below_the_count(build: Build, naming: Naming) -> None:
    steady = build(lambda: _service(naming, steady_capacity=True)).one(ECS_SERVICE)
    other = build(lambda: _service(naming)).one(ECS_SERVICE)
    assert steady.inputs["deploymentMinimumHealthyPercent"] == 100
    assert other.inputs["deploymentMinimumHealthyPercent"] == 50
    assert steady.inputs["deploymentMaximumPercent"] == other.inputs["deploymentMaximumPercent"] == 200


@pytest.mark.parametrize("desired", [1, 2, 3])
def test_a_single_writer_never_runs_more_tasks_than_desired(
    build: Build, naming: Naming, desired: int
) -> None:
    """The infrastructure's guarantee to a single writer: at most `desired` tasks RUNNING or PENDING
    at any point of a deployment (maximum percent 100, rounded down by ECS), and the old tasks may
    all stop first (minimum healthy 0): no revision starts while the old one still fills every slot.
    Single writer wins over steady capacity."""
    config = service_config(desiredCount=desired)
    ecs = build(lambda: _service(naming, config=config, single_writer=True, steady_capacity=True)).one(
        ECS_SERVICE
    )
    max_percent = ecs.inputs["deploymentMaximumPercent"]
    min_percent = ecs.inputs["deploymentMinimumHealthyPercent"]
    assert desired * max_percent // 100 == desired  # never a task beyond the desired count
    assert -(-desired * min_percent // 100) == 0  # ECS rounds up: every old task may stop first
    assert ecs.inputs["deploymentConfiguration"]["strategy"] == "ROLLING"
    assert ecs.inputs["alarms"] == {
        "alarmNames": ["arbiter-unit-ecs-memory-svc"],
        "enable": True,
        "rollback": True,
    }


def test_every_deployment_rolls_back_on_its_alarms_beside_the_circuit_breaker(
    build: Build, naming: Naming
) -> None:
    names = ["arbiter-unit-alb-target-5xx", "arbiter-unit-ecs-memory-svc"]
    ecs = build(lambda: _service(naming, deployment_alarm_names=names)).one(ECS_SERVICE)
    assert ecs.inputs["alarms"] == {"alarmNames": names, "enable": True, "rollback": True}
    assert ecs.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_a_canary_shifts_both_target_groups_with_a_bake_time(build: Build, naming: Naming) -> None:
    config = service_config(deployment=CANARY)
    d = build(
        lambda: _service(
            naming, config=config, target_group_arns=["arn:tg/rest", "arn:tg/grpc"], traffic_shift=SHIFT
        )
    )
    ecs = d.one(ECS_SERVICE)
    assert ecs.inputs["deploymentConfiguration"] == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": "15",
        "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": "10"},
    }
    advanced = [lb["advancedConfiguration"] for lb in ecs.inputs["loadBalancers"]]
    assert advanced == [
        {
            "alternateTargetGroupArn": f"arn:tg/{key}-alt",
            "productionListenerRule": f"arn:rule/{key}",
            "roleArn": SHIFT.role_arn,
        }
        for key in ("rest", "grpc")
    ]
    # ECS swaps primary and alternate after each deployment: Pulumi must not swap them back.
    assert "loadBalancers" in ecs.ignore_changes


def test_a_linear_shift_has_steps(build: Build, naming: Naming) -> None:
    linear = {"strategy": "linear", "stepPercent": 25, "stepMinutes": 3, "bakeMinutes": 10}
    config = service_config(deployment=linear)
    ecs = build(
        lambda: _service(
            naming, config=config, target_group_arns=["arn:tg/rest", "arn:tg/grpc"], traffic_shift=SHIFT
        )
    ).one(ECS_SERVICE)
    assert ecs.inputs["deploymentConfiguration"] == {
        "strategy": "LINEAR",
        "bakeTimeInMinutes": "10",
        "linearConfiguration": {"stepPercent": 25, "stepBakeTimeInMinutes": "3"},
    }


def test_a_gradual_deployment_without_its_routes_is_refused(build: Build, naming: Naming) -> None:
    config = service_config(deployment=CANARY)
    with pytest.raises(ValueError, match="canary deployment needs one traffic route"):
        build(lambda: _service(naming, config=config, target_group_arns=["arn:tg/rest", "arn:tg/grpc"]))
    one_route = TrafficShift(routes=SHIFT.routes[:1], role_arn=SHIFT.role_arn)
    with pytest.raises(ValueError, match="per target group"):
        build(
            lambda: _service(
                naming,
                config=config,
                target_group_arns=["arn:tg/rest", "arn:tg/grpc"],
                traffic_shift=one_route,
            )
        )


def test_secrets_are_ecs_secrets_never_environment(build: Build, naming: Naming) -> None:
    ref = SecretRef("VENDOR_KEY", f"{SECRET_ARN}:key::", SECRET_ARN)
    d = build(lambda: _service(naming, secrets=[ref]))
    c = container(d)
    assert c["secrets"] == [{"name": "VENDOR_KEY", "valueFrom": f"{SECRET_ARN}:key::"}]
    assert c["environment"] == [{"name": "PLAIN", "value": "value"}]
    assert SECRET_ARN not in str(c["environment"])
    stmts = _policy(d, "-exec-policy")
    assert stmts["ReadInjectedSecrets"]["Resource"] == [SECRET_ARN]
    assert stmts["DecryptInjectedSecrets"]["Resource"] == [KEY_ARN]
    assert stmts["DecryptInjectedSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }


def test_without_secrets_the_execution_role_reads_none(build: Build, naming: Naming) -> None:
    d = build(lambda: _service(naming))
    assert container(d)["secrets"] == []
    assert set(_policy(d, "-exec-policy")) == {"EcrLogin", "PullOwnImage", "WriteOwnLogs"}
    assert _policy(d, "-exec-policy")["PullOwnImage"]["Resource"] == [
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/some-repo"
    ]


def test_a_secret_referenced_twice_is_granted_once(build: Build, naming: Naming) -> None:
    refs = [SecretRef(f"K{i}", f"{SECRET_ARN}:k{i}::", SECRET_ARN) for i in range(3)]
    d = build(lambda: _service(naming, secrets=refs))
    assert _policy(d, "-exec-policy")["ReadInjectedSecrets"]["Resource"] == [SECRET_ARN]


def test_target_groups_register_the_service_port_after_their_listeners(build: Build, naming: Naming) -> None:
    arns = ["arn:tg/rest", "arn:tg/grpc"]
    d = build(lambda: _service(naming, target_group_arns=arns))
    ecs = d.one(ECS_SERVICE)
    assert [lb["targetGroupArn"] for lb in ecs.inputs["loadBalancers"]] == arns
    assert all(
        lb["containerName"] == "svc" and lb["containerPort"] == 9000 for lb in ecs.inputs["loadBalancers"]
    )
    assert ecs.inputs["healthCheckGracePeriodSeconds"] == 60
    alone = build(lambda: _service(naming)).one(ECS_SERVICE)
    assert not alone.inputs.get("loadBalancers") and "healthCheckGracePeriodSeconds" not in alone.inputs


def test_discovery_registers_an_a_record_only_when_asked(build: Build, naming: Naming) -> None:
    d = build(lambda: _service(naming, discovery_namespace_id="ns-unit"))
    disc = d.one("aws:servicediscovery/service:Service")
    assert disc.inputs["name"] == "svc"
    assert disc.inputs["dnsConfig"]["namespaceId"] == "ns-unit"
    assert d.one(ECS_SERVICE).inputs["serviceRegistries"]["registryArn"] == disc.outputs["arn"]
    plain = build(lambda: _service(naming))
    assert plain.of_type("aws:servicediscovery/service:Service") == []
    assert "serviceRegistries" not in plain.one(ECS_SERVICE).inputs


def test_database_user_gets_rds_db_connect_on_its_cluster_only(build: Build, naming: Naming) -> None:
    d = build(lambda: _service(naming, database_user=DatabaseUser("cluster-UNIT", "appuser")))
    assert _policy(d, "-task-policy") == {
        "IamDatabaseAuth": {
            "Sid": "IamDatabaseAuth",
            "Effect": "Allow",
            "Action": ["rds-db:connect"],
            "Resource": [f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:cluster-UNIT/appuser"],
        }
    }
    assert not [
        p for p in build(lambda: _service(naming)).of_type(ROLE_POLICY) if p.name.endswith("-task-policy")
    ]


def test_exec_settings_turn_on_exec_and_its_channel(build: Build, naming: Naming) -> None:
    settings = ExecSettings(log_group_arn="arn:logs:exec", kms_key_arn=KEY_ARN)
    d = build(lambda: _service(naming, exec_settings=settings))
    assert d.one(ECS_SERVICE).inputs["enableExecuteCommand"] is True
    stmts = _policy(d, "-task-policy")
    assert stmts["EcsExecSessionLogs"]["Resource"] == ["arn:logs:exec:*"]
    assert stmts["EcsExecSessionKey"]["Resource"] == [KEY_ARN]
    assert build(lambda: _service(naming)).one(ECS_SERVICE).inputs["enableExecuteCommand"] is False


def test_cpu_architecture_and_health_check_follow_the_args(build: Build, naming: Naming) -> None:
    config = service_config(healthCheckCommand=["CMD", "/bin/healthcheck", "--path", "/health"])
    d = build(lambda: _service(naming, config=config, cpu_architecture="X86_64"))
    td = d.one("aws:ecs/taskDefinition:TaskDefinition")
    assert td.inputs["runtimePlatform"]["cpuArchitecture"] == "X86_64"
    assert container(d)["healthCheck"]["command"] == ["CMD", "/bin/healthcheck", "--path", "/health"]


@pytest.mark.parametrize("autoscaled", [True, False])
def test_autoscaling_only_when_the_config_sets_it(build: Build, naming: Naming, autoscaled: bool) -> None:
    scaling = {"minCount": 1, "maxCount": 4, "cpuTargetPercent": 60} if autoscaled else {}
    d = build(lambda: _service(naming, config=service_config(**scaling)))
    targets = d.of_type("aws:appautoscaling/target:Target")
    ecs = d.one(ECS_SERVICE)
    if autoscaled:
        [target] = targets
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 4)
        assert target.inputs["resourceId"] == "service/arbiter-unit/svc"
        assert "desiredCount" in ecs.ignore_changes
    else:
        assert targets == [] and d.of_type("aws:appautoscaling/policy:Policy") == []
        assert "desiredCount" not in ecs.ignore_changes
