"""Network exposure: only the ALB faces the internet, data tiers have no route out, rules are narrow."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import Severity

from policies.base import (
    UNKNOWN,
    ArbiterPolicy,
    Res,
    StackView,
    as_list,
    dig,
    index_by,
    is_blank,
    is_set,
    is_true,
    number,
)
from policies.resource_types import (
    DEFAULT_SG,
    EC2_INSTANCE,
    ECS_SERVICE,
    EIP,
    FLOW_LOG,
    LOAD_BALANCERS,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
    REPLICATION_GROUP,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SECURITY_GROUP,
    SG_EGRESS,
    SG_INGRESS,
    SG_RULE,
    SUBNET,
    VPC,
)

WORLD: Final = frozenset({"0.0.0.0/0", "::/0"})
#: Ports that must never be reachable from the internet, with what they expose.
SENSITIVE_PORTS: Final = {
    22: "SSH",
    3389: "RDP",
    5432: "PostgreSQL",
    3306: "MySQL",
    6379: "Redis",
    11211: "Memcached",
    50051: "gRPC (trading-core)",
}
#: The only ports the design opens to the internet (the ALB's HTTP redirect and HTTPS).
DEFAULT_PUBLIC_PORTS: Final = (80, 443)


@dataclass(frozen=True)
class SgRule:
    """One security-group rule, whichever of the three resource shapes declared it."""

    direction: Any
    cidrs: tuple[Any, ...]
    protocol: Any
    from_port: Any
    to_port: Any
    description: Any
    where: str

    @property
    def world_open(self) -> bool:
        return any(c in WORLD for c in self.cidrs)

    def port_range(self) -> tuple[int, int] | None:
        """Ports covered, (0, 65535) for all traffic; None if unknown or not a port protocol."""
        protocol = str(self.protocol).lower() if self.protocol is not UNKNOWN else None
        if protocol is None:
            return None
        if protocol in ("-1", "all"):
            return (0, 65535)
        if protocol not in ("tcp", "udp", "6", "17"):
            return None
        low, high = number(self.from_port), number(self.to_port)
        if low is None or high is None:
            return None
        if (low <= 0 and high >= 65535) or low == -1:
            return (0, 65535)
        return (int(low), int(high))


def _block_rules(blocks: Any, direction: str, where: str) -> Iterator[SgRule]:
    for i, block in enumerate(as_list(blocks)):
        if block is UNKNOWN:
            continue
        cidrs = (*as_list(dig(block, "cidrBlocks")), *as_list(dig(block, "ipv6CidrBlocks")))
        yield SgRule(
            direction,
            tuple(cidrs),
            dig(block, "protocol"),
            dig(block, "fromPort"),
            dig(block, "toPort"),
            dig(block, "description"),
            f"{where}[{i}]",
        )


def sg_rules(res: Res) -> list[SgRule]:
    """Normalized rules of a SecurityGroup (inline), SecurityGroupRule or VPC ingress/egress rule."""
    if res.type in (SECURITY_GROUP, DEFAULT_SG):
        return [
            *_block_rules(res.get("ingress"), "ingress", "ingress"),
            *_block_rules(res.get("egress"), "egress", "egress"),
        ]
    if res.type == SG_RULE:
        cidrs = (*as_list(res.get("cidrBlocks")), *as_list(res.get("ipv6CidrBlocks")))
        return [
            SgRule(
                res.get("type"),
                tuple(cidrs),
                res.get("protocol"),
                res.get("fromPort"),
                res.get("toPort"),
                res.get("description"),
                "rule",
            )
        ]
    if res.type in (SG_INGRESS, SG_EGRESS):
        direction = "ingress" if res.type == SG_INGRESS else "egress"
        cidrs = tuple(c for c in (res.get("cidrIpv4"), res.get("cidrIpv6")) if c is not None)
        return [
            SgRule(
                direction,
                cidrs,
                res.get("ipProtocol"),
                res.get("fromPort"),
                res.get("toPort"),
                res.get("description"),
                "rule",
            )
        ]
    return []


def _check_world_ports(res: Res) -> Iterator[str]:
    allowed = {int(p) for p in as_list(res.config.get("allowedPublicPorts", list(DEFAULT_PUBLIC_PORTS)))}
    for rule in sg_rules(res):
        if rule.direction != "ingress" or not rule.world_open:
            continue
        ports = rule.port_range()
        if ports is None:
            continue
        low, high = ports
        label = f"{rule.where}: ports {low}-{high} open to {'/'.join(c for c in rule.cidrs if c in WORLD)}"
        if (low, high) == (0, 65535):
            yield f"{label}: all ports are reachable from the internet"
            continue
        exposed = [f"{port} ({what})" for port, what in SENSITIVE_PORTS.items() if low <= port <= high]
        if exposed:
            yield f"{label}: exposes {', '.join(exposed)} to the internet"
        elif high - low > 64 or not set(range(low, high + 1)) <= allowed:
            yield f"{label}: only ports {sorted(allowed)} may be opened to the internet"


def _check_described(res: Res) -> Iterator[str]:
    if res.type == SECURITY_GROUP and (
        is_blank(res.get("description")) or res.get("description") == "Managed by Pulumi"
    ):
        yield "security group has no description of its purpose"
    for rule in sg_rules(res):
        if is_blank(rule.description):
            yield f"{rule.where}: {rule.direction} rule has no description"


def _check_subnet(res: Res) -> Iterator[str]:
    if is_true(res.get("mapPublicIpOnLaunch")):
        yield "mapPublicIpOnLaunch is true: instances and tasks launched here get a public IP"
    if is_true(res.get("assignIpv6AddressOnCreation")):
        yield "assignIpv6AddressOnCreation is true: launched interfaces get a globally routable IPv6 address"


def _check_service_ip(res: Res) -> Iterator[str]:
    if is_true(res.get("networkConfiguration", "assignPublicIp")):
        yield "networkConfiguration.assignPublicIp is true: tasks would be reachable from the internet"


def _check_db_public(res: Res) -> Iterator[str]:
    if is_true(res.get("publiclyAccessible")):
        yield "publiclyAccessible is true: the database gets a public endpoint"


def _check_cache_subnet_group(res: Res) -> Iterator[str]:
    if is_blank(res.get("subnetGroupName")):
        yield "subnetGroupName is not set: the cache would use the default subnet group of the default VPC"


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


def _default_security_group_closed(view: StackView) -> Iterator[tuple[str, str | None]]:
    defaults = view.of_type(DEFAULT_SG)
    for sg in defaults:
        # An unknown list may be empty; a list with an item (even an unknown one) holds a rule.
        if any(rules is not UNKNOWN and as_list(rules) for rules in (sg.get("ingress"), sg.get("egress"))):
            yield "the VPC's default security group has rules: it must allow no traffic", sg.urn
    by_vpc, unknown = index_by(defaults, "vpcId")
    if unknown:
        return
    for vpc in view.of_type(VPC):
        vid = vpc.get("id")
        if isinstance(vid, str) and vid not in by_vpc:
            yield "VPC has no DefaultSecurityGroup resource stripping its default security group", vpc.urn


def _vpc_flow_logs(view: StackView) -> Iterator[tuple[str, str | None]]:
    logs, unknown = index_by(view.of_type(FLOW_LOG), "vpcId")
    if unknown:
        return
    for vpc in view.of_type(VPC):
        vid = vpc.get("id")
        if isinstance(vid, str) and vid not in logs:
            yield "VPC has no flow log", vpc.urn


POLICIES: Final = [
    ArbiterPolicy(
        name="subnet-no-public-ip-on-launch",
        description="Subnets do not auto-assign public IPs: exposure is decided per resource, never by default.",
        severity=Severity.HIGH,
        controls=("EC2.15",),
        remediation="Set map_public_ip_on_launch=False (and assign_ipv6_address_on_creation=False) on every subnet.",
        resource_types=(SUBNET,),
        check=_check_subnet,
    ),
    ArbiterPolicy(
        name="ecs-service-no-public-ip",
        description="ECS tasks get no public IP: they are reached only through the ALB.",
        severity=Severity.HIGH,
        controls=("ECS.2",),
        remediation="Set network_configuration.assign_public_ip=False and place the service in private subnets.",
        resource_types=(ECS_SERVICE,),
        check=_check_service_ip,
    ),
    ArbiterPolicy(
        name="database-not-publicly-accessible",
        description="Database instances have no public endpoint.",
        severity=Severity.CRITICAL,
        controls=("RDS.2",),
        remediation="Set publicly_accessible=False on every RDS/Aurora instance.",
        resource_types=(RDS_CLUSTER_INSTANCE, RDS_INSTANCE),
        check=_check_db_public,
    ),
    ArbiterPolicy(
        name="elasticache-custom-subnet-group",
        description="Redis runs in this VPC's database subnets, not the default subnet group.",
        severity=Severity.MEDIUM,
        controls=("ElastiCache.7",),
        remediation="Create an aws.elasticache.SubnetGroup over the database subnets and pass subnet_group_name.",
        resource_types=(REPLICATION_GROUP,),
        check=_check_cache_subnet_group,
    ),
    ArbiterPolicy(
        name="security-group-no-world-open-ports",
        description=(
            "Security groups open only the ALB's HTTP/HTTPS ports to 0.0.0.0/0 or ::/0; never database, "
            "cache, SSH or all ports."
        ),
        severity=Severity.CRITICAL,
        controls=("EC2.18", "EC2.19", "EC23", "RDS8"),
        remediation=(
            "Reference the source security group (referenced_security_group_id / source_security_group_id) "
            "instead of a world CIDR; only the ALB's 80/443 may use 0.0.0.0/0 and ::/0."
        ),
        resource_types=(SECURITY_GROUP, SG_RULE, SG_INGRESS),
        check=_check_world_ports,
        config_properties={
            "allowedPublicPorts": {
                "type": "array",
                "items": {"type": "integer"},
                "default": list(DEFAULT_PUBLIC_PORTS),
                "description": "Ports that may be opened to the internet.",
            }
        },
    ),
    ArbiterPolicy(
        name="security-group-rules-described",
        description="Every security group and rule says why it exists, so reviews can judge it.",
        severity=Severity.LOW,
        controls=("EC27",),
        remediation="Give every security group a description and every ingress/egress rule a description.",
        resource_types=(SECURITY_GROUP, SG_RULE, SG_INGRESS, SG_EGRESS),
        check=_check_described,
    ),
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
    ArbiterPolicy(
        name="default-security-group-closed",
        description="Each VPC's default security group is adopted and stripped of all rules.",
        severity=Severity.MEDIUM,
        controls=("EC2.2",),
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) with no ingress and no egress.",
        resource_types=(VPC, DEFAULT_SG),
        stack_check=_default_security_group_closed,
    ),
    ArbiterPolicy(
        name="vpc-flow-logs-enabled",
        description="Each VPC records flow logs, for incident investigation.",
        severity=Severity.MEDIUM,
        controls=("EC2.6", "VPC7"),
        remediation="Declare aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL') to a retained, encrypted log group.",
        resource_types=(VPC, FLOW_LOG),
        stack_check=_vpc_flow_logs,
    ),
]
