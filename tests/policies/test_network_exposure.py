"""`policies/network_exposure.py`: per-resource exposure (public IPs, public endpoints, the default subnet group)."""

from __future__ import annotations

import pytest

from policies import network_exposure
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
        "subnet-no-public-ip-on-launch",
        lambda b: b.set("public-a", mapPublicIpOnLaunch=True),
        "mapPublicIpOnLaunch is true",
    ),
    Case(
        "ecs-service-no-public-ip",
        lambda b: b.set(
            "web-api",
            networkConfiguration={
                "subnets": ["subnet-private-a"],
                "securityGroups": [],
                "assignPublicIp": True,
            },
        ),
        "assignPublicIp is true",
        also=("only-alb-faces-internet",),
    ),
    Case(
        "database-not-publicly-accessible",
        lambda b: b.set("db-1", publiclyAccessible=True),
        "publiclyAccessible is true",
        also=("only-alb-faces-internet",),
    ),
    Case(
        "elasticache-custom-subnet-group",
        lambda b: b.drop("redis", "subnetGroupName"),
        "default subnet group",
    ),
    Case(
        "lambda-not-public",
        lambda b: b.set("db-users-url", authorizationType="NONE"),
        "function URL with authorizationType NONE",
        id="url",
    ),
    Case(
        "lambda-not-public",
        lambda b: b.set("db-users-permission", principal="*"),
        "permission for principal '*'",
        id="permission",
    ),
    Case(
        "lambda-in-vpc",
        lambda b: b.drop("db-users-fn", "vpcConfig"),
        "vpcConfig.subnetIds is empty",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(network_exposure.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(network_exposure.POLICIES, CASES)
