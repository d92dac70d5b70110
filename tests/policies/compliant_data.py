"""Compliant data and its protection: KMS, Aurora, backups, Redis, secrets, log groups, topics, buckets."""

from __future__ import annotations

from policies.resource_types import (
    BACKUP_PLAN,
    BACKUP_SELECTION,
    BACKUP_VAULT,
    BACKUP_VAULT_LOCK,
    BUCKET_PAB,
    CACHE_USER,
    CACHE_USER_GROUP,
    KMS_KEY,
    LOG_GROUP,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    RDS_EVENT_SUBSCRIPTION,
    REPLICATION_GROUP,
    SECRET,
    SECRET_ROTATION,
    TOPIC,
    TOPIC_POLICY,
)
from tests.policies.builder import (
    BACKUP_PLAN_ARN,
    BACKUP_RULE,
    BUCKET,
    BUCKET_SSE_CONFIG,
    CLUSTER_ARN,
    DB_SECRET_ARN,
    KEY_ARN,
    SECRET_ARN,
    TOPIC_ARN,
    StackBuilder,
    doc,
)


def add_data(b: StackBuilder) -> None:
    """Keys, Aurora with its backups and events, Redis, secrets, logs, topics and buckets."""
    b.add(
        KMS_KEY,
        "key",
        {"enableKeyRotation": True, "deletionWindowInDays": 30},
        arn=KEY_ARN,
        protect=True,
    )
    b.add(
        RDS_CLUSTER,
        "db",
        {
            "clusterIdentifier": "arbiter-prod-db",
            "engine": "aurora-postgresql",
            "port": 5433,
            "storageEncrypted": True,
            "kmsKeyId": KEY_ARN,
            "backupRetentionPeriod": 7,
            "deletionProtection": True,
            "iamDatabaseAuthenticationEnabled": True,
            "masterUsername": "arbiter",
            "copyTagsToSnapshot": True,
            "enabledCloudwatchLogsExports": ["postgresql"],
        },
        id_="arbiter-prod-db",
        protect=True,
    )
    b.get("db").outputs["arn"] = CLUSTER_ARN
    b.add(BACKUP_PLAN, "backup-plan", {"rules": [BACKUP_RULE]}, id_="plan-1", arn=BACKUP_PLAN_ARN)
    for vault in ("arbiter-prod-backup", "arbiter-prod-backup-us-west-2"):
        b.add(BACKUP_VAULT, vault, {"name": vault, "kmsKeyArn": KEY_ARN}, id_=vault, protect=True)
        lock = {"backupVaultName": vault, "minRetentionDays": 14, "maxRetentionDays": 14}
        b.add(BACKUP_VAULT_LOCK, f"{vault}-lock", lock, id_=vault, protect=True)
    b.add(
        BACKUP_SELECTION,
        "backup-selection",
        {
            "planId": "plan-1",
            "resources": [CLUSTER_ARN],
            "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
        },
    )
    b.add(
        RDS_EVENT_SUBSCRIPTION,
        "db-events",
        {
            "snsTopic": TOPIC_ARN,
            "sourceType": "db-cluster",
            "sourceIds": ["arbiter-prod-db"],
            "eventCategories": ["failover", "failure", "maintenance"],
        },
    )
    for i in (1, 2):
        b.add(
            RDS_CLUSTER_INSTANCE,
            f"db-{i}",
            {
                "clusterIdentifier": "arbiter-prod-db",
                "publiclyAccessible": False,
                "performanceInsightsEnabled": True,
                "performanceInsightsKmsKeyId": KEY_ARN,
            },
            protect=True,
        )
    b.add(
        REPLICATION_GROUP,
        "redis",
        {
            "port": 6380,
            "subnetGroupName": "arbiter-cache",
            "atRestEncryptionEnabled": True,
            "kmsKeyId": KEY_ARN,
            "transitEncryptionEnabled": True,
            "userGroupIds": ["arbiter-prod-redis"],
            "automaticFailoverEnabled": True,
            "multiAzEnabled": True,
            "snapshotRetentionLimit": 7,
        },
        protect=True,
    )
    b.add(
        CACHE_USER_GROUP,
        "redis-users",
        {
            "userGroupId": "arbiter-prod-redis",
            "engine": "redis",
            "userIds": ["arbiter-prod-default", "arbiter-prod-app"],
        },
    )
    b.add(
        CACHE_USER,
        "redis-default",
        {
            "userId": "arbiter-prod-default",
            "userName": "default",
            "accessString": "off -@all",
            "authenticationMode": {"type": "password"},
        },
    )
    b.add(
        CACHE_USER,
        "redis-app",
        {
            "userId": "arbiter-prod-app",
            "userName": "arbiter-prod-app",
            "accessString": "on ~session:* -@all +@connection +@string -@dangerous",
            "authenticationMode": {"type": "password"},
        },
    )
    b.add(
        SECRET,
        "trading-secret",
        {"kmsKeyId": KEY_ARN, "tags": {"Rotation": "external", "RotationReason": "Exchange-issued API keys"}},
        arn=SECRET_ARN,
        protect=True,
    )
    b.add(
        SECRET,
        "db-secret",
        {"kmsKeyId": KEY_ARN},
        arn=DB_SECRET_ARN,
        protect=True,
    )
    b.add(
        SECRET_ROTATION,
        "db-secret-rotation",
        {"secretId": DB_SECRET_ARN, "rotationRules": {"automaticallyAfterDays": 30}},
    )
    b.add(LOG_GROUP, "web-api-logs", {"kmsKeyId": KEY_ARN, "retentionInDays": 30})
    b.add(TOPIC, "alerts", {"kmsMasterKeyId": KEY_ARN}, arn=TOPIC_ARN)
    b.add(
        TOPIC_POLICY,
        "alerts-policy",
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": TOPIC_ARN,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "CloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": TOPIC_ARN,
                },
            ),
        },
    )
    b.add(BUCKET, "alb-logs", {"bucket": "arbiter-alb-logs"}, id_="arbiter-alb-logs")
    b.add(
        BUCKET_SSE_CONFIG,
        "alb-logs-sse",
        {
            "bucket": "arbiter-alb-logs",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        },
    )
    b.add(
        BUCKET_PAB,
        "alb-logs-pab",
        {
            "bucket": "arbiter-alb-logs",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    )
