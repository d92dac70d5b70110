"""Hand-made service configs and data-tier connections for the service-tier component tests."""

from __future__ import annotations

import json
from typing import Any

from arbiter_infra.config import ServiceConfig, ServicesConfig
from arbiter_tools.runtime import DeclaredResource, Deployment
from components.cache import CacheConnection, RedisUserSecret
from components.database import DatabaseConnection

ACCOUNT = "111122223333"
REGION = "us-east-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/unit"
MASTER_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!cluster-unit"


def redis_secret(client: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:arbiter-unit/redis-{client}"


#: A valid `redisAccess` for a service section that sets `usesRedis`.
REDIS_ACCESS = {"keys": ["unit:*"], "commands": ["@connection", "@string"]}
DATABASE = DatabaseConnection(
    endpoint="db.unit",
    reader_endpoint="db-ro.unit",
    port=5432,
    database_name="appdb",
    master_secret_arn=MASTER_SECRET,
    cluster_resource_id="cluster-UNIT",
    master_username="appmaster",
)
CACHE = CacheConnection(
    primary_endpoint="redis.unit",
    port=6379,
    users={
        client: RedisUserSecret(
            user_id=f"arbiter-unit-{client}",
            secret_arn=redis_secret(client),
            username_value_from=f"{redis_secret(client)}:username::",
            password_value_from=f"{redis_secret(client)}:password::",
        )
        for client in ("engine", "chat")
    },
)


def service_config(**overrides: Any) -> ServiceConfig:
    """A valid service section; `overrides` in the stack file's camelCase."""
    section: dict[str, Any] = {
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/some-repo:v1",
        "cpu": 256,
        "memory": 512,
        "desiredCount": 1,
        "port": 9000,
        "logRetentionDays": 14,
        "healthCheckCommand": ["CMD", "/bin/true"],
        "usesDatabase": False,
        "usesRedis": False,
        "user": "10001:10001",
        "stopTimeoutSeconds": 30,
    }
    section.update(overrides)
    if section["usesRedis"]:
        section.setdefault("redisAccess", REDIS_ACCESS)
    return ServiceConfig.model_validate(section)


def services_config(services: dict[str, ServiceConfig], **overrides: Any) -> ServicesConfig:
    """A `services` section; the three per-service sections are `services`' first three values."""
    a, b, c = services.values()
    section: dict[str, Any] = {
        "albDeletionProtection": False,
        "accessLogRetentionDays": 30,
        "paperTrade": True,
        "tradingCore": a,
        "telegramBot": b,
        "webApi": c,
    }
    section.update(overrides)
    return ServicesConfig.model_validate(section)


def container(d: Deployment, family: str | None = None) -> dict[str, Any]:
    """The single container of the (only, or `family`'s) task definition."""
    defs = [
        t
        for t in d.of_type("aws:ecs/taskDefinition:TaskDefinition")
        if family is None or t.inputs["family"] == family
    ]
    [td] = defs
    [c] = json.loads(td.inputs["containerDefinitions"])
    return c


def statements(policy: DeclaredResource) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
