"""EC2 in the emulator: the deployed network as AWS holds it, and AWS's refusals as one line."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from arbiter_tools.emulator import EmulatorMocks
from policies import resource_types as rt
from tests.tooling.emulator.support import Emulated, one_line_error, resource_args, tag, vpc_filter

pytestmark = pytest.mark.moto


class TestDeployedNetwork:
    """Subnets, routes, ACLs, NAT, endpoints and security groups of each deployed stack."""

    def test_nine_subnets_with_the_configured_cidrs_and_zones(self, emulated: Emulated) -> None:
        net = emulated.sections["network"]
        subnets = emulated.client("ec2").describe_subnets(Filters=vpc_filter(emulated))["Subnets"]
        got = {(s["CidrBlock"], s["AvailabilityZone"], tag(s, "Tier")) for s in subnets}
        want = {
            (cidr, az, tier)
            for tier in ("public", "private", "database")
            for cidr, az in zip(net[f"{tier}Subnets"], net["availabilityZones"], strict=True)
        }
        assert len(subnets) == 9
        assert got == want
        # The provider's default tags reach AWS too (the emulator merges them per provider).
        assert {(tag(s, "Environment"), tag(s, "Service"), tag(s, "ManagedBy")) for s in subnets} == {
            (emulated.stack, "network", "pulumi")
        }
        assert {s["SubnetId"] for s in subnets} == {
            *emulated.deployment.outputs["publicSubnetIds"],
            *emulated.deployment.outputs["privateSubnetIds"],
            *emulated.deployment.outputs["databaseSubnetIds"],
        }

    def test_route_tables_database_has_no_default_route(self, emulated: Emulated) -> None:
        ec2 = emulated.client("ec2")
        tables = ec2.describe_route_tables(Filters=vpc_filter(emulated))["RouteTables"]
        by_subnet = {a["SubnetId"]: t for t in tables for a in t["Associations"] if a.get("SubnetId")}
        outputs = emulated.deployment.outputs

        def default_routes(table: dict[str, Any]) -> list[dict[str, Any]]:
            return [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]

        for subnet in outputs["databaseSubnetIds"]:
            assert default_routes(by_subnet[subnet]) == [], "database subnets must not reach the internet"
        for subnet in outputs["publicSubnetIds"]:
            assert default_routes(by_subnet[subnet])[0]["GatewayId"].startswith("igw-")
        for subnet in outputs["privateSubnetIds"]:
            assert default_routes(by_subnet[subnet])[0]["NatGatewayId"] in outputs["natGatewayIds"]

    def test_each_tier_sits_behind_its_own_network_acl(self, emulated: Emulated) -> None:
        acls = emulated.client("ec2").describe_network_acls(Filters=vpc_filter(emulated))["NetworkAcls"]
        by_subnet = {a["SubnetId"]: acl for acl in acls for a in acl["Associations"]}
        outputs = emulated.deployment.outputs
        for tier in ("public", "private", "database"):
            [acl] = {by_subnet[s]["NetworkAclId"]: by_subnet[s] for s in outputs[f"{tier}SubnetIds"]}.values()
            assert acl["IsDefault"] is False and tag(acl, "Tier") == tier
        # What AWS holds for the data tier: no allow from anywhere, and only tcp (6) allows.
        db = by_subnet[outputs["databaseSubnetIds"][0]]
        allows = [e for e in db["Entries"] if e["RuleAction"] == "allow" and e["RuleNumber"] < 32767]
        assert allows and all(e["Protocol"] == "6" and e["CidrBlock"] != "0.0.0.0/0" for e in allows)
        # The VPC's default ACL keeps no subnet of the stack.
        [default] = [a for a in acls if a["IsDefault"]]
        assert not default["Associations"]

    def test_nat_gateways_per_stack(self, emulated: Emulated) -> None:
        nats = emulated.client("ec2").describe_nat_gateways(Filters=vpc_filter(emulated))["NatGateways"]
        per_az = emulated.sections["network"]["natGateways"] == "per-az"
        assert len(nats) == (3 if per_az else 1)
        public = set(emulated.deployment.outputs["publicSubnetIds"])
        assert {n["SubnetId"] for n in nats} <= public

    def test_vpc_endpoints_when_configured(self, emulated: Emulated) -> None:
        endpoints = emulated.client("ec2").describe_vpc_endpoints(Filters=vpc_filter(emulated))[
            "VpcEndpoints"
        ]
        if not emulated.sections["network"]["vpcEndpoints"]:
            assert endpoints == []
            return
        outputs = emulated.deployment.outputs
        gateway = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
        interface = [e for e in endpoints if e["VpcEndpointType"] == "Interface"]
        assert [e["ServiceName"] for e in gateway] == ["com.amazonaws.us-east-1.s3"]
        private_tables = {
            t["RouteTableId"]
            for t in emulated.client("ec2").describe_route_tables(Filters=vpc_filter(emulated))["RouteTables"]
            for a in t["Associations"]
            if a.get("SubnetId") in outputs["privateSubnetIds"]
        }
        assert set(gateway[0]["RouteTableIds"]) == private_tables
        assert interface
        for e in interface:
            assert set(e["SubnetIds"]) == set(outputs["privateSubnetIds"])
            assert e["PrivateDnsEnabled"] is True

    def test_security_group_rules_reference_groups(self, emulated: Emulated) -> None:
        ec2 = emulated.client("ec2")
        groups = {
            g["GroupName"]: g
            for g in ec2.describe_security_groups(Filters=vpc_filter(emulated))["SecurityGroups"]
        }
        prefix = f"arbiter-{emulated.stack}"
        ids = {g["GroupId"] for g in groups.values()}
        database = groups[f"{prefix}-database"]
        sources = {p["GroupId"] for perm in database["IpPermissions"] for p in perm["UserIdGroupPairs"]}
        assert sources == {
            groups[f"{prefix}-trading-core"]["GroupId"],
            groups[f"{prefix}-web-api"]["GroupId"],
            groups[f"{prefix}-database-users"]["GroupId"],  # the bootstrap function
        }
        assert {perm["FromPort"] for perm in database["IpPermissions"]} == {5432}
        # Every group reference resolves inside the VPC; only the ALB admits the internet.
        for name, group in groups.items():
            for perm in group["IpPermissions"] + group["IpPermissionsEgress"]:
                assert {p["GroupId"] for p in perm["UserIdGroupPairs"]} <= ids
                if name != f"{prefix}-alb" and perm in group["IpPermissions"]:
                    assert all(r["CidrIp"] != "0.0.0.0/0" for r in perm["IpRanges"]), f"{name} open to all"
                    assert perm.get("Ipv6Ranges", []) == [], f"{name} open over IPv6"
        assert groups["default"]["IpPermissions"] == []
        assert groups["default"]["IpPermissionsEgress"] == []


def test_subnet_in_a_missing_vpc_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    args = resource_args(rt.SUBNET, "orphan", vpcId="vpc-0123456789abcdef0", cidrBlock="10.0.1.0/24")
    assert "InvalidVpcID.NotFound" in one_line_error(mocks, args)


def test_subnet_outside_its_vpc_cidr_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    vpc_id, _ = mocks.new_resource(resource_args(rt.VPC, "vpc", cidrBlock="10.0.0.0/16"))
    args = resource_args(rt.SUBNET, "stray", vpcId=vpc_id, cidrBlock="10.1.0.0/24")
    message = one_line_error(mocks, args)
    assert "InvalidSubnet.Range" in message
    assert mocks.ids[vpc_id] == "aws:ec2/vpc:Vpc vpc"


def test_rule_referencing_a_missing_group_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    vpc_id, _ = mocks.new_resource(resource_args(rt.VPC, "vpc", cidrBlock="10.0.0.0/16"))
    sg_id, _ = mocks.new_resource(resource_args(rt.SECURITY_GROUP, "sg", name="app", vpcId=vpc_id))
    args = resource_args(
        rt.SG_INGRESS,
        "from-nowhere",
        securityGroupId=sg_id,
        ipProtocol="tcp",
        fromPort=5432.0,
        toPort=5432.0,
        referencedSecurityGroupId="sg-0000000000000dead",
    )
    assert "InvalidGroup.NotFound" in one_line_error(mocks, args)
