"""Network ACLs: a second, subnet-level wall behind the security groups, one ACL per subnet tier.

Security groups already admit only the application's flows; these ACLs hold even if a group is
misconfigured or a new resource lands in the wrong group. ACLs are stateless, so every flow needs a
rule each way: the request on its service port, the reply on the client's ephemeral port. Every
CIDR and port comes in as an argument (the subnets, the ports the tiers serve), built by the
composition from the stack config, so the ACLs follow the network and the services when either
changes; the component knows no service.

Traffic to the VPC resolver, instance metadata and the Amazon Time Sync Service is not filtered by
ACLs, so DNS and NTP need no rules.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import ConfigError
from arbiter_infra.naming import Naming
from components.security_groups import HTTP_PORT, HTTPS_PORT, POSTGRES_PORT, REDIS_PORT

ANYWHERE: Final = "0.0.0.0/0"
#: Client ports of replies. AWS's recommendation: NAT gateways and load balancers use 1024-65535.
EPHEMERAL: Final = (1024, 65535)
#: AWS's default quota of rules per ACL and direction (the hard maximum is 40, on request).
MAX_RULES_PER_DIRECTION: Final = 20
#: ICMP "destination unreachable, fragmentation needed": path MTU discovery across the NAT/IGW.
ICMP_FRAG_NEEDED: Final = (3, 4)
FIRST_RULE, STEP = 100, 10
#: Rules per group: a group's numbers stay below the next group's block.
GROUP_SIZE: Final = FIRST_RULE // STEP

Tier = Literal["public", "private", "database"]
#: The subnet tiers, one ACL each.
TIERS: Final[tuple[Tier, ...]] = ("public", "private", "database")
Protocol = Literal["tcp", "icmp", "-1"]


@dataclass(frozen=True)
class AclRule:
    """One ACL entry; the lowest rule number that matches a packet decides (allow or deny)."""

    action: Literal["allow", "deny"]
    protocol: Protocol
    cidr: str
    ports: tuple[int, int] = (0, 0)
    why: str = ""
    rule_no: int = 0

    def args(self) -> dict[str, object]:
        icmp = self.protocol == "icmp"
        return {
            "rule_no": self.rule_no,
            "action": self.action,
            "protocol": self.protocol,
            "cidr_block": self.cidr,
            "from_port": 0 if icmp else self.ports[0],
            "to_port": 0 if icmp else self.ports[1],
            **({"icmp_type": ICMP_FRAG_NEEDED[0], "icmp_code": ICMP_FRAG_NEEDED[1]} if icmp else {}),
        }


@dataclass(frozen=True)
class TierAcl:
    ingress: list[AclRule]
    egress: list[AclRule]

    @classmethod
    def of(cls, tier: Tier, ingress: list[list[AclRule]], egress: list[list[AclRule]]) -> TierAcl:
        return cls(_numbered(tier, "ingress", ingress), _numbered(tier, "egress", egress))


def _numbered(tier: Tier, direction: str, groups: list[list[AclRule]]) -> list[AclRule]:
    """Each group its own block of numbers (group 1: 100-190, group 2: 200-290 ...).

    The provider updates inline rules by deleting every changed entry and then creating the new
    ones, so a renumbered rule is briefly absent. Fixed blocks keep a group's numbers when another
    group grows, shrinks or disappears (interface endpoints switched on, a subnet added).
    """
    rules: list[AclRule] = []
    for g, group in enumerate(groups):
        if len(group) > GROUP_SIZE:
            raise ConfigError(
                f"arbiter:network {tier}Subnets: the {tier} network ACL would need {len(group)} "
                f"{direction} rules for {group[0].why!r}, at most {GROUP_SIZE}: use subnets that "
                "merge into fewer blocks (adjacent, aligned ranges)"
            )
        base = FIRST_RULE * (g + 1)
        rules += [replace(rule, rule_no=base + STEP * i) for i, rule in enumerate(group)]
    return rules


def _cidrs(nets: Sequence[ipaddress.IPv4Network]) -> list[str]:
    """A tier's subnets as few blocks as cover exactly them (adjacent /24s merge): fewer rules."""
    return [str(n) for n in ipaddress.collapse_addresses(nets)]


def _tcp(
    action: Literal["allow", "deny"], cidrs: list[str], ports: tuple[int, int], why: str
) -> list[AclRule]:
    return [AclRule(action, "tcp", cidr, ports, why) for cidr in cidrs]


def _port(p: int) -> tuple[int, int]:
    return (p, p)


@dataclass(frozen=True, kw_only=True)
class AclPorts:
    """The TCP ports the tiers serve, each opened only between the tiers that use it."""

    #: The port the ALB forwards to in the private tier (the public service's).
    public: int
    #: Every service's port (tasks call each other's in the private tier); order and repeats do not matter.
    services: Sequence[int]
    #: The data tier's ports (Aurora, Redis), reached from the private tier and between AZs.
    data: Sequence[int] = (POSTGRES_PORT, REDIS_PORT)


def acl_plan(
    subnets: Mapping[Tier, Sequence[ipaddress.IPv4Network]], ports: AclPorts, *, vpc_endpoints: bool
) -> dict[Tier, TierAcl]:
    """The rules of each tier's ACL, in evaluation order; derived from the subnets and ports."""
    pub, priv, db = _cidrs(subnets["public"]), _cidrs(subnets["private"]), _cidrs(subnets["database"])
    alb_port = _port(ports.public)
    service_ports = [_port(p) for p in sorted(set(ports.services))]
    data_ports = [_port(p) for p in ports.data]
    https, any_ = _port(HTTPS_PORT), [ANYWHERE]
    icmp = AclRule("allow", "icmp", ANYWHERE, why="path MTU discovery (fragmentation needed)")

    public = TierAcl.of(
        "public",
        ingress=[
            _tcp("allow", any_, https, "HTTPS to the ALB; tasks' HTTPS to the NAT gateway"),
            _tcp("allow", any_, _port(HTTP_PORT), "HTTP to the ALB (redirected to HTTPS)"),
            _tcp("allow", any_, EPHEMERAL, "replies: internet to the NAT, the public service to the ALB"),
            [icmp],
        ],
        egress=[
            [AclRule("deny", "-1", c, why="nothing from the public tier to the data tier") for c in db],
            _tcp("allow", priv, alb_port, "ALB to the public service (REST, gRPC, health checks)"),
            [AclRule("allow", "icmp", c, why="NAT forwarding path MTU messages") for c in priv],
            _tcp("allow", any_, https, "NAT gateway forwarding the tasks' HTTPS"),
            _tcp("allow", any_, EPHEMERAL, "ALB replies to clients; NAT forwarding replies to the tasks"),
        ],
    )
    private_in = [
        _tcp("allow", pub, alb_port, "ALB to the public service"),
        [r for p in service_ports for r in _tcp("allow", priv, p, "service ports between tasks (gRPC)")],
        # Before the reply rule: service ports lie in the ephemeral range, so the reply rule would
        # otherwise open them to the data tier and to anything the NAT relays. A reply to a task
        # whose client port equalled a service port would be dropped too, so the tasks reserve
        # these ports from their client ports (`reserved_client_ports`, README).
        [r for p in service_ports for r in _tcp("deny", any_, p, "service ports from anywhere else")],
        (_tcp("allow", priv, https, "HTTPS to interface endpoints in other AZs") if vpc_endpoints else []),
        _tcp("allow", any_, EPHEMERAL, "replies: from tasks, Aurora, Redis, and the internet via the NAT"),
        [icmp],
    ]
    private_out = [
        [r for p in service_ports for r in _tcp("allow", priv, p, "service ports between tasks (gRPC)")],
        _tcp("allow", priv, EPHEMERAL, "replies between tasks"),
        _tcp("allow", pub, EPHEMERAL, "replies to the ALB"),
        [r for p in data_ports for r in _tcp("allow", db, p, "tasks to Aurora and Redis")],
        _tcp("allow", any_, https, "HTTPS to exchanges, Telegram and AWS APIs (NAT, endpoints)"),
    ]
    database = TierAcl.of(
        "database",
        ingress=[
            [r for p in data_ports for r in _tcp("allow", priv, p, "tasks to Aurora and Redis")],
            [r for p in data_ports for r in _tcp("allow", db, p, "replication between AZs")],
            _tcp("allow", db, EPHEMERAL, "replication replies"),
        ],
        egress=[
            _tcp("allow", priv, EPHEMERAL, "replies to the tasks"),
            [r for p in data_ports for r in _tcp("allow", db, p, "replication between AZs")],
            _tcp("allow", db, EPHEMERAL, "replication replies"),
        ],
    )
    plan: dict[Tier, TierAcl] = {
        "public": public,
        "private": TierAcl.of("private", ingress=private_in, egress=private_out),
        "database": database,
    }
    for tier, acl in plan.items():
        for direction, rules in (("ingress", acl.ingress), ("egress", acl.egress)):
            if len(rules) > MAX_RULES_PER_DIRECTION:
                raise ConfigError(
                    f"arbiter:network {tier}Subnets: the {tier} network ACL would need {len(rules)} "
                    f"{direction} rules, AWS allows {MAX_RULES_PER_DIRECTION}: use subnets that merge "
                    "into fewer blocks (adjacent, aligned ranges)"
                )
    return plan


@dataclass(frozen=True, kw_only=True)
class NetworkAclsArgs:
    #: The stack's names: each ACL is tagged `<prefix>-<tier>-acl`.
    naming: Naming
    #: The VPC the ACLs belong to.
    vpc_id: pulumi.Input[str]
    #: Tier -> its subnets' ids: the ACL is associated with exactly these.
    subnet_ids: Mapping[Tier, Sequence[pulumi.Input[str]]]
    #: Tier -> its subnets' CIDR blocks: the rules' peers (merged into as few blocks as cover them).
    subnet_cidrs: Mapping[Tier, Sequence[ipaddress.IPv4Network]]
    #: The ports the tiers serve.
    ports: AclPorts
    #: Interface endpoints in the private tier: its tasks reach them over HTTPS across AZs (default off).
    vpc_endpoints: bool = False


class NetworkAcls(pulumi.ComponentResource):
    """One ACL per tier with inline rules, associated with that tier's subnets."""

    acls: dict[Tier, aws.ec2.NetworkAcl]

    def __init__(self, name: str, args: NetworkAclsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:network:NetworkAcls", name, None, opts)
        self.acls = {}
        plan = acl_plan(args.subnet_cidrs, args.ports, vpc_endpoints=args.vpc_endpoints)
        for tier, acl in plan.items():
            # Inline rules only (never mixed with NetworkAclRule resources, which would fight them).
            self.acls[tier] = aws.ec2.NetworkAcl(
                f"{name}-{tier}",
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids[tier],
                ingress=[aws.ec2.NetworkAclIngressArgs(**r.args()) for r in acl.ingress],  # type: ignore[arg-type]
                egress=[aws.ec2.NetworkAclEgressArgs(**r.args()) for r in acl.egress],  # type: ignore[arg-type]
                tags={"Name": args.naming(tier, "acl"), "Tier": tier},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"aclIds": {tier: acl.id for tier, acl in self.acls.items()}})
