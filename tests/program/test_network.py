"""The network tier, exactly as the seed: CIDRs, AZs, routes per tier, NAT per stack, flow logs."""

from __future__ import annotations

import json

import pytest

from arbiter_tools.runtime import DeclaredResource, Deployment

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
RTB = "aws:ec2/routeTable:RouteTable"
ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
EXPECTED = {
    "public": ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"],
    "private": ["10.0.11.0/24", "10.0.12.0/24", "10.0.13.0/24"],
    "database": ["10.0.21.0/24", "10.0.22.0/24", "10.0.23.0/24"],
}


def _tier(d: Deployment, tier: str) -> list[DeclaredResource]:
    subnets = [s for s in d.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier]
    return sorted(subnets, key=lambda s: s.inputs["availabilityZone"])


def _table_of(d: Deployment, subnet: DeclaredResource) -> DeclaredResource:
    [assoc] = [a for a in d.of_type(ASSOC) if a.inputs["subnetId"] == subnet.id]
    return d.by_id(assoc.inputs["routeTableId"])


def _routes(d: Deployment, table: DeclaredResource) -> list[DeclaredResource]:
    return [r for r in d.of_type(ROUTE) if r.inputs["routeTableId"] == table.id]


def test_vpc_is_the_seed_cidr_with_dns(deployment: Deployment) -> None:
    vpc = deployment.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True


@pytest.mark.parametrize("tier", ["public", "private", "database"])
def test_subnets_have_exact_cidrs_and_azs(deployment: Deployment, tier: str) -> None:
    subnets = _tier(deployment, tier)
    vpc = deployment.one("aws:ec2/vpc:Vpc")
    assert [s.inputs["cidrBlock"] for s in subnets] == EXPECTED[tier]
    assert [s.inputs["availabilityZone"] for s in subnets] == AZS
    assert all(s.inputs["vpcId"] == vpc.id for s in subnets)


def test_no_subnet_auto_assigns_public_ips(deployment: Deployment) -> None:
    subnets = deployment.of_type(SUBNET)
    assert len(subnets) == 9
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_public_tier_routes_to_the_internet_gateway(deployment: Deployment) -> None:
    igw = deployment.one("aws:ec2/internetGateway:InternetGateway")
    for subnet in _tier(deployment, "public"):
        [route] = _routes(deployment, _table_of(deployment, subnet))
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert route.inputs["gatewayId"] == igw.id
        assert "natGatewayId" not in route.inputs


def test_private_tier_routes_to_the_nat_in_its_own_az(prod: Deployment) -> None:
    nats = prod.of_type(NAT)
    nat_az = {n.id: prod.by_id(n.inputs["subnetId"]).inputs["availabilityZone"] for n in nats}
    for subnet in _tier(prod, "private"):
        [route] = _routes(prod, _table_of(prod, subnet))
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert nat_az[route.inputs["natGatewayId"]] == subnet.inputs["availabilityZone"]


def test_staging_private_tier_shares_its_single_nat(staging: Deployment) -> None:
    [nat] = staging.of_type(NAT)
    for subnet in _tier(staging, "private"):
        [route] = _routes(staging, _table_of(staging, subnet))
        assert route.inputs["natGatewayId"] == nat.id


def test_database_tier_has_no_route_beyond_the_vpc(deployment: Deployment) -> None:
    tables = {_table_of(deployment, s).urn for s in _tier(deployment, "database")}
    assert len(tables) == 1
    table = deployment.by_urn(tables.pop())
    assert _routes(deployment, table) == []
    assert not table.inputs.get("routes")


@pytest.mark.parametrize(("stack", "count"), [("staging", 1), ("prod", 3)])
def test_nat_gateway_count_per_stack(request: pytest.FixtureRequest, stack: str, count: int) -> None:
    d: Deployment = request.getfixturevalue(stack)
    nats = d.of_type(NAT)
    assert len(nats) == count
    public_ids = {s.id for s in _tier(d, "public")}
    assert all(n.inputs["subnetId"] in public_ids for n in nats)
    assert len({n.inputs["allocationId"] for n in nats}) == count
    assert all(n.inputs["connectivityType"] == "public" for n in nats)


def test_default_security_group_is_locked(deployment: Deployment) -> None:
    default = deployment.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs["vpcId"] == deployment.one("aws:ec2/vpc:Vpc").id
    assert default.inputs.get("ingress") == [] and default.inputs.get("egress") == []


def test_flow_logs_capture_all_traffic_into_retained_encrypted_group(deployment: Deployment) -> None:
    flow = deployment.one("aws:ec2/flowLog:FlowLog")
    group = [
        g for g in deployment.of_type("aws:cloudwatch/logGroup:LogGroup") if "flow-logs" in g.inputs["name"]
    ]
    assert len(group) == 1
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == deployment.one("aws:ec2/vpc:Vpc").id
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == group[0].outputs["arn"]
    expected_days = 14 if deployment.stack == "staging" else 90
    assert group[0].inputs["retentionInDays"] == expected_days
    assert (
        group[0].inputs["kmsKeyId"]
        == deployment.one("aws:kms/key:Key", f"arbiter-{deployment.stack}-key-key").outputs["arn"]
    )
    roles = [
        r for r in deployment.of_type("aws:iam/role:Role") if r.outputs["arn"] == flow.inputs["iamRoleArn"]
    ]
    assert len(roles) == 1
    trust = json.loads(roles[0].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_vpc_endpoints_only_where_configured(staging: Deployment, prod: Deployment) -> None:
    assert staging.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []
    endpoints = {e.inputs["serviceName"]: e for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    interface = {"com.amazonaws.us-east-1.secretsmanager"}  # the others do not pay for themselves
    assert set(endpoints) == interface | {"com.amazonaws.us-east-1.s3"}
    private_ids = sorted(s.id for s in _tier(prod, "private"))
    for name in interface:
        assert endpoints[name].inputs["vpcEndpointType"] == "Interface"
        assert endpoints[name].inputs["privateDnsEnabled"] is True
        assert sorted(endpoints[name].inputs["subnetIds"]) == private_ids
    s3 = endpoints["com.amazonaws.us-east-1.s3"]
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    private_tables = sorted(_table_of(prod, s).id for s in _tier(prod, "private"))
    assert sorted(s3.inputs["routeTableIds"]) == private_tables


def test_every_aws_resource_is_tagged_through_provider_default_tags(deployment: Deployment) -> None:
    providers = {p.urn: p for p in deployment.of_type("pulumi:providers:aws")}
    assert providers
    for provider in providers.values():
        default_tags = provider.inputs["defaultTags"]
        # Provider inputs reach the engine JSON-encoded, as the CLI stores them.
        tags = (json.loads(default_tags) if isinstance(default_tags, str) else default_tags)["tags"]
        assert set(tags) == {"Project", "Environment", "Tier", "Service", "ManagedBy"}
        assert tags["Project"] == "arbiter" and tags["ManagedBy"] == "pulumi"
        assert tags["Environment"] == deployment.stack  # the shipped stacks are named after their tier
        assert tags["Tier"] == deployment.config["arbiter:environment"]
        # The stack's region, or the backup copy region for the copy vault and its key only.
        copy_region = "us-west-2"
        assert provider.inputs["region"] == ("us-east-1" if copy_region not in provider.name else copy_region)
    aws_resources = [r for r in deployment.resources if r.custom and r.type.startswith("aws:")]
    assert aws_resources
    untagged = [r.name for r in aws_resources if r.provider not in providers]
    assert untagged == []


def test_component_tree_exposes_tiers_with_real_type_tokens(deployment: Deployment) -> None:
    network = deployment.one("arbiter:network:Network")
    children = {r.type for r in deployment.children(network)}
    assert {"aws:ec2/vpc:Vpc", SUBNET, RTB, NAT, "aws:ec2/flowLog:FlowLog"} <= children
