"""WAFv2 web ACLs, their association with the ALB, and their logging."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from arbiter_tools.emulator.core import Request, Result, clean, handles, pascal
from policies import resource_types as rt

#: Pulumi spellings the PascalCase conversion gets wrong for the WAFv2 API.
_WAF_KEYS = {"CloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}
#: WAF writes to CloudWatch Logs only into groups named so; moto accepts any name, AWS refuses.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def _waf(value: Any) -> Any:
    """Pulumi's WAF input shapes -> the WAFv2 API's (PascalCase, `CloudWatch` spelled AWS's way)."""
    if isinstance(value, dict):
        return {_WAF_KEYS.get(k, k): _waf(v) for k, v in pascal(value).items()}
    if isinstance(value, list):
        return [_waf(v) for v in value]
    return value


@handles(rt.WEB_ACL)
def _web_acl(req: Request) -> Result:
    i = req.inputs
    rules = [_waf(r) for r in i.get("rules") or []]
    acl = req.client("wafv2").create_web_acl(
        **clean(
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


@handles(rt.WAF_ASSOCIATION)
def _web_acl_association(req: Request) -> Result:
    i = req.inputs
    req.client("wafv2").associate_web_acl(WebACLArn=i["webAclArn"], ResourceArn=i["resourceArn"])
    return f"{i['webAclArn']},{i['resourceArn']}", {}


@handles(rt.WAF_LOGGING)
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
    config = clean(
        {
            "ResourceArn": i["resourceArn"],
            "LogDestinationConfigs": destinations,
            "RedactedFields": [_waf(f) for f in i.get("redactedFields") or []],
        }
    )
    req.client("wafv2").put_logging_configuration(LoggingConfiguration=config)
    return str(i["resourceArn"]), {}
