"""A stack as the operator commands see it: its file validated the way `pulumi up` validates it,
where its state lives, and whether the caller's credentials may touch it.

Shared by `bootstrap`, `preflight`, `scale` and the drill, so they read stack files and refuse
another account's credentials the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arbiter_infra.config import (
    PROJECT,
    AccountConfig,
    ConfigError,
    StackConfig,
    parse_account_values,
    parse_stack_values,
    state_backend,
)
from arbiter_tools.command_support import aws_errors
from arbiter_tools.runtime import PROJECT_DIR, read_stack_file

# --- the stack, as its file declares it ------------------------------------------------------


@dataclass(frozen=True)
class LoadedStack:
    """A stack file validated like `pulumi up` validates it."""

    name: str
    config: StackConfig


@dataclass(frozen=True)
class Backend:
    """What `bootstrap` needs of any stack, environment or account: where its state goes."""

    name: str
    account_id: str
    region: str
    bucket: str
    alias: str

    @classmethod
    def of(cls, name: str, config: StackConfig | AccountConfig) -> Backend:
        bucket, alias = state_backend(config)
        return cls(name, config.account_id, config.region, bucket, alias)


def load_backend(stack: str, project_dir: Path = PROJECT_DIR) -> Backend:
    """The state backend of an environment or account stack file."""
    values, _secret_keys = read_stack_file(stack, project_dir)
    if f"{PROJECT}:account" in values:
        return Backend.of(stack, parse_account_values(values))
    return Backend.of(stack, load_stack(stack, project_dir).config)


def load_stack(stack: str, project_dir: Path = PROJECT_DIR) -> LoadedStack:
    """Parse `Pulumi.<stack>.yaml` into the typed config; a bad value is one `ConfigError` line."""
    values, _secret_keys = read_stack_file(stack, project_dir)
    if f"{PROJECT}:account" in values:
        raise ConfigError(f"--stack {stack!r}: an account stack; this command needs an environment stack")
    return LoadedStack(name=stack, config=parse_stack_values(values, stack))


# --- credentials ----------------------------------------------------------------------------


def session_for(region: str) -> Any:
    """The standard credential chain (AWS_PROFILE, SSO, env, instance role) in the stack's region."""
    import boto3

    with aws_errors("AWS configuration"):
        return boto3.Session(region_name=region)


def caller_identity(session: Any) -> dict[str, str]:
    """Who the credentials are: the first call, so missing credentials surface as one line here."""
    with aws_errors("sts get-caller-identity"):
        ident = session.client("sts").get_caller_identity()
    return {"Account": str(ident["Account"]), "Arn": str(ident["Arn"])}


def account_mismatch(identity: dict[str, str], stack: str, account_id: str) -> str | None:
    """Why the credentials must not touch this stack, or None when they are its account's."""
    if identity["Account"] == account_id:
        return None
    return (
        f"the credentials ({identity['Arn']}) are for account {identity['Account']}, but stack "
        f"'{stack}' deploys to {account_id} (aws:allowedAccountIds): use that "
        "account's credentials (AWS_PROFILE=...)"
    )
