"""`policies/protection.py`: prod's stateful resources carry `protect`."""

from __future__ import annotations

import pytest

from policies import protection
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
        "prod-stateful-resources-protected",
        lambda b: b.get("key").__setattr__("protect", False),
        "prod Key key is not protected",
        id="kms-key",
    ),
    Case(
        "prod-stateful-resources-protected",
        lambda b: b.get("db-2").__setattr__("protect", False),
        "prod ClusterInstance db-2 is not protected",
        id="cluster-instance",
    ),
    Case(
        "prod-backup-vaults-locked",
        lambda b: b.remove("arbiter-prod-backup-us-west-2-lock"),
        "prod backup vault arbiter-prod-backup-us-west-2 has no Vault Lock",
        id="vault-unlocked",
    ),
    Case(
        "prod-backup-vaults-locked",
        lambda b: b.set("arbiter-prod-backup-lock", minRetentionDays=21, maxRetentionDays=35),
        "backup vault arbiter-prod-backup is locked to 21..35 days but a backup plan keeps its recovery points 14 days",
        id="lock-outside-plan-retention",
    ),
    Case(
        "prod-backup-vaults-locked",
        lambda b: b.set("arbiter-prod-backup-us-west-2-lock", maxRetentionDays=7),
        "backup vault arbiter-prod-backup-us-west-2 is locked to 14..7 days but a backup plan keeps its "
        "recovery points 14 days",
        id="copy-lock-below-copy-retention",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(protection.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(protection.POLICIES, CASES)
