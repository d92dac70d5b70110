"""Every bad value of a section is one line naming the key, the value and the rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arbiter_infra.config import ConfigError, parse_stack_config
from tests.conftest import stack_sections
from tests.library.config_cases import DELETE, raw_config, set_value

BAD = [
    # (id, mutation, stack, expected fragments of the one-line message)
    (
        "cidr-unparsable",
        set_value("network.vpcCidr", "10.0.0.0/33"),
        "staging",
        ["arbiter:network.vpcCidr", "10.0.0.0/33"],
    ),
    (
        "subnet-outside-vpc",
        set_value("network.privateSubnets.1", "10.1.12.0/24"),
        "staging",
        ["arbiter:network.privateSubnets[1]", "10.1.12.0/24", "inside vpcCidr 10.0.0.0/16"],
    ),
    (
        "subnets-overlap",
        set_value("network.databaseSubnets.0", "10.0.11.0/24"),
        "staging",
        ["arbiter:network.databaseSubnets[0]", "10.0.11.0/24", "does not overlap privateSubnets[0]"],
    ),
    (
        "subnet-count-mismatch",
        set_value("network.publicSubnets", ["10.0.1.0/24"]),
        "staging",
        ["arbiter:network.publicSubnets", "one subnet per availability zone (3)"],
    ),
    (
        "az-repeated",
        set_value("network.availabilityZones", ["us-east-1a", "us-east-1a", "us-east-1c"]),
        "staging",
        ["availabilityZones", "must not repeat"],
    ),
    (
        "unknown-nat-strategy",
        set_value("network.natGateways", "two"),
        "staging",
        ["arbiter:network.natGateways", '"two"', "'single' or 'per-az'"],
    ),
    (
        "count-below-zero",
        set_value("services.webApi.desiredCount", -1),
        "staging",
        ["arbiter:services.webApi.desiredCount", "-1", "greater than or equal to 0"],
    ),
    (
        "db-count-below-one",
        set_value("database.instanceCount", 0),
        "staging",
        ["arbiter:database.instanceCount", "0"],
    ),
    (
        "empty-image",
        set_value("services.tradingCore.image", ""),
        "staging",
        ["arbiter:services.tradingCore.image", '""', "full ECR image URI"],
    ),
    (
        "image-without-tag",
        set_value("services.telegramBot.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/telegram-bot"),
        "staging",
        ["telegramBot.image", "with a tag"],
    ),
    (
        "wrong-type",
        set_value("services.webApi.cpu", "lots"),
        "staging",
        ["arbiter:services.webApi.cpu", '"lots"', "integer"],
    ),
    (
        "wrong-type-bool",
        set_value("network.vpcEndpoints", "maybe"),
        "staging",
        ["arbiter:network.vpcEndpoints", '"maybe"', "boolean"],
    ),
    (
        "unknown-enum-arch",
        set_value("services.cpuArchitecture", "SPARC"),
        "staging",
        ["arbiter:services.cpuArchitecture", "X86_64", "ARM64"],
    ),
    (
        "unknown-environment",
        set_value("environment", "qa"),
        "staging",
        ["arbiter:environment", '"qa"', "'staging' or 'prod'"],
    ),
    (
        "bad-retention",
        set_value("network.flowLogRetentionDays", 10),
        "staging",
        ["arbiter:network.flowLogRetentionDays", "10", "CloudWatch Logs retention"],
    ),
    (
        "fargate-size",
        set_value("services.telegramBot.memory", 8192),
        "staging",
        ["arbiter:services.telegramBot.memory", "8192", "for cpu 256: 512-2048"],
    ),
    (
        "unknown-key",
        set_value("network.vpcCidrs", "10.0.0.0/16"),
        "staging",
        ["arbiter:network.vpcCidrs", "not a known setting"],
    ),
    (
        "missing-key",
        set_value("network.natGateways", DELETE),
        "staging",
        ["arbiter:network.natGateways is not set"],
    ),
    (
        "unknown-db-version",
        set_value("database.engineVersion", "15.4"),
        "staging",
        ["arbiter:database.engineVersion", '"15.4"', 'major version only ("15")'],
    ),
    (
        "unknown-db-class",
        set_value("database.instanceClass", "db.m1.small"),
        "staging",
        ["arbiter:database.instanceClass", "db.r6g.large"],
    ),
    (
        "unknown-cache-version",
        set_value("cache.engineVersion", "6.2"),
        "staging",
        ["arbiter:cache.engineVersion", '"6.2"', "a supported valkey major version (7, 8)"],
    ),
    (
        "redis-has-no-major-8",
        lambda raw: raw["cache"].update(engine="redis", engineVersion="8"),
        "staging",
        ["arbiter:cache.engineVersion", '"8"', "a supported redis major version (7)"],
    ),
    (
        "valkey-minor-pinned",
        set_value("cache.engineVersion", "8.0"),
        "prod",
        ["arbiter:cache.engineVersion", '"8.0"', 'major version only ("8")'],
    ),
    (
        "unknown-cache-engine",
        set_value("cache.engine", "memcached"),
        "staging",
        ["arbiter:cache.engine", "memcached", "redis", "valkey"],
    ),
    (
        "trading-core-autoscaled",
        set_value(
            "services.tradingCore",
            {
                **stack_sections("staging")["services"]["tradingCore"],
                "minCount": 1,
                "maxCount": 2,
                "cpuTargetPercent": 60,
            },
        ),
        "staging",
        ["arbiter:services.tradingCore.minCount", "more replicas mean more traders"],
    ),
    (
        "prod-single-nat",
        set_value("network.natGateways", "single"),
        "prod",
        ["arbiter:network.natGateways", "per-az in prod"],
    ),
    (
        "backup-retention-below-7",
        set_value("database.backup.retentionDays", 3),
        "staging",
        ["arbiter:database.backup.retentionDays", "3", "greater than or equal to 7"],
    ),
    (
        "backup-copy-region-same-or-unknown",
        set_value("database.backup.copyRegion", "us-east-1"),
        "staging",
        ["arbiter:database.backup.copyRegion", '"us-east-1"', "us-west-2"],
    ),
    (
        "backup-admin-pattern-not-a-role",
        set_value("database.backup.adminRolePatterns.1", "arn:aws:iam::{account}:user/bob"),
        "staging",
        ["arbiter:database.backup.adminRolePatterns[1]", "user/bob", "an IAM role ARN glob"],
    ),
    (
        "backup-admin-pattern-matches-ci-roles",
        set_value("database.backup.adminRolePatterns", ["arn:aws:iam::{account}:role/*Admin*"]),
        "prod",
        ["arbiter:database.backup.adminRolePatterns[0]", "*Admin*", "must not match a role CI can create"],
    ),
    (
        "backup-admin-patterns-empty",
        set_value("database.backup.adminRolePatterns", []),
        "prod",
        ["arbiter:database.backup.adminRolePatterns", "at least 1 item"],
    ),
    (
        "backup-admin-pattern-old-key",
        set_value("database.backup.adminRolePattern", "arn:aws:iam::{account}:role/Admin*"),
        "staging",
        ["arbiter:database.backup.adminRolePattern", "renamed to adminRolePatterns", "role/Admin*"],
    ),
    (
        "backup-vault-lock-unknown-mode",
        set_value("database.backup.vaultLock", "legal-hold"),
        "staging",
        ["arbiter:database.backup.vaultLock", "legal-hold", "governance", "compliance"],
    ),
    (
        "prod-vault-unlocked",
        set_value("database.backup.vaultLock", "none"),
        "prod",
        ["arbiter:database.backup.vaultLock", "governance or compliance in prod"],
    ),
    (
        "vault-lock-grace-without-compliance",
        set_value("database.backup.vaultLockChangeableForDays", 3),
        "prod",
        ["arbiter:database.backup.vaultLockChangeableForDays", "3", "unless vaultLock is compliance"],
    ),
    (
        "vault-lock-grace-below-aws-minimum",
        set_value("database.backup.vaultLockChangeableForDays", 2),
        "prod",
        ["arbiter:database.backup.vaultLockChangeableForDays", "2", "greater than or equal to 3"],
    ),
    (
        "prod-backup-off",
        set_value("database.backup.enabled", False),
        "prod",
        ["arbiter:database.backup.enabled", "true in prod"],
    ),
    (
        "prod-one-db",
        set_value("database.instanceCount", 1),
        "prod",
        ["arbiter:database.instanceCount", ">= 2 in prod"],
    ),
    (
        "prod-no-cert",
        set_value("services.certificateArn", DELETE),
        "prod",
        ["arbiter:services.certificateArn", "required in prod"],
    ),
    (
        "prod-no-alerts",
        set_value("monitoring.alertEmails", []),
        "prod",
        ["arbiter:monitoring.alertEmails", "at least one"],
    ),
    (
        "prod-no-waf",
        set_value("services.waf.enabled", False),
        "prod",
        ["arbiter:services.waf.enabled = false", "true in prod"],
    ),
    (
        "waf-rate-limit-too-low",
        set_value("services.waf.rateLimitPer5Min", 5),
        "staging",
        ["arbiter:services.waf.rateLimitPer5Min = 5", "greater than or equal to 10"],
    ),
    (
        "waf-log-retention-not-a-cloudwatch-value",
        set_value("services.waf.logRetentionDays", 10),
        "staging",
        ["arbiter:services.waf.logRetentionDays = 10", "CloudWatch Logs retention"],
    ),
    (
        "database-access-missing",
        set_value("services.webApi.databaseAccess", DELETE),
        "staging",
        ["arbiter:services.webApi.databaseAccess = null", "set when usesDatabase is true"],
    ),
    (
        "database-access-empty",
        set_value("services.tradingCore.databaseAccess", {}),
        "staging",
        ["arbiter:services.tradingCore.databaseAccess = {}", "non-empty mapping of schema to access level"],
    ),
    (
        "database-access-unknown-schema",
        set_value("services.webApi.databaseAccess", {"web": "owner", "ledgers": "read"}),
        "prod",
        ["arbiter:services.webApi.databaseAccess.ledgers", "ledger, market, web"],
    ),
    (
        "database-access-unknown-level",
        set_value("services.webApi.databaseAccess.ledger", "write"),
        "staging",
        ['arbiter:services.webApi.databaseAccess.ledger = "write"', "one of owner, read"],
    ),
    (
        "database-access-two-owners",
        set_value("services.webApi.databaseAccess.ledger", "owner"),
        "staging",
        ['arbiter:services.webApi.databaseAccess.ledger = "owner"', "tradingCore already owns ledger"],
    ),
    (
        "database-access-read-without-owner",
        set_value("services.tradingCore.databaseAccess", {"ledger": "owner"}),
        "staging",
        ['arbiter:services.webApi.databaseAccess.market = "read"', "market has no owner"],
    ),
    (
        "master-named-like-a-service-user",
        set_value("database.masterUsername", "web_api"),
        "staging",
        ['arbiter:database.masterUsername = "web_api"', "the webApi service's database user"],
    ),
    (
        "database-access-without-database",
        set_value("services.telegramBot.databaseAccess", {"web": "read"}),
        "staging",
        ["arbiter:services.telegramBot.databaseAccess", "unset when usesDatabase is false"],
    ),
    (
        "waf-unknown-key",
        set_value("services.waf.rateLimit", 100),
        "staging",
        ["arbiter:services.waf.rateLimit"],
    ),
    (
        "redis-access-unknown-category",
        set_value("services.webApi.redisAccess.commands", ["@connection", "@strings"]),
        "staging",
        ["arbiter:services.webApi.redisAccess.commands", "'@strings': unknown command category", "@string"],
    ),
    (
        "redis-access-empty-commands",
        set_value("services.webApi.redisAccess.commands", []),
        "staging",
        ["arbiter:services.webApi.redisAccess.commands", "at least 1"],
    ),
    (
        "redis-access-only-revocations",
        set_value("services.tradingCore.redisAccess.commands", ["-@write"]),
        "staging",
        ["arbiter:services.tradingCore.redisAccess.commands", "grant at least one"],
    ),
    (
        "redis-access-empty-keys",
        set_value("services.telegramBot.redisAccess.keys", []),
        "prod",
        ["arbiter:services.telegramBot.redisAccess.keys", "at least 1"],
    ),
    (
        "redis-access-every-key",
        set_value("services.webApi.redisAccess.keys", ["*"]),
        "staging",
        ["arbiter:services.webApi.redisAccess.keys", "'*' must be a key prefix", "never * alone"],
    ),
    (
        "redis-access-admin-category",
        set_value("services.webApi.redisAccess.commands", ["@connection", "@admin"]),
        "prod",
        ["arbiter:services.webApi.redisAccess.commands", "@admin is never granted"],
    ),
    (
        "redis-access-dangerous-command",
        set_value("services.webApi.redisAccess.commands", ["@connection", "flushall"]),
        "staging",
        ["arbiter:services.webApi.redisAccess.commands", "flushall is in @dangerous"],
    ),
    (
        "redis-access-restricted-command",
        set_value("services.webApi.redisAccess.commands", ["@connection", "-config"]),
        "staging",
        ["arbiter:services.webApi.redisAccess.commands", "ElastiCache makes config unavailable"],
    ),
    (
        "redis-access-unknown-command",
        set_value("services.webApi.redisAccess.commands", ["@connection", "gett"]),
        "staging",
        ["arbiter:services.webApi.redisAccess.commands", "'gett': not a Redis 7 command"],
    ),
    (
        "redis-access-missing-with-uses-redis",
        set_value("services.webApi.redisAccess", DELETE),
        "staging",
        ["arbiter:services.webApi.redisAccess", "set with usesRedis: true"],
    ),
    (
        "redis-access-without-uses-redis",
        set_value("services.webApi.usesRedis", False),
        "staging",
        ["arbiter:services.webApi.redisAccess", "unset while usesRedis is false"],
    ),
    (
        "redis-access-unknown-key",
        set_value("services.webApi.redisAccess.channels", ["*"]),
        "staging",
        ["arbiter:services.webApi.redisAccess.channels"],
    ),
    (
        "deployment-unknown-strategy",
        set_value("services.webApi.deployment.strategy", "big-bang"),
        "staging",
        ["arbiter:services.webApi.deployment.strategy", "big-bang", "'rolling', 'canary' or 'linear'"],
    ),
    (
        "deployment-canary-without-percent",
        set_value("services.webApi.deployment", {"strategy": "canary", "canaryMinutes": 5, "bakeMinutes": 5}),
        "staging",
        ["arbiter:services.webApi.deployment.canaryPercent = null", "set for strategy canary"],
    ),
    (
        "deployment-rolling-with-bake-time",
        set_value("services.webApi.deployment", {"strategy": "rolling", "bakeMinutes": 5}),
        "staging",
        ["arbiter:services.webApi.deployment.bakeMinutes = 5", "unset for strategy rolling"],
    ),
    (
        "deployment-canary-percent-too-small",
        set_value("services.webApi.deployment.canaryPercent", 0.01),
        "prod",
        ["arbiter:services.webApi.deployment.canaryPercent = 0.01", "greater than or equal to 0.1"],
    ),
    (
        "deployment-bake-longer-than-ecs-allows",
        set_value("services.webApi.deployment.bakeMinutes", 1441),
        "prod",
        ["arbiter:services.webApi.deployment.bakeMinutes = 1441", "less than or equal to 1440"],
    ),
    (
        "deployment-linear-step-too-small",
        set_value(
            "services.webApi.deployment",
            {"strategy": "linear", "stepPercent": 1, "stepMinutes": 5, "bakeMinutes": 5},
        ),
        "staging",
        ["arbiter:services.webApi.deployment.stepPercent = 1", "greater than or equal to 3"],
    ),
    (
        "deployment-gradual-without-load-balancer",
        set_value(
            "services.tradingCore.deployment",
            {"strategy": "canary", "canaryPercent": 10, "canaryMinutes": 5, "bakeMinutes": 5},
        ),
        "staging",
        [
            "arbiter:services.tradingCore.deployment.strategy",
            "canary",
            "only webApi is behind the load balancer",
        ],
    ),
    (
        "prod-web-api-rolling",
        set_value("services.webApi.deployment", {"strategy": "rolling"}),
        "prod",
        ["arbiter:services.webApi.deployment.strategy", "rolling", "canary or linear in prod"],
    ),
]


@pytest.mark.parametrize(("mutate", "stack", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_one_line_naming_key_value_and_rule(
    mutate: Callable[[dict[str, Any]], None], stack: str, fragments: list[str]
) -> None:
    raw = raw_config(stack)
    mutate(raw)
    with pytest.raises(ConfigError) as exc:
        parse_stack_config(raw)
    message = str(exc.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_prod_cache_failover_with_one_node_is_refused() -> None:
    raw = raw_config("prod")
    raw["cache"]["numNodes"] = 1
    with pytest.raises(
        ConfigError, match=r"arbiter:cache\.automaticFailover = true: must be false when numNodes is 1"
    ):
        parse_stack_config(raw)
