"""Network ACLs judged as flows: a TCP connection passes only if every ACL on its path admits the
request and the reply (ACLs are stateless; first matching rule by number wins, else deny)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pytest

from arbiter_tools.runtime import Deployment
from components.ecs_task import RESERVED_PORTS_SYSCTL
from components.nacl import MAX_RULES_PER_DIRECTION
from tests.conftest import stack_sections

NACL = "aws:ec2/networkAcl:NetworkAcl"
SUBNET = "aws:ec2/subnet:Subnet"
INTERNET_IP = "203.0.113.10"
#: Client ports a reply may go to: the ends of AWS's range and of Linux's default autobind range.
CLIENT_PORTS = (1024, 32768, 49152, 60999, 65535)
PROTOCOLS = {"tcp": "6", "6": "6", "icmp": "1", "1": "1", "-1": "-1", "all": "-1"}


@dataclass(frozen=True)
class Host:
    ip: str
    #: The subnet's CIDR; None outside the VPC (the internet).
    subnet: str | None


@dataclass(frozen=True)
class Net:
    """A deployment's subnets and ACLs, as the evaluator needs them."""

    d: Deployment

    def subnets(self, tier: str) -> list[str]:
        subnets = [s for s in self.d.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier]
        return [s.inputs["cidrBlock"] for s in sorted(subnets, key=lambda s: s.inputs["availabilityZone"])]

    def host(self, tier: str, az: int = 0) -> Host:
        if tier == "internet":
            return Host(INTERNET_IP, None)
        cidr = self.subnets(tier)[az]
        return Host(str(ipaddress.ip_network(cidr)[10]), cidr)

    def acl(self, subnet: str) -> dict[str, Any]:
        [sub] = [s for s in self.d.of_type(SUBNET) if s.inputs["cidrBlock"] == subnet]
        [acl] = [a for a in self.d.of_type(NACL) if sub.id in a.inputs["subnetIds"]]
        return acl.inputs

    def admits(self, subnet: str | None, direction: str, peer: str, port: int, protocol: str) -> bool:
        """The ACL of `subnet` on a packet to/from `peer` (the other end) with destination `port`."""
        if subnet is None:
            return True
        for rule in sorted(self.acl(subnet)[direction], key=lambda r: r["ruleNo"]):
            proto = PROTOCOLS[str(rule["protocol"]).lower()]
            if proto not in ("-1", PROTOCOLS[protocol]):
                continue
            if proto == "6" and not rule["fromPort"] <= port <= rule["toPort"]:
                continue
            if ipaddress.ip_address(peer) not in ipaddress.ip_network(rule["cidrBlock"]):
                continue
            return bool(rule["action"] == "allow")
        return False  # the ACL's implicit final rule: deny

    def crosses(self, src: Host, dst: Host, port: int, *, via: Host | None = None) -> bool:
        """One packet from `src` to `dst` (through the NAT `via`), destination `port`."""
        hops = [(src.subnet, dst.ip), (via.subnet, dst.ip)] if via else [(src.subnet, dst.ip)]
        entries = [(via.subnet, src.ip), (dst.subnet, src.ip)] if via else [(dst.subnet, src.ip)]
        for (out_subnet, out_peer), (in_subnet, in_peer) in zip(hops, entries, strict=True):
            if out_subnet == in_subnet and out_subnet is not None:
                continue  # ACLs filter traffic entering and leaving a subnet, not within it
            if not self.admits(out_subnet, "egress", out_peer, port, "tcp"):
                return False
            if not self.admits(in_subnet, "ingress", in_peer, port, "tcp"):
                return False
        return True

    def connects(self, src: Host, dst: Host, port: int, *, client_port: int | None = None) -> bool:
        """A TCP connection: the request, and the reply to every client port (or the one given)."""
        via = self.nat_for(src) if dst.subnet is None and src.subnet in self.subnets("private") else None
        if not self.crosses(src, dst, port, via=via):
            return False
        for cp in (client_port,) if client_port else CLIENT_PORTS:
            if via is None:
                if not self.crosses(dst, src, cp):
                    return False
            # Through the NAT: internet -> NAT (the NAT's own port), then NAT -> task (the task's port).
            elif not (self.crosses(dst, via, cp) and self._nat_to_task(dst, via, src, cp)):
                return False
        return True

    def _nat_to_task(self, origin: Host, nat: Host, task: Host, port: int) -> bool:
        return self.admits(nat.subnet, "egress", task.ip, port, "tcp") and self.admits(
            task.subnet, "ingress", origin.ip, port, "tcp"
        )

    def nat_for(self, task: Host) -> Host:
        # The NAT's subnet is public; the same ACL governs every public subnet.
        return self.host("public", 0)


#: (from tier, to tier, port or service whose port it is, allowed)
FLOWS: list[tuple[str, str, str | int, bool]] = [
    ("internet", "public", 443, True),
    ("internet", "public", 80, True),
    ("public", "private", "web-api", True),  # ALB to web-api, any AZ
    ("private", "private", "trading-core", True),  # bot / web-api to trading-core gRPC
    ("private", "private", "web-api", True),
    ("private", "database", 5432, True),
    ("private", "database", 6379, True),
    ("private", "internet", 443, True),  # through the NAT
    ("database", "database", 6379, True),  # replication across AZs
    ("public", "database", 5432, False),
    ("public", "database", 6379, False),
    ("internet", "database", 5432, False),
    ("internet", "private", "trading-core", False),
    ("internet", "private", "web-api", False),
    ("public", "private", "trading-core", False),
    ("database", "private", "trading-core", False),
    ("database", "internet", 443, False),
    ("database", "public", 443, False),
    ("private", "internet", 80, False),
    ("private", "database", 22, False),
    ("internet", "private", 22, False),
]


def _port(stack: str, key: str | int) -> int:
    if isinstance(key, int):
        return key
    services = stack_sections(stack)["services"]
    return int(services["tradingCore" if key == "trading-core" else "webApi"]["port"])


@pytest.mark.parametrize("flow", FLOWS, ids=[f"{f[0]}-{f[1]}-{f[2]}" for f in FLOWS])
@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_flow_between_tiers(
    request: pytest.FixtureRequest, stack: str, flow: tuple[str, str, str | int, bool]
) -> None:
    src, dst, port, allowed = flow
    net = Net(request.getfixturevalue(stack))
    # Between different AZs both ways round (a -> b, c -> a): each crossing meets two ACLs.
    for src_az, dst_az in ((0, 1), (2, 0)):
        a, b = net.host(src, src_az), net.host(dst, dst_az)
        assert net.connects(a, b, _port(stack, port)) is allowed, (src, src_az, dst, dst_az, port)


def test_interface_endpoints_in_other_azs_are_reachable_only_where_deployed(
    staging: Deployment, prod: Deployment
) -> None:
    for d, deployed in ((staging, False), (prod, True)):
        net = Net(d)
        assert net.connects(net.host("private", 0), net.host("private", 1), 443) is deployed


#: Linux's default client (autobind) ports, `net.ipv4.ip_local_port_range` (the kernel default; the
#: task definition does not change it).
LINUX_CLIENT_PORTS = range(32768, 61000)


def _reserved_ports(d: Deployment) -> dict[str, set[int]]:
    """Per task family: the ports its containers keep out of the client-port choice."""
    out: dict[str, set[int]] = {}
    for td in d.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        ports: set[int] = set()
        for container in json.loads(td.inputs["containerDefinitions"]):
            for ctl in container.get("systemControls", []):
                if ctl["namespace"] == RESERVED_PORTS_SYSCTL:
                    for part in ctl["value"].split(","):
                        low, _, high = part.partition("-")
                        ports |= set(range(int(low), int(high or low) + 1))
        out[td.inputs["family"]] = ports
    return out


def test_no_reply_to_a_client_port_a_task_can_pick_is_dropped(deployment: Deployment) -> None:
    """Stateless ACLs cannot tell a reply to port 50051 from a new connection to it, so the private
    tier denies the internet, the data tier and the ALB's tier both. Each task reserves every port
    the ACL denies from its client ports: then, for every client port Linux may still pick, a reply
    from any peer (the internet through the NAT, Aurora/Redis, another task, the public tier) is
    admitted."""
    net = Net(deployment)
    private = net.subnets("private")[0]
    rules = [
        (
            PROTOCOLS[str(r["protocol"]).lower()],
            int(r["fromPort"]),
            int(r["toPort"]),
            ipaddress.ip_network(r["cidrBlock"]),
            r["action"],
        )
        for r in sorted(net.acl(private)["ingress"], key=lambda r: r["ruleNo"])
    ]
    peers = [ipaddress.ip_address(net.host(t, 1).ip) for t in ("internet", "database", "private", "public")]

    def admitted(peer: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> bool:
        for proto, low, high, cidr, action in rules:
            if proto in ("-1", "6") and (proto == "-1" or low <= port <= high) and peer in cidr:
                return bool(action == "allow")
        return False

    denied = {p for _, low, high, _, action in rules if action == "deny" for p in range(low, high + 1)}
    services = {
        int(svc["port"])
        for svc in stack_sections(deployment.stack)["services"].values()
        if isinstance(svc, dict) and "port" in svc
    }
    assert denied == services  # the service ports, denied from everywhere but their callers
    reserved = _reserved_ports(deployment)
    assert len(reserved) == 3
    for family, ports in reserved.items():
        assert ports >= denied, family
        dropped = [
            (str(peer), port)
            for port in LINUX_CLIENT_PORTS
            if port not in ports
            for peer in peers
            if not admitted(peer, port)
        ]
        assert dropped == [], family
    # Without the reservation a task could pick 50051 and lose the reply (1 in ~28,000 connections).
    assert any(port in LINUX_CLIENT_PORTS and not admitted(peers[0], port) for port in denied)


def test_path_mtu_discovery_reaches_tasks_through_the_nat(deployment: Deployment) -> None:
    net = Net(deployment)
    public, private = net.subnets("public")[0], net.subnets("private")[0]
    assert net.admits(public, "ingress", INTERNET_IP, 0, "icmp")
    assert net.admits(public, "egress", str(ipaddress.ip_network(private)[10]), 0, "icmp")
    assert net.admits(private, "ingress", INTERNET_IP, 0, "icmp")
    assert not net.admits(net.subnets("database")[0], "ingress", INTERNET_IP, 0, "icmp")


def test_every_subnet_has_its_tiers_acl_and_rules_fit_the_quota(deployment: Deployment) -> None:
    acls = deployment.of_type(NACL)
    assert sorted(a.inputs["tags"]["Tier"] for a in acls) == ["database", "private", "public"]
    vpc = deployment.one("aws:ec2/vpc:Vpc")
    for acl in acls:
        tier = acl.inputs["tags"]["Tier"]
        subnets = [s for s in deployment.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier]
        assert sorted(acl.inputs["subnetIds"]) == sorted(s.id for s in subnets)
        assert acl.inputs["vpcId"] == vpc.id
        for direction in ("ingress", "egress"):
            numbers = [r["ruleNo"] for r in acl.inputs[direction]]
            assert len(numbers) == len(set(numbers)) <= MAX_RULES_PER_DIRECTION
