"""The ALB: TLS 1.2+, HTTP only as a redirect, gRPC only behind HTTPS, invalid headers dropped,
logged, protected in prod; prod certificates issued by ACM, never self-signed or imported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import Severity

from policies.base import (
    UNKNOWN,
    ArbiterPolicy,
    Res,
    StackView,
    as_list,
    dig,
    index_by,
    is_blank,
    is_false_or_absent,
)
from policies.resource_types import (
    ACM_CERTIFICATES,
    LISTENER_RULES,
    LISTENERS,
    LOAD_BALANCERS,
    SELF_SIGNED,
    TARGET_GROUPS,
    WAF_ASSOCIATION,
)

TLS_POLICY_PREFIXES: Final = ("ELBSecurityPolicy-TLS13-", "ELBSecurityPolicy-TLS-1-2-")
#: Target-group protocol versions that ALB serves only from HTTPS listeners.
HTTPS_ONLY_PROTOCOL_VERSIONS: Final = ("GRPC", "HTTP2")


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
    yield "HTTP listener does not redirect to HTTPS"


def _prod_certificate(res: Res) -> Iterator[str]:
    if res.type in SELF_SIGNED:
        # A tls resource has no AWS provider tags to tell the environment: flagged only where the
        # policy config says prod. Its ACM import, an AWS resource, is checked in every stack.
        if res.environment == "prod":
            yield "a self-signed certificate in prod: clients cannot verify the service"
    elif res.is_prod and any(
        value is not UNKNOWN and not is_blank(value)
        for value in (res.get("privateKey"), res.get("certificateBody"))
    ):
        # At preview the imported key is usually unknown (generated in the same update): `up` judges it.
        yield "an imported ACM certificate in prod: ACM neither validates nor renews it"


def _forwarded_groups(actions: object) -> Iterator[object]:
    for action in as_list(actions):
        yield dig(action, "targetGroupArn")
        for group in as_list(dig(action, "forward", "targetGroups")):
            yield dig(group, "arn")


def _http2_groups_behind_https(view: StackView) -> Iterator[tuple[str, str | None]]:
    """AWS refuses (CreateRule/CreateListener) a GRPC or HTTP2 target group forwarded from non-HTTPS."""
    groups, _ = index_by(view.of_type(*TARGET_GROUPS), "arn", "id")
    listeners, _ = index_by(view.of_type(*LISTENERS), "arn", "id")
    https_only = {
        ref: group
        for ref, group in groups.items()
        if str(group.get("protocolVersion") or "").upper() in HTTPS_ONLY_PROTOCOL_VERSIONS
    }
    forwarders: list[tuple[Res, object, object]] = [
        (listener, listener.get("protocol"), listener.get("defaultActions"))
        for listener in view.of_type(*LISTENERS)
    ]
    for rule in view.of_type(*LISTENER_RULES):
        ref = rule.get("listenerArn")
        listener = listeners.get(ref) if isinstance(ref, str) else None
        if listener is None:
            continue  # unknown at preview, or a listener outside the stack
        forwarders.append((rule, listener.get("protocol"), rule.get("actions")))
    for res, protocol, actions in forwarders:
        if protocol is UNKNOWN or protocol == "HTTPS":
            continue
        for ref in _forwarded_groups(actions):
            group = https_only.get(ref) if isinstance(ref, str) else None
            if group is not None:
                version = str(group.get("protocolVersion")).upper()
                yield (
                    f"{res.name} forwards from a {protocol} listener to target group {group.name} "
                    f"({version}): ALB accepts {version} target groups only behind HTTPS listeners",
                    res.urn,
                )


def _prod_alb_web_acl(view: StackView) -> Iterator[tuple[str, str | None]]:
    """An internet-facing prod ALB with no web ACL associated takes every request unfiltered."""
    associations = view.of_type(WAF_ASSOCIATION)
    protected: set[str] = set()
    for association in associations:
        target, acl = association.get("resourceArn"), association.get("webAclArn")
        if target is UNKNOWN or acl is UNKNOWN:
            return  # at preview the ALB's ARN is not known yet: `up` judges the association
        if isinstance(target, str) and not is_blank(acl):
            protected.add(target)
    for alb in view.of_type(*LOAD_BALANCERS):
        if not alb.is_prod or not _application(alb):
            continue
        internal, refs = alb.get("internal"), {alb.get("arn"), alb.get("id")}
        if internal is UNKNOWN or UNKNOWN in refs or internal is True:
            continue
        if not refs & protected:
            yield "internet-facing prod ALB has no WAF web ACL associated", alb.urn


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
        description="HTTP listeners only redirect to HTTPS.",
        severity=Severity.HIGH,
        controls=("ELB.1",),
        remediation=(
            "Make the HTTP listener's only default action a redirect with protocol HTTPS and status HTTP_301; "
            "without a certificate, serve HTTPS with the stack's self-signed one (components/alb.py)."
        ),
        resource_types=LISTENERS,
        check=_http_redirect,
    ),
    ArbiterPolicy(
        name="grpc-target-groups-behind-https",
        description=(
            "GRPC and HTTP2 target groups are forwarded to only from HTTPS listeners (AWS refuses anything "
            "else when the rule or listener is created)."
        ),
        severity=Severity.HIGH,
        controls=("ELB.1",),
        remediation="Put the listener rule that forwards to the gRPC target group on the HTTPS listener.",
        resource_types=(*LISTENERS, *LISTENER_RULES, *TARGET_GROUPS),
        stack_check=_http2_groups_behind_https,
    ),
    ArbiterPolicy(
        name="prod-certificates-issued-by-acm",
        description=(
            "Prod serves an ACM-issued certificate (validated, renewed by ACM); a self-signed or imported "
            "certificate is for a staging stack without a domain only."
        ),
        severity=Severity.HIGH,
        controls=("ACM.1", "ELB.17"),
        remediation="Set services.certificateArn in the prod stack file to an issued ACM certificate.",
        resource_types=(*ACM_CERTIFICATES, *SELF_SIGNED),
        check=_prod_certificate,
    ),
    ArbiterPolicy(
        name="prod-alb-web-acl",
        description="Every internet-facing prod ALB has an AWS WAF web ACL associated.",
        severity=Severity.HIGH,
        controls=("ELB.16",),
        remediation=(
            "Keep services.waf.enabled true in prod: components/waf.py associates the web ACL with the "
            "ALB (aws.wafv2.WebAclAssociation)."
        ),
        resource_types=(*LOAD_BALANCERS, WAF_ASSOCIATION),
        stack_check=_prod_alb_web_acl,
    ),
]
