"""`policies/data.py`: Aurora and Redis (encryption, backups, deletion protection, Multi-AZ, events)."""

from __future__ import annotations

from typing import Any

import pytest

from policies import data
from tests.policies.builder import BACKUP_RULE
from tests.policies.cases import (
    ENVIRONMENTS,
    Case,
    assert_cases_cover,
    assert_happy_path,
    assert_violation,
    case_id,
    compliant_stack,
    run,
)

CASES: list[Case] = [
    Case(
        "aurora-encrypted-with-cmk",
        lambda b: b.set("db", storageEncrypted=False),
        "storageEncrypted is not true",
        id="storage",
    ),
    Case(
        "aurora-encrypted-with-cmk",
        lambda b: b.drop("db", "kmsKeyId"),
        "kmsKeyId is not set",
        id="cmk",
    ),
    Case(
        "aurora-encrypted-with-cmk",
        lambda b: b.drop("db-1", "performanceInsightsKmsKeyId"),
        "Performance Insights is enabled without performanceInsightsKmsKeyId",
        id="performance-insights",
    ),
    Case(
        "aurora-backup-retention",
        lambda b: b.set("db", backupRetentionPeriod=3),
        "backupRetentionPeriod is 3",
    ),
    Case(
        "aurora-backup-retention",
        lambda b: b.drop("db", "backupRetentionPeriod"),
        "unset (AWS default 1)",
        id="unset",
    ),
    Case(
        "aurora-deletion-protection-prod",
        lambda b: b.set("db", deletionProtection=False),
        "deletionProtection is not true on a prod database",
    ),
    Case(
        "aurora-cluster-hardening",
        lambda b: b.set("db", iamDatabaseAuthenticationEnabled=False, enabledCloudwatchLogsExports=[]),
        "enabledCloudwatchLogsExports does not include 'postgresql'",
    ),
    Case("data-stores-non-default-ports", lambda b: b.set("db", port=5432), "default port 5432", id="aurora"),
    Case("data-stores-non-default-ports", lambda b: b.drop("redis", "port"), "default port 6379", id="redis"),
    Case("aurora-multi-az-prod", lambda b: b.remove("db-2"), "prod Aurora cluster has 1 instance(s)"),
    Case(
        "aurora-cross-region-backup-prod",
        lambda b: b.remove("backup-selection"),
        "in no AWS Backup plan with a copy to another region",
        id="not-selected",
    ),
    Case(
        "aurora-cross-region-backup-prod",
        lambda b: b.set("backup-plan", rules=[{**BACKUP_RULE, "copyActions": []}]),
        "in no AWS Backup plan with a copy to another region",
        id="no-copy",
    ),
    Case(
        "aurora-cross-region-backup-prod",
        lambda b: b.set(
            "backup-plan",
            rules=[
                {
                    **BACKUP_RULE,
                    "copyActions": [
                        {
                            "destinationVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:same-region"
                        }
                    ],
                }
            ],
        ),
        "in no AWS Backup plan with a copy to another region",
        id="same-region-copy",
    ),
    Case(
        "rds-event-subscription-prod",
        lambda b: b.remove("db-events"),
        "no RDS event subscription for its failover and failure events",
        id="none",
    ),
    Case(
        "rds-event-subscription-prod",
        lambda b: b.set("db-events", eventCategories=["maintenance"]),
        "no RDS event subscription for its failover and failure events",
        id="no-failover",
    ),
    Case(
        "redis-encryption-and-auth",
        lambda b: b.set("redis", transitEncryptionEnabled=False),
        "transitEncryptionEnabled is not true",
        id="transit",
    ),
    Case(
        "redis-encryption-and-auth",
        lambda b: b.drop("redis", "userGroupIds"),
        "Redis accepts unauthenticated clients",
        also=("redis-rbac-users",),
        id="auth",
    ),
    Case(
        "redis-rbac-users",
        lambda b: b.set("redis", authToken="s3cr3t-token-from-secrets-manager"),
        "authToken is set: a client that sends the token is Redis's default user",
        id="auth-token",
    ),
    Case(
        "redis-rbac-users",
        lambda b: b.set("redis", userGroupIds=[], authToken="s3cr3t-token-from-secrets-manager"),
        "userGroupIds is not set: no RBAC users",
        id="no-user-group",
    ),
    Case(
        "redis-default-user-disabled",
        lambda b: b.set("redis-default", accessString="on ~session:* -@all +@string"),
        "the default user of arbiter-prod-redis is enabled",
        id="enabled",
    ),
    Case(
        "redis-default-user-disabled",
        lambda b: b.set("redis-users", userIds=["arbiter-prod-app"]),
        "has no declared member named default",
        id="no-default",
    ),
    Case(
        "redis-default-user-disabled",
        lambda b: b.remove("redis-users"),
        "user group arbiter-prod-redis is not declared in this stack",
        id="undeclared-group",
    ),
    Case(
        "redis-user-least-privilege",
        lambda b: b.set("redis-app", accessString="on ~* +@all"),
        "access string grants every command (+@all)",
        id="all",
    ),
    Case(
        "redis-user-least-privilege",
        lambda b: b.set("redis-app", accessString="on ~session:* -@all +@string +@dangerous"),
        "dangerous commands",
        id="dangerous",
    ),
    Case(
        "redis-user-least-privilege",
        lambda b: b.set("redis-app", authenticationMode={"type": "no-password-required"}),
        "an enabled user needs no password",
        id="nopass",
    ),
    Case(
        "redis-encryption-and-auth",
        lambda b: b.drop("redis", "atRestEncryptionEnabled"),
        "atRestEncryptionEnabled is not true",
        id="at-rest",
    ),
    Case(
        "redis-multi-az-failover-prod",
        lambda b: b.set("redis", automaticFailoverEnabled=False),
        "automaticFailoverEnabled is not true on prod Redis",
    ),
    Case(
        "redis-backups-and-patching",
        lambda b: b.set("redis", snapshotRetentionLimit=0, autoMinorVersionUpgrade=False),
        "Redis has no automatic backups",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(data.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(data.POLICIES, CASES)


def _on_engine(engine: str, mutate: Any) -> Any:
    def mutation(b: Any) -> None:
        b.set("redis", engine=engine)
        mutate(b)

    return mutation


@pytest.mark.parametrize("engine", ["redis", "valkey"])
def test_cache_rules_hold_for_both_engines(engine: str) -> None:
    """`cache.engine` is redis or valkey: no rule depends on the engine, each fires for either."""
    b = compliant_stack("prod")
    b.set("redis", engine=engine)
    assert run(b) == []
    cache_cases = [c for c in CASES if c.policy.startswith("redis-")]
    assert {c.policy for c in cache_cases} == {
        "redis-encryption-and-auth",
        "redis-multi-az-failover-prod",
        "redis-backups-and-patching",
        "redis-rbac-users",
        "redis-default-user-disabled",
        "redis-user-least-privilege",
    }
    for case in cache_cases:
        assert_violation(Case(case.policy, _on_engine(engine, case.mutate), case.message, case.also))
