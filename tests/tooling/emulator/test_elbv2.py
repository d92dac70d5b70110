"""ELBv2, ACM, WAF and S3 in the emulator: the ALB as deployed, and the gRPC/WAF checks AWS makes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from pulumi.runtime.mocks import MockResourceArgs

from arbiter_tools.emulator import EmulatorMocks, self_signed
from components.waf import MANAGED_RULE_GROUPS, RATE_LIMIT_RULE
from policies import resource_types as rt
from tests.tooling.emulator.support import Emulated, one_line_error, resource_args

pytestmark = pytest.mark.moto


class TestDeployedEdge:
    """The ALB, its certificate, its WAF and its log bucket in each deployed stack."""

    def test_alb_target_groups_and_listeners(self, emulated: Emulated) -> None:
        elb = emulated.client("elbv2")
        lb = _load_balancer(emulated)
        assert lb["Scheme"] == "internet-facing"
        assert lb["DNSName"] == emulated.deployment.outputs["albDnsName"]
        assert {z["SubnetId"] for z in lb["AvailabilityZones"]} == set(
            emulated.deployment.outputs["publicSubnetIds"]
        )
        groups = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
        # prod's canary: an alternate group per protocol (ECS shifts traffic between the pair).
        pairs = 2 if emulated.stack == "prod" else 1
        assert sorted(g["ProtocolVersion"] for g in groups) == ["GRPC"] * pairs + ["HTTP1"] * pairs
        listeners = {
            listener["Port"]: listener
            for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        }
        assert set(listeners) == {80, 443}
        assert listeners[443]["Protocol"] == "HTTPS"
        assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
        serving = listeners[443]
        certificate = serving["Certificates"][0]["CertificateArn"]
        if emulated.sections["services"].get("certificateArn"):
            assert emulated.sections["services"]["certificateArn"] in emulated.mocks.stand_ins
        else:
            # Staging's own certificate: generated, imported into ACM, for the ALB's DNS name.
            assert emulated.mocks.stand_ins == {}
            cert = emulated.client("acm").describe_certificate(CertificateArn=certificate)["Certificate"]
            assert cert["Type"] == "IMPORTED"
            assert lb["DNSName"] in cert["SubjectAlternativeNames"]
        rules = [
            r for r in elb.describe_rules(ListenerArn=serving["ListenerArn"])["Rules"] if not r["IsDefault"]
        ]
        [rule] = [r for r in rules if r["Conditions"][0]["Field"] == "http-header"]
        grpc = {g["TargetGroupArn"] for g in groups if g["ProtocolVersion"] == "GRPC"}
        [action] = rule["Actions"]
        forwarded = {t["TargetGroupArn"] for t in action.get("ForwardConfig", {}).get("TargetGroups", [])}
        assert (forwarded or {action["TargetGroupArn"]}) == grpc

    def test_waf_on_the_alb_with_redacted_encrypted_logs(self, emulated: Emulated) -> None:
        lb = _load_balancer(emulated)
        wafv2 = emulated.client("wafv2")
        acl = wafv2.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"])["WebACL"]
        waf = emulated.sections["services"]["waf"]
        rules = {r["Name"]: r for r in acl["Rules"]}
        assert set(rules) == {*(g for _, g, _ in MANAGED_RULE_GROUPS), RATE_LIMIT_RULE}
        assert rules[RATE_LIMIT_RULE]["Statement"]["RateBasedStatement"]["Limit"] == waf["rateLimitPer5Min"]
        common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
        assert common["RuleActionOverrides"] == [
            {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
        ]
        logging = wafv2.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
        assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
        (destination,) = logging["LogDestinationConfigs"]
        group_name = destination.split(":log-group:", 1)[1]
        (group,) = emulated.client("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
        assert group["logGroupName"].startswith("aws-waf-logs-arbiter-")
        assert group["retentionInDays"] == waf["logRetentionDays"]
        assert group["kmsKeyId"] == emulated.deployment.outputs["kmsKeyArn"]

    def test_alb_log_bucket_is_versioned(self, emulated: Emulated) -> None:
        lb = _load_balancer(emulated)
        attrs = emulated.client("elbv2").describe_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"]
        )
        bucket = next(a["Value"] for a in attrs["Attributes"] if a["Key"] == "access_logs.s3.bucket")
        assert emulated.client("s3").get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_waf_logs_to_a_group_without_the_aws_waf_logs_prefix_are_refused(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    _, state = mocks.new_resource(
        resource_args(
            rt.WEB_ACL,
            "acl",
            name="acl",
            scope="REGIONAL",
            defaultAction={"allow": {}},
            visibilityConfig={
                "cloudwatchMetricsEnabled": True,
                "metricName": "acl",
                "sampledRequestsEnabled": True,
            },
        )
    )
    group = "arn:aws:logs:us-east-1:123456789012:log-group:/arbiter/waf"
    args = resource_args(
        rt.WAF_LOGGING,
        "logging",
        resourceArn=state["arn"],
        logDestinationConfigs=[group],
    )
    assert "WAF logs only to groups named aws-waf-logs-*" in one_line_error(mocks, args)


def _grpc_behind(aws: boto3.Session, protocol: str, port: int) -> tuple[EmulatorMocks, str, str]:
    """A VPC, an ALB, a GRPC target group and a listener of `protocol` created through the mocks."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    mocks = EmulatorMocks(session=aws)
    lb, _ = mocks.new_resource(resource_args(rt.LOAD_BALANCERS[0], "alb", subnets=subnets))
    tg, _ = mocks.new_resource(
        resource_args(
            rt.TARGET_GROUPS[0],
            "tg-grpc",
            protocol="HTTP",
            protocolVersion="GRPC",
            port=8080,
            vpcId=vpc,
            targetType="ip",
        )
    )
    rest, _ = mocks.new_resource(
        resource_args(
            rt.TARGET_GROUPS[0],
            "tg-rest",
            protocol="HTTP",
            port=8080,
            vpcId=vpc,
            targetType="ip",
        )
    )
    extra: dict[str, Any] = {}
    if protocol == "HTTPS":
        cert, key = self_signed("grpc.example.invalid")
        extra = {
            "certificateArn": aws.client("acm").import_certificate(Certificate=cert, PrivateKey=key)[
                "CertificateArn"
            ],
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        }
    listener, _ = mocks.new_resource(
        resource_args(
            rt.LISTENERS[0],
            "listener",
            loadBalancerArn=lb,
            protocol=protocol,
            port=port,
            defaultActions=[{"type": "forward", "targetGroupArn": rest}],
            **extra,
        )
    )
    return mocks, listener, tg


def _grpc_rule(listener: str, tg: str) -> MockResourceArgs:
    return resource_args(
        rt.LISTENER_RULES[0],
        "grpc-rule",
        listenerArn=listener,
        priority=10,
        conditions=[{"httpHeader": {"httpHeaderName": "content-type", "values": ["application/grpc*"]}}],
        actions=[{"type": "forward", "targetGroupArn": tg}],
    )


def test_a_grpc_rule_on_an_http_listener_is_refused_as_aws_does(aws: boto3.Session) -> None:
    mocks, listener, tg = _grpc_behind(aws, "HTTP", 80)
    message = one_line_error(mocks, _grpc_rule(listener, tg))
    assert "InvalidLoadBalancerAction" in message and "protocol version GRPC" in message
    assert "only HTTPS listeners" in message


def test_a_grpc_rule_on_an_https_listener_is_accepted(aws: boto3.Session) -> None:
    mocks, listener, tg = _grpc_behind(aws, "HTTPS", 443)
    rid, _ = mocks.new_resource(_grpc_rule(listener, tg))
    assert rid.startswith("arn:aws:elasticloadbalancing:") and mocks.errors == []


def test_an_http_listener_forwarding_to_grpc_is_refused(aws: boto3.Session) -> None:
    mocks, listener, tg = _grpc_behind(aws, "HTTPS", 443)
    lb = aws.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]["LoadBalancerArn"]
    args = resource_args(
        rt.LISTENERS[0],
        "plain",
        loadBalancerArn=lb,
        protocol="HTTP",
        port=8081,
        defaultActions=[{"type": "forward", "targetGroupArn": tg}],
    )
    assert "only HTTPS listeners can forward to it, not HTTP" in one_line_error(mocks, args)


def _load_balancer(emulated: Emulated) -> dict[str, Any]:
    """The stack's one ALB (the account holds the other stack's too): its DNS name is an output."""
    lbs = emulated.client("elbv2").describe_load_balancers()["LoadBalancers"]
    [lb] = [lb for lb in lbs if lb["DNSName"] == emulated.deployment.outputs["albDnsName"]]
    assert len(lbs) == 2, "both stacks' ALBs side by side in one account"
    return dict(lb)
