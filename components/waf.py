"""AWS WAF on the ALB: managed rule groups, a per-IP rate limit, and logs without credentials.

gRPC and REST share the ALB, so every rule was checked against gRPC (HTTP/2, `application/grpc`,
length-prefixed binary protobuf bodies), from the AWS WAF developer guide: on an ALB, requests that
use gRPC skip the rules that inspect the request body ("Considerations for managing body
inspection"), so the body rules (`*_BODY` of the common rule set, `Log4JRCE_BODY` and
`JavaDeserializationRCE_BODY` of known bad inputs) never see protobuf bytes; the header, URI and
query rules match nothing a gRPC client sends (`:path` is `/package.Service/Method`, the user agent
`grpc-*` or `tonic/*`). What would still refuse the API's own clients is the common rule set's
`SizeRestrictions_BODY`: it blocks every body over 8 KB, which batched REST calls and gRPC-Web
bodies (plain HTTP to WAF, routed by the ALB's `application/grpc*` rule) can exceed, while the ALB
only ever shows WAF the first 8 KB anyway. It is set to COUNT (logged and metered); every other
rule blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import WafConfig
from arbiter_infra.naming import Naming, check_name

#: (priority, managed rule group, rules of the group set to COUNT instead of BLOCK), in evaluation
#: order: the cheap IP list first, the body-reading sets last. 25 + 200 + 700 WCU.
MANAGED_RULE_GROUPS: Final[tuple[tuple[int, str, tuple[str, ...]], ...]] = (
    (0, "AWSManagedRulesAmazonIpReputationList", ()),
    (2, "AWSManagedRulesKnownBadInputsRuleSet", ()),
    (3, "AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
)
#: Web ACL capacity units per rule, as AWS publishes them (AWS WAF developer guide: "Baseline rule
#: groups" / "IP reputation rule groups" give each managed group's WCU; "Rate-based rule statement"
#: costs 2 WCU without a scope-down). A web ACL is priced for 1,500 WCU (AWS refuses more without
#: raising the limit at extra cost), so the sum is checked (`web_acl_capacity`).
MANAGED_RULE_GROUP_WCU: Final = {
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesCommonRuleSet": 700,
}
RATE_BASED_RULE_WCU: Final = 2
WEB_ACL_WCU_LIMIT: Final = 1500
#: The rules of the known-bad-inputs set that block Log4j (CVE-2021-44228) exploits: never in COUNT
#: (checkov CKV2_AWS_76 asks for exactly this group on a web ACL in front of an ALB).
LOG4J_RULES: Final = ("Log4JRCE_HEADER", "Log4JRCE_QUERYSTRING", "Log4JRCE_URI", "Log4JRCE_BODY")
RATE_LIMIT_RULE: Final = "rate-limit-per-ip"
RATE_LIMIT_PRIORITY: Final = 1
#: What the rate limit answers: a client library retries 429 with backoff; 403 reads as "denied".
RATE_LIMIT_STATUS: Final = 429
#: Header values WAF writes as "REDACTED" in its logs: API tokens never reach CloudWatch.
REDACTED_HEADERS: Final = ("authorization",)
#: WAF logs to CloudWatch Logs only into groups whose name starts with this (AWS refuses others).
LOG_GROUP_PREFIX: Final = "aws-waf-logs-"


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgsDict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_rules(config: WafConfig) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """The web ACL's rules in priority order: the managed groups and the rate limit (pure data)."""
    rules: dict[int, aws.wafv2.WebAclRuleArgsDict] = {}
    for priority, group, counted in MANAGED_RULE_GROUPS:
        statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {
            "name": group,
            "vendor_name": "AWS",
        }
        if counted:
            statement["rule_action_overrides"] = [
                {"name": rule, "action_to_use": {"count": {}}} for rule in counted
            ]
        rules[priority] = {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": statement},
            "visibility_config": _visibility(group),
        }
    rules[RATE_LIMIT_PRIORITY] = {
        "name": RATE_LIMIT_RULE,
        "priority": RATE_LIMIT_PRIORITY,
        "action": {"block": {"custom_response": {"response_code": RATE_LIMIT_STATUS}}},
        "statement": {
            "rate_based_statement": {
                "limit": config.rate_limit_per5_min,
                "aggregate_key_type": "IP",
                "evaluation_window_sec": 300,
            }
        },
        "visibility_config": _visibility(RATE_LIMIT_RULE),
    }
    return [rules[p] for p in sorted(rules)]


def web_acl_capacity() -> int:
    """The web ACL's WCU: its managed groups plus the rate-based rule."""
    return sum(MANAGED_RULE_GROUP_WCU[group] for _, group, _ in MANAGED_RULE_GROUPS) + RATE_BASED_RULE_WCU


if web_acl_capacity() > WEB_ACL_WCU_LIMIT:
    raise ValueError(f"the web ACL needs {web_acl_capacity()} WCU, over AWS's {WEB_ACL_WCU_LIMIT}")


@dataclass(frozen=True)
class WebFirewallArgs:
    #: The stack file's `services.waf` section: rate limit and log retention.
    config: WafConfig
    #: Names the web ACL and its log group.
    naming: Naming
    #: The ALB the web ACL protects.
    load_balancer_arn: pulumi.Input[str]
    #: The stack key: WAF logs hold client IPs and request lines.
    kms_key_arn: pulumi.Input[str]


class WebFirewall(pulumi.ComponentResource):
    """A REGIONAL web ACL associated with the ALB, logging to an encrypted, retained log group."""

    web_acl: aws.wafv2.WebAcl
    association: aws.wafv2.WebAclAssociation
    log_group: aws.cloudwatch.LogGroup
    logging: aws.wafv2.WebAclLoggingConfiguration

    def __init__(self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:services:WebFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        naming = args.naming
        acl_name = naming("waf", kind="waf")
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=acl_name,
            description="Managed rule groups and a per-IP rate limit in front of the ALB",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=web_acl_rules(args.config),
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": acl_name,
                "sampled_requests_enabled": True,
            },
            opts=child,
        )
        self.association = aws.wafv2.WebAclAssociation(
            f"{name}-alb",
            resource_arn=args.load_balancer_arn,
            web_acl_arn=self.web_acl.arn,
            opts=child,
        )
        # `<prefix>arbiter-<env>-alb`: the deploy role's log-group grant matches `*arbiter-<env>-*`.
        log_group_name = check_name(f"{LOG_GROUP_PREFIX}{naming('alb')}", "log-group")
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=args.config.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.logging = aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            opts=child,
        )
        self.register_outputs(
            {
                "webAclArn": self.web_acl.arn,
                "logGroupName": self.log_group.name,
                "logGroupArn": self.log_group.arn,
            }
        )
