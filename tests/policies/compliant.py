"""The compliant stack: one resource (at least) of every type the pack inspects, each accepted.

The areas are declared in a fixed order: violations are reported in resource order, and a few
tests expect that order.
"""

from __future__ import annotations

from policies.resource_types import (
    DEFAULT_SG,
    EIP,
    FLOW_LOG,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
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
from tests.policies.builder import COMPONENT, StackBuilder
from tests.policies.compliant_data import add_data
from tests.policies.compliant_services import add_containers, add_edge, add_identity
from tests.policies.compliant_shapes import add_other_shapes


def compliant_stack(environment: str = "prod") -> StackBuilder:
    """Every policy of the pack has at least one resource here that it inspects and accepts."""
    b = StackBuilder(environment)
    b.add(COMPONENT, "network", {}, custom=False)
    add_network(b)
    add_security_groups(b)
    add_edge(b)
    add_containers(b)
    add_data(b)
    add_identity(b)
    add_other_shapes(b)
    return b


def add_network(b: StackBuilder) -> None:
    """The VPC, its default security group and flow log, three subnet tiers in two AZs, routes and ACLs."""
    b.add(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"}, id_="vpc-1")
    b.add(
        DEFAULT_SG,
        "default-sg",
        {"vpcId": "vpc-1", "ingress": [], "egress": []},
    )
    b.add(FLOW_LOG, "flow-log", {"vpcId": "vpc-1", "trafficType": "ALL"})
    for t, tier in enumerate(("public", "private", "database")):
        for n, az in enumerate(("a", "b")):
            b.add(
                SUBNET,
                f"{tier}-{az}",
                {
                    "vpcId": "vpc-1",
                    "cidrBlock": f"10.0.{10 * t + n + 1}.0/24",
                    "mapPublicIpOnLaunch": False,
                    "tags": {"Tier": tier},
                },
                id_=f"subnet-{tier}-{az}",
            )
    # Database tier: inline rules for a, a rule resource and an association for b.
    db_acl = {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlock": "10.0.11.0/24"}
    b.add(
        NETWORK_ACL,
        "database-acl",
        {
            "vpcId": "vpc-1",
            "subnetIds": ["subnet-database-a"],
            "ingress": [{**db_acl, "ruleNo": 100, "action": "allow"}],
            "egress": [{**db_acl, "ruleNo": 100, "action": "allow", "fromPort": 1024, "toPort": 65535}],
        },
        id_="acl-database",
    )
    b.add(NETWORK_ACL, "database-acl-b", {"vpcId": "vpc-1"}, id_="acl-database-b")
    b.add(
        NETWORK_ACL_ASSOCIATION,
        "database-b-acl",
        {"subnetId": "subnet-database-b", "networkAclId": "acl-database-b"},
    )
    b.add(
        NETWORK_ACL_RULE,
        "database-b-in",
        {
            **db_acl,
            "networkAclId": "acl-database-b",
            "ruleNumber": 100,
            "ruleAction": "allow",
            "egress": False,
        },
    )
    b.add(ROUTE_TABLE, "rt-public", {"vpcId": "vpc-1"}, id_="rtb-public")
    b.add(ROUTE_TABLE, "rt-private", {"vpcId": "vpc-1"}, id_="rtb-private")
    b.add(ROUTE_TABLE, "rt-database", {"vpcId": "vpc-1", "routes": []}, id_="rtb-database")
    b.add(
        ROUTE,
        "public-default",
        {"routeTableId": "rtb-public", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
    )
    b.add(
        ROUTE,
        "private-default",
        {"routeTableId": "rtb-private", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"},
    )
    for tier in ("public", "private", "database"):
        for az in ("a", "b"):
            b.add(
                ROUTE_TABLE_ASSOCIATION,
                f"{tier}-{az}-rta",
                {"subnetId": f"subnet-{tier}-{az}", "routeTableId": f"rtb-{tier}"},
            )
    b.add(EIP, "nat-eip", {"domain": "vpc"})


def add_security_groups(b: StackBuilder) -> None:
    """Security groups and their rules, in all three rule shapes."""
    b.add(
        SECURITY_GROUP,
        "alb-sg",
        {"vpcId": "vpc-1", "description": "ALB"},
        id_="sg-alb",
    )
    b.add(
        SECURITY_GROUP,
        "svc-sg",
        {
            "vpcId": "vpc-1",
            "description": "ECS services",
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                    "securityGroups": ["sg-alb"],
                    "description": "HTTP from the ALB",
                }
            ],
            "egress": [
                {
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                    "description": "Exchanges and AWS APIs via NAT",
                }
            ],
        },
        id_="sg-svc",
    )
    b.add(
        SECURITY_GROUP,
        "db-sg",
        {"vpcId": "vpc-1", "description": "Aurora"},
        id_="sg-db",
    )
    for port, cidr in ((443, "cidrIpv4"), (80, "cidrIpv4"), (443, "cidrIpv6")):
        b.add(
            SG_INGRESS,
            f"alb-{port}-{cidr}",
            {
                "securityGroupId": "sg-alb",
                "ipProtocol": "tcp",
                "fromPort": port,
                "toPort": port,
                cidr: "0.0.0.0/0" if cidr == "cidrIpv4" else "::/0",
                "description": f"Clients on {port}",
            },
        )
    b.add(
        SG_EGRESS,
        "alb-to-svc",
        {
            "securityGroupId": "sg-alb",
            "ipProtocol": "tcp",
            "fromPort": 8080,
            "toPort": 8080,
            "referencedSecurityGroupId": "sg-svc",
            "description": "To the services",
        },
    )
    b.add(
        SG_INGRESS,
        "db-from-svc",
        {
            "securityGroupId": "sg-db",
            "ipProtocol": "tcp",
            "fromPort": 5433,
            "toPort": 5433,
            "referencedSecurityGroupId": "sg-svc",
            "description": "PostgreSQL from services",
        },
    )
    b.add(
        SG_RULE,
        "redis-from-svc",
        {
            "type": "ingress",
            "securityGroupId": "sg-db",
            "protocol": "tcp",
            "fromPort": 6380,
            "toPort": 6380,
            "sourceSecurityGroupId": "sg-svc",
            "description": "Redis from services",
        },
    )
