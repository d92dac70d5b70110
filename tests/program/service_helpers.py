"""Constants and lookups shared by the whole-program service-tier tests.

Every expected value that AWS computes (ARNs, endpoints, cluster resource id) is read from the
mocked outputs of the resource that owns it, so a test only passes if the `apply` callbacks that
build task definitions and policies actually ran.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter_tools.runtime import DeclaredResource, Deployment

SERVICES = ("trading-core", "telegram-bot", "web-api")
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ACM_CERT = "aws:acm/certificate:Certificate"
TLS_KEY = "tls:index/privateKey:PrivateKey"
TLS_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"

#: Per environment: cpu, memory, count, log retention. Prod is the application's documented sizing;
#: staging (paper trading, one replica, low traffic) the smallest Fargate sizes that run it.
SIZES = {
    "prod": {
        "trading-core": (4096, 8192, 2, 30),
        "telegram-bot": (512, 1024, 1, 14),
        "web-api": (1024, 2048, 2, 14),
    },
    "staging": {
        "trading-core": (1024, 2048, 1, 30),
        "telegram-bot": (256, 512, 1, 14),
        "web-api": (512, 1024, 1, 14),
    },
}
EXCHANGE_ENV = {
    "POLY_PRIVATE_KEY": ("polymarket", "private_key"),
    "POLY_API_KEY": ("polymarket", "api_key"),
    "POLY_API_SECRET": ("polymarket", "api_secret"),
    "POLY_API_PASSPHRASE": ("polymarket", "passphrase"),
    "KALSHI_KEY_ID": ("kalshi", "key_id"),
    "KALSHI_PRIVATE_KEY": ("kalshi", "private_key"),
}
EXPECTED_SECRETS = {
    "trading-core": {*EXCHANGE_ENV, "REDIS_USERNAME", "REDIS_PASSWORD"},
    "telegram-bot": {"TELEGRAM_BOT_TOKEN", "REDIS_USERNAME", "REDIS_PASSWORD"},
    "web-api": {"REDIS_USERNAME", "REDIS_PASSWORD"},
}
EXPECTED_ENV = {
    "trading-core": {
        "RUST_LOG",
        "ARBITER_ENV",
        "ARBITER_PAPER_TRADE",
        "DATABASE_HOST",
        "DATABASE_READER_HOST",
        "DATABASE_PORT",
        "DATABASE_NAME",
        "DATABASE_USER",
        "DATABASE_SSLMODE",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_TLS",
    },
    "telegram-bot": {
        "RUST_LOG",
        "ARBITER_ENV",
        "ARBITER_PAPER_TRADE",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_TLS",
        "TRADING_CORE_GRPC_ADDR",
    },
    "web-api": {
        "RUST_LOG",
        "ARBITER_ENV",
        "ARBITER_PAPER_TRADE",
        "DATABASE_HOST",
        "DATABASE_READER_HOST",
        "DATABASE_PORT",
        "DATABASE_NAME",
        "DATABASE_USER",
        "DATABASE_SSLMODE",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_TLS",
        "TRADING_CORE_GRPC_ADDR",
    },
}
USES_DATABASE = ("trading-core", "web-api")


def env_of(d: Deployment) -> str:
    return d.stack


def service(d: Deployment, svc: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(ECS_SERVICE) if r.inputs["name"] == svc]
    return found


def task_def(d: Deployment, svc: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(TASK_DEF) if r.inputs["family"] == f"arbiter-{env_of(d)}-{svc}"]
    return found


def container(d: Deployment, svc: str) -> dict[str, Any]:
    [c] = json.loads(task_def(d, svc).inputs["containerDefinitions"])
    return c


def log_group(d: Deployment, name: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(LOG_GROUP) if r.inputs["name"] == name]
    return found


def role(d: Deployment, name: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(ROLE) if r.inputs.get("name") == name]
    return found


def policies_of(d: Deployment, role_res: DeclaredResource) -> list[DeclaredResource]:
    return [p for p in d.of_type(ROLE_POLICY) if p.inputs["role"] == role_res.id]


def statements(policy: DeclaredResource) -> dict[str, dict[str, Any]]:
    doc = json.loads(policy.inputs["policy"])
    return {s["Sid"]: s for s in doc["Statement"]}


def stack_key_arn(d: Deployment) -> str:
    return str(d.one("aws:kms/key:Key", f"arbiter-{d.stack}-key-key").outputs["arn"])


def secret_arn(d: Deployment, name: str) -> str:
    [found] = [r for r in d.of_type("aws:secretsmanager/secret:Secret") if r.inputs["name"] == name]
    return str(found.outputs["arn"])


def db_cluster(d: Deployment) -> DeclaredResource:
    return d.one("aws:rds/cluster:Cluster")


def master_secret_arn(d: Deployment) -> str:
    return str(db_cluster(d).outputs["masterUserSecrets"][0]["secretArn"])


def listeners(d: Deployment) -> dict[int, DeclaredResource]:
    return {int(r.inputs["port"]): r for r in d.of_type(LISTENER)}


def target_group(d: Deployment, protocol_version: str) -> DeclaredResource:
    """The production group of a protocol (not a canary's alternate `-alt` group)."""
    [found] = [
        r
        for r in d.of_type(TARGET_GROUP)
        if r.inputs["protocolVersion"] == protocol_version and not r.inputs["name"].endswith("-alt")
    ]
    return found
