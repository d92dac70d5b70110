"""Monitoring alone: each rule instantiated per target it is given, chosen by traits, not names."""

from __future__ import annotations

from typing import Any

from arbiter_infra.config import MonitoringConfig
from arbiter_infra.naming import Naming
from arbiter_tools.runtime import DeclaredResource, Deployment
from components.monitoring import AuroraInstanceTarget, Monitoring, MonitoringArgs, ServiceTarget
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
