"""Monitoring alone: each rule instantiated per target it is given, chosen by traits, not names."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from arbiter_infra.config import MonitoringConfig
from arbiter_infra.naming import Naming
from arbiter_tools.runtime import DeclaredResource, Deployment
from components.monitoring import ALARMS, AuroraInstanceTarget, Monitoring, MonitoringArgs, ServiceTarget
from tests.components.conftest import Build

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _monitoring(naming: Naming, **overrides: Any) -> Monitoring:
    args: dict[str, Any] = {
        "config": MonitoringConfig.model_validate({"alertEmails": ["oncall@example.com"]}),
        "naming": naming,
        "region": "us-east-1",
        "kms_key_arn": "arn:aws:kms:us-east-1:111122223333:key/unit",
        "account_id": "111122223333",
        "ecs_cluster_name": "arbiter-unit",
        "services": {
            "steady": ServiceTarget(service_name="steady", running_floor=2, steady_capacity=True),
            "elastic": ServiceTarget(service_name="elastic", running_floor=1),
        },
        "load_balancer_arn_suffix": "app/unit/1",
        "target_group_arn_suffixes": {"rest": "targetgroup/rest/1"},
        "aurora_cluster_identifier": "arbiter-unit-aurora",
        "aurora_instances": [
            AuroraInstanceTarget(label="1", identifier="db-1", instance_class="db.t4g.medium")
        ],
        "redis_member_clusters": ["redis-001"],
        "load_balancer_targets": "the front end",
    }
    args.update(overrides)
    return Monitoring(naming("monitoring"), MonitoringArgs(**args))


def _alarms(d: Deployment) -> dict[str, DeclaredResource]:
    return {a.inputs["name"].removeprefix("arbiter-unit-"): a for a in d.of_type(ALARM)}


def test_running_tasks_rule_follows_steady_capacity(build: Build, naming: Naming) -> None:
    alarms = _alarms(build(lambda: _monitoring(naming)))
    steady = alarms["ecs-running-tasks-steady"].inputs
    elastic = alarms["ecs-running-tasks-elastic"].inputs
    assert (steady["datapointsToAlarm"], steady["evaluationPeriods"], steady["threshold"]) == (2, 2, 2)
    assert (elastic["datapointsToAlarm"], elastic["evaluationPeriods"], elastic["threshold"]) == (3, 5, 1)
    assert {"ecs-cpu-steady", "ecs-cpu-elastic", "ecs-memory-steady", "ecs-memory-elastic"} <= set(alarms)


def test_every_alarm_is_per_target_given(build: Build, naming: Naming) -> None:
    alarms = _alarms(build(lambda: _monitoring(naming)))
    assert set(alarms) == {
        *(
            f"{rule}-{svc}"
            for rule in ("ecs-cpu", "ecs-memory", "ecs-running-tasks")
            for svc in ("steady", "elastic")
        ),
        "alb-response-time",
        "alb-elb-5xx",
        "alb-target-5xx",
        "alb-unhealthy-hosts-rest",
        *(f"{rule}-1" for rule in ("aurora-connections", "aurora-cpu", "aurora-freeable-memory")),
        *(f"{rule}-001" for rule in ("redis-engine-cpu", "redis-memory", "redis-evictions")),
    }
    assert alarms["ecs-cpu-steady"].inputs["dimensions"] == {
        "ClusterName": "arbiter-unit",
        "ServiceName": "steady",
    }
    assert alarms["aurora-connections-1"].inputs["threshold"] == 0.8 * 450


def test_target_5xx_names_what_answers_behind_the_load_balancer(build: Build, naming: Naming) -> None:
    alarms = _alarms(build(lambda: _monitoring(naming)))
    assert "returned by the front end." in alarms["alb-target-5xx"].inputs["alarmDescription"]


def test_readers_and_vaults_page_when_given(build: Build, naming: Naming) -> None:
    two = [
        AuroraInstanceTarget(label=str(i), identifier=f"db-{i}", instance_class="db.r6g.large")
        for i in (1, 2)
    ]
    d = build(
        lambda: _monitoring(
            naming,
            aurora_instances=two,
            backup_vaults=["vault-a", "vault-b"],
        )
    )
    alarms = _alarms(d)
    assert alarms["aurora-replica-lag"].inputs["dimensions"] == {
        "DBClusterIdentifier": "arbiter-unit-aurora",
        "Role": "READER",
    }
    # More than one vault: each vault's alarms carry its name.
    assert {"backup-jobs-failed-vault-a", "backup-copy-jobs-failed-vault-b"} <= set(alarms)
    events = {
        e.inputs["sourceType"]: e.inputs["sourceIds"]
        for e in d.of_type("aws:rds/eventSubscription:EventSubscription")
    }
    assert events == {"db-cluster": ["arbiter-unit-aurora"], "db-instance": ["db-1", "db-2"]}


def test_alerts_reach_the_configured_addresses(build: Build, naming: Naming) -> None:
    d = build(lambda: _monitoring(naming))
    [sub] = d.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert (sub.inputs["protocol"], sub.inputs["endpoint"]) == ("email", "oncall@example.com")
    topic = d.one("aws:sns/topic:Topic")
    assert all(a.inputs["alarmActions"] == [topic.outputs["arn"]] for a in d.of_type(ALARM))


def _deployment_alarms(build: Build, naming: Naming, **overrides: Any) -> dict[str, list[str]]:
    """Per service, the names its ECS deployments roll back on (as the service would receive them)."""

    def program() -> None:
        m = _monitoring(naming, **overrides)
        for svc in m.deployment_alarms:
            pulumi.export(svc, m.deployment_alarm_names(svc))

    outputs = build(program).outputs
    return {svc: [n.removeprefix("arbiter-unit-") for n in names] for svc, names in outputs.items()}


def test_deployment_alarms_are_the_marked_rows_of_each_service(build: Build, naming: Naming) -> None:
    """A service rolls back on its own memory and, unless it is replaced stop-before-start (steady),
    its running tasks; the service behind the ALB also on the ALB's 5XX and p99 latency."""
    alarms = _deployment_alarms(build, naming, load_balancer_service="elastic")
    assert alarms == {
        "steady": ["ecs-memory-steady"],
        "elastic": [
            "ecs-memory-elastic",
            "alb-response-time",
            "alb-elb-5xx",
            "alb-target-5xx",
            "ecs-running-tasks-elastic",
        ],
    }
    marked = {spec.key for spec in ALARMS if spec.deployment}
    assert marked == {"ecs-memory", "alb-response-time", "alb-elb-5xx", "alb-target-5xx", "ecs-running-tasks"}
    # What a good deployment itself moves is never a deployment alarm: CPU (load, autoscaling)
    # and the stop-before-start gap of a steady single writer.
    assert not any(s.deployment for s in ALARMS if s.key == "ecs-cpu" or s.steady_capacity is True)


def test_a_service_without_deployment_alarms_is_refused(build: Build, naming: Naming) -> None:
    """Without the ALB's service named, the steady service still has one; an unknown one is refused."""
    with pytest.raises(ValueError, match="'nobody' is not one of the services"):
        _deployment_alarms(build, naming, load_balancer_service="nobody")
    assert _deployment_alarms(build, naming)["elastic"] == ["ecs-memory-elastic", "ecs-running-tasks-elastic"]
