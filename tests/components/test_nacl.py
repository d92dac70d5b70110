"""NetworkAcls alone: given subnets and ports, the ACLs allow exactly those ports between the tiers."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from arbiter_infra.config import ConfigError
from arbiter_infra.naming import Naming
from components.nacl import EPHEMERAL, TIERS, AclPorts, NetworkAcls, NetworkAclsArgs, Tier, acl_plan
from tests.components.conftest import Build

NACL = "aws:ec2/networkAcl:NetworkAcl"


def _nets(*cidrs: str) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(c) for c in cidrs]


#: Three AZs; the private /24s at .11-.13 merge into two blocks (10.0.11.0/24, 10.0.12.0/23).
SUBNETS: dict[Tier, list[ipaddress.IPv4Network]] = {
    "public": _nets("10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"),
    "private": _nets("10.0.11.0/24", "10.0.12.0/24", "10.0.13.0/24"),
    "database": _nets("10.0.21.0/24", "10.0.22.0/24", "10.0.23.0/24"),
}
PRIVATE_BLOCKS = {"10.0.11.0/24", "10.0.12.0/23"}


def _ports(public: int = 8080, services: Sequence[int] = (50051, 8080, 8081)) -> AclPorts:
    return AclPorts(public=public, services=services)


def _tcp_ports(rules: Sequence[object]) -> set[tuple[int, int]]:
    return {r.ports for r in rules if r.protocol == "tcp"}  # type: ignore[attr-defined]


def test_rules_follow_the_given_ports_and_subnets() -> None:
    """Moving a service to another port moves the ACLs with it: nothing is a literal."""
    plan = acl_plan(SUBNETS, _ports(services=(7000, 8080)), vpc_endpoints=False)
    private_in = plan["private"].ingress
    assert {r.cidr for r in private_in if r.action == "allow" and r.ports == (7000, 7000)} == PRIVATE_BLOCKS
    assert any(r.action == "deny" and r.ports == (7000, 7000) and r.cidr == "0.0.0.0/0" for r in private_in)
    assert not any(r.ports == (50051, 50051) for r in private_in)


def test_the_public_port_is_open_from_the_public_tier_only() -> None:
    plan = acl_plan(SUBNETS, _ports(public=9000, services=(9000, 50051)), vpc_endpoints=False)
    from_public = {r.cidr for r in plan["private"].ingress if r.action == "allow" and r.ports == (9000, 9000)}
    assert {"10.0.1.0/24", "10.0.2.0/23"} <= from_public
    to_private = [r for r in plan["public"].egress if r.action == "allow" and r.protocol == "tcp"]
    assert {r.ports for r in to_private if r.cidr in PRIVATE_BLOCKS} == {(9000, 9000)}


def test_the_data_ports_are_the_only_ones_into_the_database_tier() -> None:
    plan = acl_plan(SUBNETS, AclPorts(public=8080, services=(8080,), data=(5432, 6379)), vpc_endpoints=False)
    db_in = plan["database"].ingress
    assert _tcp_ports(db_in) == {(5432, 5432), (6379, 6379), EPHEMERAL}
    from_private = {r.ports for r in db_in if r.cidr in PRIVATE_BLOCKS}
    assert from_private == {(5432, 5432), (6379, 6379)}


def test_too_many_rules_is_one_config_error() -> None:
    # Six non-adjacent /24s per tier: no two merge, so each needs its own rule.
    subnets: dict[Tier, list[ipaddress.IPv4Network]] = {
        tier: _nets(*(f"10.0.{base + 2 * i}.0/24" for i in range(6)))
        for tier, base in (("public", 0), ("private", 64), ("database", 128))
    }
    with pytest.raises(ConfigError, match=r"^arbiter:network \w+Subnets: the \w+ network ACL would need \d+"):
        acl_plan(subnets, _ports(), vpc_endpoints=False)


def test_switching_endpoints_on_renumbers_no_other_rule() -> None:
    """The provider deletes a changed entry before creating its successor: stable numbers mean a
    config change touches only the rules it is about."""
    without = acl_plan(SUBNETS, _ports(), vpc_endpoints=False)["private"].ingress
    with_ = acl_plan(SUBNETS, _ports(), vpc_endpoints=True)["private"].ingress
    added = set(with_) - set(without)
    assert {(r.ports, r.action) for r in added} == {((443, 443), "allow")}
    assert set(without) <= set(with_)


def _acls(naming: Naming, ports: AclPorts) -> NetworkAcls:
    return NetworkAcls(
        naming("acl"),
        NetworkAclsArgs(
            naming=naming,
            vpc_id="vpc-1",
            subnet_ids={tier: [f"subnet-{tier}-{i}" for i in range(3)] for tier in TIERS},
            subnet_cidrs=SUBNETS,
            ports=ports,
        ),
    )


def test_one_acl_per_tier_on_exactly_its_subnets(build: Build, naming: Naming) -> None:
    d = build(lambda: _acls(naming, _ports()))
    acls = {a.inputs["tags"]["Tier"]: a for a in d.of_type(NACL)}
    assert sorted(acls) == sorted(TIERS)
    for tier, acl in acls.items():
        assert acl.inputs["vpcId"] == "vpc-1"
        assert acl.inputs["subnetIds"] == [f"subnet-{tier}-{i}" for i in range(3)]
        assert acl.inputs["tags"]["Name"] == f"arbiter-unit-{tier}-acl"


def test_the_declared_rules_are_the_plan(build: Build, naming: Naming) -> None:
    ports = _ports(public=8443, services=(8443, 7000))
    d = build(lambda: _acls(naming, ports))
    plan = acl_plan(SUBNETS, ports, vpc_endpoints=False)
    for acl in d.of_type(NACL):
        tier = acl.inputs["tags"]["Tier"]
        for direction in ("ingress", "egress"):
            declared = {
                (r["ruleNo"], r["action"], r["cidrBlock"], r["fromPort"], r["toPort"])
                for r in acl.inputs[direction]
            }
            planned = {
                (r.rule_no, r.action, r.cidr, *(r.ports if r.protocol != "icmp" else (0, 0)))
                for r in getattr(plan[tier], direction)
            }
            assert declared == planned, (tier, direction)
    [private] = [a for a in d.of_type(NACL) if a.inputs["tags"]["Tier"] == "private"]
    allowed = {
        (r["fromPort"], r["toPort"])
        for r in private.inputs["ingress"]
        if r["action"] == "allow" and r["protocol"] == "tcp"
    }
    assert allowed == {(8443, 8443), (7000, 7000), EPHEMERAL}
