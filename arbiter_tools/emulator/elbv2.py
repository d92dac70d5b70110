"""ELBv2: load balancers, target groups, listeners and rules, with the gRPC-over-HTTPS check AWS makes."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from arbiter_tools.emulator.core import Request, Result, clean, handles, opt_int, pascal
from policies import resource_types as rt


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
            action["RedirectConfig"] = pascal(a["redirect"])
            action["RedirectConfig"].setdefault("StatusCode", "HTTP_301")
        if a.get("fixedResponse"):
            action["FixedResponseConfig"] = pascal(a["fixedResponse"])
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
                value = {"Values": pascal(c[key])} if key == "queryStrings" else pascal(c[key])
                out.append({"Field": field, config: value})
    return out


@handles(*rt.LOAD_BALANCERS)
def _load_balancer(req: Request) -> Result:
    i = req.inputs
    elb = req.client("elbv2")
    lb = elb.create_load_balancer(
        **clean(
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
        "idle_timeout.timeout_seconds": opt_int(i.get("idleTimeout")),
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


@handles(*rt.TARGET_GROUPS)
def _target_group(req: Request) -> Result:
    i = req.inputs
    hc = i.get("healthCheck") or {}
    matcher = hc.get("matcher")
    grpc = str(i.get("protocolVersion", "")).upper() == "GRPC"
    tg = req.client("elbv2").create_target_group(
        **clean(
            {
                "Name": req.physical_name(max_len=32),
                "Protocol": i.get("protocol"),
                "ProtocolVersion": i.get("protocolVersion"),
                "Port": opt_int(i.get("port")),
                "VpcId": i.get("vpcId"),
                "TargetType": i.get("targetType"),
                "HealthCheckEnabled": hc.get("enabled"),
                "HealthCheckProtocol": hc.get("protocol"),
                "HealthCheckPort": str(hc["port"]) if hc.get("port") else None,
                "HealthCheckPath": hc.get("path"),
                "HealthCheckIntervalSeconds": opt_int(hc.get("interval")),
                "HealthCheckTimeoutSeconds": opt_int(hc.get("timeout")),
                "HealthyThresholdCount": opt_int(hc.get("healthyThreshold")),
                "UnhealthyThresholdCount": opt_int(hc.get("unhealthyThreshold")),
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


@handles(*rt.LISTENERS)
def _listener(req: Request) -> Result:
    i = req.inputs
    _refuse_http2_groups_from(req, i.get("protocol"), i.get("defaultActions") or [])
    listener = req.client("elbv2").create_listener(
        **clean(
            {
                "LoadBalancerArn": i["loadBalancerArn"],
                "Protocol": i.get("protocol"),
                "Port": opt_int(i.get("port")),
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


@handles(*rt.LISTENER_RULES)
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
        **clean({"Tags": req.tag_list()}),
    )["Rules"][0]
    return rule["RuleArn"], {"arn": rule["RuleArn"]}
