"""Aurora and Redis alone: the typed connections the service tier receives, resolved."""

from __future__ import annotations

import json
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


#: Two clients' access strings (as `redis_acl.access_string` writes them).
USERS = {
    "engine": "on ~quota:* -@all +@string -@dangerous",
    "chat": "on ~chat:* -@all +@hash -@dangerous",
}


def _redis(naming: Naming, config: CacheConfig = CACHE) -> None:
    cache = Redis(
        naming("cache"),
        RedisArgs(
            config=config,
            naming=naming,
            is_prod=False,
            availability_zones=AZS,
            subnet_ids=["subnet-a", "subnet-b"],
            security_group_id="sg-cache",
            kms_key_arn=KEY_ARN,
            secret_recovery_window_days=7,
            users=USERS,
        ),
    )
    pulumi.export(
        "connection",
        {**_as_dict(cache.connection), "users": {k: _as_dict(v) for k, v in cache.connection.users.items()}},
    )
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
        "master_username": "appuser",
    }
    assert ".cluster-ro-" in conn["reader_endpoint"]
    assert conn["master_secret_arn"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert ":secret:rds!cluster-" in conn["master_secret_arn"]
    assert conn["cluster_resource_id"].startswith("cluster-")
    assert d.outputs["attributes"] == ["arbiter-unit-aurora", "appdb", ["db.t4g.medium"] * 2]
    logs = d.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/rds/cluster/arbiter-unit-aurora/postgresql"


def test_redis_connection_is_the_primary_and_each_clients_own_secret(build: Build, naming: Naming) -> None:
    d = build(lambda: _redis(naming))
    group = d.one("aws:elasticache/replicationGroup:ReplicationGroup").outputs
    secrets = {s.inputs["name"]: s.outputs["arn"] for s in d.of_type("aws:secretsmanager/secret:Secret")}
    assert set(secrets) == {"arbiter-unit/redis-engine", "arbiter-unit/redis-chat"}
    assert d.outputs["connection"] == {
        "primary_endpoint": group["primaryEndpointAddress"],
        "port": 6379,
        "users": {
            client: {
                "user_id": f"arbiter-unit-{client}",
                "secret_arn": secrets[f"arbiter-unit/redis-{client}"],
                "username_value_from": f"{secrets[f'arbiter-unit/redis-{client}']}:username::",
                "password_value_from": f"{secrets[f'arbiter-unit/redis-{client}']}:password::",
            }
            for client in USERS
        },
    }
    assert d.outputs["readerEndpoint"] == group["readerEndpointAddress"]


def _users(d: Any) -> dict[str, Any]:
    return {u.inputs["userId"]: u for u in d.of_type("aws:elasticache/user:User")}


def test_redis_user_per_client_with_its_access_string_and_first_password(
    build: Build, naming: Naming
) -> None:
    d = build(lambda: _redis(naming))
    users = _users(d)
    passwords = {p.name: p for p in d.of_type("random:index/randomPassword:RandomPassword")}
    for client, access in USERS.items():
        user = users[f"arbiter-unit-{client}"]
        assert user.inputs["userName"] == f"arbiter-unit-{client}"
        assert user.inputs["engine"] == "redis"
        assert user.inputs["accessString"] == access
        password = passwords[f"arbiter-unit-cache-{client}-password"]
        assert password.inputs["length"] == 64 and password.inputs["special"] is False
        assert user.inputs["authenticationMode"] == {
            "type": "password",
            "passwords": [password.outputs["result"]],
        }
        assert "authenticationMode" in user.secret_inputs
        # Rotation (the runbook) owns later passwords: the program never puts the first one back.
        assert user.ignore_changes == ("authenticationMode",)
        [secret] = [
            s
            for s in d.of_type("aws:secretsmanager/secret:Secret")
            if s.inputs["name"] == f"arbiter-unit/redis-{client}"
        ]
        assert secret.inputs["kmsKeyId"] == KEY_ARN
        [version] = [
            v
            for v in d.of_type("aws:secretsmanager/secretVersion:SecretVersion")
            if v.inputs["secretId"] == secret.id
        ]
        assert json.loads(version.inputs["secretString"]) == {
            "username": f"arbiter-unit-{client}",
            "password": password.outputs["result"],
        }
        assert "secretString" in version.secret_inputs
        assert version.ignore_changes == ("secretString",)


def test_redis_default_user_off_and_the_group_on_the_replication_group(build: Build, naming: Naming) -> None:
    d = build(lambda: _redis(naming))
    default = _users(d)["arbiter-unit-default"]
    assert default.inputs["userName"] == "default"
    assert default.inputs["accessString"] == "off -@all"
    assert default.inputs["authenticationMode"]["type"] == "password"
    group = d.one("aws:elasticache/userGroup:UserGroup").inputs
    assert group["userGroupId"] == "arbiter-unit-redis"
    assert sorted(group["userIds"]) == ["arbiter-unit-chat", "arbiter-unit-default", "arbiter-unit-engine"]
    rg = d.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert rg["userGroupIds"] == ["arbiter-unit-redis"]
    assert "authToken" not in rg
    assert rg["authTokenUpdateStrategy"] == "DELETE"
    assert not [
        s for s in d.of_type("aws:secretsmanager/secret:Secret") if s.inputs["name"].endswith("redis-auth")
    ]


def test_redis_legacy_auth_token_is_the_default_users_password_limited_to_the_clients_union(
    build: Build, naming: Naming
) -> None:
    legacy = CACHE.model_copy(update={"legacy_auth_token": True})
    d = build(lambda: _redis(naming, legacy))
    token = next(
        p
        for p in d.of_type("random:index/randomPassword:RandomPassword")
        if p.name == "arbiter-unit-cache-auth-token"
    )
    default = _users(d)["arbiter-unit-default"]
    assert default.inputs["authenticationMode"]["passwords"] == [token.outputs["result"]]
    assert default.inputs["accessString"] == (
        "on ~quota:* -@all +@string -@dangerous (~chat:* -@all +@hash -@dangerous)"
    )
    [auth] = [
        s
        for s in d.of_type("aws:secretsmanager/secret:Secret")
        if s.inputs["name"] == "arbiter-unit/redis-auth"
    ]
    assert auth.protect is False  # the migration's last step deletes it, in prod too
    rg = d.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert "authToken" not in rg and rg["authTokenUpdateStrategy"] == "DELETE"
