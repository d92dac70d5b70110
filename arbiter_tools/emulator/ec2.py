"""EC2 / VPC: the network resources (security groups are in `security_groups`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from arbiter_tools.emulator.core import Request, Result, clean, digest, handles, opt_int
from policies import resource_types as rt


def ec2_tags(req: Request, resource: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": req.tag_list()}] if req.tags else []


@handles(rt.VPC)
def _vpc(req: Request) -> Result:
    ec2 = req.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock=req.inputs["cidrBlock"],
        InstanceTenancy=req.inputs.get("instanceTenancy", "default"),
        TagSpecifications=ec2_tags(req, "vpc"),
    )["Vpc"]
    vid = vpc["VpcId"]
    for attr in ("enableDnsSupport", "enableDnsHostnames"):
        if attr in req.inputs:
            key = attr[:1].upper() + attr[1:]
            ec2.modify_vpc_attribute(VpcId=vid, **{key: {"Value": bool(req.inputs[attr])}})
    vpc_filter = [{"Name": "vpc-id", "Values": [vid]}]
    default_sg = ec2.describe_security_groups(
        Filters=[*vpc_filter, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    main_rtb = ec2.describe_route_tables(
        Filters=[*vpc_filter, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    acl = ec2.describe_network_acls(Filters=[*vpc_filter, {"Name": "default", "Values": ["true"]}])[
        "NetworkAcls"
    ][0]["NetworkAclId"]
    return vid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{vpc.get('OwnerId', '')}:vpc/{vid}",
        "defaultSecurityGroupId": default_sg,
        "defaultRouteTableId": main_rtb,
        "mainRouteTableId": main_rtb,
        "defaultNetworkAclId": acl,
        "ownerId": vpc.get("OwnerId"),
        "dhcpOptionsId": vpc.get("DhcpOptionsId"),
    }


@handles(rt.SUBNET)
def _subnet(req: Request) -> Result:
    ec2 = req.client("ec2")
    subnet = ec2.create_subnet(
        **clean(
            {
                "VpcId": req.inputs["vpcId"],
                "CidrBlock": req.inputs.get("cidrBlock"),
                "AvailabilityZone": req.inputs.get("availabilityZone"),
                "AvailabilityZoneId": req.inputs.get("availabilityZoneId"),
                "TagSpecifications": ec2_tags(req, "subnet"),
            }
        )
    )["Subnet"]
    if req.inputs.get("mapPublicIpOnLaunch"):
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    return subnet["SubnetId"], {
        "arn": subnet.get("SubnetArn"),
        "availabilityZone": subnet["AvailabilityZone"],
        "availabilityZoneId": subnet.get("AvailabilityZoneId"),
        "ownerId": subnet.get("OwnerId"),
    }


@handles(rt.INTERNET_GATEWAY)
def _igw(req: Request) -> Result:
    ec2 = req.client("ec2")
    igw = ec2.create_internet_gateway(TagSpecifications=ec2_tags(req, "internet-gateway"))["InternetGateway"]
    gid = igw["InternetGatewayId"]
    if req.inputs.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=req.inputs["vpcId"])
    return gid, {"arn": f"arn:aws:ec2:{req.emulator.region}:{igw.get('OwnerId', '')}:internet-gateway/{gid}"}


@handles(rt.INTERNET_GATEWAY_ATTACHMENT)
def _igw_attach(req: Request) -> Result:
    igw, vpc = req.inputs["internetGatewayId"], req.inputs["vpcId"]
    req.client("ec2").attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return f"{igw}:{vpc}", {}


@handles(rt.EIP)
def _eip(req: Request) -> Result:
    eip = req.client("ec2").allocate_address(Domain="vpc", TagSpecifications=ec2_tags(req, "elastic-ip"))
    return eip["AllocationId"], {
        "allocationId": eip["AllocationId"],
        "publicIp": eip["PublicIp"],
        "domain": "vpc",
        "publicDns": f"ec2-{eip['PublicIp'].replace('.', '-')}.compute-1.amazonaws.com",
    }


@handles(rt.NAT_GATEWAY)
def _nat(req: Request) -> Result:
    nat = req.client("ec2").create_nat_gateway(
        **clean(
            {
                "SubnetId": req.inputs["subnetId"],
                "AllocationId": req.inputs.get("allocationId"),
                "ConnectivityType": req.inputs.get("connectivityType"),
                "TagSpecifications": ec2_tags(req, "natgateway"),
            }
        )
    )["NatGateway"]
    address = (nat.get("NatGatewayAddresses") or [{}])[0]
    return nat["NatGatewayId"], {
        "publicIp": address.get("PublicIp"),
        "privateIp": address.get("PrivateIp"),
        "networkInterfaceId": address.get("NetworkInterfaceId"),
    }


def _route_args(route: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "destinationCidrBlock": "DestinationCidrBlock",
        "cidrBlock": "DestinationCidrBlock",
        "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock",
        "ipv6CidrBlock": "DestinationIpv6CidrBlock",
        "destinationPrefixListId": "DestinationPrefixListId",
        "gatewayId": "GatewayId",
        "natGatewayId": "NatGatewayId",
        "vpcEndpointId": "VpcEndpointId",
        "transitGatewayId": "TransitGatewayId",
        "egressOnlyGatewayId": "EgressOnlyInternetGatewayId",
        "networkInterfaceId": "NetworkInterfaceId",
        "vpcPeeringConnectionId": "VpcPeeringConnectionId",
    }
    return {api: route[k] for k, api in keys.items() if route.get(k)}


@handles(rt.ROUTE_TABLE)
def _route_table(req: Request) -> Result:
    ec2 = req.client("ec2")
    rtb = ec2.create_route_table(VpcId=req.inputs["vpcId"], TagSpecifications=ec2_tags(req, "route-table"))[
        "RouteTable"
    ]
    rid = rtb["RouteTableId"]
    for route in req.inputs.get("routes") or []:
        ec2.create_route(RouteTableId=rid, **_route_args(route))
    return rid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{rtb.get('OwnerId', '')}:route-table/{rid}",
        "ownerId": rtb.get("OwnerId"),
    }


@handles(rt.ROUTE)
def _route(req: Request) -> Result:
    rtb = req.inputs["routeTableId"]
    args = _route_args(req.inputs)
    req.client("ec2").create_route(RouteTableId=rtb, **args)
    dest = args.get("DestinationCidrBlock") or args.get("DestinationIpv6CidrBlock") or ""
    return f"r-{rtb}{digest(dest)}", {"origin": "CreateRoute", "state": "active"}


@handles(rt.ROUTE_TABLE_ASSOCIATION)
def _rtb_assoc(req: Request) -> Result:
    assoc = req.client("ec2").associate_route_table(
        **clean(
            {
                "RouteTableId": req.inputs["routeTableId"],
                "SubnetId": req.inputs.get("subnetId"),
                "GatewayId": req.inputs.get("gatewayId"),
            }
        )
    )
    return assoc["AssociationId"], {}


@handles(rt.VPC_ENDPOINT)
def _vpc_endpoint(req: Request) -> Result:
    i = req.inputs
    endpoint = req.client("ec2").create_vpc_endpoint(
        **clean(
            {
                "VpcId": i["vpcId"],
                "ServiceName": i["serviceName"],
                "VpcEndpointType": i.get("vpcEndpointType", "Gateway"),
                "SubnetIds": i.get("subnetIds"),
                "SecurityGroupIds": i.get("securityGroupIds"),
                "RouteTableIds": i.get("routeTableIds"),
                "PrivateDnsEnabled": i.get("privateDnsEnabled"),
                "PolicyDocument": i.get("policy"),
                "TagSpecifications": ec2_tags(req, "vpc-endpoint"),
            }
        )
    )["VpcEndpoint"]
    eid = endpoint["VpcEndpointId"]
    return eid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{req.emulator.account_id}:vpc-endpoint/{eid}",
        "dnsEntries": [
            {"dnsName": d.get("DnsName"), "hostedZoneId": d.get("HostedZoneId")}
            for d in endpoint.get("DnsEntries") or []
        ],
        "networkInterfaceIds": endpoint.get("NetworkInterfaceIds") or [],
        "state": endpoint.get("State"),
    }


#: The provider's protocol names -> the protocol numbers the EC2 API takes for ACL entries.
_ACL_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}


def _acl_entry(acl: str, rule: dict[str, Any], *, egress: bool) -> dict[str, Any]:
    proto = str(rule.get("protocol", "-1")).lower()
    proto = _ACL_PROTOCOLS.get(proto, proto)
    entry: dict[str, Any] = {
        "NetworkAclId": acl,
        "RuleNumber": int(rule["ruleNo"]),
        "Protocol": proto,
        "RuleAction": rule["action"],
        "Egress": egress,
        "CidrBlock": rule.get("cidrBlock"),
        "Ipv6CidrBlock": rule.get("ipv6CidrBlock"),
    }
    if proto in ("6", "17"):
        entry["PortRange"] = {"From": int(rule["fromPort"]), "To": int(rule["toPort"])}
    if proto == "1":
        entry["IcmpTypeCode"] = {"Type": int(rule.get("icmpType", -1)), "Code": int(rule.get("icmpCode", -1))}
    return clean(entry)


@handles(rt.NETWORK_ACL)
def _network_acl(req: Request) -> Result:
    """Like the provider: create the ACL, its inline entries, then move each subnet onto it."""
    ec2 = req.client("ec2")
    acl = ec2.create_network_acl(VpcId=req.inputs["vpcId"], TagSpecifications=ec2_tags(req, "network-acl"))[
        "NetworkAcl"
    ]
    aid = acl["NetworkAclId"]
    for direction, egress in (("ingress", False), ("egress", True)):
        for rule in req.inputs.get(direction) or []:
            ec2.create_network_acl_entry(**_acl_entry(aid, rule, egress=egress))
    for subnet in req.inputs.get("subnetIds") or []:
        current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        [association] = [
            a for found in current["NetworkAcls"] for a in found["Associations"] if a["SubnetId"] == subnet
        ]
        ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId=aid
        )
    return aid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{acl.get('OwnerId', req.emulator.account_id)}:network-acl/{aid}",
        "ownerId": acl.get("OwnerId"),
    }


@handles(rt.FLOW_LOG)
def _flow_log(req: Request) -> Result:
    i = req.inputs
    kinds = {
        "vpcId": "VPC",
        "subnetId": "Subnet",
        "eniId": "NetworkInterface",
        "transitGatewayId": "TransitGateway",
    }
    key, kind = next((k, v) for k, v in kinds.items() if i.get(k))
    resp = req.client("ec2").create_flow_logs(
        **clean(
            {
                "ResourceIds": [i[key]],
                "ResourceType": kind,
                "TrafficType": i.get("trafficType"),
                "DeliverLogsPermissionArn": i.get("iamRoleArn"),
                "LogDestinationType": i.get("logDestinationType"),
                "LogDestination": i.get("logDestination"),
                "LogGroupName": i.get("logGroupName"),
                "LogFormat": i.get("logFormat"),
                "MaxAggregationInterval": opt_int(i.get("maxAggregationInterval")),
                "TagSpecifications": ec2_tags(req, "vpc-flow-log"),
            }
        )
    )
    if resp.get("Unsuccessful"):
        err = resp["Unsuccessful"][0]["Error"]
        raise ClientError({"Error": err}, "CreateFlowLogs")
    fid = resp["FlowLogIds"][0]
    return fid, {"arn": f"arn:aws:ec2:{req.emulator.region}:{req.emulator.account_id}:vpc-flow-log/{fid}"}
