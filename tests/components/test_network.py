"""Network alone: the VPC its config describes, with NAT and endpoints only as configured."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_infra.config import NetworkConfig
from arbiter_infra.naming import Naming
from arbiter_tools.runtime import Deployment
from components.network import Network, NetworkArgs
from tests.components.conftest import Build

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"


def _config(**changes: Any) -> NetworkConfig:
    values: dict[str, Any] = {
        "vpcCidr": "10.9.0.0/16",
        "availabilityZones": ["eu-west-1a", "eu-west-1b"],
        "publicSubnets": ["10.9.1.0/24", "10.9.2.0/24"],
        "privateSubnets": ["10.9.11.0/24", "10.9.12.0/24"],
        "databaseSubnets": ["10.9.21.0/24", "10.9.22.0/24"],
        "natGateways": "single",
        "vpcEndpoints": False,
        "flowLogRetentionDays": 30,
        **changes,
    }
    return NetworkConfig.model_validate(values)


def _network(naming: Naming, config: NetworkConfig) -> Network:
    return Network(
        naming("network"),
        NetworkArgs(
            config=config,
            naming=naming,
            region="eu-west-1",
            kms_key_arn="arn:key",
            account_id="111122223333",
            permissions_boundary="arn:boundary",
        ),
    )


def _tier(d: Deployment, tier: str) -> list[str]:
    return sorted(s.inputs["cidrBlock"] for s in d.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier)


def test_the_vpc_and_subnets_are_the_configured_ones(build: Build, naming: Naming) -> None:
    d = build(lambda: _network(naming, _config()))
    assert d.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"] == "10.9.0.0/16"
    assert _tier(d, "public") == ["10.9.1.0/24", "10.9.2.0/24"]
    assert _tier(d, "private") == ["10.9.11.0/24", "10.9.12.0/24"]
    assert _tier(d, "database") == ["10.9.21.0/24", "10.9.22.0/24"]
    assert {s.inputs["availabilityZone"] for s in d.of_type(SUBNET)} == {"eu-west-1a", "eu-west-1b"}
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in d.of_type(SUBNET))


@pytest.mark.parametrize(("layout", "count"), [("single", 1), ("per-az", 2)])
def test_nat_gateways_follow_the_layout(build: Build, naming: Naming, layout: str, count: int) -> None:
    d = build(lambda: _network(naming, _config(natGateways=layout)))
    assert len(d.of_type("aws:ec2/natGateway:NatGateway")) == count
    nat_routes = [r for r in d.of_type(ROUTE) if r.inputs.get("natGatewayId")]
    assert len(nat_routes) == 2  # every private table has its default route


def test_only_the_public_tier_routes_to_the_internet_gateway(build: Build, naming: Naming) -> None:
    d = build(lambda: _network(naming, _config()))
    igw = d.one("aws:ec2/internetGateway:InternetGateway")
    [to_igw] = [r for r in d.of_type(ROUTE) if r.inputs.get("gatewayId") == igw.id]
    public_rt = d.one("aws:ec2/routeTable:RouteTable", "arbiter-unit-network-public-rt")
    assert to_igw.inputs["routeTableId"] == public_rt.id
    database_rt = d.one("aws:ec2/routeTable:RouteTable", "arbiter-unit-network-database-rt")
    assert not [r for r in d.of_type(ROUTE) if r.inputs["routeTableId"] == database_rt.id]


@pytest.mark.parametrize("enabled", [False, True])
def test_interface_endpoints_only_when_configured(build: Build, naming: Naming, enabled: bool) -> None:
    d = build(lambda: _network(naming, _config(vpcEndpoints=enabled)))
    endpoints = {
        e.inputs["serviceName"]: e.inputs["vpcEndpointType"]
        for e in d.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    expected = {
        "com.amazonaws.eu-west-1.s3": "Gateway",
        "com.amazonaws.eu-west-1.secretsmanager": "Interface",
    }
    assert endpoints == (expected if enabled else {})


def test_flow_logs_are_encrypted_retained_and_their_role_bounded(build: Build, naming: Naming) -> None:
    d = build(lambda: _network(naming, _config()))
    group = d.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == "arn:key" and group.inputs["retentionInDays"] == 30
    assert d.one("aws:ec2/flowLog:FlowLog").inputs["trafficType"] == "ALL"
    assert d.one("aws:iam/role:Role").inputs["permissionsBoundary"] == "arn:boundary"
