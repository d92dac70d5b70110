"""WebFirewall alone: the web ACL protects the ALB it is given, logs under AWS's required prefix."""

from __future__ import annotations

from typing import Any

from arbiter_infra.config import WafConfig
from arbiter_infra.naming import Naming
from components.waf import (
    LOG4J_RULES,
    MANAGED_RULE_GROUP_WCU,
    WEB_ACL_WCU_LIMIT,
    WebFirewall,
    WebFirewallArgs,
    web_acl_capacity,
    web_acl_rules,
)
from tests.components.conftest import Build

ALB = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/unit/1"
KEY = "arn:aws:kms:us-east-1:111122223333:key/unit"


def test_rate_limit_follows_the_config() -> None:
    rules: dict[Any, Any] = {r["name"]: r for r in web_acl_rules(WafConfig(rate_limit_per5_min=500))}
    assert rules["rate-limit-per-ip"]["statement"]["rate_based_statement"]["limit"] == 500
    assert [r["priority"] for r in web_acl_rules(WafConfig())] == [0, 1, 2, 3]


def test_the_acl_guards_the_given_alb_and_logs_encrypted(build: Build, naming: Naming) -> None:
    config = WafConfig(log_retention_days=30)
    d = build(
        lambda: WebFirewall(
            "unit-waf", WebFirewallArgs(config=config, naming=naming, load_balancer_arn=ALB, kms_key_arn=KEY)
        )
    )
    acl = d.one("aws:wafv2/webAcl:WebAcl")
    assert d.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs == {
        "resourceArn": ALB,
        "webAclArn": acl.outputs["arn"],
    }
    group = d.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "aws-waf-logs-arbiter-unit-alb"
    assert (group.inputs["kmsKeyId"], group.inputs["retentionInDays"]) == (KEY, 30)


def test_log4j_rules_block_and_the_acl_fits_its_capacity() -> None:
    """checkov CKV2_AWS_76: the known-bad-inputs group (Log4j) guards the ALB, its Log4j rules not
    counted, not overridden; and the groups' published WCU fit AWS's 1,500 per web ACL."""
    rules: dict[Any, Any] = {r["name"]: r for r in web_acl_rules(WafConfig())}
    bad_inputs = rules["AWSManagedRulesKnownBadInputsRuleSet"]
    assert bad_inputs["override_action"] == {"none": {}}
    statement = bad_inputs["statement"]["managed_rule_group_statement"]
    assert (statement["vendor_name"], statement["name"]) == ("AWS", "AWSManagedRulesKnownBadInputsRuleSet")
    overridden = {
        o["name"]
        for r in rules.values()
        for o in r["statement"].get("managed_rule_group_statement", {}).get("rule_action_overrides", [])
    }
    assert not overridden & set(LOG4J_RULES)
    assert set(MANAGED_RULE_GROUP_WCU) == {r for r in rules if r != "rate-limit-per-ip"}
    assert web_acl_capacity() == 25 + 200 + 700 + 2 <= WEB_ACL_WCU_LIMIT == 1500
