"""`policies/network_topology.py`: the stack's topology (private services, the walled-off data tier, only the ALB faces the internet)."""

from __future__ import annotations

import pytest

from policies import network_topology
from policies.resource_types import ROUTE
from tests.policies.builder import LB
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
        "services-in-private-subnets",
        lambda b: b.set(
            "web-api",
            networkConfiguration={
                "subnets": ["subnet-public-a"],
                "securityGroups": [],
                "assignPublicIp": False,
            },
        ),
        "subnet-public-a, which is not a subnet tagged Tier=private",
    ),
    Case(
        "database-subnets-no-internet-route",
        lambda b: b.add(
            ROUTE,
            "db-default",
            {"routeTableId": "rtb-database", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"},
        ),
        "route table rtb-database of database subnet(s) subnet-database-a, subnet-database-b has a default route",
        id="route-resource",
    ),
    Case(
        "database-subnets-no-internet-route",
        lambda b: b.set("rt-database", routes=[{"ipv6CidrBlock": "::/0", "egressOnlyGatewayId": "eigw-1"}]),
        "has an inline default route",
        id="inline-ipv6",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.set(
            "database-acl",
            ingress=[{"ruleNo": 100, "action": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0"}],
        ),
        "network ACL of database subnets allows inbound from 0.0.0.0/0",
        id="world-inbound",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.set(
            "database-acl",
            egress=[{"ruleNo": 100, "action": "allow", "protocol": "tcp", "cidrBlock": "10.0.0.0/16"}],
        ),
        "allows outbound to 10.0.0.0/16, which covers public subnets",
        id="public-tier-outbound",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.set("database-b-in", cidrBlock="::/0", ruleAction="allow"),
        "network ACL rule of database subnets allows inbound from ::/0",
        id="rule-resource",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.remove("database-b-acl"),
        "database subnet subnet-database-b has no network ACL of its own",
        id="missing",
    ),
    Case(
        "only-alb-faces-internet",
        lambda b: b.add(
            LB,
            "nlb",
            {
                "internal": False,
                "loadBalancerType": "network",
                "subnets": ["subnet-public-a", "subnet-public-b"],
                "accessLogs": {"bucket": "arbiter-alb-logs", "enabled": True},
                "enableDeletionProtection": True,
            },
        ),
        "internet-facing network load balancer",
        id="nlb",
    ),
    Case(
        "only-alb-faces-internet",
        lambda b: b.add(
            LB,
            "alb2",
            {**b.get("alb").inputs, "internal": None},
        ),
        "2 internet-facing ALBs",
        also=("prod-alb-web-acl",),  # the second ALB has no web ACL either
        id="second-alb",
    ),
    Case(
        "only-alb-faces-internet",
        lambda b: b.set("nat-eip", instance="i-123"),
        "Elastic IP is attached",
        id="eip",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(network_topology.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(network_topology.POLICIES, CASES)
