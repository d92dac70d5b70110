"""Security groups: only the ALB's HTTP/HTTPS ports face the internet, every rule says why it exists.

Rules come in three resource shapes (inline blocks, `SecurityGroupRule`, the VPC ingress/egress rule
resources); `sg_rules` reads each into one `SgRule`, so every check judges all three alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import Severity

from policies.base import UNKNOWN, ArbiterPolicy, Res, as_list, dig, is_blank, number
from policies.resource_types import DEFAULT_SG, SECURITY_GROUP, SG_EGRESS, SG_INGRESS, SG_RULE

#: The internet, as a CIDR in either address family.
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


POLICIES: Final = [
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
]
