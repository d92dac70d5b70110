"""IAM rules for EC2 calls: creates (with tag-on-create), changes, security-group rules, tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from arbiter_tools.api_calls.core import RULES, CallContext, rule
from policies import resource_types as rt

#: Create operation -> (ARN resource type of what it creates, response path to its id, parent params).
_EC2_CREATES: Final[dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "CreateVpc": ("vpc", ("Vpc", "VpcId"), ()),
    "CreateSubnet": ("subnet", ("Subnet", "SubnetId"), ("VpcId",)),
    "CreateInternetGateway": ("internet-gateway", ("InternetGateway", "InternetGatewayId"), ()),
    "AllocateAddress": ("elastic-ip", ("AllocationId",), ()),
    "CreateNatGateway": ("natgateway", ("NatGateway", "NatGatewayId"), ("SubnetId", "AllocationId")),
    "CreateRouteTable": ("route-table", ("RouteTable", "RouteTableId"), ("VpcId",)),
    "CreateSecurityGroup": ("security-group", ("GroupId",), ("VpcId",)),
    "CreateVpcEndpoint": (
        "vpc-endpoint",
        ("VpcEndpoint", "VpcEndpointId"),
        ("VpcId", "SubnetIds", "SecurityGroupIds", "RouteTableIds"),
    ),
    "CreateFlowLogs": ("vpc-flow-log", ("FlowLogIds", "0"), ("ResourceIds",)),
    "CreateNetworkAcl": ("network-acl", ("NetworkAcl", "NetworkAclId"), ("VpcId",)),
}


def _dig(value: Any, path: Sequence[str]) -> str:
    for key in path:
        value = value[int(key)] if isinstance(value, list) else value[key]
    return str(value)


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []


def _ec2_create(c: CallContext) -> None:
    op = c.call.operation
    kind, path, parents = _EC2_CREATES[op]
    new = c.arn("ec2", f"{kind}/*")
    c.need(f"ec2:{op}", new, tags=c.tags)
    for param in parents:
        for parent in _ids(c.p.get(param)):
            c.need(f"ec2:{op}", c.ec2(parent))
    if c.tags:
        c.need("ec2:CreateTags", new, tags=c.tags, extra={"ec2:CreateAction": op}, why="tag on create")
    if op == "CreateFlowLogs":
        c.pass_role(c.p.get("DeliverLogsPermissionArn"), "vpc-flow-logs.amazonaws.com")
    c.created(c.ec2(_dig(c.r, path)))


for _op in _EC2_CREATES:
    RULES[("ec2", _op)] = _ec2_create


@rule("ec2", "ModifyVpcAttribute", "ModifySubnetAttribute", "CreateRoute", "RevokeSecurityGroupEgress")
@rule("ec2", "RevokeSecurityGroupIngress", "AttachInternetGateway", "AssociateRouteTable")
@rule("ec2", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation")
def _ec2_change(c: CallContext) -> None:
    # ReplaceNetworkAclAssociation is authorized on the ACL the subnet moves to (its only resource
    # type in the Service Authorization Reference); the association id is not an ARN.
    for param in ("VpcId", "SubnetId", "RouteTableId", "GroupId", "InternetGatewayId", "NetworkAclId"):
        if c.p.get(param):
            c.need(f"ec2:{c.call.operation}", c.ec2(str(c.p[param])))


#: Rule resources the provider creates with TagSpecifications (the emulator passes none).
_RULES_TAGGED_BY_PROVIDER: Final = frozenset(
    {
        rt.SG_INGRESS,
        rt.SG_EGRESS,
    }
)


@rule("ec2", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress")
def _ec2_authorize(c: CallContext) -> None:
    op = c.call.operation
    c.need(f"ec2:{op}", c.ec2(str(c.p["GroupId"])))
    tags = c.tags or (dict(c.call.resource_tags) if c.call.type in _RULES_TAGGED_BY_PROVIDER else {})
    for created in c.r.get("SecurityGroupRules") or []:
        c.created(c.ec2(str(created["SecurityGroupRuleId"])), tags)
    if tags:
        new = c.arn("ec2", "security-group-rule/*")
        c.need(f"ec2:{op}", new, tags=tags, why="rule created with TagSpecifications")
        c.need("ec2:CreateTags", new, tags=tags, extra={"ec2:CreateAction": op}, why="tag on create")


@rule("ec2", "CreateTags")
def _ec2_tags(c: CallContext) -> None:
    for rid in _ids(c.p.get("Resources")):
        c.need("ec2:CreateTags", c.ec2(rid), tags=c.tags)
        c.created(c.ec2(rid))
