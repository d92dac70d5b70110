"""Aurora and Redis alone: the typed connections the service tier receives, resolved."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pulumi

from arbiter_infra.config import CacheConfig, DatabaseConfig
from arbiter_infra.naming import Naming
from components.cache import Redis, RedisArgs
from components.database import Aurora, AuroraArgs
from tests.components.conftest import Build

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/unit"
AZS = ["us-east-1a", "us-east-1b"]
DATABASE = DatabaseConfig.model_validate(
    {
        "engineVersion": "16",
        "instanceClass": "db.t4g.medium",
        "instanceCount": 2,
        "databaseName": "appdb",
        "masterUsername": "appuser",
        "backupRetentionDays": 7,
        "backupWindow": "03:00-04:00",
        "maintenanceWindow": "sun:05:00-sun:06:00",
        "performanceInsightsRetentionDays": 7,
        "monitoringIntervalSeconds": 60,
        "logRetentionDays": 14,
    }
)
CACHE = CacheConfig.model_validate(
    {
        "engine": "redis",
        "engineVersion": "7",
        "nodeType": "cache.t4g.micro",
        "numNodes": 2,
        "automaticFailover": True,
        "multiAz": True,
        "snapshotRetentionDays": 1,
        "snapshotWindow": "02:00-03:00",
        "maintenanceWindow": "sun:06:00-sun:07:00",
        "logRetentionDays": 14,
    }
)


def _as_dict(connection: Any) -> dict[str, Any]:
    """The connection's fields (Outputs included, which `dataclasses.asdict` would deep-copy)."""
    return {f.name: getattr(connection, f.name) for f in fields(connection)}


def _aurora(naming: Naming) -> None:
    db = Aurora(
        naming("database"),
        AuroraArgs(
            config=DATABASE,
            naming=naming,
            is_prod=False,
            availability_zones=AZS,
            subnet_ids=["subnet-a", "subnet-b"],
            security_group_id="sg-db",
            kms_key_arn=KEY_ARN,
            account_id=ACCOUNT,
        ),
    )
    pulumi.export("connection", _as_dict(db.connection))
    pulumi.export("attributes", [db.cluster_identifier, db.database_name, db.instance_classes])


def _redis(naming: Naming) -> None:
    cache = Redis(
        naming("cache"),
        RedisArgs(
            config=CACHE,
            naming=naming,
            is_prod=False,
            availability_zones=AZS,
            subnet_ids=["subnet-a", "subnet-b"],
            security_group_id="sg-cache",
            kms_key_arn=KEY_ARN,
            secret_recovery_window_days=7,
        ),
    )
    pulumi.export("connection", _as_dict(cache.connection))
    pulumi.export("readerEndpoint", cache.reader_endpoint)


def test_aurora_connection_is_the_clusters_endpoints_secret_and_user(build: Build, naming: Naming) -> None:
    d = build(lambda: _aurora(naming))
    cluster = d.one("aws:rds/cluster:Cluster").outputs
    conn: dict[str, Any] = d.outputs["connection"]
    assert conn == {
        "endpoint": cluster["endpoint"],
        "reader_endpoint": cluster["readerEndpoint"],
        "port": 5432,
        "database_name": "appdb",
        "master_secret_arn": cluster["masterUserSecrets"][0]["secretArn"],
        "cluster_resource_id": cluster["clusterResourceId"],
        "username": "appuser",
    }
    assert ".cluster-ro-" in conn["reader_endpoint"]
    assert conn["master_secret_arn"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert ":secret:rds!cluster-" in conn["master_secret_arn"]
    assert conn["cluster_resource_id"].startswith("cluster-")
    assert d.outputs["attributes"] == ["arbiter-unit-aurora", "appdb", ["db.t4g.medium"] * 2]
    logs = d.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/rds/cluster/arbiter-unit-aurora/postgresql"


def test_redis_connection_is_the_primary_and_its_auth_secret(build: Build, naming: Naming) -> None:
    d = build(lambda: _redis(naming))
    group = d.one("aws:elasticache/replicationGroup:ReplicationGroup").outputs
    secret = d.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == "arbiter-unit/redis-auth"
    arn = secret.outputs["arn"]
    assert d.outputs["connection"] == {
        "primary_endpoint": group["primaryEndpointAddress"],
        "port": 6379,
        "auth_secret_arn": arn,
        "auth_value_from": f"{arn}:auth_token::",
    }
    assert d.outputs["readerEndpoint"] == group["readerEndpointAddress"]
