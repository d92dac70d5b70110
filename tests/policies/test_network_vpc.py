"""`policies/network_vpc.py`: each VPC's baseline (the default security group closed, flow logs)."""

from __future__ import annotations

import pytest

from policies import network_vpc
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
        "default-security-group-closed",
        lambda b: b.set("default-sg", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "default security group has rules",
        id="rules",
    ),
    Case(
        "default-security-group-closed",
        lambda b: b.remove("default-sg"),
        "VPC has no DefaultSecurityGroup",
        id="missing",
    ),
    Case("vpc-flow-logs-enabled", lambda b: b.remove("flow-log"), "VPC has no flow log"),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(network_vpc.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(network_vpc.POLICIES, CASES)
