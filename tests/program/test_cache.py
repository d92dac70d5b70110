"""ElastiCache Redis in both stacks: size, placement, TLS and AUTH, its token secret, snapshots, slow log."""

from __future__ import annotations

import json

from arbiter_tools.runtime import Deployment
from tests.program.data_tier_helpers import (
    EXPECTED,
    GROUP,
    LOG_GROUP,
    PASSWORD,
    database_subnet_ids,
    injected,
    key_arn,
    secret,
    sg_id,
    versions_of,
)


def test_redis_group_size_and_placement(deployment: Deployment) -> None:
    g = deployment.one(GROUP).inputs
    exp = EXPECTED[deployment.stack]
    assert g["replicationGroupId"] == f"arbiter-{deployment.stack}-redis"
    assert len(g["replicationGroupId"]) <= 40
    assert g["engine"] == "valkey"  # the shipped engine (README, "Design decisions")
    assert g["engineVersion"] == "8.0"
    assert deployment.one(GROUP).ignore_changes == ("engineVersion",)
    assert g["nodeType"] == exp["node"]
    assert g["numCacheClusters"] == exp["nodes"]
    azs = ["us-east-1a", "us-east-1b", "us-east-1c"][: exp["nodes"]]
    assert g["preferredCacheClusterAzs"] == azs
    prod = deployment.stack == "prod"
    assert g["automaticFailoverEnabled"] is prod
    assert g["multiAzEnabled"] is prod
    assert g["autoMinorVersionUpgrade"] is True


def test_redis_encryption_and_auth(deployment: Deployment) -> None:
    g = deployment.one(GROUP)
    assert g.inputs["transitEncryptionEnabled"] is True
    assert g.inputs["transitEncryptionMode"] == "required"
    assert g.inputs["atRestEncryptionEnabled"] is True
    assert g.inputs["kmsKeyId"] == key_arn(deployment)
    pw = deployment.one(PASSWORD)
    assert pw.inputs["length"] == 64 and pw.inputs["special"] is False
    token = pw.outputs["result"]
    assert len(token) == 64
    assert g.inputs["authToken"] == token
    assert "authToken" in g.secret_inputs
    assert g.inputs["authTokenUpdateStrategy"] == "ROTATE"


def test_redis_auth_secret(deployment: Deployment) -> None:
    env = deployment.stack
    auth = secret(deployment, f"arbiter-{env}/redis-auth")
    assert auth.inputs["kmsKeyId"] == key_arn(deployment)
    assert auth.inputs["recoveryWindowInDays"] == EXPECTED[env]["window"]
    (version,) = versions_of(deployment, auth)
    assert json.loads(version.inputs["secretString"]) == {
        "auth_token": deployment.one(PASSWORD).outputs["result"]
    }
    assert "secretString" in version.secret_inputs
    arn = auth.outputs["arn"]
    assert arn == deployment.outputs["redisAuthSecretArn"]
    # Every Redis user receives the token per key from this secret.
    assert f"{arn}:auth_token::" in injected(deployment)


def test_redis_parameters_snapshots_and_slow_log(deployment: Deployment) -> None:
    env = deployment.stack
    g = deployment.one(GROUP)
    pg = deployment.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert pg.inputs["family"] == "valkey8"
    assert g.inputs["parameterGroupName"] == pg.outputs["name"]
    assert g.inputs["snapshotRetentionLimit"] == EXPECTED[env]["snap"]
    assert g.inputs["snapshotWindow"] == "02:00-03:00"
    assert g.inputs["maintenanceWindow"] == "sun:06:00-sun:07:00"
    name = f"/aws/elasticache/arbiter-{env}/slow-log"
    group = next(lg for lg in deployment.of_type(LOG_GROUP) if lg.inputs["name"] == name)
    assert group.inputs["retentionInDays"] == 14
    assert group.inputs["kmsKeyId"] == key_arn(deployment)
    assert g.inputs["logDeliveryConfigurations"] == [
        {
            "destination": name,
            "destinationType": "cloudwatch-logs",
            "logFormat": "json",
            "logType": "slow-log",
        }
    ]


def test_redis_network_placement(deployment: Deployment) -> None:
    sg = deployment.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert sg.inputs["subnetIds"] == database_subnet_ids(deployment)
    g = deployment.one(GROUP).inputs
    assert g["subnetGroupName"] == sg.outputs["name"]
    assert g["securityGroupIds"] == [sg_id(deployment, "cache")]


def test_redis_protection_per_stack(staging: Deployment, prod: Deployment) -> None:
    assert prod.one(GROUP).protect is True
    assert prod.one(GROUP).inputs["finalSnapshotIdentifier"] == "arbiter-prod-redis-final"
    assert staging.one(GROUP).protect is False
    assert "finalSnapshotIdentifier" not in staging.one(GROUP).inputs


def test_redis_attributes_and_outputs(deployment: Deployment) -> None:
    g = deployment.one(GROUP).outputs
    out = deployment.outputs
    assert out["redisPrimaryEndpoint"] == g["primaryEndpointAddress"]
    assert out["redisReaderEndpoint"] == g["readerEndpointAddress"]
    assert out["redisPort"] == 6379
