"""Pulumi mocks backed by the AWS API (moto): AWS semantics validate what the program declares.

The plain mocks (`runtime.ArbiterMocks`) echo inputs back, so a subnet outside its VPC, a rule
naming a missing security group or a policy without `Resource` pass unnoticed until `pulumi up`.
`EmulatorMocks` instead calls the matching AWS API through boto3 for every resource the program
declares (in-process `moto.mock_aws`, or the endpoint in `AWS_ENDPOINT_URL`, e.g. `moto_server`),
and returns the real API's ids, ARNs, endpoints and DNS names as outputs. Ids follow the Pulumi
provider's conventions (role name, cluster ARN, log-group name ...), so the references the program
passes between resources resolve against what the API returned.

One small handler per resource type, registered in `HANDLERS`. A type without a handler gets
the plain computed outputs and is listed in `fallback_types`: no silent gaps. An AWS error for a
declared resource becomes `EmulatorError`, one line naming the resource and the AWS error.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc

from arbiter_tools import local_tls
from arbiter_tools.api_calls import CallRecorder
from arbiter_tools.runtime import REGION, ArbiterMocks, Deployment, run_program

#: moto knows AWS managed policies only when asked to load them.
MANAGED_POLICIES_HINT = "moto: load AWS managed policies with MOTO_IAM_LOAD_MANAGED_POLICIES=true"
MOTO_CONFIG: dict[str, Any] = {"iam": {"load_aws_managed_policies": True}}
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class EmulatorError(Exception):
    """The AWS API rejected a declared resource: `<type> <name>: <code>: <message>`."""


class EmulatorUnreachable(EmulatorError):
    """The AWS API endpoint did not answer (moto_server not running?): nothing was judged."""


@dataclass
class Request:
    """What a handler gets: the declared resource, its inputs, and the emulator (clients, lookups)."""

    emulator: EmulatorMocks
    type: str
    name: str
    inputs: dict[str, Any]
    tags: dict[str, str]
    #: The region of the resource's provider (the backup copy region for the copy vault and its key).
    region: str = ""

    def client(self, service: str) -> Any:
        return self.emulator.client(service, self.region or None)

    def physical_name(self, key: str = "name", *, max_len: int = 255) -> str:
        """The name the provider would use: explicit, prefix + suffix, or auto-named."""
        suffix = hashlib.sha1(f"{self.type}/{self.name}".encode()).hexdigest()[:7]
        if self.inputs.get(key):
            return str(self.inputs[key])
        if self.inputs.get(f"{key}Prefix"):
            return f"{self.inputs[f'{key}Prefix']}{suffix}"[:max_len]
        return f"{self.name[: max_len - 8]}-{suffix}"

    def tag_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        return [{key: k, value: v} for k, v in self.tags.items()]


Result = tuple[str, dict[str, Any]]
Handler = Callable[[Request], Result]
#: Pulumi type token -> handler. Types missing here fall back to the plain mocks.
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Drop unset arguments: boto3 rejects None."""
    return {k: v for k, v in d.items() if v is not None and v not in ([], {})}


def _plain(value: Any) -> Any:
    """Inputs without the RPC secret wrappers: the API gets the value (a secret stays one in state)."""
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _pascal(value: Any) -> Any:
    """camelCase Pulumi input shapes -> PascalCase API shapes (EC2, ELB, RDS, autoscaling)."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _digest(*parts: Any) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()[:12]


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# --- EC2 / VPC -------------------------------------------------------------------------------


def _ec2_tags(req: Request, resource: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": req.tag_list()}] if req.tags else []


@handles("aws:ec2/vpc:Vpc")
def _vpc(req: Request) -> Result:
    ec2 = req.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock=req.inputs["cidrBlock"],
        InstanceTenancy=req.inputs.get("instanceTenancy", "default"),
        TagSpecifications=_ec2_tags(req, "vpc"),
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


@handles("aws:ec2/subnet:Subnet")
def _subnet(req: Request) -> Result:
    ec2 = req.client("ec2")
    subnet = ec2.create_subnet(
        **_clean(
            {
                "VpcId": req.inputs["vpcId"],
                "CidrBlock": req.inputs.get("cidrBlock"),
                "AvailabilityZone": req.inputs.get("availabilityZone"),
                "AvailabilityZoneId": req.inputs.get("availabilityZoneId"),
                "TagSpecifications": _ec2_tags(req, "subnet"),
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


@handles("aws:ec2/internetGateway:InternetGateway")
def _igw(req: Request) -> Result:
    ec2 = req.client("ec2")
    igw = ec2.create_internet_gateway(TagSpecifications=_ec2_tags(req, "internet-gateway"))["InternetGateway"]
    gid = igw["InternetGatewayId"]
    if req.inputs.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=req.inputs["vpcId"])
    return gid, {"arn": f"arn:aws:ec2:{req.emulator.region}:{igw.get('OwnerId', '')}:internet-gateway/{gid}"}


@handles("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
def _igw_attach(req: Request) -> Result:
    igw, vpc = req.inputs["internetGatewayId"], req.inputs["vpcId"]
    req.client("ec2").attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return f"{igw}:{vpc}", {}


@handles("aws:ec2/eip:Eip")
def _eip(req: Request) -> Result:
    eip = req.client("ec2").allocate_address(Domain="vpc", TagSpecifications=_ec2_tags(req, "elastic-ip"))
    return eip["AllocationId"], {
        "allocationId": eip["AllocationId"],
        "publicIp": eip["PublicIp"],
        "domain": "vpc",
        "publicDns": f"ec2-{eip['PublicIp'].replace('.', '-')}.compute-1.amazonaws.com",
    }


@handles("aws:ec2/natGateway:NatGateway")
def _nat(req: Request) -> Result:
    nat = req.client("ec2").create_nat_gateway(
        **_clean(
            {
                "SubnetId": req.inputs["subnetId"],
                "AllocationId": req.inputs.get("allocationId"),
                "ConnectivityType": req.inputs.get("connectivityType"),
                "TagSpecifications": _ec2_tags(req, "natgateway"),
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


@handles("aws:ec2/routeTable:RouteTable")
def _route_table(req: Request) -> Result:
    ec2 = req.client("ec2")
    rtb = ec2.create_route_table(VpcId=req.inputs["vpcId"], TagSpecifications=_ec2_tags(req, "route-table"))[
        "RouteTable"
    ]
    rid = rtb["RouteTableId"]
    for route in req.inputs.get("routes") or []:
        ec2.create_route(RouteTableId=rid, **_route_args(route))
    return rid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{rtb.get('OwnerId', '')}:route-table/{rid}",
        "ownerId": rtb.get("OwnerId"),
    }


@handles("aws:ec2/route:Route")
def _route(req: Request) -> Result:
    rtb = req.inputs["routeTableId"]
    args = _route_args(req.inputs)
    req.client("ec2").create_route(RouteTableId=rtb, **args)
    dest = args.get("DestinationCidrBlock") or args.get("DestinationIpv6CidrBlock") or ""
    return f"r-{rtb}{_digest(dest)}", {"origin": "CreateRoute", "state": "active"}


@handles("aws:ec2/routeTableAssociation:RouteTableAssociation")
def _rtb_assoc(req: Request) -> Result:
    assoc = req.client("ec2").associate_route_table(
        **_clean(
            {
                "RouteTableId": req.inputs["routeTableId"],
                "SubnetId": req.inputs.get("subnetId"),
                "GatewayId": req.inputs.get("gatewayId"),
            }
        )
    )
    return assoc["AssociationId"], {}


def _permission(rule: dict[str, Any], *, own_group: str | None = None) -> dict[str, Any]:
    """A `vpc.SecurityGroup*Rule` or an inline `ingress`/`egress` block -> one IpPermissions entry."""
    proto = str(rule.get("ipProtocol") or rule.get("protocol") or "-1")
    perm: dict[str, Any] = {"IpProtocol": proto}
    if proto not in ("-1", "all"):
        perm["FromPort"] = int(rule.get("fromPort", -1))
        perm["ToPort"] = int(rule.get("toPort", -1))
    else:
        perm["IpProtocol"] = "-1"
    desc = {"Description": rule["description"]} if rule.get("description") else {}
    v4 = [rule["cidrIpv4"]] if rule.get("cidrIpv4") else list(rule.get("cidrBlocks") or [])
    v6 = [rule["cidrIpv6"]] if rule.get("cidrIpv6") else list(rule.get("ipv6CidrBlocks") or [])
    groups = (
        [rule["referencedSecurityGroupId"]]
        if rule.get("referencedSecurityGroupId")
        else list(rule.get("securityGroups") or [])
    )
    if rule.get("self") and own_group:
        groups.append(own_group)
    prefix_lists = (
        [rule["prefixListId"]] if rule.get("prefixListId") else list(rule.get("prefixListIds") or [])
    )
    if v4:
        perm["IpRanges"] = [{"CidrIp": c, **desc} for c in v4]
    if v6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": c, **desc} for c in v6]
    if groups:
        perm["UserIdGroupPairs"] = [{"GroupId": g, **desc} for g in groups]
    if prefix_lists:
        perm["PrefixListIds"] = [{"PrefixListId": p, **desc} for p in prefix_lists]
    return perm


def _apply_inline_rules(ec2: Any, group_id: str, inputs: dict[str, Any]) -> None:
    ingress = [_permission(r, own_group=group_id) for r in inputs.get("ingress") or []]
    egress = [_permission(r, own_group=group_id) for r in inputs.get("egress") or []]
    if ingress:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
    if egress:
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=egress)


def _revoke_all(ec2: Any, group: dict[str, Any], *, ingress: bool = True) -> None:
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    if ingress and group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])


@handles("aws:ec2/securityGroup:SecurityGroup")
def _security_group(req: Request) -> Result:
    ec2 = req.client("ec2")
    gid = ec2.create_security_group(
        **_clean(
            {
                "GroupName": req.physical_name(),
                "Description": req.inputs.get("description") or "Managed by Pulumi",
                "VpcId": req.inputs.get("vpcId"),
                "TagSpecifications": _ec2_tags(req, "security-group"),
            }
        )
    )["GroupId"]
    # Like the provider: drop AWS's default allow-all egress, then add what was declared.
    group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    _revoke_all(ec2, group, ingress=False)
    _apply_inline_rules(ec2, gid, req.inputs)
    return gid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{group['OwnerId']}:security-group/{gid}",
        "name": group["GroupName"],
        "ownerId": group["OwnerId"],
    }


@handles("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
def _default_security_group(req: Request) -> Result:
    """Adopt the VPC's default group: revoke every rule, then apply the declared ones (none = locked)."""
    ec2 = req.client("ec2")
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [req.inputs["vpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    if not found:
        raise _not_found("InvalidGroup.NotFound", f"VPC {req.inputs['vpcId']} has no default security group")
    group = found[0]
    _revoke_all(ec2, group)
    _apply_inline_rules(ec2, group["GroupId"], req.inputs)
    if req.tags:
        ec2.create_tags(Resources=[group["GroupId"]], Tags=req.tag_list())
    gid = group["GroupId"]
    return gid, {
        "arn": f"arn:aws:ec2:{req.emulator.region}:{group['OwnerId']}:security-group/{gid}",
        "name": "default",
        "ownerId": group["OwnerId"],
    }


def _not_found(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Describe")


def _sg_rule(req: Request, direction: str) -> Result:
    ec2 = req.client("ec2")
    gid = req.inputs["securityGroupId"]
    perm = _permission(req.inputs)
    if not any(k in perm for k in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds")):
        raise _not_found(
            "InvalidParameterValue", "a rule needs one of cidrIpv4, cidrIpv6, referenced group, prefix list"
        )
    call = (
        ec2.authorize_security_group_ingress
        if direction == "ingress"
        else ec2.authorize_security_group_egress
    )
    resp = call(GroupId=gid, IpPermissions=[perm])
    rules = resp.get("SecurityGroupRules") or []
    rule_id = rules[0]["SecurityGroupRuleId"] if rules else f"sgr-{_digest(gid, direction, perm)}"
    return rule_id, {
        "securityGroupRuleId": rule_id,
        "arn": f"arn:aws:ec2:{req.emulator.region}:{req.emulator.account_id}:security-group-rule/{rule_id}",
    }


@handles("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
def _sg_ingress(req: Request) -> Result:
    return _sg_rule(req, "ingress")


@handles("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def _sg_egress(req: Request) -> Result:
    return _sg_rule(req, "egress")


@handles("aws:ec2/securityGroupRule:SecurityGroupRule")
def _sg_rule_legacy(req: Request) -> Result:
    rule = dict(req.inputs)
    rule["ipProtocol"] = rule.get("protocol")
    if rule.get("sourceSecurityGroupId"):
        rule["referencedSecurityGroupId"] = rule["sourceSecurityGroupId"]
    req.inputs = rule
    return _sg_rule(req, "egress" if rule.get("type") == "egress" else "ingress")


@handles("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(req: Request) -> Result:
    i = req.inputs
    endpoint = req.client("ec2").create_vpc_endpoint(
        **_clean(
            {
                "VpcId": i["vpcId"],
                "ServiceName": i["serviceName"],
                "VpcEndpointType": i.get("vpcEndpointType", "Gateway"),
                "SubnetIds": i.get("subnetIds"),
                "SecurityGroupIds": i.get("securityGroupIds"),
                "RouteTableIds": i.get("routeTableIds"),
                "PrivateDnsEnabled": i.get("privateDnsEnabled"),
                "PolicyDocument": i.get("policy"),
                "TagSpecifications": _ec2_tags(req, "vpc-endpoint"),
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
    return _clean(entry)


@handles("aws:ec2/networkAcl:NetworkAcl")
def _network_acl(req: Request) -> Result:
    """Like the provider: create the ACL, its inline entries, then move each subnet onto it."""
    ec2 = req.client("ec2")
    acl = ec2.create_network_acl(VpcId=req.inputs["vpcId"], TagSpecifications=_ec2_tags(req, "network-acl"))[
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


@handles("aws:ec2/flowLog:FlowLog")
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
        **_clean(
            {
                "ResourceIds": [i[key]],
                "ResourceType": kind,
                "TrafficType": i.get("trafficType"),
                "DeliverLogsPermissionArn": i.get("iamRoleArn"),
                "LogDestinationType": i.get("logDestinationType"),
                "LogDestination": i.get("logDestination"),
                "LogGroupName": i.get("logGroupName"),
                "LogFormat": i.get("logFormat"),
                "MaxAggregationInterval": _int(i.get("maxAggregationInterval")),
                "TagSpecifications": _ec2_tags(req, "vpc-flow-log"),
            }
        )
    )
    if resp.get("Unsuccessful"):
        err = resp["Unsuccessful"][0]["Error"]
        raise ClientError({"Error": err}, "CreateFlowLogs")
    fid = resp["FlowLogIds"][0]
    return fid, {"arn": f"arn:aws:ec2:{req.emulator.region}:{req.emulator.account_id}:vpc-flow-log/{fid}"}


# --- AWS Backup (moto: vaults and plans; selections and vault policies have no API there) -------


@handles("aws:backup/vault:Vault")
def _backup_vault(req: Request) -> Result:
    name = req.physical_name(max_len=50)
    resp = req.client("backup").create_backup_vault(
        **_clean(
            {
                "BackupVaultName": name,
                "EncryptionKeyArn": req.inputs.get("kmsKeyArn"),
                "BackupVaultTags": dict(req.tags) or None,
            }
        )
    )
    return name, {"arn": resp["BackupVaultArn"], "name": name, "recoveryPoints": 0}


def _backup_rule(rule: dict[str, Any]) -> dict[str, Any]:
    lifecycle = rule.get("lifecycle") or {}
    return _clean(
        {
            "RuleName": rule["ruleName"],
            "TargetBackupVaultName": rule["targetVaultName"],
            "ScheduleExpression": rule.get("schedule"),
            "StartWindowMinutes": _int(rule.get("startWindow")),
            "CompletionWindowMinutes": _int(rule.get("completionWindow")),
            "Lifecycle": _clean({"DeleteAfterDays": _int(lifecycle.get("deleteAfter"))}) or None,
            "CopyActions": [
                _clean(
                    {
                        "DestinationBackupVaultArn": c["destinationVaultArn"],
                        "Lifecycle": _clean(
                            {"DeleteAfterDays": _int((c.get("lifecycle") or {}).get("deleteAfter"))}
                        )
                        or None,
                    }
                )
                for c in rule.get("copyActions") or []
            ]
            or None,
        }
    )


@handles("aws:backup/plan:Plan")
def _backup_plan(req: Request) -> Result:
    i = req.inputs
    backup = req.client("backup")
    for rule in i.get("rules") or []:
        # AWS refuses a rule whose vault does not exist; moto does not check.
        backup.describe_backup_vault(BackupVaultName=rule["targetVaultName"])
    resp = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": i["name"], "Rules": [_backup_rule(r) for r in i.get("rules") or []]},
        BackupPlanTags=dict(req.tags),
    )
    return resp["BackupPlanId"], {"arn": resp["BackupPlanArn"], "version": resp["VersionId"]}


# --- KMS, IAM --------------------------------------------------------------------------------


@handles("aws:kms/key:Key")
def _kms_key(req: Request) -> Result:
    kms = req.client("kms")
    i = req.inputs
    meta = kms.create_key(
        **_clean(
            {
                "Description": i.get("description"),
                "KeyUsage": i.get("keyUsage"),
                "KeySpec": i.get("customerMasterKeySpec"),
                "Policy": i.get("policy"),
                "MultiRegion": i.get("multiRegion"),
                "Tags": req.tag_list("TagKey", "TagValue"),
            }
        )
    )["KeyMetadata"]
    if i.get("enableKeyRotation"):
        period = _int(i.get("rotationPeriodInDays"))
        kms.enable_key_rotation(KeyId=meta["KeyId"], **({"RotationPeriodInDays": period} if period else {}))
    return meta["KeyId"], {"keyId": meta["KeyId"], "arn": meta["Arn"]}


@handles("aws:kms/alias:Alias")
def _kms_alias(req: Request) -> Result:
    name = req.physical_name()
    kms = req.client("kms")
    kms.create_alias(AliasName=name, TargetKeyId=req.inputs["targetKeyId"])
    key = kms.describe_key(KeyId=req.inputs["targetKeyId"])["KeyMetadata"]
    return name, {
        "arn": f"arn:aws:kms:{req.region or req.emulator.region}:{key['AWSAccountId']}:{name}",
        "targetKeyArn": key["Arn"],
    }


@handles("aws:iam/role:Role")
def _iam_role(req: Request) -> Result:
    iam = req.client("iam")
    i = req.inputs
    name = req.physical_name(max_len=64)
    role = iam.create_role(
        **_clean(
            {
                "RoleName": name,
                "Path": i.get("path"),
                "AssumeRolePolicyDocument": _json(i["assumeRolePolicy"]),
                "Description": i.get("description"),
                "MaxSessionDuration": _int(i.get("maxSessionDuration")),
                "PermissionsBoundary": i.get("permissionsBoundary"),
                "Tags": req.tag_list(),
            }
        )
    )["Role"]
    for policy in i.get("inlinePolicies") or []:
        if policy.get("name") and policy.get("policy"):
            iam.put_role_policy(RoleName=name, PolicyName=policy["name"], PolicyDocument=policy["policy"])
    for arn in i.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return name, {"name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


@handles("aws:iam/rolePolicy:RolePolicy")
def _iam_role_policy(req: Request) -> Result:
    name = req.physical_name(max_len=128)
    role = req.inputs["role"]
    req.client("iam").put_role_policy(
        RoleName=role, PolicyName=name, PolicyDocument=_json(req.inputs["policy"])
    )
    return f"{role}:{name}", {"name": name}


@handles("aws:iam/policy:Policy")
def _iam_policy(req: Request) -> Result:
    name = req.physical_name(max_len=128)
    policy = req.client("iam").create_policy(
        **_clean(
            {
                "PolicyName": name,
                "Path": req.inputs.get("path"),
                "PolicyDocument": _json(req.inputs["policy"]),
                "Description": req.inputs.get("description"),
                "Tags": req.tag_list(),
            }
        )
    )["Policy"]
    return policy["Arn"], {"name": name, "arn": policy["Arn"], "policyId": policy["PolicyId"]}


@handles("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _iam_attach(req: Request) -> Result:
    role, arn = req.inputs["role"], req.inputs["policyArn"]
    try:
        req.client("iam").attach_role_policy(RoleName=role, PolicyArn=arn)
    except ClientError as err:
        if err.response["Error"]["Code"] == "NoSuchEntity" and arn.startswith("arn:aws:iam::aws:policy/"):
            err.response["Error"]["Message"] += f" ({MANAGED_POLICIES_HINT})"
        raise
    return f"{role}-{_digest(arn)}", {}


@handles("aws:iam/serviceLinkedRole:ServiceLinkedRole")
def _service_linked_role(req: Request) -> Result:
    iam = req.client("iam")
    role = iam.create_service_linked_role(
        **_clean(
            {"AWSServiceName": req.inputs["awsServiceName"], "Description": req.inputs.get("description")}
        )
    )["Role"]
    if req.tags:
        iam.tag_role(RoleName=role["RoleName"], Tags=req.tag_list())
    # The provider's id is the role ARN.
    return role["Arn"], {
        "name": role["RoleName"],
        "path": role["Path"],
        "arn": role["Arn"],
        "uniqueId": role["RoleId"],
    }


@handles("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc(req: Request) -> Result:
    arn = req.client("iam").create_open_id_connect_provider(
        **_clean(
            {
                "Url": req.inputs["url"],
                "ClientIDList": req.inputs.get("clientIdLists"),
                "ThumbprintList": req.inputs.get("thumbprintLists"),
                "Tags": req.tag_list(),
            }
        )
    )["OpenIDConnectProviderArn"]
    return arn, {"arn": arn}


# --- Logs, Secrets Manager -------------------------------------------------------------------


@handles("aws:cloudwatch/logGroup:LogGroup")
def _log_group(req: Request) -> Result:
    logs = req.client("logs")
    name = req.physical_name(max_len=512)
    logs.create_log_group(
        **_clean({"logGroupName": name, "kmsKeyId": req.inputs.get("kmsKeyId"), "tags": req.tags})
    )
    if req.inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(req.inputs["retentionInDays"]))
    return name, {
        "name": name,
        "arn": f"arn:aws:logs:{req.emulator.region}:{req.emulator.account_id}:log-group:{name}",
    }


@handles("aws:secretsmanager/secret:Secret")
def _secret(req: Request) -> Result:
    secret = req.client("secretsmanager").create_secret(
        **_clean(
            {
                "Name": req.physical_name(max_len=512),
                "Description": req.inputs.get("description"),
                "KmsKeyId": req.inputs.get("kmsKeyId"),
                "Tags": req.tag_list(),
            }
        )
    )
    return secret["ARN"], {"arn": secret["ARN"], "name": secret["Name"]}


@handles("aws:secretsmanager/secretVersion:SecretVersion")
def _secret_version(req: Request) -> Result:
    i = req.inputs
    resp = req.client("secretsmanager").put_secret_value(
        **_clean(
            {
                "SecretId": i["secretId"],
                "SecretString": i.get("secretString"),
                "SecretBinary": i.get("secretBinary"),
                "VersionStages": i.get("versionStages"),
            }
        )
    )
    return f"{resp['ARN']}|{resp['VersionId']}", {"arn": resp["ARN"], "versionId": resp["VersionId"]}


# --- RDS -------------------------------------------------------------------------------------


@handles("aws:rds/clusterParameterGroup:ClusterParameterGroup")
def _rds_cluster_params(req: Request) -> Result:
    rds = req.client("rds")
    name = req.physical_name()
    group = rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name,
        DBParameterGroupFamily=req.inputs["family"],
        Description=req.inputs.get("description") or "Managed by Pulumi",
        Tags=req.tag_list(),
    )["DBClusterParameterGroup"]
    params = [
        {
            "ParameterName": p["name"],
            "ParameterValue": str(p["value"]),
            "ApplyMethod": p.get("applyMethod", "pending-reboot"),
        }
        for p in req.inputs.get("parameters") or []
    ]
    if params:
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=name, Parameters=params)
    return name, {"name": name, "arn": group["DBClusterParameterGroupArn"]}


@handles("aws:rds/subnetGroup:SubnetGroup")
def _rds_subnet_group(req: Request) -> Result:
    name = req.physical_name()
    group = req.client("rds").create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription=req.inputs.get("description") or "Managed by Pulumi",
        SubnetIds=list(req.inputs["subnetIds"]),
        Tags=req.tag_list(),
    )["DBSubnetGroup"]
    return name, {"name": name, "arn": group["DBSubnetGroupArn"], "vpcId": group["VpcId"]}


@handles("aws:rds/cluster:Cluster")
def _rds_cluster(req: Request) -> Result:
    i = req.inputs
    ident = req.physical_name("clusterIdentifier", max_len=63)
    cluster = req.client("rds").create_db_cluster(
        **_clean(
            {
                "DBClusterIdentifier": ident,
                "Engine": i["engine"],
                "EngineVersion": i.get("engineVersion"),
                "EngineMode": i.get("engineMode"),
                "DatabaseName": i.get("databaseName"),
                "MasterUsername": i.get("masterUsername"),
                "MasterUserPassword": i.get("masterPassword"),
                "ManageMasterUserPassword": i.get("manageMasterUserPassword"),
                "MasterUserSecretKmsKeyId": i.get("masterUserSecretKmsKeyId"),
                "Port": _int(i.get("port")),
                "DBSubnetGroupName": i.get("dbSubnetGroupName"),
                "VpcSecurityGroupIds": i.get("vpcSecurityGroupIds"),
                "StorageEncrypted": i.get("storageEncrypted"),
                "KmsKeyId": i.get("kmsKeyId"),
                "BackupRetentionPeriod": _int(i.get("backupRetentionPeriod")),
                "PreferredBackupWindow": i.get("preferredBackupWindow"),
                "PreferredMaintenanceWindow": i.get("preferredMaintenanceWindow"),
                "DBClusterParameterGroupName": i.get("dbClusterParameterGroupName"),
                "DeletionProtection": i.get("deletionProtection"),
                "CopyTagsToSnapshot": i.get("copyTagsToSnapshot"),
                "EnableIAMDatabaseAuthentication": i.get("iamDatabaseAuthenticationEnabled"),
                "EnableCloudwatchLogsExports": i.get("enabledCloudwatchLogsExports"),
                "AvailabilityZones": i.get("availabilityZones"),
                "Tags": req.tag_list(),
            }
        )
    )["DBCluster"]
    secret = cluster.get("MasterUserSecret") or {}
    return ident, {
        "arn": cluster["DBClusterArn"],
        "clusterIdentifier": ident,
        "endpoint": cluster.get("Endpoint"),
        "readerEndpoint": cluster.get("ReaderEndpoint"),
        "port": cluster.get("Port"),
        "clusterResourceId": cluster.get("DbClusterResourceId"),
        "hostedZoneId": cluster.get("HostedZoneId"),
        "masterUserSecrets": (
            [
                {
                    "secretArn": secret.get("SecretArn"),
                    "secretStatus": secret.get("SecretStatus"),
                    "kmsKeyId": secret.get("KmsKeyId"),
                }
            ]
            if secret
            else []
        ),
    }


@handles("aws:rds/eventSubscription:EventSubscription")
def _rds_event_subscription(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name(max_len=255)
    sub = req.client("rds").create_event_subscription(
        **_clean(
            {
                "SubscriptionName": name,
                "SnsTopicArn": i["snsTopic"],
                "SourceType": i.get("sourceType"),
                "SourceIds": i.get("sourceIds"),
                "EventCategories": i.get("eventCategories"),
                "Enabled": i.get("enabled", True),
                "Tags": req.tag_list(),
            }
        )
    )["EventSubscription"]
    return name, {"arn": sub["EventSubscriptionArn"], "customerAwsId": sub.get("CustomerAwsId")}


@handles("aws:rds/clusterInstance:ClusterInstance")
def _rds_instance(req: Request) -> Result:
    i = req.inputs
    ident = req.physical_name("identifier", max_len=63)
    pi = i.get("performanceInsightsEnabled")
    inst = req.client("rds").create_db_instance(
        **_clean(
            {
                "DBInstanceIdentifier": ident,
                "DBClusterIdentifier": i["clusterIdentifier"],
                "DBInstanceClass": i["instanceClass"],
                "Engine": i["engine"],
                "EngineVersion": i.get("engineVersion"),
                "AvailabilityZone": i.get("availabilityZone"),
                "DBSubnetGroupName": i.get("dbSubnetGroupName"),
                "PubliclyAccessible": i.get("publiclyAccessible"),
                "MonitoringInterval": _int(i.get("monitoringInterval")),
                "MonitoringRoleArn": i.get("monitoringRoleArn"),
                "EnablePerformanceInsights": pi,
                "PerformanceInsightsKMSKeyId": i.get("performanceInsightsKmsKeyId") if pi else None,
                "PerformanceInsightsRetentionPeriod": _int(i.get("performanceInsightsRetentionPeriod"))
                if pi
                else None,
                "CACertificateIdentifier": i.get("caCertIdentifier"),
                "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
                "PromotionTier": _int(i.get("promotionTier")),
                "CopyTagsToSnapshot": i.get("copyTagsToSnapshot"),
                "PreferredMaintenanceWindow": i.get("preferredMaintenanceWindow"),
                "DBParameterGroupName": i.get("dbParameterGroupName"),
                "Tags": req.tag_list(),
            }
        )
    )["DBInstance"]
    endpoint = inst.get("Endpoint") or {}
    return ident, {
        "arn": inst["DBInstanceArn"],
        "identifier": ident,
        "endpoint": endpoint.get("Address"),
        "port": endpoint.get("Port"),
        "dbiResourceId": inst.get("DbiResourceId"),
        "writer": False,
    }


# --- ElastiCache -----------------------------------------------------------------------------


@handles("aws:elasticache/subnetGroup:SubnetGroup")
def _cache_subnet_group(req: Request) -> Result:
    name = req.physical_name()
    group = req.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=name,
        CacheSubnetGroupDescription=req.inputs.get("description") or "Managed by Pulumi",
        SubnetIds=list(req.inputs["subnetIds"]),
        Tags=req.tag_list(),
    )["CacheSubnetGroup"]
    return name, {"name": name, "arn": group.get("ARN"), "vpcId": group.get("VpcId")}


@handles("aws:elasticache/replicationGroup:ReplicationGroup")
def _cache_replication_group(req: Request) -> Result:
    i = req.inputs
    ident = req.physical_name("replicationGroupId", max_len=40)
    group = req.client("elasticache").create_replication_group(
        **_clean(
            {
                "ReplicationGroupId": ident,
                "ReplicationGroupDescription": i.get("description") or "Managed by Pulumi",
                "Engine": i.get("engine"),
                "EngineVersion": i.get("engineVersion"),
                "CacheNodeType": i.get("nodeType"),
                "NumCacheClusters": _int(i.get("numCacheClusters")),
                "PreferredCacheClusterAZs": i.get("preferredCacheClusterAzs"),
                "AutomaticFailoverEnabled": i.get("automaticFailoverEnabled"),
                "MultiAZEnabled": i.get("multiAzEnabled"),
                "CacheParameterGroupName": i.get("parameterGroupName"),
                "CacheSubnetGroupName": i.get("subnetGroupName"),
                "SecurityGroupIds": i.get("securityGroupIds"),
                "Port": _int(i.get("port")),
                "AuthToken": i.get("authToken"),
                "TransitEncryptionEnabled": i.get("transitEncryptionEnabled"),
                "TransitEncryptionMode": i.get("transitEncryptionMode"),
                "AtRestEncryptionEnabled": i.get("atRestEncryptionEnabled"),
                "KmsKeyId": i.get("kmsKeyId"),
                "SnapshotRetentionLimit": _int(i.get("snapshotRetentionLimit")),
                "SnapshotWindow": i.get("snapshotWindow"),
                "PreferredMaintenanceWindow": i.get("maintenanceWindow"),
                "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
                "NotificationTopicArn": i.get("notificationTopicArn"),
                "LogDeliveryConfigurations": [
                    {
                        "LogType": c.get("logType"),
                        "DestinationType": c.get("destinationType"),
                        "LogFormat": c.get("logFormat"),
                        "DestinationDetails": (
                            {"CloudWatchLogsDetails": {"LogGroup": c["destination"]}}
                            if c.get("destinationType") == "cloudwatch-logs"
                            else {"KinesisFirehoseDetails": {"DeliveryStream": c["destination"]}}
                        ),
                    }
                    for c in i.get("logDeliveryConfigurations") or []
                ],
                "Tags": req.tag_list(),
            }
        )
    )["ReplicationGroup"]
    groups = group.get("NodeGroups") or [{}]
    primary = groups[0].get("PrimaryEndpoint") or {}
    reader = groups[0].get("ReaderEndpoint") or {}
    port = int(i.get("port", 6379))
    address = primary.get("Address") or f"master.{ident}.emulated.use1.cache.amazonaws.com"
    # moto ignores NumCacheClusters without cluster mode (one member only); AWS names them -001, -002...
    members = list(group.get("MemberClusters") or [])
    wanted = _int(i.get("numCacheClusters")) or len(members)
    members += [f"{ident}-{n:03d}" for n in range(len(members) + 1, wanted + 1)]
    return ident, {
        "arn": group.get("ARN"),
        "replicationGroupId": ident,
        "primaryEndpointAddress": address,
        "readerEndpointAddress": reader.get("Address") or address.replace("master.", "replica.", 1),
        "port": primary.get("Port") or port,
        "memberClusters": members,
    }


# --- ECS -------------------------------------------------------------------------------------


@handles("aws:ecs/cluster:Cluster")
def _ecs_cluster(req: Request) -> Result:
    i = req.inputs
    cluster = req.client("ecs").create_cluster(
        **_clean(
            {
                "clusterName": req.physical_name(),
                "settings": i.get("settings"),
                "configuration": i.get("configuration"),
                "serviceConnectDefaults": i.get("serviceConnectDefaults"),
                "tags": req.tag_list("key", "value"),
            }
        )
    )["cluster"]
    return cluster["clusterArn"], {"arn": cluster["clusterArn"], "name": cluster["clusterName"]}


@handles("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
def _ecs_capacity(req: Request) -> Result:
    i = req.inputs
    req.client("ecs").put_cluster_capacity_providers(
        cluster=i["clusterName"],
        capacityProviders=list(i.get("capacityProviders") or []),
        defaultCapacityProviderStrategy=[
            {
                "capacityProvider": s["capacityProvider"],
                "weight": int(s.get("weight", 0)),
                "base": int(s.get("base", 0)),
            }
            for s in i.get("defaultCapacityProviderStrategies") or []
        ],
    )
    return str(i["clusterName"]), {}


@handles("aws:ecs/taskDefinition:TaskDefinition")
def _ecs_task_definition(req: Request) -> Result:
    i = req.inputs
    containers = (
        json.loads(i["containerDefinitions"])
        if isinstance(i["containerDefinitions"], str)
        else i["containerDefinitions"]
    )
    td = req.client("ecs").register_task_definition(
        **_clean(
            {
                "family": i["family"],
                "containerDefinitions": containers,
                "cpu": i.get("cpu"),
                "memory": i.get("memory"),
                "networkMode": i.get("networkMode"),
                "requiresCompatibilities": i.get("requiresCompatibilities"),
                "executionRoleArn": i.get("executionRoleArn"),
                "taskRoleArn": i.get("taskRoleArn"),
                "volumes": [{"name": v["name"]} for v in i.get("volumes") or []],
                "runtimePlatform": i.get("runtimePlatform"),
                "ephemeralStorage": i.get("ephemeralStorage"),
                "pidMode": i.get("pidMode"),
                "tags": req.tag_list("key", "value"),
            }
        )
    )["taskDefinition"]
    arn = td["taskDefinitionArn"]
    return td["family"], {"arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0], "revision": td["revision"]}


@handles("aws:ecs/service:Service")
def _ecs_service(req: Request) -> Result:
    i = req.inputs
    net = i.get("networkConfiguration") or {}
    registries = i.get("serviceRegistries")
    if isinstance(registries, dict):
        registries = [registries]
    breaker = i.get("deploymentCircuitBreaker")
    deployment = _clean(
        {
            "deploymentCircuitBreaker": breaker,
            "minimumHealthyPercent": _int(i.get("deploymentMinimumHealthyPercent")),
            "maximumPercent": _int(i.get("deploymentMaximumPercent")),
        }
    )
    service = req.client("ecs").create_service(
        **_clean(
            {
                "cluster": i.get("cluster"),
                "serviceName": req.physical_name(),
                "taskDefinition": i.get("taskDefinition"),
                "desiredCount": _int(i.get("desiredCount")),
                "launchType": i.get("launchType"),
                "capacityProviderStrategy": [
                    {
                        "capacityProvider": s["capacityProvider"],
                        "weight": int(s.get("weight", 0)),
                        "base": int(s.get("base", 0)),
                    }
                    for s in i.get("capacityProviderStrategies") or []
                ],
                "platformVersion": i.get("platformVersion"),
                "networkConfiguration": (
                    {
                        "awsvpcConfiguration": _clean(
                            {
                                "subnets": list(net.get("subnets") or []),
                                "securityGroups": list(net.get("securityGroups") or []),
                                "assignPublicIp": "ENABLED" if net.get("assignPublicIp") else "DISABLED",
                            }
                        )
                    }
                    if net
                    else None
                ),
                "loadBalancers": [
                    {
                        "targetGroupArn": lb["targetGroupArn"],
                        "containerName": lb["containerName"],
                        "containerPort": int(lb["containerPort"]),
                    }
                    for lb in i.get("loadBalancers") or []
                ],
                "healthCheckGracePeriodSeconds": _int(i.get("healthCheckGracePeriodSeconds")),
                "serviceRegistries": registries,
                "deploymentConfiguration": deployment,
                "enableExecuteCommand": i.get("enableExecuteCommand"),
                "enableECSManagedTags": i.get("enableEcsManagedTags"),
                "propagateTags": i.get("propagateTags"),
                "schedulingStrategy": i.get("schedulingStrategy"),
                "tags": req.tag_list("key", "value"),
            }
        )
    )["service"]
    return service["serviceArn"], {"name": service["serviceName"], "cluster": service["clusterArn"]}


# --- ELBv2 -----------------------------------------------------------------------------------


def _lb_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n, a in enumerate(actions):
        action: dict[str, Any] = {"Type": a["type"], "Order": int(a.get("order", n + 1))}
        if a.get("targetGroupArn"):
            action["TargetGroupArn"] = a["targetGroupArn"]
        if a.get("forward"):
            action["ForwardConfig"] = {
                "TargetGroups": [
                    {"TargetGroupArn": t["arn"], "Weight": int(t.get("weight", 1))}
                    for t in a["forward"].get("targetGroups", [])
                ]
            }
        if a.get("redirect"):
            action["RedirectConfig"] = _pascal(a["redirect"])
            action["RedirectConfig"].setdefault("StatusCode", "HTTP_301")
        if a.get("fixedResponse"):
            action["FixedResponseConfig"] = _pascal(a["fixedResponse"])
        out.append(action)
    return out


def _lb_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fields = {
        "httpHeader": ("http-header", "HttpHeaderConfig"),
        "pathPattern": ("path-pattern", "PathPatternConfig"),
        "hostHeader": ("host-header", "HostHeaderConfig"),
        "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig"),
        "sourceIp": ("source-ip", "SourceIpConfig"),
        "queryStrings": ("query-string", "QueryStringConfig"),
    }
    out = []
    for c in conditions:
        for key, (field, config) in fields.items():
            if c.get(key):
                value = {"Values": _pascal(c[key])} if key == "queryStrings" else _pascal(c[key])
                out.append({"Field": field, config: value})
    return out


@handles("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def _load_balancer(req: Request) -> Result:
    i = req.inputs
    elb = req.client("elbv2")
    lb = elb.create_load_balancer(
        **_clean(
            {
                "Name": req.physical_name(max_len=32),
                "Subnets": i.get("subnets"),
                "SecurityGroups": i.get("securityGroups"),
                "Scheme": "internal" if i.get("internal") else "internet-facing",
                "Type": i.get("loadBalancerType", "application"),
                "IpAddressType": i.get("ipAddressType"),
                "Tags": req.tag_list(),
            }
        )
    )["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    attrs = {
        "routing.http.drop_invalid_header_fields.enabled": i.get("dropInvalidHeaderFields"),
        "deletion_protection.enabled": i.get("enableDeletionProtection"),
        "idle_timeout.timeout_seconds": _int(i.get("idleTimeout")),
    }
    logs = i.get("accessLogs") or {}
    if logs:
        attrs["access_logs.s3.enabled"] = bool(logs.get("enabled"))
        attrs["access_logs.s3.bucket"] = logs.get("bucket")
        attrs["access_logs.s3.prefix"] = logs.get("prefix")
    pairs = [{"Key": k, "Value": str(v).lower()} for k, v in attrs.items() if v is not None]
    if pairs:
        elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=pairs)
    return arn, {
        "arn": arn,
        "arnSuffix": arn.split(":loadbalancer/", 1)[1],
        "dnsName": lb["DNSName"],
        "zoneId": lb.get("CanonicalHostedZoneId"),
        "vpcId": lb.get("VpcId"),
        "name": lb["LoadBalancerName"],
    }


@handles("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
def _target_group(req: Request) -> Result:
    i = req.inputs
    hc = i.get("healthCheck") or {}
    matcher = hc.get("matcher")
    grpc = str(i.get("protocolVersion", "")).upper() == "GRPC"
    tg = req.client("elbv2").create_target_group(
        **_clean(
            {
                "Name": req.physical_name(max_len=32),
                "Protocol": i.get("protocol"),
                "ProtocolVersion": i.get("protocolVersion"),
                "Port": _int(i.get("port")),
                "VpcId": i.get("vpcId"),
                "TargetType": i.get("targetType"),
                "HealthCheckEnabled": hc.get("enabled"),
                "HealthCheckProtocol": hc.get("protocol"),
                "HealthCheckPort": str(hc["port"]) if hc.get("port") else None,
                "HealthCheckPath": hc.get("path"),
                "HealthCheckIntervalSeconds": _int(hc.get("interval")),
                "HealthCheckTimeoutSeconds": _int(hc.get("timeout")),
                "HealthyThresholdCount": _int(hc.get("healthyThreshold")),
                "UnhealthyThresholdCount": _int(hc.get("unhealthyThreshold")),
                "Matcher": ({"GrpcCode": str(matcher)} if grpc else {"HttpCode": str(matcher)})
                if matcher
                else None,
                "Tags": req.tag_list(),
            }
        )
    )["TargetGroups"][0]
    arn = tg["TargetGroupArn"]
    if i.get("deregistrationDelay") is not None:
        req.client("elbv2").modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": str(int(i["deregistrationDelay"]))}
            ],
        )
    return arn, {"arn": arn, "arnSuffix": arn.split(":", 5)[5], "name": tg["TargetGroupName"]}


#: Target-group protocol versions an ALB reaches only from HTTPS listeners (HTTP/2 end to end).
HTTPS_ONLY_PROTOCOL_VERSIONS = ("GRPC", "HTTP2")


def _forwarded_groups(actions: list[dict[str, Any]]) -> list[str]:
    arns = [str(a["targetGroupArn"]) for a in actions if a.get("targetGroupArn")]
    for a in actions:
        arns += [str(t["arn"]) for t in (a.get("forward") or {}).get("targetGroups", [])]
    return arns


def _refuse_http2_groups_from(req: Request, protocol: str | None, actions: list[dict[str, Any]]) -> None:
    """AWS refuses a non-HTTPS listener (or rule on one) forwarding to a GRPC/HTTP2 target group; moto does not."""
    if str(protocol).upper() == "HTTPS":
        return
    arns = _forwarded_groups(actions)
    if not arns:
        return
    groups = req.client("elbv2").describe_target_groups(TargetGroupArns=arns)["TargetGroups"]
    for group in groups:
        version = str(group.get("ProtocolVersion") or "HTTP1").upper()
        if version in HTTPS_ONLY_PROTOCOL_VERSIONS:
            raise ClientError(
                {
                    "Error": {
                        "Code": "InvalidLoadBalancerAction",
                        "Message": f"Target group '{group['TargetGroupArn']}' has protocol version {version}: "
                        f"only HTTPS listeners can forward to it, not {protocol}",
                    }
                },
                "CreateRule",
            )


@handles("aws:acm/certificate:Certificate")
def _acm_certificate(req: Request) -> Result:
    """Imported (private key + body) or requested (domain name, DNS validation)."""
    i, acm = req.inputs, req.client("acm")
    tags = req.tag_list() or None
    if i.get("privateKey") or i.get("certificateBody"):
        arn = acm.import_certificate(
            **_clean(
                {
                    "Certificate": str(i["certificateBody"]).encode(),
                    "PrivateKey": str(i["privateKey"]).encode(),
                    "CertificateChain": str(i["certificateChain"]).encode()
                    if i.get("certificateChain")
                    else None,
                    "Tags": tags,
                }
            )
        )["CertificateArn"]
    else:
        arn = acm.request_certificate(
            **_clean(
                {
                    "DomainName": i["domainName"],
                    "ValidationMethod": i.get("validationMethod", "DNS"),
                    "SubjectAlternativeNames": i.get("subjectAlternativeNames"),
                    "Tags": tags,
                }
            )
        )["CertificateArn"]
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    return arn, {"arn": arn, "status": cert.get("Status"), "domainName": cert.get("DomainName")}


@handles("aws:lb/listener:Listener", "aws:alb/listener:Listener")
def _listener(req: Request) -> Result:
    i = req.inputs
    _refuse_http2_groups_from(req, i.get("protocol"), i.get("defaultActions") or [])
    listener = req.client("elbv2").create_listener(
        **_clean(
            {
                "LoadBalancerArn": i["loadBalancerArn"],
                "Protocol": i.get("protocol"),
                "Port": _int(i.get("port")),
                "SslPolicy": i.get("sslPolicy"),
                "Certificates": [{"CertificateArn": req.emulator.certificate(i["certificateArn"])}]
                if i.get("certificateArn")
                else None,
                "AlpnPolicy": [i["alpnPolicy"]] if i.get("alpnPolicy") else None,
                "DefaultActions": _lb_actions(i.get("defaultActions") or []),
                "Tags": req.tag_list(),
            }
        )
    )["Listeners"][0]
    return listener["ListenerArn"], {"arn": listener["ListenerArn"]}


@handles("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
def _listener_rule(req: Request) -> Result:
    i = req.inputs
    elb = req.client("elbv2")
    listener = elb.describe_listeners(ListenerArns=[i["listenerArn"]])["Listeners"][0]
    _refuse_http2_groups_from(req, listener.get("Protocol"), i.get("actions") or [])
    rule = elb.create_rule(
        ListenerArn=i["listenerArn"],
        Priority=int(i["priority"]),
        Conditions=_lb_conditions(i.get("conditions") or []),
        Actions=_lb_actions(i.get("actions") or []),
        **_clean({"Tags": req.tag_list()}),
    )["Rules"][0]
    return rule["RuleArn"], {"arn": rule["RuleArn"]}


# --- Service discovery, SNS, CloudWatch ------------------------------------------------------


@handles("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
def _sd_namespace(req: Request) -> Result:
    sd = req.client("servicediscovery")
    op = sd.create_private_dns_namespace(
        **_clean(
            {
                "Name": req.inputs["name"],
                "Vpc": req.inputs["vpc"],
                "Description": req.inputs.get("description"),
                "Tags": req.tag_list(),
            }
        )
    )["OperationId"]
    ns_id = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    ns = sd.get_namespace(Id=ns_id)["Namespace"]
    zone = ns.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId")
    return ns_id, {"arn": ns["Arn"], "hostedZone": zone}


@handles("aws:servicediscovery/service:Service")
def _sd_service(req: Request) -> Result:
    i = req.inputs
    dns = i.get("dnsConfig")
    service = req.client("servicediscovery").create_service(
        **_clean(
            {
                "Name": req.physical_name(),
                "NamespaceId": i.get("namespaceId") or (dns or {}).get("namespaceId"),
                "Description": i.get("description"),
                "DnsConfig": _pascal(
                    {
                        "routingPolicy": dns.get("routingPolicy"),
                        "dnsRecords": [
                            {"type": r["type"], "tTL": int(r["ttl"])} for r in dns.get("dnsRecords", [])
                        ],
                    }
                )
                if dns
                else None,
                "HealthCheckCustomConfig": _pascal(i["healthCheckCustomConfig"])
                if i.get("healthCheckCustomConfig")
                else None,
                "Tags": req.tag_list(),
            }
        )
    )["Service"]
    return service["Id"], {"arn": service["Arn"], "name": service["Name"]}


@handles("aws:cloudwatch/eventRule:EventRule")
def _event_rule(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name(max_len=64)
    arn = req.client("events").put_rule(
        **_clean(
            {
                "Name": name,
                "EventPattern": _json(i["eventPattern"]) if i.get("eventPattern") else None,
                "ScheduleExpression": i.get("scheduleExpression"),
                "State": i.get("state", "ENABLED"),
                "Description": i.get("description"),
                "EventBusName": i.get("eventBusName"),
                "Tags": req.tag_list() or None,
            }
        )
    )["RuleArn"]
    return name, {"arn": arn, "name": name}


@handles("aws:cloudwatch/eventTarget:EventTarget")
def _event_target(req: Request) -> Result:
    i = req.inputs
    retry = i.get("retryPolicy") or {}
    target = _clean(
        {
            "Id": i.get("targetId") or req.physical_name(max_len=64),
            "Arn": i["arn"],
            "RoleArn": i.get("roleArn"),
            "Input": i.get("input"),
            "RetryPolicy": _clean(
                {
                    "MaximumEventAgeInSeconds": _int(retry.get("maximumEventAgeInSeconds")),
                    "MaximumRetryAttempts": _int(retry.get("maximumRetryAttempts")),
                }
            )
            or None,
        }
    )
    failed = req.client("events").put_targets(Rule=i["rule"], Targets=[target])
    if failed.get("FailedEntryCount"):
        entry = failed["FailedEntries"][0]
        raise ClientError(
            {"Error": {"Code": entry["ErrorCode"], "Message": entry["ErrorMessage"]}}, "PutTargets"
        )
    return f"{i['rule']}-{target['Id']}", {"targetId": target["Id"]}


@handles("aws:sfn/stateMachine:StateMachine")
def _state_machine(req: Request) -> Result:
    i = req.inputs
    logging = i.get("loggingConfiguration") or {}
    resp = req.client("stepfunctions").create_state_machine(
        **_clean(
            {
                "name": req.physical_name(max_len=80),
                "definition": _json(i["definition"]),
                "roleArn": i["roleArn"],
                "type": i.get("type", "STANDARD"),
                "loggingConfiguration": {
                    "level": logging.get("level", "OFF"),
                    "includeExecutionData": bool(logging.get("includeExecutionData")),
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}],
                }
                if logging.get("logDestination")
                else None,
                "tags": [{"key": k, "value": v} for k, v in req.tags.items()] or None,
            }
        )
    )
    arn = resp["stateMachineArn"]
    return arn, {"arn": arn, "creationDate": str(resp["creationDate"]), "name": arn.rsplit(":", 1)[-1]}


@handles("aws:sns/topic:Topic")
def _sns_topic(req: Request) -> Result:
    i = req.inputs
    attrs = {
        "KmsMasterKeyId": i.get("kmsMasterKeyId"),
        "DisplayName": i.get("displayName"),
        "Policy": i.get("policy"),
        "FifoTopic": "true" if i.get("fifoTopic") else None,
    }
    arn = req.client("sns").create_topic(
        Name=req.physical_name(max_len=256), Attributes=_clean(attrs), Tags=req.tag_list()
    )["TopicArn"]
    return arn, {"arn": arn, "name": arn.rsplit(":", 1)[1], "owner": arn.split(":")[4]}


@handles("aws:sns/topicSubscription:TopicSubscription")
def _sns_subscription(req: Request) -> Result:
    i = req.inputs
    arn = req.client("sns").subscribe(
        TopicArn=i["topic"], Protocol=i["protocol"], Endpoint=i["endpoint"], ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    return arn, {"arn": arn}


@handles("aws:sns/topicPolicy:TopicPolicy")
def _sns_policy(req: Request) -> Result:
    arn = req.inputs["arn"]
    req.client("sns").set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=_json(req.inputs["policy"])
    )
    return arn, {"owner": arn.split(":")[4]}


def _metric_queries(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for q in queries:
        item: dict[str, Any] = _clean(
            {
                "Id": q["id"],
                "Expression": q.get("expression"),
                "Label": q.get("label"),
                "ReturnData": q.get("returnData"),
                "Period": _int(q.get("period")),
            }
        )
        m = q.get("metric")
        if m:
            item["MetricStat"] = _clean(
                {
                    "Metric": {
                        "Namespace": m.get("namespace"),
                        "MetricName": m.get("metricName"),
                        "Dimensions": [
                            {"Name": k, "Value": v} for k, v in (m.get("dimensions") or {}).items()
                        ],
                    },
                    "Period": _int(m.get("period")),
                    "Stat": m.get("stat"),
                    "Unit": m.get("unit"),
                }
            )
        out.append(item)
    return out


@handles("aws:cloudwatch/metricAlarm:MetricAlarm")
def _metric_alarm(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name()
    cw = req.client("cloudwatch")
    cw.put_metric_alarm(
        **_clean(
            {
                "AlarmName": name,
                "AlarmDescription": i.get("alarmDescription"),
                "ComparisonOperator": i["comparisonOperator"],
                "EvaluationPeriods": int(i["evaluationPeriods"]),
                "DatapointsToAlarm": _int(i.get("datapointsToAlarm")),
                "MetricName": i.get("metricName"),
                "Namespace": i.get("namespace"),
                "Period": _int(i.get("period")),
                "Statistic": i.get("statistic"),
                "ExtendedStatistic": i.get("extendedStatistic"),
                "Threshold": float(i["threshold"]) if i.get("threshold") is not None else None,
                "Dimensions": [{"Name": k, "Value": v} for k, v in (i.get("dimensions") or {}).items()],
                "Metrics": _metric_queries(i.get("metricQueries") or []),
                "AlarmActions": i.get("alarmActions"),
                "OKActions": i.get("okActions"),
                "InsufficientDataActions": i.get("insufficientDataActions"),
                "TreatMissingData": i.get("treatMissingData"),
                "ActionsEnabled": i.get("actionsEnabled"),
                "Unit": i.get("unit"),
                "Tags": req.tag_list(),
            }
        )
    )
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    return name, {"arn": arn, "name": name}


@handles("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(req: Request) -> Result:
    name = req.inputs["dashboardName"]
    cw = req.client("cloudwatch")
    cw.put_dashboard(DashboardName=name, DashboardBody=_json(req.inputs["dashboardBody"]))
    arn = cw.get_dashboard(DashboardName=name)["DashboardArn"]
    return name, {"dashboardArn": arn}


# --- S3, ECR, Application Auto Scaling -------------------------------------------------------


@handles("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _s3_bucket(req: Request) -> Result:
    name = req.physical_name("bucket", max_len=63)
    s3 = req.client("s3")
    region = req.emulator.region
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    if req.tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": req.tag_list()})
    return name, {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "region": region,
        "hostedZoneId": "Z3AQBSTGFYJSTF",
    }


@handles("aws:s3/bucketPolicy:BucketPolicy")
def _s3_policy(req: Request) -> Result:
    bucket = req.inputs["bucket"]
    req.client("s3").put_bucket_policy(Bucket=bucket, Policy=_json(req.inputs["policy"]))
    return bucket, {}


@handles("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
def _s3_public_access(req: Request) -> Result:
    i = req.inputs
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    config = {k[:1].upper() + k[1:]: bool(i.get(k, False)) for k in keys}
    req.client("s3").put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration=config)
    return str(i["bucket"]), {}


@handles("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
def _s3_ownership(req: Request) -> Result:
    i = req.inputs
    rule = i.get("rule") or {}
    req.client("s3").put_bucket_ownership_controls(
        Bucket=i["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": rule["objectOwnership"]}]}
    )
    return str(i["bucket"]), {}


@handles(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
def _s3_encryption(req: Request) -> Result:
    i = req.inputs
    rules = []
    for r in i.get("rules") or []:
        default = r.get("applyServerSideEncryptionByDefault") or {}
        rule: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": _clean(
                {"SSEAlgorithm": default.get("sseAlgorithm"), "KMSMasterKeyID": default.get("kmsMasterKeyId")}
            )
        }
        if r.get("bucketKeyEnabled") is not None:
            rule["BucketKeyEnabled"] = bool(r["bucketKeyEnabled"])
        rules.append(rule)
    req.client("s3").put_bucket_encryption(
        Bucket=i["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return str(i["bucket"]), {}


@handles(
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
def _s3_lifecycle(req: Request) -> Result:
    i = req.inputs
    rules = []
    for r in i.get("rules") or []:
        rule: dict[str, Any] = {"ID": r["id"], "Status": r.get("status", "Enabled")}
        filt = r.get("filter")
        rule["Filter"] = _clean({"Prefix": filt.get("prefix")}) if filt else {}
        if not rule["Filter"]:
            rule["Filter"] = {"Prefix": r.get("prefix", "")}
        if r.get("expiration"):
            rule["Expiration"] = _clean(_pascal(r["expiration"]))
        if r.get("abortIncompleteMultipartUpload"):
            rule["AbortIncompleteMultipartUpload"] = _pascal(r["abortIncompleteMultipartUpload"])
        if r.get("noncurrentVersionExpiration"):
            rule["NoncurrentVersionExpiration"] = _pascal(r["noncurrentVersionExpiration"])
        rules.append(rule)
    req.client("s3").put_bucket_lifecycle_configuration(
        Bucket=i["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return str(i["bucket"]), {}


@handles("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
def _s3_versioning(req: Request) -> Result:
    i = req.inputs
    status = (i.get("versioningConfiguration") or {}).get("status", "Enabled")
    req.client("s3").put_bucket_versioning(Bucket=i["bucket"], VersioningConfiguration={"Status": status})
    return str(i["bucket"]), {}


# --- WAF ------------------------------------------------------------------------------------


#: Pulumi spellings the PascalCase conversion gets wrong for the WAFv2 API.
_WAF_KEYS = {"CloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}
#: WAF writes to CloudWatch Logs only into groups named so; moto accepts any name, AWS refuses.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def _waf(value: Any) -> Any:
    """Pulumi's WAF input shapes -> the WAFv2 API's (PascalCase, `CloudWatch` spelled AWS's way)."""
    if isinstance(value, dict):
        return {_WAF_KEYS.get(k, k): _waf(v) for k, v in _pascal(value).items()}
    if isinstance(value, list):
        return [_waf(v) for v in value]
    return value


@handles("aws:wafv2/webAcl:WebAcl")
def _web_acl(req: Request) -> Result:
    i = req.inputs
    rules = [_waf(r) for r in i.get("rules") or []]
    acl = req.client("wafv2").create_web_acl(
        **_clean(
            {
                "Name": req.physical_name(max_len=128),
                "Scope": i["scope"],
                "DefaultAction": _waf(i["defaultAction"]),
                "Description": i.get("description"),
                "Rules": rules,
                "VisibilityConfig": _waf(i["visibilityConfig"]),
                "Tags": req.tag_list(),
            }
        )
    )["Summary"]
    return acl["Id"], {"arn": acl["ARN"], "lockToken": acl["LockToken"], "capacity": None}


@handles("aws:wafv2/webAclAssociation:WebAclAssociation")
def _web_acl_association(req: Request) -> Result:
    i = req.inputs
    req.client("wafv2").associate_web_acl(WebACLArn=i["webAclArn"], ResourceArn=i["resourceArn"])
    return f"{i['webAclArn']},{i['resourceArn']}", {}


@handles("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
def _web_acl_logging(req: Request) -> Result:
    i = req.inputs
    destinations = list(i.get("logDestinationConfigs") or [])
    for arn in destinations:
        if ":log-group:" in arn and not arn.split(":log-group:", 1)[1].startswith(WAF_LOG_GROUP_PREFIX):
            raise ClientError(
                {
                    "Error": {
                        "Code": "WAFInvalidParameterException",
                        "Message": f"log group {arn}: WAF logs only to groups named {WAF_LOG_GROUP_PREFIX}*",
                    }
                },
                "PutLoggingConfiguration",
            )
    config = _clean(
        {
            "ResourceArn": i["resourceArn"],
            "LogDestinationConfigs": destinations,
            "RedactedFields": [_waf(f) for f in i.get("redactedFields") or []],
        }
    )
    req.client("wafv2").put_logging_configuration(LoggingConfiguration=config)
    return str(i["resourceArn"]), {}


@handles("aws:ecr/repository:Repository")
def _ecr_repository(req: Request) -> Result:
    i = req.inputs
    enc = (i.get("encryptionConfigurations") or [{}])[0]
    repo = req.client("ecr").create_repository(
        **_clean(
            {
                "repositoryName": req.physical_name(),
                "imageTagMutability": i.get("imageTagMutability"),
                "imageScanningConfiguration": i.get("imageScanningConfiguration"),
                "encryptionConfiguration": _clean(
                    {"encryptionType": enc.get("encryptionType"), "kmsKey": enc.get("kmsKey")}
                )
                or None,
                "tags": req.tag_list(),
            }
        )
    )["repository"]
    return repo["repositoryName"], {
        "arn": repo["repositoryArn"],
        "name": repo["repositoryName"],
        "registryId": repo["registryId"],
        "repositoryUrl": repo["repositoryUri"],
    }


@handles("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def _ecr_lifecycle(req: Request) -> Result:
    repo = req.inputs["repository"]
    resp = req.client("ecr").put_lifecycle_policy(
        repositoryName=repo, lifecyclePolicyText=_json(req.inputs["policy"])
    )
    return repo, {"registryId": resp["registryId"]}


@handles("aws:appautoscaling/target:Target")
def _scaling_target(req: Request) -> Result:
    i = req.inputs
    client = req.client("application-autoscaling")
    client.register_scalable_target(
        ServiceNamespace=i["serviceNamespace"],
        ResourceId=i["resourceId"],
        ScalableDimension=i["scalableDimension"],
        MinCapacity=int(i["minCapacity"]),
        MaxCapacity=int(i["maxCapacity"]),
    )
    found = client.describe_scalable_targets(
        ServiceNamespace=i["serviceNamespace"], ResourceIds=[i["resourceId"]]
    )
    arn = next((t.get("ScalableTargetARN") for t in found["ScalableTargets"]), None)
    return str(i["resourceId"]), _clean({"arn": arn})


@handles("aws:appautoscaling/policy:Policy")
def _scaling_policy(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name()
    tracking = i.get("targetTrackingScalingPolicyConfiguration")
    step = i.get("stepScalingPolicyConfiguration")
    resp = req.client("application-autoscaling").put_scaling_policy(
        **_clean(
            {
                "PolicyName": name,
                "ServiceNamespace": i["serviceNamespace"],
                "ResourceId": i["resourceId"],
                "ScalableDimension": i["scalableDimension"],
                "PolicyType": i.get("policyType", "StepScaling"),
                "TargetTrackingScalingPolicyConfiguration": _pascal(tracking) if tracking else None,
                "StepScalingPolicyConfiguration": _pascal(step) if step else None,
            }
        )
    )
    return name, {"arn": resp["PolicyARN"], "name": name}


def _self_signed(domain: str) -> tuple[bytes, bytes]:
    """A throwaway self-signed certificate and its key (PEM) for the emulated account's ACM."""
    key = local_tls.private_key_pem("RSA")
    cert, _start, _end = local_tls.self_signed_pem(key, domain, [domain])
    return cert.encode(), key.encode()


# --- The mocks -------------------------------------------------------------------------------


class EmulatorMocks(ArbiterMocks):
    """Mocks that create each declared resource through the AWS API (moto) and return its real outputs."""

    def __init__(
        self,
        environment: str = "staging",
        *,
        session: boto3.Session | None = None,
        region: str = REGION,
        stand_in_external: bool = True,
        recorder: CallRecorder | None = None,
    ) -> None:
        super().__init__(environment)
        #: Records every API call made through the emulator's clients (the IAM proof reads it).
        self.recorder = recorder
        self.region = region
        self.session = session or boto3.Session(region_name=region)
        self.endpoint_url = os.environ.get("AWS_ENDPOINT_URL")
        #: AWS types the emulator has no handler for: they got the plain mocked outputs.
        self.fallback_types: set[str] = set()
        #: Resources created through the API, per type.
        self.emulated: dict[str, int] = {}
        #: The one-line AWS errors, in order (the run stops at the first).
        self.errors: list[str] = []
        #: External resources (not owned by the stack) replaced by stand-ins: declared id -> emulated id.
        self.stand_ins: dict[str, str] = {}
        self.stand_in_external = stand_in_external
        #: Every resource id handed to the program -> `<type> <name>`: inputs reference resources
        #: by these ids (the provider's id conventions), and errors name what an id belongs to.
        self.ids: dict[str, str] = {}
        #: The first failure, raised by `deploy` whatever Pulumi wraps it in.
        self.failure: EmulatorError | None = None
        self._clients: dict[str, Any] = {}
        self._provider_tags: dict[str, dict[str, str]] = {}
        self._provider_regions: dict[str, str] = {}
        self._account_id: str | None = None
        # The SDK registers resources from worker threads; one call at a time keeps clients and moto sane.
        self._lock = threading.RLock()

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of `service` in `region` (default: the stack's region)."""
        region = region or self.region
        key = service if region == self.region else f"{service}@{region}"
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(service, region_name=region)
                if self.recorder is not None:
                    self.recorder.attach(self._clients[key])
            return self._clients[key]

    def certificate(self, arn: str) -> str:
        """The ACM certificate to use for `arn`: itself if the account has it, else a listed stand-in.

        A certificate is issued outside the stack (DNS validation), so an empty emulated account
        cannot hold it; with `stand_in_external` a self-signed one is imported in its place and
        reported in `stand_ins`, otherwise the listener fails as it would in an account without it.
        """
        if arn in self.stand_ins:
            return self.stand_ins[arn]
        acm = self.client("acm")
        try:
            acm.describe_certificate(CertificateArn=arn)
            return arn
        except ClientError as err:
            if not self.stand_in_external or err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        cert, key = _self_signed(f"{self.environment}.arbiter.invalid")
        self.stand_ins[arn] = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        return self.stand_ins[arn]

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = str(self.client("sts").get_caller_identity()["Account"])
        return self._account_id

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:providers:aws":
            tags = args.inputs.get("defaultTags") or {}
            if isinstance(tags, str):
                tags = json.loads(tags)
            self._provider_tags[args.name] = dict(tags.get("tags") or {})
            self._provider_regions[args.name] = str(args.inputs.get("region") or self.region)
            return super().new_resource(args)
        handler = HANDLERS.get(args.typ)
        if handler is None or not args.custom:
            rid, state = super().new_resource(args)
            if args.custom and not args.typ.startswith("pulumi:providers:"):
                self.fallback_types.add(args.typ)
                self.ids[str(rid)] = f"{args.typ} {args.name} (fallback: not in AWS)"
            return rid, state
        inputs = _plain(dict(args.inputs))
        tags = {
            **self._provider_tags.get(self._provider_name(args.provider), {}),
            **(inputs.get("tags") or {}),
        }
        region = self._provider_regions.get(self._provider_name(args.provider), self.region)
        request = Request(
            emulator=self, type=args.typ, name=args.name, inputs=inputs, tags=tags, region=region
        )
        with self._lock:
            if self.recorder is not None:
                self.recorder.begin(f"{args.typ} {args.name}", tags)
            try:
                rid, outputs = handler(request)
            except ClientError as err:
                error = err.response.get("Error", {})
                message = " ".join(str(error.get("Message", err)).split())
                raise self._fail(f"{args.typ} {args.name}: {error.get('Code', 'Error')}: {message}") from None
            except EndpointConnectionError as err:
                raise self._unreachable(err) from None
            except (BotoCoreError, KeyError, StopIteration, TypeError, ValueError) as err:
                detail = " ".join(str(err).split())
                raise self._fail(f"{args.typ} {args.name}: {type(err).__name__}: {detail}") from None
            finally:
                if self.recorder is not None:
                    self.recorder.end()
            self.emulated[args.typ] = self.emulated.get(args.typ, 0) + 1
            self.ids[rid] = f"{args.typ} {args.name}"
        return rid, {**args.inputs, **{k: v for k, v in outputs.items() if v is not None}, "id": rid}

    @staticmethod
    def _provider_name(ref: str | None) -> str:
        """`urn:...::pulumi:providers:aws::<name>::<id>` -> `<name>`."""
        parts = (ref or "").split("::")
        return parts[-2] if len(parts) >= 2 else ""

    def _unreachable(self, err: EndpointConnectionError) -> EmulatorError:
        where = err.kwargs.get("endpoint_url") or self.endpoint_url or "the AWS API"
        failure = EmulatorUnreachable(f"cannot reach {where}: is the emulator (moto_server) running?")
        self.errors.append(str(failure))
        self.failure = self.failure or failure
        return failure

    def _fail(self, message: str) -> EmulatorError:
        """Record the error; name the declared resources whose ids the AWS message mentions."""
        named = [f"{rid} is {what}" for rid, what in self.ids.items() if rid in message.split(": ", 1)[-1]]
        if named:
            message += f" ({'; '.join(named)})"
        self.errors.append(message)
        failure = EmulatorError(message)
        self.failure = self.failure or failure
        return failure

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        try:
            return self._call(args)
        except EndpointConnectionError as err:
            raise self._unreachable(err) from None

    def _call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            me = self.client("sts").get_caller_identity()
            return {
                "accountId": me["Account"],
                "arn": me["Arn"],
                "userId": me["UserId"],
                "id": me["Account"],
            }, []
        if args.token == "aws:iam/getRoles:getRoles":
            prefix = args.args.get("pathPrefix") or "/"
            roles = self.client("iam").list_roles(PathPrefix=prefix)["Roles"]
            return {
                "names": [r["RoleName"] for r in roles],
                "arns": [r["Arn"] for r in roles],
                "id": prefix,
            }, []
        if args.token == "aws:iam/getRole:getRole":
            role = self.client("iam").get_role(RoleName=args.args["name"])["Role"]
            tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
            return {"name": role["RoleName"], "arn": role["Arn"], "tags": tags, "id": role["RoleName"]}, []
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = self.client("ec2").describe_availability_zones()["AvailabilityZones"]
            return {
                "names": [z["ZoneName"] for z in zones],
                "zoneIds": [z["ZoneId"] for z in zones],
                "id": self.region,
            }, []
        return super().call(args)


def deploy(stack: str, mocks: EmulatorMocks, **kwargs: Any) -> Deployment:
    """Run the program against the emulator; the first AWS error fails the run as `EmulatorError`."""
    try:
        deployment = run_program(stack, mocks=mocks, **kwargs)
    except Exception:
        if mocks.failure is not None:
            raise mocks.failure from None
        raise
    if mocks.failure is not None:
        raise mocks.failure
    return deployment
