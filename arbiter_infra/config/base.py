"""What every config section builds on: the project's names, the error type, the field validators.

A bad value must end as one line naming the key, the value and what is allowed; the validators
here word their messages as "must be ..." so the loader can put key and value in front.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Final

import pulumi
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

from arbiter_infra import catalog

PROJECT = "arbiter"
#: The account used in examples; a stack that names it cannot be deployed as written.
EXAMPLE_ACCOUNT_ID = "123456789012"


def state_bucket_name(account_id: str) -> str:
    """The account's Pulumi state bucket: bucket names are global, so each account's carries its id."""
    return f"{PROJECT}-pulumi-state-{account_id}"


def state_kms_alias(stack: str) -> str:
    """The key for one stack's state secrets: per stack, so staging's roles cannot decrypt prod's."""
    return f"alias/{PROJECT}-pulumi-state-{stack}"


ENVIRONMENTS = ("staging", "prod")
SERVICE_NAMES = ("trading-core", "telegram-bot", "web-api")


class ConfigError(pulumi.RunError):
    """A stack-config problem; pulumi prints RunError messages without a traceback."""


def listed(values: Any) -> str:
    """The allowed values, for a message."""
    return ", ".join(str(v) for v in values)


def _retention(v: int) -> int:
    if v not in catalog.LOG_RETENTION_DAYS:
        raise ValueError(f"must be a CloudWatch Logs retention ({listed(catalog.LOG_RETENTION_DAYS)})")
    return v


RetentionDays = Annotated[int, AfterValidator(_retention)]


def member_of(allowed: Any) -> Any:
    """A validator refusing anything not in `allowed`, listing what is."""

    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(f"must be one of {listed(allowed)}")
        return v

    return AfterValidator(check)


def matching(pattern: re.Pattern[str], form: str) -> Any:
    """A validator refusing text that does not match `pattern`, saying the `form` it must have."""

    def check(v: str) -> str:
        if not pattern.match(v):
            raise ValueError(f"must be {form}")
        return v

    return AfterValidator(check)


def check_engine_major(v: str, allowed: Any) -> str:
    """`v` if it is a major of `allowed`, else a ValueError saying "must be ..." what is."""
    if v in allowed:
        return v
    major = v.split(".", maxsplit=1)[0]
    if major in allowed:
        raise ValueError(f'must be the major version only ("{major}"): AWS upgrades the minor version itself')
    raise ValueError(f"must be a supported major version ({listed(allowed)}), without a minor")


def engine_major(allowed: Any) -> Any:
    """A major version only ("16", "7"): AWS moves the minor; a pinned minor would read as a downgrade."""
    return AfterValidator(lambda v: check_engine_major(v, allowed))


def as_text(v: Any) -> Any:
    """An unquoted YAML number (16, 16.8) is read as the version text it was meant to be."""
    return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


_WINDOW = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}$")
_MAINT_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}-(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}$"
)
Window = Annotated[str, matching(_WINDOW, "hh:mm-hh:mm (UTC)")]
MaintenanceWindow = Annotated[
    str, matching(_MAINT_WINDOW, "ddd:hh:mm-ddd:hh:mm (UTC), e.g. sun:05:00-sun:06:00")
]
#: Tags that name a moment, not a build; with immutable repositories they also cannot be re-pushed.
MOVING_TAGS: Final = frozenset(
    {
        "latest",
        "stable",
        "main",
        "master",
        "develop",
        "dev",
        "staging",
        "prod",
        "production",
        "edge",
        "nightly",
    }
)
#: A release: semantic version, optionally `v`-prefixed, with pre-release/build parts.
RELEASE_TAG: Final = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
#: A full ECR image URI with a tag: registry (account, region), repository, tag.
ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com)/(?P<repo>[a-z0-9][a-z0-9._/-]*):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$"
)


class Model(BaseModel):
    """Every section: camelCase keys as in the stack file, unknown keys refused, no coercion, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, strict=True
    )


def _network(v: Any) -> Any:
    """A CIDR block; a host address with a prefix (10.0.1.5/24) says which network it meant."""
    if not isinstance(v, str):
        raise ValueError("must be a CIDR block string such as 10.0.1.0/24")
    try:
        return ipaddress.IPv4Network(v)
    except ValueError as err:
        if "host bits set" in str(err):
            raise ValueError(
                f"must be a network address: host bits are set (did you mean {ipaddress.IPv4Network(v, strict=False)}?)"
            ) from None
        raise ValueError("must be an IPv4 CIDR block such as 10.0.1.0/24") from None


Cidr = Annotated[ipaddress.IPv4Network, BeforeValidator(_network)]

#: A stack's name is every physical name's prefix (`arbiter-<stack>-...`): short, DNS-safe.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$")


class KeyedError(ValueError):
    """A cross-field error that knows which key (relative to its model) it is about."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        super().__init__(f"{key}={value!r}: must be {allowed}")
        self.key, self.value, self.allowed = key, value, allowed
