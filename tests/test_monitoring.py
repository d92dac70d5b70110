"""Monitoring tier: alert topic, every alarm against its rule and the seed, dashboard, log groups.

Values the seed fixes (80%, 85%, 500 ms, 10/min, 30/14-day retention) are written out here, not
read from `ALARMS`, so a wrong row in the table fails a test instead of confirming itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from arbiter_infra import catalog
from arbiter_infra.config import ConfigError, parse_stack_config
from arbiter_tools.runtime import ACCOUNT_ID, PROJECT_DIR, REGION, DeclaredResource, Deployment
from components.monitoring import ALARMS, GIB, AlarmSpec, alarm_table_markdown
from tests.conftest import stack_sections

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
CLUSTER = "aws:rds/cluster:Cluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
LB = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
KMS_KEY = "aws:kms/key:Key"
SERVICES = ("trading-core", "telegram-bot", "web-api")

#: The seed's log retention per service (deployment guide, "Log Groups").
SEED_RETENTION = {"trading-core": 30, "telegram-bot": 14, "web-api": 14}
#: Tasks that must run, from the stack files (web-api is autoscaled: its minimum).
RUNNING_FLOOR = {
    "staging": {"trading-core": 1, "telegram-bot": 1, "web-api": 1},
    "prod": {"trading-core": 2, "telegram-bot": 1, "web-api": 2},
}
#: max_connections = LEAST(memory / 9531392, 5000), worked out by hand per memory size.
EXPECTED_MAX_CONNECTIONS = {
    "db.t3.medium": 450,  # 4 GiB: 4294967296 / 9531392 = 450.6
    "db.t4g.medium": 450,
    "db.t4g.large": 901,  # 8 GiB: 901.2
    "db.r6g.large": 1802,  # 16 GiB: 1802.5
    "db.r7g.large": 1802,
    "db.r6g.xlarge": 3604,  # 32 GiB: 3604.9
    "db.r7g.xlarge": 3604,
    "db.r6g.2xlarge": 5000,  # 64 GiB: 7209.9, capped
    "db.r7g.2xlarge": 5000,
}


def _alarms(d: Deployment) -> dict[str, DeclaredResource]:
    return {a.inputs["name"]: a for a in d.of_type(ALARM)}


def _alarm(d: Deployment, key: str) -> DeclaredResource:
    return _alarms(d)[f"arbiter-{d.stack}-{key}"]


def _topic_arn(d: Deployment) -> str:
    arn = d.one(TOPIC).outputs["arn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:arbiter-{d.stack}-alerts"
    return str(arn)


def _lb_suffix(d: Deployment) -> str:
    return str(d.one(LB).outputs["arnSuffix"])


def _spec_of(d: Deployment, alarm: DeclaredResource) -> AlarmSpec:
    """The table row an alarm came from (its name is `arbiter-<env>-<rule key>[-<target>]`)."""
    key = alarm.inputs["name"].removeprefix(f"arbiter-{d.stack}-")
    rows = [s for s in ALARMS if key == s.key or key.startswith(f"{s.key}-")]
    assert len({s.key for s in rows}) == 1, f"{key} matches rules {[s.key for s in rows]}"
    target = key.removeprefix(rows[0].key).lstrip("-")
    [spec] = [s for s in rows if target in s.services] or [s for s in rows if not s.services]
    return spec


# --- the alarm set ---------------------------------------------------------------------------


def _expected_names(d: Deployment) -> set[str]:
    """Written out per target, independent of how the component loops."""
    p = f"arbiter-{d.stack}"
    names = {f"{p}-alb-response-time", f"{p}-alb-elb-5xx", f"{p}-alb-target-5xx"}
    names |= {f"{p}-alb-unhealthy-hosts-{tg}" for tg in ("rest", "grpc")}
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
    names.add(f"{p}-sfn-executions-failed-db-rotation-redeploy")
    names |= {f"{p}-backup-jobs-failed", f"{p}-backup-copy-jobs-failed"}
    return names


def test_alarm_set_is_complete_and_names_are_unique(deployment: Deployment) -> None:
    declared = [a.inputs["name"] for a in deployment.of_type(ALARM)]
    assert len(declared) == len(set(declared)), "alarm names must be unique per stack"
    assert set(declared) == _expected_names(deployment)
    assert len(declared) == (33 if deployment.stack == "prod" else 23)


def test_alarm_names_do_not_collide_across_stacks(staging: Deployment, prod: Deployment) -> None:
    assert not set(_alarms(staging)) & set(_alarms(prod))


def test_every_alarm_pages_and_recovers_through_the_topic(deployment: Deployment) -> None:
    arn = _topic_arn(deployment)
    for name, alarm in _alarms(deployment).items():
        assert alarm.inputs["alarmActions"] == [arn], name
        assert alarm.inputs["okActions"] == [arn], name
        assert alarm.inputs.get("actionsEnabled", True) is True, name


def test_every_alarm_matches_its_rule(deployment: Deployment) -> None:
    for name, alarm in _alarms(deployment).items():
        spec = _spec_of(deployment, alarm)
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


def test_a_blip_never_pages_and_an_outage_always_does() -> None:
    """Each rule needs >= 2 bad one-minute datapoints and decides within 5 minutes.

    A failed state-machine execution or backup job is an event, not a sample of a level: one
    pages. AWS Backup publishes its job metrics every 5 minutes, so its period is 300 s.
    """
    events = ("state-machine", "backup-vault")
    for spec in ALARMS:
        assert spec.period == (300 if spec.namespace == "AWS/Backup" else 60), spec.key
        floor = 1 if spec.target in events else 2
        assert floor <= spec.datapoints_to_alarm <= spec.evaluation_periods <= 5, spec.key
        # An absent metric means "down" only for liveness signals; error counts report nothing when fine.
        if spec.metric in ("RunningTaskCount",):
            assert spec.treat_missing_data == "breaching"
        if spec.metric.endswith(("_Count", "Failed")) or spec.metric == "Evictions":
            assert spec.treat_missing_data == "notBreaching"


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
        i = _alarm(deployment, f"{rule}-{svc}").inputs
        assert (i["namespace"], i["metricName"], i["statistic"]) == ("AWS/ECS", metric, "Average")
        assert i["dimensions"] == {"ClusterName": cluster, "ServiceName": svc}
        assert i["comparisonOperator"] == "GreaterThanThreshold" and i["threshold"] == threshold
        assert (i["period"], i["datapointsToAlarm"], i["evaluationPeriods"]) == (60, 3, 5)
        assert i["treatMissingData"] == "notBreaching"


def test_alb_response_time_is_p99_over_500ms(deployment: Deployment) -> None:
    i = _alarm(deployment, "alb-response-time").inputs
    assert (i["namespace"], i["metricName"]) == ("AWS/ApplicationELB", "TargetResponseTime")
    assert i["dimensions"] == {"LoadBalancer": _lb_suffix(deployment)}
    assert i["extendedStatistic"] == "p99" and i["evaluateLowSampleCountPercentiles"] == "ignore"
    assert i["threshold"] == 0.5 and i["comparisonOperator"] == "GreaterThanThreshold"
    assert (i["period"], i["datapointsToAlarm"], i["evaluationPeriods"]) == (60, 3, 5)
    assert i["treatMissingData"] == "notBreaching"


@pytest.mark.parametrize(
    ("rule", "metric"),
    [("alb-elb-5xx", "HTTPCode_ELB_5XX_Count"), ("alb-target-5xx", "HTTPCode_Target_5XX_Count")],
)
def test_alb_5xx_over_10_per_minute(deployment: Deployment, rule: str, metric: str) -> None:
    i = _alarm(deployment, rule).inputs
    assert (i["namespace"], i["metricName"], i["statistic"]) == ("AWS/ApplicationELB", metric, "Sum")
    assert i["dimensions"] == {"LoadBalancer": _lb_suffix(deployment)}
    assert i["period"] == 60 and i["threshold"] == 10 and i["comparisonOperator"] == "GreaterThanThreshold"
    assert i["treatMissingData"] == "notBreaching"


@pytest.mark.parametrize(("klass", "expected"), sorted(EXPECTED_MAX_CONNECTIONS.items()))
def test_max_connections_for_every_supported_class(klass: str, expected: int) -> None:
    gib = catalog.AURORA_INSTANCE_MEMORY_GIB[klass]
    assert catalog.aurora_max_connections(klass) == expected
    assert expected == min(gib * 1024**3 // 9_531_392, 5000)


def test_every_catalog_class_has_a_worked_max_connections() -> None:
    assert set(EXPECTED_MAX_CONNECTIONS) == set(catalog.AURORA_INSTANCE_MEMORY_GIB)
    with pytest.raises(ValueError, match="unknown Aurora instance class"):
        catalog.aurora_max_connections("db.m5.large")


def test_rds_connections_alarm_is_80_percent_of_each_instance_class(deployment: Deployment) -> None:
    instances = deployment.of_type(INSTANCE)
    assert len(instances) == (2 if deployment.stack == "prod" else 1)
    for n, inst in enumerate(sorted(instances, key=lambda r: r.inputs["identifier"]), start=1):
        ident, klass = inst.inputs["identifier"], inst.inputs["instanceClass"]
        assert ident == f"arbiter-{deployment.stack}-aurora-{n}"
        i = _alarm(deployment, f"aurora-connections-{n}").inputs
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
        i = _alarm(deployment, f"ecs-running-tasks-{svc}").inputs
        assert (i["namespace"], i["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
        assert i["dimensions"] == {"ClusterName": cluster.inputs["name"], "ServiceName": svc}
        assert i["comparisonOperator"] == "LessThanThreshold"
        assert i["threshold"] == RUNNING_FLOOR[deployment.stack][svc]
        assert i["treatMissingData"] == "breaching"
    trader = _alarm(deployment, "ecs-running-tasks-trading-core").inputs
    assert (trader["datapointsToAlarm"], trader["evaluationPeriods"]) == (2, 2)
    for svc in ("telegram-bot", "web-api"):
        other = _alarm(deployment, f"ecs-running-tasks-{svc}").inputs
        assert (other["datapointsToAlarm"], other["evaluationPeriods"]) == (3, 5)
        assert trader["evaluationPeriods"] * trader["period"] < other["evaluationPeriods"] * other["period"]


def test_unhealthy_hosts_per_target_group(deployment: Deployment) -> None:
    groups = {tg.inputs["name"]: tg for tg in deployment.of_type(TARGET_GROUP)}
    assert len(groups) == 2
    for key in ("rest", "grpc"):
        [tg] = [g for n, g in groups.items() if n.endswith(f"-web-{key}")]
        i = _alarm(deployment, f"alb-unhealthy-hosts-{key}").inputs
        assert (i["namespace"], i["metricName"], i["statistic"]) == (
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            "Maximum",
        )
        assert i["dimensions"] == {
            "TargetGroup": tg.outputs["arnSuffix"],
            "LoadBalancer": _lb_suffix(deployment),
        }
        assert i["comparisonOperator"] == "GreaterThanOrEqualToThreshold" and i["threshold"] == 1


def test_aurora_cpu_and_freeable_memory_per_instance(deployment: Deployment) -> None:
    for n, inst in enumerate(sorted(deployment.of_type(INSTANCE), key=lambda r: r.inputs["identifier"]), 1):
        dims = {"DBInstanceIdentifier": inst.inputs["identifier"]}
        cpu = _alarm(deployment, f"aurora-cpu-{n}").inputs
        assert (cpu["metricName"], cpu["dimensions"], cpu["threshold"]) == ("CPUUtilization", dims, 80)
        assert cpu["treatMissingData"] == "breaching"
        mem = _alarm(deployment, f"aurora-freeable-memory-{n}").inputs
        gib = catalog.AURORA_INSTANCE_MEMORY_GIB[inst.inputs["instanceClass"]]
        assert (mem["metricName"], mem["dimensions"]) == ("FreeableMemory", dims)
        assert mem["comparisonOperator"] == "LessThanThreshold"
        assert mem["threshold"] == pytest.approx(0.1 * gib * GIB)


def test_replica_lag_only_for_readers_in_prod(staging: Deployment, prod: Deployment) -> None:
    assert not [n for n in _alarms(staging) if "replica-lag" in n]
    i = _alarm(prod, "aurora-replica-lag").inputs
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
            i = _alarm(deployment, f"{rule}-{n:03d}").inputs
            assert (i["namespace"], i["metricName"]) == ("AWS/ElastiCache", metric)
            assert i["dimensions"] == {"CacheClusterId": member}
            assert i["threshold"] == threshold and i["comparisonOperator"] == "GreaterThanThreshold"
            assert i["treatMissingData"] == missing


# --- topic, subscriptions, dashboard, wiring ------------------------------------------------------


def test_topic_is_encrypted_with_the_stack_key(deployment: Deployment) -> None:
    topic = deployment.one(TOPIC)
    assert topic.inputs["name"] == f"arbiter-{deployment.stack}-alerts"
    assert (
        topic.inputs["kmsMasterKeyId"]
        == deployment.one(KMS_KEY, f"arbiter-{deployment.stack}-key-key").outputs["arn"]
    )


def test_topic_policy_lets_only_this_accounts_alarms_and_rds_events_publish(deployment: Deployment) -> None:
    arn = _topic_arn(deployment)
    policy = deployment.one(TOPIC_POLICY)
    assert policy.inputs["arn"] == arn
    statements = json.loads(policy.inputs["policy"])["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == {
        "cloudwatch.amazonaws.com",
        "events.rds.amazonaws.com",
    }
    [rds] = [s for s in allows if s["Principal"] == {"Service": "events.rds.amazonaws.com"}]
    assert rds["Condition"]["ArnLike"]["aws:SourceArn"] == [
        f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:{kind}:arbiter-{deployment.stack}-*"
        for kind in ("es", "cluster", "db")
    ]
    [allow] = [s for s in allows if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == ["SNS:Publish"] and allow["Resource"] == [arn]
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert allow["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:arbiter-{deployment.stack}-*"
    }
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [arn]


def test_key_policy_lets_cloudwatch_use_the_key_for_the_topic(deployment: Deployment) -> None:
    statements = json.loads(deployment.one(KMS_KEY, f"arbiter-{deployment.stack}-key-key").inputs["policy"])[
        "Statement"
    ]
    cw = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert cw and {"kms:Decrypt", "kms:GenerateDataKey"} <= set(cw[0]["Action"])


def test_subscriptions_are_the_configured_addresses(staging: Deployment, prod: Deployment) -> None:
    assert staging.of_type(SUBSCRIPTION) == []
    assert stack_sections("staging")["monitoring"]["alertEmails"] == []
    configured = stack_sections("prod")["monitoring"]["alertEmails"]
    subs = prod.of_type(SUBSCRIPTION)
    assert configured and sorted(s.inputs["endpoint"] for s in subs) == sorted(configured)
    for s in subs:
        assert s.inputs["protocol"] == "email" and s.inputs["topic"] == _topic_arn(prod)


def test_repeated_alert_address_is_refused() -> None:
    raw = {"region": "us-east-1", "accountId": "123456789012", **stack_sections("prod")}
    raw["monitoring"]["alertEmails"] = ["oncall@arbiter-bot.dev", "OnCall@arbiter-bot.dev"]
    with pytest.raises(ConfigError, match=r"arbiter:monitoring\.alertEmails.*must not repeat"):
        parse_stack_config(raw)


def test_dashboard_shows_every_alarmed_metric(deployment: Deployment) -> None:
    dash = deployment.one(DASHBOARD)
    assert dash.inputs["dashboardName"] == f"arbiter-{deployment.stack}"
    body = json.loads(dash.inputs["dashboardBody"])
    shown: list[tuple[str, str, dict[str, Any]]] = []
    for widget in body["widgets"]:
        assert widget["properties"]["region"] == REGION
        for m in widget["properties"]["metrics"]:
            dims = dict(zip(m[2:-1:2], m[3:-1:2], strict=True))
            shown.append((m[0], m[1], dims))
    for name, alarm in _alarms(deployment).items():
        i = alarm.inputs
        assert (i["namespace"], i["metricName"], i["dimensions"]) in shown, name
    # Real names and arn suffixes, not unresolved placeholders.
    assert _lb_suffix(deployment) in dash.inputs["dashboardBody"]


def test_component_wiring_and_exports(deployment: Deployment) -> None:
    [component] = deployment.of_type("arbiter:monitoring:Monitoring")
    assert component.name == f"arbiter-{deployment.stack}-monitoring"
    owned = deployment.children(component)
    assert {r.type for r in owned} >= {TOPIC, TOPIC_POLICY, ALARM, DASHBOARD}
    assert len([r for r in owned if r.type == ALARM]) == len(deployment.of_type(ALARM))
    assert all(str(r.provider).endswith("-aws-monitoring") for r in owned)
    assert deployment.outputs["alertTopicArn"] == _topic_arn(deployment)
    assert deployment.outputs["dashboardName"] == f"arbiter-{deployment.stack}"


# --- log groups --------------------------------------------------------------------------------


def test_every_log_group_has_retention_and_the_stack_key(deployment: Deployment) -> None:
    key_arn = deployment.one(KMS_KEY, f"arbiter-{deployment.stack}-key-key").outputs["arn"]
    groups = {g.inputs["name"]: g for g in deployment.of_type(LOG_GROUP)}
    p = f"arbiter-{deployment.stack}"
    # Flow logs, Aurora export, Redis slow log, ECS Exec and one per service, at least.
    expected = {
        f"/aws/vpc/{p}/flow-logs",
        f"/aws/rds/cluster/{p}-aurora/postgresql",
        f"/aws/elasticache/{p}/slow-log",
        f"/ecs/{p}/exec",
    } | {f"/ecs/{p}-{svc}" for svc in SERVICES}
    assert expected <= set(groups)
    for name, group in groups.items():
        assert group.inputs.get("retentionInDays") in catalog.LOG_RETENTION_DAYS, name
        assert group.inputs.get("kmsKeyId") == key_arn, name


def test_service_log_groups_have_the_seed_retention(deployment: Deployment) -> None:
    groups = {g.inputs["name"]: g for g in deployment.of_type(LOG_GROUP)}
    for svc, days in SEED_RETENTION.items():
        assert groups[f"/ecs/arbiter-{deployment.stack}-{svc}"].inputs["retentionInDays"] == days


# --- docs --------------------------------------------------------------------------------------


def test_docs_table_is_the_alarm_table() -> None:
    doc = Path(PROJECT_DIR / "docs" / "monitoring.md").read_text()
    assert alarm_table_markdown() in doc
    assert len(alarm_table_markdown().splitlines()) == len(ALARMS) + 2


def test_a_failed_rotation_redeploy_pages(deployment: Deployment) -> None:
    """The state machine that redeploys after a master-secret rotation: any failed run pages at once."""
    alarm = _alarm(deployment, "sfn-executions-failed-db-rotation-redeploy")
    machine = deployment.one("aws:sfn/stateMachine:StateMachine")
    assert alarm.inputs["namespace"] == "AWS/States"
    assert alarm.inputs["metricName"] == "ExecutionsFailed"
    assert alarm.inputs["dimensions"] == {"StateMachineArn": machine.outputs["arn"]}
    assert alarm.inputs["statistic"] == "Sum"
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["threshold"] == 0
    assert alarm.inputs["evaluationPeriods"] == alarm.inputs["datapointsToAlarm"] == 1
    assert alarm.inputs["treatMissingData"] == "notBreaching"
    assert alarm.inputs["alarmActions"] == [_topic_arn(deployment)]


def test_failed_backup_and_copy_jobs_page_for_this_stacks_vault(deployment: Deployment) -> None:
    topic = _topic_arn(deployment)
    for key, metric in (
        ("backup-jobs-failed", "NumberOfBackupJobsFailed"),
        ("backup-copy-jobs-failed", "NumberOfCopyJobsFailed"),
    ):
        alarm = _alarm(deployment, key).inputs
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Backup", metric)
        # Per vault: the other stack's jobs in the same account must not page here.
        assert alarm["dimensions"] == {"BackupVaultName": f"arbiter-{deployment.stack}-backup"}
        assert alarm["comparisonOperator"] == "GreaterThanThreshold" and alarm["threshold"] == 0
        assert alarm["alarmActions"] == [topic]


def test_rds_events_of_the_cluster_and_every_instance_reach_the_alert_topic(deployment: Deployment) -> None:
    topic = _topic_arn(deployment)
    subs = {
        s.inputs["sourceType"]: s.inputs
        for s in deployment.of_type("aws:rds/eventSubscription:EventSubscription")
    }
    assert set(subs) == {"db-cluster", "db-instance"}
    assert all(s["snsTopic"] == topic for s in subs.values())
    assert subs["db-cluster"]["sourceIds"] == [f"arbiter-{deployment.stack}-aurora"]
    instances = 2 if deployment.stack == "prod" else 1
    assert subs["db-instance"]["sourceIds"] == [
        f"arbiter-{deployment.stack}-aurora-{i}" for i in range(1, instances + 1)
    ]
    assert {"failover", "failure", "maintenance"} <= set(subs["db-cluster"]["eventCategories"])
    assert "low storage" in subs["db-instance"]["eventCategories"]
    # RDS publishes only if both the topic policy and the topic's CMK let events.rds.amazonaws.com in.
    policy = json.loads(deployment.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    rds = [st for st in policy["Statement"] if st.get("Principal") == {"Service": "events.rds.amazonaws.com"}]
    assert rds and rds[0]["Effect"] == "Allow" and rds[0]["Action"] == ["SNS:Publish"]
    assert rds[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID
    key = deployment.one("aws:kms/key:Key", f"arbiter-{deployment.stack}-key-key")
    assert deployment.one(TOPIC).inputs["kmsMasterKeyId"] == key.outputs["arn"]
    key_policy = json.loads(key.inputs["policy"])
    assert any(
        st.get("Principal") == {"Service": "events.rds.amazonaws.com"}
        and "kms:GenerateDataKey" in st["Action"]
        for st in key_policy["Statement"]
    )
