"""The policy model shared by every rule module: metadata in one dataclass, props made unknown-safe.

Rules never touch pulumi_policy's proxies directly. At preview a value that depends on another
resource's output is an "unknown" sentinel, and pulumi_policy's proxy raises `UnknownValueError`
when it is read, which would abort the whole policy (for a stack policy: every resource). So props
are first copied into plain Python with each unknown replaced by the `UNKNOWN` marker.

The rule every check follows: an unknown value is never evidence of a violation; report only what
is known to be wrong. That loses nothing: `pulumi up` runs the pack again on each resource just
before it is created, when every input (the ids and ARNs of resources created before it) is known.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

ENVIRONMENTS: Final = ("staging", "prod")
_SENTINELS: Final = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


class _Unknown:
    """A value not known until the resource is created (preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def plain(value: Any) -> Any:
    """Deep-copy props (proxies or plain) into dicts/lists, with every unknown as `UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[str(key)] = plain(value[key])
            except UnknownValueError:
                out[str(key)] = UNKNOWN
        return out
    if isinstance(value, Sequence):
        items: list[Any] = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def dig(obj: Any, *path: str | int) -> Any:
    """Value at `path`: None if absent, `UNKNOWN` if any step is unknown."""
    for step in path:
        if obj is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(obj, list) or step >= len(obj):
                return None
            obj = obj[step]
        else:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(step)
    return obj


def is_true(value: Any) -> bool:
    return value is True or value == "true"


def is_false_or_absent(value: Any) -> bool:
    """A boolean that is known and not true (absent means the provider default, false)."""
    return value is not UNKNOWN and not is_true(value)


def is_blank(value: Any) -> bool:
    """A known value that is missing or empty."""
    return value is not UNKNOWN and (value is None or value in ("", [], {}))


def is_set(value: Any) -> bool:
    """A known value that is present and not empty (an unknown one may still resolve to nothing)."""
    return value is not UNKNOWN and not is_blank(value)


def has_unknown(value: Any) -> bool:
    """Whether `value` is unknown or holds an unknown anywhere inside (plain values only)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def number(value: Any) -> float | None:
    """Numbers arrive as int offline and as float through gRPC; strings are tolerated."""
    if value is UNKNOWN or value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def json_value(value: Any) -> Any:
    """A JSON-string input parsed (policy documents, containerDefinitions); `UNKNOWN` passes through."""
    if value is UNKNOWN or value is None:
        return value
    if isinstance(value, str):
        try:
            return plain(json.loads(value))
        except json.JSONDecodeError:
            return None
    return value


def _environment_from_provider(provider_props: Any) -> Any:
    # pulumi-aws serializes object-typed provider inputs as JSON strings (`defaultTags`).
    tags = dig(json_value(dig(provider_props, "defaultTags")), "tags")
    if tags is UNKNOWN:
        return UNKNOWN
    # `Tier` says how the stack behaves (a stack named dev-alice may be staging); `Environment`
    # alone, on stacks tagged before `Tier` existed, names the stack.
    tier = dig(tags, "Tier")
    return dig(tags, "Environment") if tier is None else tier


@dataclass(frozen=True)
class Res:
    """One resource as a rule sees it: plain props plus the facts rules read besides props."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    environment: Any  # "staging" | "prod" | None (not determinable) | UNKNOWN
    protect: bool
    config: Mapping[str, Any]

    def get(self, *path: str | int) -> Any:
        return dig(self.props, *path)

    @property
    def is_prod(self) -> bool:
        """Unknown-at-preview environments are not prod; an undeterminable one is (fail closed)."""
        return self.environment is not UNKNOWN and self.environment != "staging"


def make_res(
    *,
    type_: str,
    name: str,
    urn: str,
    props: Any,
    provider: PolicyProviderResource | None,
    protect: bool,
    config: Mapping[str, Any],
) -> Res:
    env: Any = config.get("environment")
    if env is None and provider is not None:
        env = _environment_from_provider(plain(provider.props))
    return Res(type_, name, urn, plain(props), env, bool(protect), dict(config))


@dataclass(frozen=True)
class StackView:
    """All resources of a stack, with lookups by the id/ARN values resources use to refer to each other."""

    resources: list[Res]
    config: Mapping[str, Any]

    def of_type(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]


ResourceCheck = Callable[[Res], Iterable[str]]
StackCheck = Callable[[StackView], Iterable[tuple[str, str | None]]]

_ENVIRONMENT_PROPERTY: Final = {
    "environment": {
        "type": "string",
        "enum": list(ENVIRONMENTS),
        "description": "Overrides the Environment default tag of each resource's provider.",
    }
}


@dataclass(frozen=True)
class ArbiterPolicy:
    """A policy's metadata and rule, from which the pulumi_policy object is built."""

    name: str
    description: str
    severity: Severity
    controls: tuple[str, ...]
    remediation: str
    resource_types: tuple[str, ...]
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY
    config_properties: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.check is None) == (self.stack_check is None):
            raise TypeError(f"policy {self.name}: give exactly one of check or stack_check")

    @property
    def is_stack(self) -> bool:
        return self.stack_check is not None

    def _schema(self) -> PolicyConfigSchema:
        return PolicyConfigSchema(properties={**_ENVIRONMENT_PROPERTY, **self.config_properties})

    def _common(self) -> dict[str, Any]:
        return {
            "enforcement_level": self.enforcement,
            "config_schema": self._schema(),
            "severity": self.severity,
            "framework": PolicyComplianceFramework(name="AWS FSBP + cdk-nag AwsSolutions"),
            "tags": list(self.controls),
            "remediation_steps": self.remediation,
        }

    def build(self) -> Policy:
        if self.check is not None:
            check = self.check
            types = frozenset(self.resource_types)

            def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
                if args.resource_type not in types:
                    return
                res = make_res(
                    type_=args.resource_type,
                    name=args.name,
                    urn=args.urn,
                    props=args.props,
                    provider=args.provider,
                    protect=args.opts.protect,
                    config=args.get_config(),
                )
                for message in check(res):
                    report(message, None)

            return ResourceValidationPolicy(self.name, self.description, validate=validate, **self._common())

        stack_check = self.stack_check
        assert stack_check is not None

        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            config = args.get_config()
            view = StackView([_res_of(r, config) for r in args.resources], dict(config))
            for message, urn in stack_check(view):
                report(message, urn)

        return StackValidationPolicy(self.name, self.description, validate=validate_stack, **self._common())


def _res_of(resource: PolicyResource, config: Mapping[str, Any]) -> Res:
    return make_res(
        type_=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=resource.props,
        provider=resource.provider,
        protect=resource.opts.protect,
        config=config,
    )


def index_by(resources: Iterable[Res], *keys: str) -> tuple[dict[str, Res], bool]:
    """Resources by the values of `keys` (id, arn, name...), and whether any such value is unknown."""
    found: dict[str, Res] = {}
    unknown = False
    for res in resources:
        for key in keys:
            value = res.get(key)
            if value is UNKNOWN:
                unknown = True
            elif isinstance(value, str) and value:
                found[value] = res
    return found, unknown


def each_str(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
