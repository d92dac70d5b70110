"""`policies/encryption.py`: keys, secrets, log groups, topics and buckets (encryption, rotation, retention, access)."""

from __future__ import annotations

import pytest

from policies import encryption
from tests.policies.builder import TOPIC_ARN, doc
from tests.policies.cases import (
    ENVIRONMENTS,
    Case,
    assert_cases_cover,
    assert_happy_path,
    assert_violation,
    case_id,
)

CASES: list[Case] = [
    Case(
        "kms-key-rotation", lambda b: b.set("key", enableKeyRotation=False), "enableKeyRotation is not true"
    ),
    Case(
        "secrets-encrypted-with-cmk",
        lambda b: b.drop("db-secret", "kmsKeyId"),
        "kmsKeyId is not set",
        id="unset",
    ),
    Case(
        "secrets-encrypted-with-cmk",
        lambda b: b.set("db-secret", kmsKeyId="alias/aws/secretsmanager"),
        "AWS-managed key alias/aws/secretsmanager",
        id="aws-managed",
    ),
    Case(
        "secrets-rotated",
        lambda b: b.set("trading-secret", tags={"Rotation": "external"}),
        "secret has no SecretRotation",
        id="no-reason",
    ),
    Case(
        "secrets-rotated",
        lambda b: b.remove("db-secret-rotation"),
        "secret has no SecretRotation",
        id="removed",
    ),
    Case("log-groups-encrypted", lambda b: b.drop("web-api-logs", "kmsKeyId"), "log group is not encrypted"),
    Case("log-groups-retention", lambda b: b.drop("web-api-logs", "retentionInDays"), "logs are kept"),
    Case("sns-topics-encrypted", lambda b: b.drop("alerts", "kmsMasterKeyId"), "topic is not encrypted"),
    Case(
        "sns-topic-policy-secure",
        lambda b: b.remove("alerts-policy"),
        "no topic policy denies publishing without TLS",
        id="no-tls-deny",
    ),
    Case(
        "sns-topic-policy-secure",
        lambda b: b.set(
            "alerts",
            policy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": TOPIC_ARN}
            ),
        ),
        "allows any principal",
        id="public",
    ),
    Case(
        "s3-buckets-encrypted-and-private",
        lambda b: b.remove("alb-logs-sse"),
        "bucket has no server-side encryption configuration",
        id="sse",
    ),
    Case(
        "s3-buckets-encrypted-and-private",
        lambda b: b.set("alb-logs-pab", restrictPublicBuckets=False),
        "leaves restrictPublicBuckets off",
        id="pab-flag",
    ),
    Case(
        "s3-buckets-encrypted-and-private",
        lambda b: b.remove("alb-logs-pab"),
        "bucket has no public access block",
        id="pab-missing",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(encryption.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(encryption.POLICIES, CASES)
