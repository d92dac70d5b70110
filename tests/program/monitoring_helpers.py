"""Constants and lookups shared by the whole-program monitoring tests.

Values the seed fixes (80%, 85%, 500 ms, 10/min, 30/14-day retention) are written out in the
tests, not read from `ALARMS`, so a wrong row in the table fails a test instead of confirming itself.
"""

from __future__ import annotations

from arbiter_infra.application import SERVICES
from arbiter_tools.runtime import ACCOUNT_ID, REGION, DeclaredResource, Deployment
from components.alarms import ALARMS, AlarmSpec

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


def alarms_of(d: Deployment) -> dict[str, DeclaredResource]:
    return {a.inputs["name"]: a for a in d.of_type(ALARM)}


def alarm_of(d: Deployment, key: str) -> DeclaredResource:
    return alarms_of(d)[f"arbiter-{d.stack}-{key}"]


def topic_arn(d: Deployment) -> str:
    arn = d.one(TOPIC).outputs["arn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:arbiter-{d.stack}-alerts"
    return str(arn)


def lb_suffix(d: Deployment) -> str:
    return str(d.one(LB).outputs["arnSuffix"])


def spec_of(d: Deployment, alarm: DeclaredResource) -> AlarmSpec:
    """The table row an alarm came from (its name is `arbiter-<env>-<rule key>[-<target>]`)."""
    key = alarm.inputs["name"].removeprefix(f"arbiter-{d.stack}-")
    rows = [s for s in ALARMS if key == s.key or key.startswith(f"{s.key}-")]
    assert len({s.key for s in rows}) == 1, f"{key} matches rules {[s.key for s in rows]}"
    target = key.removeprefix(rows[0].key).lstrip("-")
    steady = SERVICES[target].steady_capacity if target in SERVICES else None
    [spec] = [s for s in rows if s.steady_capacity in (None, steady)]
    return spec
