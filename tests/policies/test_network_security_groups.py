"""`policies/network_security_groups.py`: security-group rules (world-open ports, descriptions)."""

from __future__ import annotations

from typing import Any

import pytest

from policies import network_security_groups
from policies.base import UNKNOWN, Res
from policies.network_security_groups import SgRule, sg_rules
from policies.resource_types import SECURITY_GROUP, SG_INGRESS, SG_RULE
from tests.policies.builder import StackBuilder
from tests.policies.cases import (
    ENVIRONMENTS,
    Case,
    assert_cases_cover,
    assert_happy_path,
    assert_violation,
    case_id,
    run,
)
from tests.policies.compliant import compliant_stack


def _ingress(
    b: StackBuilder, name: str, port: int | None, *, cidr: str = "0.0.0.0/0", proto: str = "tcp"
) -> None:
    props: dict = {"securityGroupId": "sg-db", "ipProtocol": proto, "description": "test"}
    if port is not None:
        props |= {"fromPort": port, "toPort": port}
    props["cidrIpv6" if ":" in cidr else "cidrIpv4"] = cidr
    b.add(SG_INGRESS, name, props)


CASES: list[Case] = [
    Case(
        "security-group-no-world-open-ports",
        lambda b: _ingress(b, "pg-world", 5432),
        "exposes 5432 (PostgreSQL) to the internet",
        id="postgres-ipv4",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: _ingress(b, "redis-world", 6379, cidr="::/0"),
        "exposes 6379 (Redis) to the internet",
        id="redis-ipv6",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: _ingress(b, "all-world", None, proto="-1"),
        "all ports are reachable from the internet",
        id="all-ports",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: b.add(
            SG_RULE,
            "ssh",
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrBlocks": ["0.0.0.0/0"],
                "description": "admin",
            },
        ),
        "exposes 22 (SSH)",
        id="ssh-legacy-rule",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: b.set(
            "svc-sg",
            ingress=[
                {
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                    "cidrBlocks": ["0.0.0.0/0"],
                    "description": "x",
                }
            ],
        ),
        "only ports [80, 443] may be opened",
        id="inline-8080",
    ),
    Case(
        "security-group-rules-described",
        lambda b: b.drop("alb-to-svc", "description"),
        "egress rule has no description",
        id="vpc-egress",
    ),
    Case(
        "security-group-rules-described",
        lambda b: b.set(
            "svc-sg",
            ingress=[{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "securityGroups": ["sg-alb"]}],
        ),
        "ingress[0]: ingress rule has no description",
        id="inline",
    ),
    Case(
        "security-group-rules-described",
        lambda b: b.set("db-sg", description="Managed by Pulumi"),
        "security group has no description",
        id="group",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(network_security_groups.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(network_security_groups.POLICIES, CASES)


# Policy config.


def test_allowed_public_ports_config() -> None:
    b = compliant_stack()
    _ingress(b, "https-alt", 8443)
    assert {v.policy for v in run(b)} == {"security-group-no-world-open-ports"}
    assert run(b, {"security-group-no-world-open-ports": {"allowedPublicPorts": [80, 443, 8443]}}) == []


# The three rule shapes read as one.


def _res(type_: str, props: dict[str, Any]) -> Res:
    return Res(type_, "sg", "urn", props, "prod", False, {})


def test_sg_rules_reads_every_shape_alike() -> None:
    inline = _res(
        SECURITY_GROUP,
        {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]}]},
    )
    legacy = _res(
        SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["::/0"]},
    )
    vpc_rule = _res(SG_INGRESS, {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv6": "::/0"})
    rules = [rule for res in (inline, legacy, vpc_rule) for rule in sg_rules(res)]
    assert [(r.direction, r.cidrs, r.port_range(), r.world_open) for r in rules] == [
        ("ingress", ("::/0",), (22, 22), True)
    ] * 3
    assert [r.where for r in rules] == ["ingress[0]", "rule", "rule"]


@pytest.mark.parametrize(
    ("protocol", "low", "high", "expected"),
    [
        ("-1", 0, 0, (0, 65535)),
        ("all", None, None, (0, 65535)),
        ("tcp", -1, -1, (0, 65535)),
        ("6", 443, 443, (443, 443)),
        ("icmp", 8, 0, None),
        ("tcp", UNKNOWN, 443, None),
    ],
)
def test_port_range(protocol: str, low: Any, high: Any, expected: tuple[int, int] | None) -> None:
    rule = SgRule("ingress", ("0.0.0.0/0",), protocol, low, high, "d", "rule")
    assert rule.port_range() == expected
