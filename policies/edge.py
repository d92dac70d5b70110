"""The ALB: TLS 1.2+, HTTP only as a redirect, invalid headers dropped, logged, protected in prod."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import Severity

from policies.base import UNKNOWN, ArbiterPolicy, Res, as_list, dig, is_blank, is_false_or_absent, is_true
from policies.resource_types import LISTENERS, LOAD_BALANCERS

TLS_POLICY_PREFIXES: Final = ("ELBSecurityPolicy-TLS13-", "ELBSecurityPolicy-TLS-1-2-")
#: Policy config key of the staging-only exemption for an HTTP forward listener.
HTTP_EXEMPTION: Final = "allowHttpForwardInStaging"


def _application(res: Res) -> bool:
    return res.get("loadBalancerType") in (None, "application")


def _drop_invalid_headers(res: Res) -> Iterator[str]:
    if _application(res) and is_false_or_absent(res.get("dropInvalidHeaderFields")):
        yield "dropInvalidHeaderFields is not true: malformed HTTP headers reach the services"


def _access_logs(res: Res) -> Iterator[str]:
    logs = res.get("accessLogs")
    if logs is UNKNOWN:
        return
    if is_false_or_absent(dig(logs, "enabled")) or is_blank(dig(logs, "bucket")):
        yield "accessLogs are not enabled with a bucket: requests to the ALB leave no trail"


def _deletion_protection(res: Res) -> Iterator[str]:
    if res.is_prod and is_false_or_absent(res.get("enableDeletionProtection")):
        yield "enableDeletionProtection is not true on the prod load balancer"


def _desync(res: Res) -> Iterator[str]:
    if _application(res) and res.get("desyncMitigationMode") == "monitor":
        yield "desyncMitigationMode is 'monitor': HTTP desync attacks are only logged, not mitigated"


def _multi_az(res: Res) -> Iterator[str]:
    subnets, mappings = res.get("subnets"), res.get("subnetMappings")
    if subnets is UNKNOWN or mappings is UNKNOWN:
        return
    count = max(len(as_list(subnets)), len(as_list(mappings)))
    if count < 2:
        yield f"load balancer spans {count} subnet(s): it needs subnets in at least two AZs"


def _https_tls(res: Res) -> Iterator[str]:
    if res.get("protocol") != "HTTPS":
        return
    policy = res.get("sslPolicy")
    if policy is UNKNOWN:
        return
    if not isinstance(policy, str) or not policy.startswith(TLS_POLICY_PREFIXES):
        shown = policy or "unset (ELBSecurityPolicy-2016-08, allows TLS 1.0)"
        yield f"sslPolicy is {shown}: use ELBSecurityPolicy-TLS13-* or ELBSecurityPolicy-TLS-1-2-*"
    if is_blank(res.get("certificateArn")):
        yield "HTTPS listener has no certificateArn"


def _redirects_to_https(action: object) -> bool:
    return dig(action, "type") == "redirect" and dig(action, "redirect", "protocol") == "HTTPS"


def _may_redirect(action: object) -> bool:
    """An action whose unknown type or redirect target may make it the HTTPS redirect."""
    kind = dig(action, "type")
    return kind is UNKNOWN or (kind == "redirect" and dig(action, "redirect", "protocol") is UNKNOWN)


def _http_redirect(res: Res) -> Iterator[str]:
    if res.get("protocol") != "HTTP":
        return
    actions = res.get("defaultActions")
    if actions is UNKNOWN or any(_may_redirect(a) for a in as_list(actions)):
        return
    if as_list(actions) and all(_redirects_to_https(a) for a in as_list(actions)):
        return
    if res.environment == "staging" and is_true(res.config.get(HTTP_EXEMPTION)):
        return
    yield (
        "HTTP listener does not redirect to HTTPS (a plain-HTTP forward is allowed only in staging with "
        f"policy config {HTTP_EXEMPTION}: true)"
    )


POLICIES: Final = [
    ArbiterPolicy(
        name="alb-drop-invalid-headers",
        description="The ALB drops HTTP headers that are not valid, so they never reach the services.",
        severity=Severity.MEDIUM,
        controls=("ELB.4",),
        remediation="Set drop_invalid_header_fields=True on the load balancer.",
        resource_types=LOAD_BALANCERS,
        check=_drop_invalid_headers,
    ),
    ArbiterPolicy(
        name="alb-access-logs",
        description="The ALB writes access logs to S3.",
        severity=Severity.MEDIUM,
        controls=("ELB.5", "ELB2"),
        remediation="Set access_logs={'bucket': <log bucket>, 'enabled': True}; the bucket policy must allow ELB.",
        resource_types=LOAD_BALANCERS,
        check=_access_logs,
    ),
    ArbiterPolicy(
        name="alb-deletion-protection-prod",
        description="The prod ALB cannot be deleted by accident.",
        severity=Severity.MEDIUM,
        controls=("ELB.6",),
        remediation="Set enable_deletion_protection=True in prod (stack config services.albDeletionProtection).",
        resource_types=LOAD_BALANCERS,
        check=_deletion_protection,
    ),
    ArbiterPolicy(
        name="alb-desync-mitigation",
        description="The ALB mitigates HTTP desync (request smuggling) in defensive or strictest mode.",
        severity=Severity.MEDIUM,
        controls=("ELB.12",),
        remediation="Leave desync_mitigation_mode at 'defensive' or set 'strictest'.",
        resource_types=LOAD_BALANCERS,
        check=_desync,
    ),
    ArbiterPolicy(
        name="alb-multi-az",
        description="Load balancers span subnets in at least two Availability Zones.",
        severity=Severity.MEDIUM,
        controls=("ELB.13",),
        remediation="Pass one public subnet per AZ (at least two) as the load balancer's subnets.",
        resource_types=LOAD_BALANCERS,
        check=_multi_az,
    ),
    ArbiterPolicy(
        name="https-listener-tls12",
        description="HTTPS listeners use a TLS 1.2+ security policy and a certificate.",
        severity=Severity.HIGH,
        controls=("ELB.17",),
        remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' and certificate_arn on the listener.",
        resource_types=LISTENERS,
        check=_https_tls,
    ),
    ArbiterPolicy(
        name="http-listener-redirects-to-https",
        description=(
            "HTTP listeners only redirect to HTTPS. Exemption: in environment=staging, policy config "
            f"{HTTP_EXEMPTION}: true allows an HTTP forward listener (staging has no certificate)."
        ),
        severity=Severity.HIGH,
        controls=("ELB.1",),
        remediation=(
            "Make the HTTP listener's only default action a redirect with protocol HTTPS and status HTTP_301; "
            f"for a certificate-less staging set {HTTP_EXEMPTION}: true in the policy config."
        ),
        resource_types=LISTENERS,
        check=_http_redirect,
        config_properties={
            HTTP_EXEMPTION: {
                "type": "boolean",
                "default": False,
                "description": "Staging only: allow an HTTP listener that forwards (no certificate yet).",
            }
        },
    ),
]
