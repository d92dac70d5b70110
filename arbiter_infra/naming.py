"""Names and tags: unique per stack, inside AWS name limits, tagged through provider default tags.

Staging and prod must deploy side by side into one account, so every physical name carries the
stack's prefix (`arbiter-staging-...`). Names with hard AWS limits are checked here, at plan time,
instead of failing half-way through `pulumi up`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import PROJECT, AccountConfig, ConfigError, StackConfig

#: AWS name limits (characters) for the physical names this program sets.
LIMITS = {
    "alb": 32,
    "target-group": 32,
    "elasticache": 40,
    "rds": 63,
    "iam-role": 64,
    "iam-policy": 128,
    "s3": 63,
    "waf": 128,
    "log-group": 512,
    "default": 255,
}
#: Pulumi auto-naming appends a dash and 7 random characters.
AUTONAME_SUFFIX = 8
_ENV_SHORT = {"staging": "stg", "prod": "prd"}
_RDS = re.compile(r"^[a-z][a-z0-9-]*$")


def short_name(stack: str) -> str:
    """3-7 characters standing for the stack in 32-character names; distinct for distinct stacks."""
    if stack in _ENV_SHORT:
        return _ENV_SHORT[stack]
    digest = hashlib.sha1(stack.encode()).hexdigest()[:3]
    return f"{stack[:3].rstrip('-')}{digest}"


def check_name(name: str, kind: str = "default", *, autonamed: bool = False) -> str:
    """Return `name` if AWS will accept it for `kind`, else fail before anything is created."""
    limit = LIMITS[kind] - (AUTONAME_SUFFIX if autonamed else 0)
    if len(name) > limit:
        raise ConfigError(f"name {name!r} is {len(name)} characters: {kind} names must be at most {limit}")
    if kind in ("rds", "elasticache", "s3") and not _RDS.match(name):
        raise ConfigError(f"name {name!r}: {kind} names must be lowercase letters, digits and hyphens")
    return name


@dataclass(frozen=True)
class Naming:
    """Name builder for one stack."""

    environment: str
    prefix: str = field(init=False)
    short: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", f"{PROJECT}-{self.environment}")
        object.__setattr__(self, "short", f"arb-{short_name(self.environment)}")

    def __call__(self, *parts: str, kind: str = "default", autonamed: bool = False) -> str:
        """`arbiter-<env>-<parts>`, checked against the limit of `kind`."""
        return check_name("-".join([self.prefix, *parts]), kind, autonamed=autonamed)

    def compact(self, *parts: str, kind: str) -> str:
        """`arb-<stg|prd>-<parts>`: for kinds with 32-character limits (ALB, target groups)."""
        return check_name("-".join([self.short, *parts]), kind)


def tags(config: StackConfig | AccountConfig, service: str) -> dict[str, str]:
    """The tags every resource carries; set as provider default tags.

    `Environment` is the stack (what IAM conditions isolate by); `Tier` is how it behaves (staging
    or prod), which the policy pack judges by: a stack `dev-alice` can behave like staging.
    """
    return {
        "Project": PROJECT,
        "Environment": config.name,
        "Tier": config.environment,
        "Service": service,
        "ManagedBy": "pulumi",
    }


class Providers:
    """One AWS provider per `Service` tag value, so every resource is tagged without per-resource code."""

    def __init__(self, config: StackConfig | AccountConfig) -> None:
        self._config = config
        self._providers: dict[str, aws.Provider] = {}

    def __call__(self, service: str, region: str | None = None) -> aws.Provider:
        """The provider of `service`; `region` other than the stack's gives a second one there."""
        region = region or self._config.region
        key = service if region == self._config.region else f"{service}-{region}"
        if key not in self._providers:
            self._providers[key] = aws.Provider(
                f"{self._config.prefix}-aws-{key}",
                region=region,
                # Explicit providers do not read the `aws:` stack config: repeat its account guard.
                allowed_account_ids=[self._config.account_id],
                default_tags=aws.ProviderDefaultTagsArgs(tags=tags(self._config, service)),
            )
        return self._providers[key]

    def opts(self, service: str, parent: pulumi.Resource | None = None) -> pulumi.ResourceOptions:
        """Options for a component whose children should carry `Service=<service>`."""
        return pulumi.ResourceOptions(providers={"aws": self(service)}, parent=parent)
