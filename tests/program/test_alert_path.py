"""The alert path in both stacks: topic, its policy and key, subscriptions, RDS events, dashboard, log groups."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra import catalog
from arbiter_infra.config import ConfigError, parse_stack_config
from arbiter_tools.runtime import ACCOUNT_ID, REGION, Deployment
from tests.conftest import stack_sections
from tests.program.monitoring_helpers import (
    ALARM,
    DASHBOARD,
    KMS_KEY,
    LOG_GROUP,
    SEED_RETENTION,
    SERVICES,
    SUBSCRIPTION,
    TOPIC,
    TOPIC_POLICY,
    alarm_of,
    alarms_of,
    lb_suffix,
    topic_arn,
)

# --- topic, subscriptions, dashboard, wiring ------------------------------------------------------


def test_topic_is_encrypted_with_the_stack_key(deployment: Deployment) -> None:
    topic = deployment.one(TOPIC)
    assert topic.inputs["name"] == f"arbiter-{deployment.stack}-alerts"
    assert (
        topic.inputs["kmsMasterKeyId"]
        == deployment.one(KMS_KEY, f"arbiter-{deployment.stack}-key-key").outputs["arn"]
    )


def test_topic_policy_lets_only_this_accounts_alarms_and_rds_events_publish(deployment: Deployment) -> None:
    arn = topic_arn(deployment)
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
        assert s.inputs["protocol"] == "email" and s.inputs["topic"] == topic_arn(prod)


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
    for name, alarm in alarms_of(deployment).items():
        i = alarm.inputs
        assert (i["namespace"], i["metricName"], i["dimensions"]) in shown, name
    # Real names and arn suffixes, not unresolved placeholders.
    assert lb_suffix(deployment) in dash.inputs["dashboardBody"]


def test_component_wiring_and_exports(deployment: Deployment) -> None:
    [component] = deployment.of_type("arbiter:monitoring:Monitoring")
    assert component.name == f"arbiter-{deployment.stack}-monitoring"
    owned = deployment.children(component)
    assert {r.type for r in owned} >= {TOPIC, TOPIC_POLICY, ALARM, DASHBOARD}
    assert len([r for r in owned if r.type == ALARM]) == len(deployment.of_type(ALARM))
    assert all(str(r.provider).endswith("-aws-monitoring") for r in owned)
    assert deployment.outputs["alertTopicArn"] == topic_arn(deployment)
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


def test_failed_backup_and_copy_jobs_page_for_this_stacks_vault(deployment: Deployment) -> None:
    topic = topic_arn(deployment)
    for key, metric in (
        ("backup-jobs-failed", "NumberOfBackupJobsFailed"),
        ("backup-copy-jobs-failed", "NumberOfCopyJobsFailed"),
    ):
        alarm = alarm_of(deployment, key).inputs
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Backup", metric)
        # Per vault: the other stack's jobs in the same account must not page here.
        assert alarm["dimensions"] == {"BackupVaultName": f"arbiter-{deployment.stack}-backup"}
        assert alarm["comparisonOperator"] == "GreaterThanThreshold" and alarm["threshold"] == 0
        assert alarm["alarmActions"] == [topic]


def test_rds_events_of_the_cluster_and_every_instance_reach_the_alert_topic(deployment: Deployment) -> None:
    topic = topic_arn(deployment)
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
