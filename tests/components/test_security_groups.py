"""SecurityGroups alone: given services and flows, it opens exactly those ports between the groups."""

from __future__ import annotations

import pytest

from arbiter_infra.naming import Naming
from arbiter_tools.runtime import Deployment
from components.security_groups import Flow, SecurityGroups, SecurityGroupsArgs
from tests.components.conftest import Build

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
FLOWS = [
    Flow("alb", "front", 8080, "ALB to front"),
    Flow("front", "back", 9000, "front to back"),
    Flow("back", "database", 5432, "back to the database"),
]


def _groups(
    naming: Naming, flows: list[Flow], services: tuple[str, ...] = ("front", "back")
) -> SecurityGroups:
    return SecurityGroups(
        naming("sg"), SecurityGroupsArgs(naming=naming, vpc_id="vpc-1", services=services, flows=flows)
    )


def _group_names(d: Deployment) -> dict[str, str]:
    """Group id -> its key (`alb`, a service, `database`, `cache`)."""
    return {g.id: g.inputs["name"].removeprefix("arbiter-unit-") for g in d.of_type(SG)}


def _between_groups(d: Deployment, type_: str) -> set[tuple[str, str, int, int]]:
    """(group, peer group, from port, to port) of every rule that names another group."""
    names = _group_names(d)
    return {
        (
            names[r.inputs["securityGroupId"]],
            names[r.inputs["referencedSecurityGroupId"]],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in d.of_type(type_)
        if r.inputs.get("referencedSecurityGroupId")
    }


def test_a_group_per_service_and_the_fixed_ones_in_the_vpc(build: Build, naming: Naming) -> None:
    d = build(lambda: _groups(naming, FLOWS))
    assert sorted(_group_names(d).values()) == ["alb", "back", "cache", "database", "front"]
    assert {g.inputs["vpcId"] for g in d.of_type(SG)} == {"vpc-1"}


def test_exactly_the_flows_are_opened_both_ways(build: Build, naming: Naming) -> None:
    d = build(lambda: _groups(naming, FLOWS))
    assert _between_groups(d, EGRESS) == {(f.source, f.target, f.port, f.port) for f in FLOWS}
    assert _between_groups(d, INGRESS) == {(f.target, f.source, f.port, f.port) for f in FLOWS}
    descriptions = {
        r.inputs["description"] for r in d.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId")
    }
    assert descriptions == {f.description for f in FLOWS}


def test_no_flow_no_rule_between_groups(build: Build, naming: Naming) -> None:
    d = build(lambda: _groups(naming, []))
    assert _between_groups(d, EGRESS) == set() == _between_groups(d, INGRESS)


def test_only_the_alb_is_open_to_the_internet_and_only_on_443_and_80(build: Build, naming: Naming) -> None:
    d = build(lambda: _groups(naming, FLOWS))
    names = _group_names(d)
    open_in = [r for r in d.of_type(INGRESS) if r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")]
    assert {names[r.inputs["securityGroupId"]] for r in open_in} == {"alb"}
    assert sorted(
        (r.inputs["fromPort"], r.inputs.get("cidrIpv4") or r.inputs["cidrIpv6"]) for r in open_in
    ) == [
        (80, "0.0.0.0/0"),
        (80, "::/0"),
        (443, "0.0.0.0/0"),
        (443, "::/0"),
    ]


def test_every_service_may_call_https_apis_and_nothing_else_outside(build: Build, naming: Naming) -> None:
    d = build(lambda: _groups(naming, FLOWS))
    names = _group_names(d)
    out = [r for r in d.of_type(EGRESS) if r.inputs.get("cidrIpv4")]
    assert sorted(
        (names[r.inputs["securityGroupId"]], r.inputs["fromPort"], r.inputs["toPort"]) for r in out
    ) == [
        ("back", 443, 443),
        ("front", 443, 443),
    ]


def test_a_flow_to_an_unknown_group_is_refused(build: Build, naming: Naming) -> None:
    with pytest.raises(Exception, match=r"flows name groups that do not exist: \['nowhere'\]"):
        build(lambda: _groups(naming, [Flow("front", "nowhere", 1, "typo")]))
