"""Reading the stack config: inside `pulumi up` (`load_config`) and from a stack file (tools).

Both paths validate the same way and turn pydantic's errors into one line naming the full key,
the value and what is allowed (`_format_error`); unknown keys and secrets in config are refused
before any section is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

import pulumi
from pydantic import ValidationError

from arbiter_infra.config.base import (
    PROJECT,
    STACK_NAME,
    ConfigError,
    KeyedError,
    state_bucket_name,
    state_kms_alias,
)
from arbiter_infra.config.deployable import (
    advisories,
    check_deployable,
    deployability_problems,
    example_account_problem,
)
from arbiter_infra.config.secrets import APPLICATION_SECRET_KEYS, refuse_secret_config
from arbiter_infra.config.stack import AccountConfig, StackConfig

#: An environment stack's sections, each `arbiter:<section>` in the stack file.
_SECTIONS = ("network", "secrets", "database", "cache", "services", "monitoring", "delivery")


def _format_error(err: ValidationError) -> str:
    """One line: the first problem, its full key, its value and what is allowed."""
    first = err.errors(include_url=False)[0]
    loc = [str(p) for p in first["loc"]]
    ctx = first.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, KeyedError):
        key = ".".join([*loc, inner.key]) if loc else inner.key
        return f"arbiter:{key} = {shown(inner.value)}: must be {inner.allowed}"
    key = ""
    for part in loc:
        key += f"[{part}]" if part.isdigit() else (f".{part}" if key else part)
    # Two top-level values come from the aws: namespace, not arbiter:.
    key = _AWS_KEYS.get(key, f"arbiter:{key}")
    msg = first["msg"]
    if first["type"] == "missing":
        return f"{key} is not set: it is required (add it to Pulumi.<stack>.yaml)"
    if first["type"] == "extra_forbidden":
        return f"{key} is not a known setting: remove it or fix its spelling"
    msg = msg.removeprefix("Value error, ")
    given = first.get("input")
    value = shown(given)
    if first["type"] == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
        # YAML reads an unquoted 16.10 as the number 16.1: the digits the user typed are gone.
        return (
            f'{key} = {value}: must be a string: quote it in the stack file ("{given}" is how YAML read it)'
        )
    if not msg.startswith("must"):
        msg = f"must be valid: {msg}"
    return f"{key} = {value}: {msg}"


def shown(value: Any, limit: int = 80) -> str:
    """A value for a one-line message: JSON, cut to `limit` characters (a 1 MB value stays readable)."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


_AWS_KEYS = {"region": "aws:region", "accountId": "aws:allowedAccountIds"}


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a mapping of `arbiter:` settings (namespace stripped) into a StackConfig."""
    try:
        return StackConfig.model_validate(dict(raw))
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None


def check_stack_name(stack: str) -> str:
    """A stack name every physical name can carry (ALB and target-group names stop at 32 characters)."""
    if not STACK_NAME.match(stack):
        raise ConfigError(
            f"stack name {stack!r}: must be 2-16 lowercase letters, digits and hyphens, starting with a "
            "letter (it prefixes every AWS name: arbiter-<stack>-...)"
        )
    return stack


def parse_stack_values(values: Mapping[str, str], stack: str | None = None) -> StackConfig:
    """An environment's config from stack-file values (`ns:key` -> string, objects as JSON), as tools read it.

    The same validation as `load_stack_config`, for tooling that reads the stack file without the
    Pulumi runtime (preflight, scale).
    """

    def value(key: str) -> Any:
        text = values.get(key)
        if text is None:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    raw: dict[str, Any] = {
        "environment": values.get(f"{PROJECT}:environment"),
        "region": values.get("aws:region"),
    }
    raw["accountId"] = account_id_of(value("aws:allowedAccountIds"))
    if stack is not None:
        raw["stack"] = check_stack_name(stack)
    for section in _SECTIONS:
        raw[section] = value(f"{PROJECT}:{section}")
    return parse_stack_config({k: v for k, v in raw.items() if v is not None})


#: `aws:` keys the program reads (explicit providers ignore every other `aws:` setting).
AWS_KEYS: Final = ("aws:region", "aws:allowedAccountIds")


def known_keys(*, account_stack: bool) -> list[str]:
    """Every key a stack file of that kind may set (`pulumi:` keys aside)."""
    if account_stack:
        return [*AWS_KEYS, f"{PROJECT}:account"]
    return [*AWS_KEYS, f"{PROJECT}:environment", *(f"{PROJECT}:{s}" for s in _SECTIONS)]


def check_keys(keys: Mapping[str, bool]) -> None:
    """Refuse unknown keys (with a "did you mean") and credentials in stack config.

    `keys` maps every configured key to whether it is a secret. An unknown key is usually a typo
    whose value would silently not apply; credentials are set in Secrets Manager, never config.
    """
    import difflib

    account_stack = f"{PROJECT}:account" in keys
    known = known_keys(account_stack=account_stack)
    for key in sorted(keys):
        if key.startswith("pulumi:") or key in known:
            continue
        if key in APPLICATION_SECRET_KEYS:
            refuse_secret_config(key)
        if account_stack and key in known_keys(account_stack=False):
            raise ConfigError(
                f"{key} is set in an account stack (it has {PROJECT}:account): an account stack holds only "
                f"{PROJECT}:account; environment settings belong in the environment's stack file"
            )
        close = difflib.get_close_matches(key, [*known, *APPLICATION_SECRET_KEYS], n=1, cutoff=0.6)
        if close and close[0] in APPLICATION_SECRET_KEYS:
            raise ConfigError(
                f"{key} is not a setting of this project: application secrets (did you mean {close[0]}?) are "
                f"set with `arbiter-infra secrets set`, never in stack config"
            )
        hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
        raise ConfigError(f"{key} is not a setting of this project: {hint}")


def _configured_keys() -> dict[str, bool]:
    """Every key the engine handed the program, and whether it is secret (explicit config, then env)."""
    from pulumi.runtime import config as runtime_config

    keys = {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}
    return {k: runtime_config.is_config_secret(k) for k in keys}


def parse_account_values(values: Mapping[str, str]) -> AccountConfig:
    """An account stack's config from stack-file values, as tools read it."""
    account = values.get(f"{PROJECT}:account")
    raw: dict[str, Any] = {
        "region": values.get("aws:region"),
        "accountId": account_id_of(
            json.loads(values["aws:allowedAccountIds"]) if "aws:allowedAccountIds" in values else None
        ),
        "account": json.loads(account) if account is not None else None,
    }
    try:
        return AccountConfig.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None


def state_backend(config: StackConfig | AccountConfig) -> tuple[str, str]:
    """(state bucket, secrets-provider KMS alias) of a stack: one bucket per account, one key per stack."""
    if isinstance(config, AccountConfig):
        return state_bucket_name(config.account_id), state_kms_alias(config.environment)
    return config.delivery.state_bucket, config.delivery.secrets_kms_alias


def load_config() -> StackConfig | AccountConfig:
    """The running stack's config: an account stack has `arbiter:account`, an environment does not."""
    check_keys(_configured_keys())
    cfg = pulumi.Config(PROJECT)
    account = _get_object(cfg, "account")
    if account is None:
        return load_stack_config()
    aws_cfg = pulumi.Config("aws")
    raw = {
        "region": aws_cfg.get("region"),
        "accountId": account_id_of(_get_object(aws_cfg, "allowedAccountIds")),
        "account": account,
    }
    try:
        config = AccountConfig.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None
    check_deployable(example_account_problem(config.account_id), [])
    return config


def _get_object(cfg: pulumi.Config, key: str) -> Any:
    """A structured setting; a plain string where YAML structure belongs is one line, not a ConfigTypeError."""
    try:
        return cfg.get_object(key)
    except pulumi.config.ConfigTypeError:
        form = "a list" if key == "allowedAccountIds" else "a mapping of settings (indented keys)"
        raise ConfigError(f"{cfg.name}:{key} = {shown(cfg.get(key))}: must be {form}, not a string") from None


def load_stack_config() -> StackConfig:
    """Read the running stack's config the way `pulumi up` hands it to the program."""
    cfg = pulumi.Config(PROJECT)
    raw: dict[str, Any] = {"environment": cfg.get("environment")}
    aws_cfg = pulumi.Config("aws")
    raw["region"] = aws_cfg.get("region")
    raw["accountId"] = account_id_of(_get_object(aws_cfg, "allowedAccountIds"))
    for section in _SECTIONS:
        raw[section] = _get_object(cfg, section)
    raw["stack"] = check_stack_name(pulumi.get_stack())
    config = parse_stack_config({k: v for k, v in raw.items() if v is not None})
    check_deployable(deployability_problems(config), advisories(config))
    return config


def account_id_of(allowed: Any) -> str | None:
    """The stack's one account, from `aws:allowedAccountIds` (the AWS provider's own guard)."""
    if allowed is None:
        raise ConfigError(
            "aws:allowedAccountIds is not set: it is required, a list with the stack's one AWS account id "
            '(e.g. aws:allowedAccountIds: ["111122223333"])'
        )
    if not (isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str | int)):
        raise ConfigError(
            f"aws:allowedAccountIds = {json.dumps(allowed, default=str)}: must be a list of exactly one "
            "12-digit AWS account id (one stack, one account)"
        )
    account = str(allowed[0])
    if not re.fullmatch(r"\d{12}", account):
        raise ConfigError(
            f"aws:allowedAccountIds[0] = {json.dumps(allowed[0])}: must be a 12-digit AWS account id"
        )
    return account
