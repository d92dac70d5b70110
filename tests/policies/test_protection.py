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
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(protection.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(protection.POLICIES, CASES)
