"""EC2 security groups and their rules, applied the way the provider does (default egress revoked)."""

from __future__ import annotations

from typing import Any

from arbiter_tools.emulator.core import Request, Result, aws_error, clean, digest, handles
from arbiter_tools.emulator.ec2 import ec2_tags
from policies import resource_types as rt


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


@handles(rt.SECURITY_GROUP)
def _security_group(req: Request) -> Result:
    ec2 = req.client("ec2")
    gid = ec2.create_security_group(
        **clean(
            {
                "GroupName": req.physical_name(),
                "Description": req.inputs.get("description") or "Managed by Pulumi",
                "VpcId": req.inputs.get("vpcId"),
                "TagSpecifications": ec2_tags(req, "security-group"),
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


@handles(rt.DEFAULT_SG)
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
        raise aws_error("InvalidGroup.NotFound", f"VPC {req.inputs['vpcId']} has no default security group")
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


def _sg_rule(req: Request, direction: str) -> Result:
    ec2 = req.client("ec2")
    gid = req.inputs["securityGroupId"]
    perm = _permission(req.inputs)
    if not any(k in perm for k in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds")):
        raise aws_error(
            "InvalidParameterValue", "a rule needs one of cidrIpv4, cidrIpv6, referenced group, prefix list"
        )
    call = (
        ec2.authorize_security_group_ingress
        if direction == "ingress"
        else ec2.authorize_security_group_egress
    )
    resp = call(GroupId=gid, IpPermissions=[perm])
    rules = resp.get("SecurityGroupRules") or []
    rule_id = rules[0]["SecurityGroupRuleId"] if rules else f"sgr-{digest(gid, direction, perm)}"
    return rule_id, {
        "securityGroupRuleId": rule_id,
        "arn": f"arn:aws:ec2:{req.emulator.region}:{req.emulator.account_id}:security-group-rule/{rule_id}",
    }


@handles(rt.SG_INGRESS)
def _sg_ingress(req: Request) -> Result:
    return _sg_rule(req, "ingress")


@handles(rt.SG_EGRESS)
def _sg_egress(req: Request) -> Result:
    return _sg_rule(req, "egress")


@handles(rt.SG_RULE)
def _sg_rule_legacy(req: Request) -> Result:
    rule = dict(req.inputs)
    rule["ipProtocol"] = rule.get("protocol")
    if rule.get("sourceSecurityGroupId"):
        rule["referencedSecurityGroupId"] = rule["sourceSecurityGroupId"]
    req.inputs = rule
    return _sg_rule(req, "egress" if rule.get("type") == "egress" else "ingress")
