"""`arbiter-infra secrets set`: an operator puts the trading and bot credentials into Secrets Manager.

The values never pass through CI or the Pulumi state: Pulumi creates the empty secret containers
(`arbiter-<env>/polymarket`, `/kalshi`, `/telegram`), and this command writes a new AWSCURRENT
version with exactly the JSON keys the services read. Values come from a hidden prompt (getpass)
or a JSON file, never from argv (visible in `ps` and shell history), and are never printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from arbiter_infra.application import consumers
from arbiter_infra.config import PROJECT, SECRET_FIELDS
from arbiter_tools.command_support import aws_errors, stack_name, stack_region
from arbiter_tools.errors import UserError

#: Fields that are multi-line PEM documents: the prompt asks for a file path instead of the value.
PEM_FIELDS: Final = frozenset({("kalshi", "private_key")})
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


def _user_error(message: str) -> Exception:
    return UserError(message)


def secret_id(stack: str, secret: str) -> str:
    return f"{PROJECT}-{stack}/{secret}"


def _check_value(secret: str, field: str, value: Any) -> str:
    """One field's value, checked without ever echoing it."""
    where = f"{secret}.{field}"
    if not isinstance(value, str):
        raise _user_error(f"{where}: must be a string (got {type(value).__name__})")
    if not value.strip():
        raise _user_error(f"{where}: must not be empty")
    if (secret, field) in PEM_FIELDS and not value.lstrip().startswith("-----BEGIN "):
        raise _user_error(f"{where}: must be a PEM document starting with -----BEGIN (value not shown)")
    if (secret, field) == ("polymarket", "private_key") and not _HEX_KEY.match(value.strip()):
        raise _user_error(
            f"{where}: must be 64 hexadecimal characters without 0x ({len(value.strip())} characters given; "
            "value not shown)"
        )
    return value


def values_from_file(secret: str, path: Path) -> dict[str, str]:
    """A JSON object with exactly the secret's fields."""
    fields = SECRET_FIELDS[secret]
    try:
        text = path.read_text()
    except OSError as err:
        raise _user_error(f"--from-file {path}: cannot read it ({err.strerror})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise _user_error(
            f"--from-file {path}: not valid JSON (line {err.lineno}, column {err.colno})"
        ) from None
    if not isinstance(doc, dict):
        raise _user_error(
            f"--from-file {path}: must be a JSON object with the keys {', '.join(fields)} "
            f"(got a JSON {type(doc).__name__})"
        )
    missing = [f for f in fields if f not in doc]
    extra = sorted(set(doc) - set(fields))
    if missing or extra:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(extra)}"] if extra else []
        )
        raise _user_error(
            f"--from-file {path}: the {secret} secret has exactly the keys {', '.join(fields)} "
            f"({'; '.join(problems)})"
        )
    return {f: _check_value(secret, f, doc[f]) for f in fields}


def values_from_prompt(
    secret: str,
    *,
    ask_secret: Callable[[str], str] | None = None,
    ask: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """Each field from a hidden prompt; a PEM field from a file whose path is asked for."""
    ask_secret = ask_secret or getpass.getpass
    ask = ask or input
    values: dict[str, str] = {}
    for field in SECRET_FIELDS[secret]:
        if (secret, field) in PEM_FIELDS:
            path = Path(ask(f"{secret}.{field}: path of the PEM file: ").strip()).expanduser()
            try:
                values[field] = _check_value(secret, field, path.read_text())
            except OSError as err:
                raise _user_error(f"{secret}.{field}: cannot read {path} ({err.strerror})") from None
        else:
            values[field] = _check_value(secret, field, ask_secret(f"{secret}.{field} (hidden): "))
    return values


def put_secret(client: Any, stack: str, secret: str, values: Mapping[str, str]) -> str:
    """Write the values as the secret's new AWSCURRENT version; return its version id."""
    sid = secret_id(stack, secret)
    with aws_errors(f"secret {sid}"):
        try:
            resp = client.put_secret_value(SecretId=sid, SecretString=json.dumps(dict(values)))
        except client.exceptions.ResourceNotFoundException:
            raise _user_error(
                f"secret {sid} does not exist: deploy the stack first (pulumi up creates the container)"
            ) from None
    return str(resp["VersionId"])


def cmd_secrets_set(args: argparse.Namespace) -> int:
    secret: str = args.secret
    values = values_from_file(secret, args.from_file) if args.from_file else values_from_prompt(secret)
    import boto3  # only when the command runs: `plan` imports the CLI and never needs boto3

    with aws_errors("AWS configuration"):
        session = boto3.Session(region_name=os.environ.get("AWS_REGION") or stack_region(args.stack))
        client = session.client("secretsmanager")
    version = put_secret(client, args.stack, secret, values)
    # ECS reads secrets at task start: the services it is injected into must start new tasks.
    services = ", ".join(consumers(secret))
    print(
        f"{secret_id(args.stack, secret)}: new version {version} is AWSCURRENT "
        f"(keys: {', '.join(SECRET_FIELDS[secret])}; values not shown). Running tasks keep the old "
        f"value until they restart: `aws ecs update-service --cluster {PROJECT}-{args.stack} "
        f"--service <{services}> --force-new-deployment`"
    )
    return 0


def register(sub: Any) -> None:
    """Add `secrets set` to the CLI's subparsers."""
    p = sub.add_parser("secrets", help="set application secret values in Secrets Manager (operator only)")
    inner = p.add_subparsers(dest="secrets_command", required=True, parser_class=type(p))
    s = inner.add_parser(
        "set",
        help="write a new value of one secret, from a hidden prompt or --from-file (never argv)",
    )
    s.add_argument("--stack", required=True, type=stack_name, help="stack name (a Pulumi.<stack>.yaml)")
    s.add_argument("--secret", required=True, choices=sorted(SECRET_FIELDS), help="which secret")
    s.add_argument(
        "--from-file",
        type=Path,
        metavar="FILE",
        help="JSON object with exactly the secret's keys (default: prompt for each, hidden)",
    )
    s.set_defaults(func=cmd_secrets_set)
