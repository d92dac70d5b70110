"""Every alarm of both stacks against its rule and the seed's numbers, per target."""

from __future__ import annotations

import pytest

from arbiter_infra import catalog
from arbiter_tools.runtime import Deployment
from components.alarms import GIB
from tests.program.monitoring_helpers import (
    ALARM,
    CLUSTER,
    ECS_CLUSTER,
    ECS_SERVICE,
    EXPECTED_MAX_CONNECTIONS,
    INSTANCE,
    REPLICATION_GROUP,
    RUNNING_FLOOR,
    SERVICES,
    TARGET_GROUP,
    alarm_of,
    alarms_of,
    lb_suffix,
    spec_of,
    topic_arn,
)

# --- the alarm set ---------------------------------------------------------------------------


def expected_names(d: Deployment) -> set[str]:
    """Written out per target, independent of how the component loops."""
    p = f"arbiter-{d.stack}"
    names = {f"{p}-alb-response-time", f"{p}-alb-elb-5xx", f"{p}-alb-target-5xx"}
    names |= {f"{p}-alb-unhealthy-hosts-{tg}" for tg in ("rest", "grpc")}
    if d.stack == "prod":
        # The canary's alternate groups: after a deployment they are the serving ones.
        names |= {f"{p}-alb-unhealthy-hosts-{tg}-alt" for tg in ("rest", "grpc")}
    for svc in SERVICES:
        names |= {f"{p}-ecs-cpu-{svc}", f"{p}-ecs-memory-{svc}", f"{p}-ecs-running-tasks-{svc}"}
    instances = 2 if d.stack == "prod" else 1
    for i in range(1, instances + 1):
        names |= {f"{p}-aurora-connections-{i}", f"{p}-aurora-cpu-{i}", f"{p}-aurora-freeable-memory-{i}"}
    if d.stack == "prod":
        names.add(f"{p}-aurora-replica-lag")
    nodes = 3 if d.stack == "prod" else 1
    for n in range(1, nodes + 1):
        names |= {
            f"{p}-redis-engine-cpu-{n:03d}",
            f"{p}-redis-memory-{n:03d}",
            f"{p}-redis-evictions-{n:03d}",
        }
    names |= {f"{p}-backup-jobs-failed", f"{p}-backup-copy-jobs-failed"}
    return names


def test_alarm_set_is_complete_and_names_are_unique(deployment: Deployment) -> None:
    declared = [a.inputs["name"] for a in deployment.of_type(ALARM)]
    assert len(declared) == len(set(declared)), "alarm names must be unique per stack"
    assert set(declared) == expected_names(deployment)
    assert len(declared) == (34 if deployment.stack == "prod" else 22)


def test_alarm_names_do_not_collide_across_stacks(staging: Deployment, prod: Deployment) -> None:
    assert not set(alarms_of(staging)) & set(alarms_of(prod))


def test_every_alarm_pages_and_recovers_through_the_topic(deployment: Deployment) -> None:
    arn = topic_arn(deployment)
    for name, alarm in alarms_of(deployment).items():
        assert alarm.inputs["alarmActions"] == [arn], name
        assert alarm.inputs["okActions"] == [arn], name
        assert alarm.inputs.get("actionsEnabled", True) is True, name


def test_every_alarm_matches_its_rule(deployment: Deployment) -> None:
    for name, alarm in alarms_of(deployment).items():
        spec = spec_of(deployment, alarm)
        i = alarm.inputs
        assert (i["namespace"], i["metricName"]) == (spec.namespace, spec.metric), name
        if spec.percentile:
            assert i["extendedStatistic"] == spec.statistic and "statistic" not in i, name
            assert i["evaluateLowSampleCountPercentiles"] == "ignore", name
        else:
            assert i["statistic"] == spec.statistic and "extendedStatistic" not in i, name
        assert i["comparisonOperator"] == spec.comparison, name
        assert i["period"] == spec.period, name
        assert i["evaluationPeriods"] == spec.evaluation_periods, name
        assert i["datapointsToAlarm"] == spec.datapoints_to_alarm, name
        assert i["treatMissingData"] == spec.treat_missing_data, name
        if spec.threshold_kind == "absolute":
            assert i["threshold"] == spec.threshold, name


# --- the seed's alarms, with the seed's numbers -----------------------------------------------


@pytest.mark.parametrize(
    ("rule", "metric", "threshold"),
    [("ecs-cpu", "CPUUtilization", 80), ("ecs-memory", "MemoryUtilization", 85)],
)
def test_ecs_utilisation_per_service(
    deployment: Deployment, rule: str, metric: str, threshold: float
) -> None:
    cluster = deployment.one(ECS_CLUSTER).inputs["name"]
    assert cluster == f"arbiter-{deployment.stack}"
    service_names = {s.inputs["name"] for s in deployment.of_type(ECS_SERVICE)}
    assert service_names == set(SERVICES)
    for svc in SERVICES:
        i = alarm_of(deployment, f"{rule}-{svc}").inputs
        assert (i["namespace"], i["metricName"], i["statistic"]) == ("AWS/ECS", metric, "Average")
        assert i["dimensions"] == {"ClusterName": cluster, "ServiceName": svc}
        assert i["comparisonOperator"] == "GreaterThanThreshold" and i["threshold"] == threshold
        assert (i["period"], i["datapointsToAlarm"], i["evaluationPeriods"]) == (60, 3, 5)
        assert i["treatMissingData"] == "notBreaching"


def test_alb_response_time_is_p99_over_500ms(deployment: Deployment) -> None:
    i = alarm_of(deployment, "alb-response-time").inputs
    assert (i["namespace"], i["metricName"]) == ("AWS/ApplicationELB", "TargetResponseTime")
    assert i["dimensions"] == {"LoadBalancer": lb_suffix(deployment)}
    assert i["extendedStatistic"] == "p99" and i["evaluateLowSampleCountPercentiles"] == "ignore"
    assert i["threshold"] == 0.5 and i["comparisonOperator"] == "GreaterThanThreshold"
    assert (i["period"], i["datapointsToAlarm"], i["evaluationPeriods"]) == (60, 3, 5)
    assert i["treatMissingData"] == "notBreaching"


@pytest.mark.parametrize(
    ("rule", "metric"),
    [("alb-elb-5xx", "HTTPCode_ELB_5XX_Count"), ("alb-target-5xx", "HTTPCode_Target_5XX_Count")],
)
def test_alb_5xx_over_10_per_minute(deployment: Deployment, rule: str, metric: str) -> None:
    i = alarm_of(deployment, rule).inputs
    assert (i["namespace"], i["metricName"], i["statistic"]) == ("AWS/ApplicationELB", metric, "Sum")
    assert i["dimensions"] == {"LoadBalancer": lb_suffix(deployment)}
    assert i["period"] == 60 and i["threshold"] == 10 and i["comparisonOperator"] == "GreaterThanThreshold"
    assert i["treatMissingData"] == "notBreaching"


def test_rds_connections_alarm_is_80_percent_of_each_instance_class(deployment: Deployment) -> None:
    instances = deployment.of_type(INSTANCE)
    assert len(instances) == (2 if deployment.stack == "prod" else 1)
    for n, inst in enumerate(sorted(instances, key=lambda r: r.inputs["identifier"]), start=1):
        ident, klass = inst.inputs["identifier"], inst.inputs["instanceClass"]
        assert ident == f"arbiter-{deployment.stack}-aurora-{n}"
        i = alarm_of(deployment, f"aurora-connections-{n}").inputs
        assert (i["namespace"], i["metricName"], i["statistic"]) == (
            "AWS/RDS",
            "DatabaseConnections",
            "Maximum",
        )
        assert i["dimensions"] == {"DBInstanceIdentifier": ident}
        assert i["threshold"] == pytest.approx(0.8 * catalog.aurora_max_connections(klass))
        assert i["threshold"] == pytest.approx(0.8 * EXPECTED_MAX_CONNECTIONS[klass])
        assert i["comparisonOperator"] == "GreaterThanThreshold"


# --- beyond the seed ------------------------------------------------------------------------


def test_running_tasks_below_desired_per_service(deployment: Deployment) -> None:
    cluster = deployment.one(ECS_CLUSTER)
    # The metric exists only with Container Insights on; without it the alarm would sit breaching.
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]
    for svc in SERVICES:
        i = alarm_of(deployment, f"ecs-running-tasks-{svc}").inputs
        assert (i["namespace"], i["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
        assert i["dimensions"] == {"ClusterName": cluster.inputs["name"], "ServiceName": svc}
        assert i["comparisonOperator"] == "LessThanThreshold"
        assert i["threshold"] == RUNNING_FLOOR[deployment.stack][svc]
        assert i["treatMissingData"] == "breaching"
    trader = alarm_of(deployment, "ecs-running-tasks-trading-core").inputs
    assert (trader["datapointsToAlarm"], trader["evaluationPeriods"]) == (2, 2)
    for svc in ("telegram-bot", "web-api"):
        other = alarm_of(deployment, f"ecs-running-tasks-{svc}").inputs
        assert (other["datapointsToAlarm"], other["evaluationPeriods"]) == (3, 5)
        assert trader["evaluationPeriods"] * trader["period"] < other["evaluationPeriods"] * other["period"]


def test_unhealthy_hosts_per_target_group(deployment: Deployment) -> None:
    groups = {tg.inputs["name"]: tg for tg in deployment.of_type(TARGET_GROUP)}
    # prod's canary adds an alternate per group; after a deployment it is the serving one.
    keys = ("rest", "grpc", "rest-alt", "grpc-alt") if deployment.stack == "prod" else ("rest", "grpc")
    assert len(groups) == len(keys)
    for key in keys:
        [tg] = [g for n, g in groups.items() if n.endswith(f"-web-{key}")]
        i = alarm_of(deployment, f"alb-unhealthy-hosts-{key}").inputs
        assert (i["namespace"], i["metricName"], i["statistic"]) == (
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            "Maximum",
        )
        assert i["dimensions"] == {
            "TargetGroup": tg.outputs["arnSuffix"],
            "LoadBalancer": lb_suffix(deployment),
        }
        assert i["comparisonOperator"] == "GreaterThanOrEqualToThreshold" and i["threshold"] == 1


def test_aurora_cpu_and_freeable_memory_per_instance(deployment: Deployment) -> None:
    for n, inst in enumerate(sorted(deployment.of_type(INSTANCE), key=lambda r: r.inputs["identifier"]), 1):
        dims = {"DBInstanceIdentifier": inst.inputs["identifier"]}
        cpu = alarm_of(deployment, f"aurora-cpu-{n}").inputs
        assert (cpu["metricName"], cpu["dimensions"], cpu["threshold"]) == ("CPUUtilization", dims, 80)
        assert cpu["treatMissingData"] == "breaching"
        mem = alarm_of(deployment, f"aurora-freeable-memory-{n}").inputs
        gib = catalog.AURORA_INSTANCE_MEMORY_GIB[inst.inputs["instanceClass"]]
        assert (mem["metricName"], mem["dimensions"]) == ("FreeableMemory", dims)
        assert mem["comparisonOperator"] == "LessThanThreshold"
        assert mem["threshold"] == pytest.approx(0.1 * gib * GIB)


def test_replica_lag_only_for_readers_in_prod(staging: Deployment, prod: Deployment) -> None:
    assert not [n for n in alarms_of(staging) if "replica-lag" in n]
    i = alarm_of(prod, "aurora-replica-lag").inputs
    assert (i["namespace"], i["metricName"], i["statistic"]) == ("AWS/RDS", "AuroraReplicaLag", "Maximum")
    # Role=READER follows the reader through failovers; a fixed instance id would not.
    assert i["dimensions"] == {
        "DBClusterIdentifier": prod.one(CLUSTER).inputs["clusterIdentifier"],
        "Role": "READER",
    }
    assert i["dimensions"]["DBClusterIdentifier"] == "arbiter-prod-aurora"


def test_redis_alarms_per_member_cluster(deployment: Deployment) -> None:
    group = deployment.one(REPLICATION_GROUP)
    members = sorted(group.outputs["memberClusters"])
    assert len(members) == group.inputs["numCacheClusters"] == (3 if deployment.stack == "prod" else 1)
    for n, member in enumerate(members, start=1):
        assert member == f"arbiter-{deployment.stack}-redis-{n:03d}"
        expected = {
            "redis-engine-cpu": ("EngineCPUUtilization", 90, "breaching"),
            "redis-memory": ("DatabaseMemoryUsagePercentage", 80, "notBreaching"),
            "redis-evictions": ("Evictions", 0, "notBreaching"),
        }
        for rule, (metric, threshold, missing) in expected.items():
            i = alarm_of(deployment, f"{rule}-{n:03d}").inputs
            assert (i["namespace"], i["metricName"]) == ("AWS/ElastiCache", metric)
            assert i["dimensions"] == {"CacheClusterId": member}
            assert i["threshold"] == threshold and i["comparisonOperator"] == "GreaterThanThreshold"
            assert i["treatMissingData"] == missing
