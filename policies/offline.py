"""Run the pack over an offline `Deployment` (arbiter_tools.runtime) without the Pulumi CLI.

The policies are driven through the same pulumi_policy objects and argument types the analyzer
server builds, including its unknown-checking proxy, so what passes here passes `pulumi preview
--policy-pack policies` for the same props. Config uses the shape of a Pulumi policy config file
(`{"<policy>": "advisory" | {"enforcementLevel": ..., <props>}, "all": ...}`) plus a top-level
`environment` that overrides the provider default tags for every policy.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Final, Protocol

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.catalog import PACK_NAME, PACK_VERSION, pulumi_policies
from policies.resource_types import PROVIDER_PREFIX


class DeclaredResource(Protocol):
    """What the evaluator reads of a declared resource (arbiter_tools.runtime.DeclaredResource).

    A protocol, not an import: the pack stays self-contained, so `pulumi preview --policy-pack`
    never needs the program's package.
    """

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def custom(self) -> bool: ...
    @property
    def id(self) -> str | None: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def protect(self) -> bool: ...
    @property
    def delete_before_replace(self) -> bool: ...
    @property
    def dependencies(self) -> Sequence[str]: ...


class Deployment(Protocol):
    """What the evaluator reads of a deployment (arbiter_tools.runtime.Deployment)."""

    @property
    def resources(self) -> Sequence[DeclaredResource]: ...


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    urn: str | None
    resource_name: str | None
    message: str

    def __str__(self) -> str:
        where = self.resource_name or "stack"
        return f"[{self.enforcement}/{self.severity}] {self.policy} ({where}): {self.message}"


#: Top-level keys of a policy config that are not policy names (the CLI's `all`, our `environment`).
CONFIG_KEYWORDS: Final = ("all", "environment")


class PolicyConfigError(ValueError):
    """A policy config naming what the pack does not have: one line, naming it and the closest name."""


def check_config_names(config: Mapping[str, Any], policies: Sequence[Policy] | None = None) -> None:
    """Refuse a key that is neither a policy of the pack nor `all`/`environment`.

    The Pulumi CLI hands each policy only its own entry, so a misspelt name (`kms-key-rotaton:
    disabled`) is silently ignored and the policy keeps its default level: refuse it instead.
    """
    names = [p.name for p in (policies if policies is not None else pulumi_policies())]
    known = {*names, *CONFIG_KEYWORDS}
    for key in config:
        if key not in known:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.0)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise PolicyConfigError(
                f"unknown policy {str(key)!r}: {hint}the pack {PACK_NAME} has {len(names)} policies "
                f"(keys may also be {' or '.join(CONFIG_KEYWORDS)})"
            )


def _enforcement(policy: Policy, config: Mapping[str, Any]) -> EnforcementLevel:
    """Per-policy config, then `all`, then the policy's own default (as the CLI resolves it)."""
    for key in (policy.name, "all"):
        value = config.get(key)
        level = value.get("enforcementLevel") if isinstance(value, Mapping) else value
        if level is not None:
            return EnforcementLevel(level.value if isinstance(level, EnforcementLevel) else str(level))
    return policy.enforcement_level or EnforcementLevel.ADVISORY


def _policy_config(policy: Policy, config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if config.get("environment") is not None:
        out["environment"] = config["environment"]
    own = config.get(policy.name)
    if isinstance(own, Mapping):
        out.update({k: v for k, v in own.items() if k != "enforcementLevel"})
    return out


def _props(resource: DeclaredResource) -> Any:
    merged = {**resource.inputs, **resource.outputs}
    if resource.custom and resource.id and "id" not in merged:
        merged["id"] = resource.id
    return unknown_checking_proxy(deserialize_properties(merged))


def _opts(resource: DeclaredResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=[],
        delete_before_replace=resource.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def _is_provider(resource: DeclaredResource) -> bool:
    return resource.type.startswith(PROVIDER_PREFIX)


def _providers(deployment: Deployment) -> dict[str, PolicyProviderResource]:
    return {
        r.urn: PolicyProviderResource(
            r.type, unknown_checking_proxy(deserialize_properties(dict(r.inputs))), r.urn, r.name
        )
        for r in deployment.resources
        if _is_provider(r)
    }


def _run(result: Any) -> None:
    if isawaitable(result):
        asyncio.run(_await(result))


async def _await(result: Any) -> None:
    await result


def evaluate(
    deployment: Deployment,
    *,
    config: dict[str, Any] | None = None,
    policies: Sequence[Policy] | None = None,
) -> list[Violation]:
    """Every violation of every enabled policy, resource policies first, then stack policies.

    `policies` defaults to the whole pack. A rule that reads an unknown value without guarding
    against it is reported as the analyzer reports it ("can't run policy ... during preview",
    advisory), never skipped in silence: that is a rule bug a preview shows to every user.
    """
    config = dict(config or {})
    providers = _providers(deployment)
    policies = list(policies) if policies is not None else pulumi_policies()
    check_config_names(config)
    violations: list[Violation] = []
    names = {r.urn: r.name for r in deployment.resources}
    # Props and options are the same for every policy: build them once per resource.
    checked = [r for r in deployment.resources if r.custom and not _is_provider(r)]
    prepared = {r.urn: (_props(r), _opts(r)) for r in checked}

    def reporter(policy: Policy, level: EnforcementLevel, default: DeclaredResource | None) -> Any:
        def report(message: str, urn: str | None = None) -> None:
            target = urn or (default.urn if default else None)
            violations.append(
                Violation(
                    policy=policy.name,
                    severity=policy.severity.value if policy.severity else "unspecified",
                    enforcement=level.value,
                    urn=target,
                    resource_name=names.get(target) if target else None,
                    message=message,
                )
            )

        return report

    stack_resources: list[PolicyResource] | None = None
    levels = {p.name: _enforcement(p, config) for p in policies}
    for policy in policies:
        level = levels[policy.name]
        if level is EnforcementLevel.DISABLED:
            continue
        if level is EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        policy_config = _policy_config(policy, config)
        if isinstance(policy, ResourceValidationPolicy):
            for resource in checked:
                props, opts = prepared[resource.urn]
                args = ResourceValidationArgs(
                    resource.type,
                    props,
                    resource.urn,
                    resource.name,
                    opts,
                    providers.get(resource.provider or ""),
                    policy_config,
                )
                try:
                    _run(policy.validate(args, reporter(policy, level, resource)))
                except UnknownValueError as err:
                    violations.append(_cannot_run(policy, err, resource.urn, resource.name))
        elif isinstance(policy, StackValidationPolicy):
            if stack_resources is None:
                stack_resources = _stack_resources(deployment, providers)
            stack_args = StackValidationArgs(stack_resources, policy_config)
            try:
                _run(policy.validate(stack_args, reporter(policy, level, None)))
            except UnknownValueError as err:
                violations.append(_cannot_run(policy, err, None, None))
    return violations


def _cannot_run(policy: Policy, err: UnknownValueError, urn: str | None, name: str | None) -> Violation:
    """The analyzer's diagnostic for a rule that read an unknown value (always advisory)."""
    return Violation(
        policy=policy.name,
        severity=policy.severity.value if policy.severity else "unspecified",
        enforcement=EnforcementLevel.ADVISORY.value,
        urn=urn,
        resource_name=name,
        message=(
            f"can't run policy '{policy.name}' from policy pack '{PACK_NAME}@v{PACK_VERSION}' "
            f"during preview: {err.message}"
        ),
    )


def _stack_resources(
    deployment: Deployment, providers: Mapping[str, PolicyProviderResource]
) -> list[PolicyResource]:
    built = {
        r.urn: PolicyResource(
            r.type, _props(r), r.urn, r.name, _opts(r), providers.get(r.provider or ""), None, [], {}
        )
        for r in deployment.resources
    }
    for r in deployment.resources:
        node = built[r.urn]
        node.parent = built.get(r.parent) if r.parent else None
        node.dependencies = [built[d] for d in r.dependencies if d in built]
    return list(built.values())
