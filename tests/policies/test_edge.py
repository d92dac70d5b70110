"""`policies/edge.py`: the ALB, its listeners, target groups, certificates and WAF."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import edge
from tests.policies.builder import ACM_CERTIFICATE, SELF_SIGNED_CERT
from tests.policies.cases import (
    ENVIRONMENTS,
    Case,
    assert_cases_cover,
    assert_happy_path,
    assert_violation,
    case_id,
    run,
)
from tests.policies.compliant import compliant_stack

CASES: list[Case] = [
    Case(
        "alb-drop-invalid-headers",
        lambda b: b.drop("alb", "dropInvalidHeaderFields"),
        "dropInvalidHeaderFields",
    ),
    Case(
        "alb-access-logs",
        lambda b: b.set("alb", accessLogs={"bucket": "arbiter-alb-logs", "enabled": False}),
        "accessLogs are not enabled",
    ),
    Case(
        "alb-deletion-protection-prod",
        lambda b: b.drop("alb", "enableDeletionProtection"),
        "prod load balancer",
    ),
    Case(
        "alb-desync-mitigation",
        lambda b: b.set("alb", desyncMitigationMode="monitor"),
        "desyncMitigationMode",
    ),
    Case("alb-multi-az", lambda b: b.set("alb", subnets=["subnet-public-a"]), "spans 1 subnet(s)"),
    Case(
        "prod-alb-web-acl",
        lambda b: b.remove("alb-waf"),
        "internet-facing prod ALB has no WAF web ACL associated",
        id="no-association",
    ),
    Case(
        "prod-alb-web-acl",
        lambda b: b.set("alb-waf", resourceArn="another-alb-id"),
        "internet-facing prod ALB has no WAF web ACL associated",
        id="other-alb",
    ),
    Case(
        "https-listener-tls12",
        lambda b: b.set("https", sslPolicy="ELBSecurityPolicy-2016-08"),
        "sslPolicy is ELBSecurityPolicy-2016-08",
        id="old-policy",
    ),
    Case(
        "https-listener-tls12",
        lambda b: b.drop("https", "sslPolicy"),
        "unset (ELBSecurityPolicy-2016-08, allows TLS 1.0)",
        id="default-policy",
    ),
    Case(
        "http-listener-redirects-to-https",
        lambda b: b.set("http", defaultActions=[{"type": "forward", "targetGroupArn": "tg"}]),
        "HTTP listener does not redirect to HTTPS",
        id="prod-forward",
    ),
    Case(
        "http-listener-redirects-to-https",
        lambda b: b.set("http", defaultActions=[{"type": "forward", "targetGroupArn": "tg"}]),
        "HTTP listener does not redirect to HTTPS",
        environment="staging",
        id="staging-forward",
    ),
    Case(
        "grpc-target-groups-behind-https",
        lambda b: b.set("grpc-rule", listenerArn="http-id"),
        "grpc-rule forwards from a HTTP listener to target group tg-grpc (GRPC)",
        environment="staging",
        id="rule-on-http",
    ),
    Case(
        "grpc-target-groups-behind-https",
        lambda b: b.set(
            "http",
            defaultActions=[
                {
                    "type": "forward",
                    "forward": {
                        "targetGroups": [
                            {"arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/grpc/1"}
                        ]
                    },
                }
            ],
        ),
        "http forwards from a HTTP listener to target group tg-grpc (GRPC)",
        also=("http-listener-redirects-to-https",),
        id="http-default-action",
    ),
    Case(
        "prod-certificates-issued-by-acm",
        lambda b: b.add(
            ACM_CERTIFICATE,
            "self-signed",
            {"privateKey": "-----BEGIN PRIVATE KEY-----", "certificateBody": "-----BEGIN CERTIFICATE-----"},
        ),
        "an imported ACM certificate in prod",
        id="imported",
    ),
    Case(
        "prod-certificates-issued-by-acm",
        lambda b: b.add(
            SELF_SIGNED_CERT,
            "tls-cert",
            {"privateKeyPem": "-----BEGIN PRIVATE KEY-----", "validityPeriodHours": 8760},
        ),
        "a self-signed certificate in prod",
        id="self-signed",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(edge.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(edge.POLICIES, CASES)


# Certificates: staging's self-signed one is allowed there, never in prod.


def test_self_signed_and_imported_certificates_pass_in_staging_only() -> None:
    for environment, expected in (("staging", set()), ("prod", {"prod-certificates-issued-by-acm"})):
        b = compliant_stack(environment)
        b.add(
            ACM_CERTIFICATE,
            "self-signed",
            {"privateKey": "-----BEGIN PRIVATE KEY-----", "certificateBody": "-----BEGIN CERTIFICATE-----"},
        )
        b.add(SELF_SIGNED_CERT, "tls-cert", {"validityPeriodHours": 8760})
        assert {v.policy for v in run(b)} == expected, environment


def test_a_tls_resource_s_environment_comes_from_policy_config() -> None:
    """A tls provider carries no Environment tag: the self-signed rule needs the config's environment."""
    b = compliant_stack("prod")
    b.add(SELF_SIGNED_CERT, "tls-cert", {"validityPeriodHours": 8760}, provider=False)
    assert run(b) == []
    assert {v.policy for v in run(b, {"environment": "prod"})} == {"prod-certificates-issued-by-acm"}


def test_an_acm_issued_certificate_passes_in_prod() -> None:
    b = compliant_stack("prod")
    b.add(
        ACM_CERTIFICATE,
        "issued",
        {"domainName": "api.example.com", "validationMethod": "DNS"},
    )
    assert run(b) == []


def test_grpc_rule_on_an_unknown_listener_is_not_a_violation() -> None:
    """At preview the rule's listener ARN is unknown: skipped, re-checked at `pulumi up`."""
    b = compliant_stack("staging")
    b.set("grpc-rule", listenerArn=UNKNOWN_STRING_VALUE)
    assert run(b) == []


def test_web_acl_is_a_prod_rule_and_internal_albs_need_none() -> None:
    """Staging may run without WAF (a config choice); an internal ALB is not the public entry point."""
    staging = compliant_stack("staging")
    staging.remove("alb-waf")
    assert [v for v in run(staging) if v.policy == "prod-alb-web-acl"] == []
    prod = compliant_stack("prod")
    prod.remove("alb-waf")
    flagged = [v.urn for v in run(prod) if v.policy == "prod-alb-web-acl"]
    assert flagged == [prod.get("alb").urn]
