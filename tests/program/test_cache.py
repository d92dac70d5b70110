"""ElastiCache Redis in both stacks: size, placement, TLS and RBAC users (one per service, default off), their secrets, snapshots, slow log."""

from __future__ import annotations

import json

import yaml

from arbiter_infra import redis_acl
from arbiter_tools.runtime import PROJECT_DIR, Deployment, run_program
from policies.offline import evaluate
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

USER = "aws:elasticache/user:User"
USER_GROUP = "aws:elasticache/userGroup:UserGroup"


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


def test_redis_encryption_and_rbac_without_an_auth_token(deployment: Deployment) -> None:
    g = deployment.one(GROUP)
    assert g.inputs["transitEncryptionEnabled"] is True
    assert g.inputs["transitEncryptionMode"] == "required"
    assert g.inputs["atRestEncryptionEnabled"] is True
    assert g.inputs["kmsKeyId"] == key_arn(deployment)
    group = deployment.one(USER_GROUP)
    assert g.inputs["userGroupIds"] == [group.inputs["userGroupId"]] == [f"arbiter-{deployment.stack}-redis"]
    assert "authToken" not in g.inputs
    assert g.inputs["authTokenUpdateStrategy"] == "DELETE"
    assert "redisAuthSecretArn" not in deployment.outputs


def test_redis_user_per_service_with_the_access_its_stack_section_gives(deployment: Deployment) -> None:
    env = deployment.stack
    users = {u.inputs["userId"]: u for u in deployment.of_type(USER)}
    services = json.loads(deployment.config["arbiter:services"])
    using = {
        svc: section
        for svc, section in services.items()
        if isinstance(section, dict) and section.get("usesRedis")
    }
    assert len(using) == 3
    for key, section in using.items():
        svc = {"tradingCore": "trading-core", "telegramBot": "telegram-bot", "webApi": "web-api"}[key]
        user = users[f"arbiter-{env}-{svc}"]
        access = section["redisAccess"]
        assert user.inputs["accessString"] == redis_acl.access_string(
            access["keys"], access.get("readKeys", []), access["commands"]
        )
        assert user.inputs["userName"] == f"arbiter-{env}-{svc}"
        assert user.protect is (env == "prod")
    default = users[f"arbiter-{env}-default"]
    assert (default.inputs["userName"], default.inputs["accessString"]) == ("default", "off -@all")
    assert sorted(deployment.one(USER_GROUP).inputs["userIds"]) == sorted(users)


def test_redis_user_secrets(deployment: Deployment) -> None:
    env = deployment.stack
    arns = deployment.outputs["redisUserSecretArns"]
    assert set(arns) == {"trading-core", "telegram-bot", "web-api"}
    passwords = {p.name: p.outputs["result"] for p in deployment.of_type(PASSWORD)}
    for svc, arn in arns.items():
        s = secret(deployment, f"arbiter-{env}/redis-{svc}")
        assert s.outputs["arn"] == arn
        assert s.inputs["kmsKeyId"] == key_arn(deployment)
        assert s.inputs["recoveryWindowInDays"] == EXPECTED[env]["window"]
        (version,) = versions_of(deployment, s)
        assert json.loads(version.inputs["secretString"]) == {
            "username": f"arbiter-{env}-{svc}",
            "password": passwords[f"arbiter-{env}-cache-{svc}-password"],
        }
        assert "secretString" in version.secret_inputs
        # The service reads both keys from its own secret, per key.
        assert {f"{arn}:username::", f"{arn}:password::"} <= injected(deployment)


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


def test_migration_step_keeps_the_old_token_as_the_default_users_password() -> None:
    """`cache.legacyAuthToken` (docs/redis-access.md, step 1): tasks still sending the token keep
    working as the default user, limited to the services' union; the pack says the default is on."""
    cache = {**yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["arbiter:cache"]}
    d = run_program("prod", config_overrides={"cache": {**cache, "legacyAuthToken": True}})
    token = d.one(PASSWORD, "arbiter-prod-cache-auth-token").outputs["result"]
    auth = secret(d, "arbiter-prod/redis-auth")
    assert auth.protect is False and d.outputs["redisAuthSecretArn"] == auth.outputs["arn"]
    default = next(u for u in d.of_type(USER) if u.inputs["userName"] == "default")
    assert default.inputs["authenticationMode"]["passwords"] == [token]
    by_id = {u.inputs["userId"]: u.inputs["accessString"] for u in d.of_type(USER)}
    services = [by_id[f"arbiter-prod-{svc}"] for svc in ("trading-core", "telegram-bot", "web-api")]
    assert default.inputs["accessString"] == redis_acl.union(services)
    g = d.one(GROUP).inputs
    assert "authToken" not in g and g["authTokenUpdateStrategy"] == "DELETE" and g["userGroupIds"]
    # No task receives the token any more: only the default user (old tasks) accepts it.
    assert not any(":auth_token::" in v for v in injected(d))
    fired = {v.policy for v in evaluate(d)}
    assert "redis-default-user-disabled" in fired
    assert not fired & {"redis-rbac-users", "redis-user-least-privilege"}
