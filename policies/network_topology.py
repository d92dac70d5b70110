"""Network topology over the whole stack: services in private subnets, the data tier walled off
(no route out, its own network ACL), and only the one ALB facing the internet.

Subnet tiers come from the `Tier` tag (public, private, database), never from names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import Severity

from policies.base import UNKNOWN, ArbiterPolicy, StackView, as_list, dig, is_set, is_true
from policies.network_security_groups import WORLD
from policies.resource_types import (
    EC2_INSTANCE,
    ECS_SERVICE,
    EIP,
    LOAD_BALANCERS,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SUBNET,
)


def _tier_subnets(view: StackView, tier: str) -> tuple[set[str], bool]:
    """Ids of subnets tagged Tier=`tier`, and whether any subnet id or tag is still unknown."""
    ids: set[str] = set()
    unknown = False
    for subnet in view.of_type(SUBNET):
        sid, tags = subnet.get("id"), subnet.get("tags")
        if sid is UNKNOWN or tags is UNKNOWN or dig(tags, "Tier") is UNKNOWN:
            unknown = True
        elif dig(tags, "Tier") == tier and isinstance(sid, str):
            ids.add(sid)
    return ids, unknown


def _services_in_private_subnets(view: StackView) -> Iterator[tuple[str, str | None]]:
    private, unknown = _tier_subnets(view, "private")
    for service in view.of_type(ECS_SERVICE):
        subnets = service.get("networkConfiguration", "subnets")
        if subnets is UNKNOWN:
            continue
        if not as_list(subnets):
            yield (
                "service has no networkConfiguration.subnets: tasks must run in the private subnets",
                service.urn,
            )
            continue
        for subnet in as_list(subnets):
            if subnet is UNKNOWN or subnet in private or (unknown and isinstance(subnet, str)):
                continue
            yield f"service runs in subnet {subnet}, which is not a subnet tagged Tier=private", service.urn


def _default_route(cidr: Any, ipv6: Any) -> bool:
    return cidr in WORLD or ipv6 in WORLD


def _database_subnets_no_internet_route(view: StackView) -> Iterator[tuple[str, str | None]]:
    database, _ = _tier_subnets(view, "database")
    if not database:
        return
    tables: dict[str, set[str]] = {}
    for assoc in view.of_type(ROUTE_TABLE_ASSOCIATION):
        subnet, table = assoc.get("subnetId"), assoc.get("routeTableId")
        if isinstance(subnet, str) and subnet in database and isinstance(table, str):
            tables.setdefault(table, set()).add(subnet)
    for route in view.of_type(ROUTE):
        table = route.get("routeTableId")
        if table in tables and _default_route(
            route.get("destinationCidrBlock"), route.get("destinationIpv6CidrBlock")
        ):
            subnets = ", ".join(sorted(tables[table]))
            yield (
                f"route table {table} of database subnet(s) {subnets} has a default route to the internet",
                route.urn,
            )
    for table_res in view.of_type(ROUTE_TABLE):
        table = table_res.get("id")
        if table not in tables:
            continue
        for entry in as_list(table_res.get("routes")):
            if _default_route(dig(entry, "cidrBlock"), dig(entry, "ipv6CidrBlock")):
                subnets = ", ".join(sorted(tables[table]))
                yield (
                    f"route table {table} of database subnet(s) {subnets} has an inline default route",
                    table_res.urn,
                )


def _overlaps(cidr: str, blocks: list[str]) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
        return any(net.overlaps(ipaddress.ip_network(b, strict=False)) for b in blocks if ":" not in b)
    except ValueError:
        return False


def _acl_entry_problem(entry: Any, egress: bool, public: list[str]) -> str | None:
    """Why one allow entry of a database-tier ACL breaks the rule; None if it does not (or is unknown)."""
    action = dig(entry, "action") if dig(entry, "ruleAction") is None else dig(entry, "ruleAction")
    if action != "allow":
        return None
    cidr = dig(entry, "cidrBlock") or dig(entry, "ipv6CidrBlock")
    way = "outbound to" if egress else "inbound from"
    if cidr in WORLD:
        return f"allows {way} {cidr}"
    if isinstance(cidr, str) and _overlaps(cidr, public):
        return f"allows {way} {cidr}, which covers public subnets"
    return None


def _database_subnets_acl(view: StackView) -> Iterator[tuple[str, str | None]]:
    database, _ = _tier_subnets(view, "database")
    if not database:
        return
    public = [
        str(s.get("cidrBlock"))
        for s in view.of_type(SUBNET)
        if dig(s.get("tags"), "Tier") == "public" and isinstance(s.get("cidrBlock"), str)
    ]
    acls: dict[str, set[str]] = {}  # ACL id -> database subnets it holds
    unknown = False
    for acl in view.of_type(NETWORK_ACL):
        subnets = acl.get("subnetIds")
        unknown |= subnets is UNKNOWN or any(s is UNKNOWN for s in as_list(subnets))
        held = {s for s in as_list(subnets) if isinstance(s, str) and s in database}
        if held:
            acls.setdefault(str(acl.get("id")), set()).update(held)
            for direction, egress in (("ingress", False), ("egress", True)):
                for entry in as_list(acl.get(direction)):
                    problem = _acl_entry_problem(entry, egress, public)
                    if problem:
                        yield (
                            f"network ACL of database subnets {problem}: the data tier admits only the private subnets",
                            acl.urn,
                        )
    for assoc in view.of_type(NETWORK_ACL_ASSOCIATION):
        subnet, acl_id = assoc.get("subnetId"), assoc.get("networkAclId")
        unknown |= subnet is UNKNOWN or acl_id is UNKNOWN
        if isinstance(subnet, str) and subnet in database and isinstance(acl_id, str):
            acls.setdefault(acl_id, set()).add(subnet)
    for rule in view.of_type(NETWORK_ACL_RULE):
        if rule.get("networkAclId") in acls:
            problem = _acl_entry_problem(rule.props, is_true(rule.get("egress")), public)
            if problem:
                yield (
                    f"network ACL rule of database subnets {problem}: the data tier admits only the private subnets",
                    rule.urn,
                )
    if unknown:
        return
    covered = set().union(*acls.values()) if acls else set()
    for subnet in view.of_type(SUBNET):
        sid = subnet.get("id")
        if sid in database and sid not in covered:
            yield (
                f"database subnet {sid} has no network ACL of its own: the VPC's default ACL admits everything",
                subnet.urn,
            )


def _only_alb_faces_internet(view: StackView) -> Iterator[tuple[str, str | None]]:
    public_lbs = [
        lb
        for lb in view.of_type(*LOAD_BALANCERS)
        if lb.get("internal") is not UNKNOWN and not is_true(lb.get("internal"))
    ]
    for lb in public_lbs:
        kind = lb.get("loadBalancerType")
        if kind not in (None, "application", UNKNOWN):
            yield (
                f"internet-facing {kind} load balancer: only the application load balancer may face the internet",
                lb.urn,
            )
    albs = [lb for lb in public_lbs if lb.get("loadBalancerType") in (None, "application")]
    if len(albs) > 1:
        names = ", ".join(lb.name for lb in albs)
        for lb in albs[1:]:
            yield f"{len(albs)} internet-facing ALBs ({names}): the design has exactly one", lb.urn
    for service in view.of_type(ECS_SERVICE):
        if is_true(service.get("networkConfiguration", "assignPublicIp")):
            yield "ECS service assigns public IPs to its tasks", service.urn
    for db in view.of_type(RDS_CLUSTER_INSTANCE, RDS_INSTANCE):
        if is_true(db.get("publiclyAccessible")):
            yield "database instance is publicly accessible", db.urn
    for instance in view.of_type(EC2_INSTANCE):
        if is_true(instance.get("associatePublicIpAddress")):
            yield "EC2 instance has a public IP address", instance.urn
    for eip in view.of_type(EIP):
        if any(is_set(eip.get(key)) for key in ("instance", "networkInterface", "associateWithPrivateIp")):
            yield (
                "Elastic IP is attached to an instance or interface (only NAT gateways may hold one)",
                eip.urn,
            )


POLICIES: Final = [
    ArbiterPolicy(
        name="services-in-private-subnets",
        description="ECS services run only in subnets tagged Tier=private.",
        severity=Severity.HIGH,
        controls=("ECS.2", "EC2.15"),
        remediation="Pass the private subnet ids (Tier=private) as the service's network_configuration.subnets.",
        resource_types=(ECS_SERVICE, SUBNET),
        stack_check=_services_in_private_subnets,
    ),
    ArbiterPolicy(
        name="database-subnets-no-internet-route",
        description="Subnets tagged Tier=database have no default route (0.0.0.0/0 or ::/0) to any gateway.",
        severity=Severity.HIGH,
        controls=("RDS.2", "ElastiCache.7"),
        remediation="Give the database subnets their own route table with only the local route.",
        resource_types=(SUBNET, ROUTE, ROUTE_TABLE, ROUTE_TABLE_ASSOCIATION),
        stack_check=_database_subnets_no_internet_route,
    ),
    ArbiterPolicy(
        name="database-subnets-acl-private-only",
        description=(
            "Subnets tagged Tier=database sit behind a network ACL that allows nothing from or to "
            "0.0.0.0/0, ::/0 or the public subnets: a second wall behind the security groups."
        ),
        severity=Severity.HIGH,
        controls=("EC2.21", "RDS.2", "ElastiCache.7"),
        remediation=(
            "Associate the database subnets with an aws.ec2.NetworkAcl whose allow rules name only the "
            "private (and database) subnets' CIDRs."
        ),
        resource_types=(SUBNET, NETWORK_ACL, NETWORK_ACL_RULE, NETWORK_ACL_ASSOCIATION),
        stack_check=_database_subnets_acl,
    ),
    ArbiterPolicy(
        name="only-alb-faces-internet",
        description=(
            "Nothing but the one application load balancer faces the internet: no public tasks, databases, "
            "instances, Elastic IPs on hosts or other internet-facing load balancers."
        ),
        severity=Severity.CRITICAL,
        controls=("ECS.2", "RDS.2", "EC2.9"),
        remediation="Make every other load balancer internal=True and remove public IPs from tasks and databases.",
        resource_types=(*LOAD_BALANCERS, ECS_SERVICE, RDS_CLUSTER_INSTANCE, RDS_INSTANCE, EC2_INSTANCE, EIP),
        stack_check=_only_alb_faces_internet,
    ),
]
