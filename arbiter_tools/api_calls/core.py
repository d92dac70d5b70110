"""What a rule sees (`CallContext`), the rule registry `RULES`, and the walk over a deploy's calls.

A rule turns one recorded call into the authorizations IAM checks for it; rule modules
(`rules_*`) register theirs with `@rule(service, *operations)`. A call without a rule raises
`UnmappedCall`: nothing is assumed harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from arbiter_tools.api_calls.recorder import ApiCall, Authorization
from arbiter_tools.iam_eval import context_for
from policies import resource_types as rt

#: Placeholder for ids AWS generates inside a call (the target-tracking alarms' suffix).
GENERATED: Final = "00000000-0000-0000-0000-000000000000"


def _tag_pairs(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    for item in items or []:
        key = item.get("Key", item.get("TagKey", item.get("key")))
        value = item.get("Value", item.get("TagValue", item.get("value", "")))
        out[str(key)] = str(value)
    return out


def request_tags(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a call sets on what it creates, whatever the API's spelling."""
    if params.get("TagSpecifications"):
        return _tag_pairs(params["TagSpecifications"][0].get("Tags"))
    if "Tagging" in params:
        return _tag_pairs(params["Tagging"].get("TagSet"))
    for key in ("Tags", "tags", "BackupVaultTags", "BackupPlanTags"):
        if params.get(key):
            return _tag_pairs(params[key])
    return {}


#: EC2 id prefix -> ARN resource type.
EC2_KINDS: Final = {
    "vpc-": "vpc",
    "subnet-": "subnet",
    "sg-": "security-group",
    "sgr-": "security-group-rule",
    "rtb-": "route-table",
    "igw-": "internet-gateway",
    "nat-": "natgateway",
    "eipalloc-": "elastic-ip",
    "vpce-": "vpc-endpoint",
    "fl-": "vpc-flow-log",
    "acl-": "network-acl",
}


class CallContext:
    """What a rule sees: the call, ARN helpers, and `need` to add an authorization."""

    def __init__(self, auth: Authorizer, call: ApiCall) -> None:
        self.a, self.call = auth, call
        self.p: Mapping[str, Any] = call.params
        self.r: Mapping[str, Any] = call.response
        self.tags = request_tags(call.params)
        self.out: list[Authorization] = []

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = (self.call.region or self.a.region) if regional else ""
        return f"arn:aws:{service}:{region}:{self.a.account}:{resource}"

    def ec2(self, resource_id: str) -> str:
        kind = next(k for p, k in EC2_KINDS.items() if resource_id.startswith(p))
        return self.arn("ec2", f"{kind}/{resource_id}")

    def need(
        self,
        action: str,
        resource: str,
        *,
        tags: Mapping[str, str] | None = None,
        extra: Mapping[str, str | Sequence[str]] | None = None,
        why: str = "",
    ) -> None:
        context = context_for(request_tags=tags, resource_tags=self.a.tags.get(resource), extra=extra)
        self.out.append(Authorization(action, resource, context, self.call, why))

    def created(self, arn: str, tags: Mapping[str, str] | None = None) -> None:
        self.a.tags[arn] = {**self.a.tags.get(arn, {}), **(tags if tags is not None else self.tags)}

    def pass_role(self, role_arn: str | None, service: str) -> None:
        if role_arn:
            extra = {"iam:PassedToService": service}
            self.need("iam:PassRole", role_arn, extra=extra, why=f"role passed to {service}")

    def via(self, service: str) -> dict[str, str]:
        return {"kms:ViaService": f"{service}.{self.call.region or self.a.region}.amazonaws.com"}


Rule = Callable[[CallContext], None]
#: (botocore service name, operation) -> rule.
RULES: dict[tuple[str, str], Rule] = {}
#: Calls the emulator makes that a deploy does not, and why (they are not evaluated). The
#: program's own imported certificate (aws:acm/certificate:Certificate) is a deploy call, though.
EMULATOR_ONLY: Final = {
    ("backup", "DescribeBackupVault"): "the emulator checks a plan's vault exists (AWS does, moto does "
    "not) and reads a locked vault's ARN",
    ("acm", "DescribeCertificate"): "the emulator looks for the externally issued certificate",
    ("acm", "ImportCertificate"): "the emulator imports a self-signed stand-in for that certificate",
    (
        "elasticache",
        "DescribeUsers",
    ): "the emulator checks a user group's members exist and one is `default` (AWS does, moto has no groups)",
    (
        "elbv2",
        "DescribeListeners",
    ): "the emulator checks a gRPC/HTTP2 target group is reached only over HTTPS",
    (
        "elbv2",
        "DescribeTargetGroups",
    ): "the emulator checks a gRPC/HTTP2 target group is reached only over HTTPS",
    (
        "cloudwatch",
        "DescribeAlarms",
    ): "the emulator checks an ECS service's deployment alarms exist before the service",
    ("iam", "GetRole"): "the emulator checks the role of an ECS traffic-shift route exists",
}
_PROGRAM_CERTIFICATE: Final = rt.ACM_CERTIFICATES[0]


def emulator_only(call: ApiCall) -> bool:
    """A call the emulator makes for itself, not one `pulumi up` would make."""
    return (call.service, call.operation) in EMULATOR_ONLY and call.type != _PROGRAM_CERTIFICATE


def rule(service: str, *operations: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for op in operations:
            RULES[(service, op)] = fn
        return fn

    return register


def _unscoped(action: str) -> Rule:
    return lambda c: c.need(action, "*")


# The SAR authorizes DescribeAlarms on alarms (resource type alarm): a listing is on all of them.
RULES[("cloudwatch", "DescribeAlarms")] = lambda c: c.need(
    "cloudwatch:DescribeAlarms", c.arn("cloudwatch", "alarm:*")
)

for _service, _prefix, _ops in (
    ("ec2", "ec2", ("DescribeSecurityGroups", "DescribeRouteTables", "DescribeNetworkAcls")),
    ("sts", "sts", ("GetCallerIdentity",)),
    ("servicediscovery", "servicediscovery", ("GetOperation",)),
    ("application-autoscaling", "application-autoscaling", ("DescribeScalableTargets",)),
):
    for _op in _ops:
        RULES[(_service, _op)] = _unscoped(f"{_prefix}:{_op}")


def key_arn(c: CallContext, key: str) -> str:
    if key.startswith("arn:"):
        return key
    return c.a.keys.get(key) or c.arn("kms", f"key/{key}")


class UnmappedCall(Exception):
    """A recorded call has no rule: what IAM checks for it is unknown, so nothing is claimed."""


class Authorizer:
    """Walks a deploy's calls in order, tracking what each created resource is tagged with."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region
        #: ARN -> tags of resources the deploy created or tagged so far (aws:ResourceTag/*).
        self.tags: dict[str, dict[str, str]] = {}
        self.boundaries: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.secret_keys: dict[str, str] = {}
        self.targets: dict[str, str] = {}
        self.operations: dict[str, str] = {}
        self.pending_tags: dict[str, dict[str, str]] = {}

    def authorizations(self, call: ApiCall) -> list[Authorization]:
        fn = RULES.get((call.service, call.operation))
        if fn is None:
            raise UnmappedCall(f"no IAM rule for {call}")
        c = CallContext(self, call)
        fn(c)
        return c.out


def authorize(calls: Iterable[ApiCall], account: str, region: str) -> tuple[list[Authorization], Authorizer]:
    """Every authorization of the successful calls (emulator-only calls skipped), and the tag state."""
    auth = Authorizer(account, region)
    out: list[Authorization] = []
    for call in calls:
        if call.failed or emulator_only(call):
            continue
        out += auth.authorizations(call)
    return out, auth
