"""Rollback and troubleshooting as commands, plus `emulate`.

`status`, `rollback`, `logs` and `wait` use boto3 with the standard credential chain and the
stack's region, honour `AWS_ENDPOINT_URL`, and find the cluster, services, task-definition
families and log groups by the names the program gives them (`arbiter-<env>`, `trading-core`,
`arbiter-<env>-<service>`, `/ecs/arbiter-<env>-<service>`). They never invent credentials: only
`emulate` may use dummy ones, and only against an emulator endpoint.

The commands parse arguments and print; what they do lives in `operations` (functions of boto3
clients, tested against moto) and what every command shares in `command_support`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.parse
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from arbiter_infra.config import PROJECT, SERVICE_NAMES
from arbiter_tools import bootstrap, preflight, secrets_cli
from arbiter_tools.command_support import (
    aws_errors,
    client_for,
    parse_duration,
    seconds,
    stack_name,
    stack_region,
)
from arbiter_tools.errors import UserError
from arbiter_tools.operations import describe_services, rollback, status, tail_logs, wait_stable
from arbiter_tools.stacks import load_stack

DEFAULT_TIMEOUT = 600


def _user_error(message: str) -> Exception:
    return UserError(message)


# --- names ----------------------------------------------------------------------------------


def cluster_name(stack: str) -> str:
    return f"{PROJECT}-{stack}"


def family_name(stack: str, service: str) -> str:
    return f"{PROJECT}-{stack}-{service}"


def log_group_name(stack: str, service: str) -> str:
    return f"/ecs/{PROJECT}-{stack}-{service}"


# --- Commands -------------------------------------------------------------------------------


def _services(args: argparse.Namespace) -> list[str]:
    return [args.service] if getattr(args, "service", None) else list(SERVICE_NAMES)


def cmd_status(args: argparse.Namespace) -> int:
    status(client_for(args.stack, "ecs"), cluster_name(args.stack), _services(args), sys.stdout)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    ecs = client_for(args.stack, "ecs")
    cluster = cluster_name(args.stack)
    done = rollback(
        ecs, cluster, args.service, family_name(args.stack, args.service), to=args.to, out=sys.stdout
    )
    if done is None or args.no_wait:
        return 0
    timeout = args.timeout if args.timeout is not None else deployment_timeout(args.stack, [args.service])
    wait_stable(lambda: describe_services(ecs, cluster, [args.service]), timeout=timeout, out=sys.stdout)
    return 0


def deployment_timeout(stack: str, services: list[str]) -> float:
    """Seconds a deployment of `services` may take: DEFAULT_TIMEOUT plus the longest traffic shift
    (a canary's or linear steps and its bake time) the stack file configures for them."""
    configs = load_stack(stack).config.services.by_name()
    return DEFAULT_TIMEOUT + 60 * max(configs[svc].deployment.shift_minutes for svc in services)


def cmd_wait(args: argparse.Namespace) -> int:
    ecs = client_for(args.stack, "ecs")
    cluster = cluster_name(args.stack)
    services = _services(args)
    timeout = args.timeout if args.timeout is not None else deployment_timeout(args.stack, services)
    wait_stable(lambda: describe_services(ecs, cluster, services), timeout=timeout, out=sys.stdout)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    logs = client_for(args.stack, "logs")
    tail_logs(logs, log_group_name(args.stack, args.service), args.since, follow=args.follow, out=sys.stdout)
    return 0


def cmd_emulate(args: argparse.Namespace) -> int:
    """Deploy the stack into the AWS API at AWS_ENDPOINT_URL (moto_server), or an in-process moto."""
    import boto3

    from arbiter_tools import emulator

    region = stack_region(args.stack)
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    host = urllib.parse.urlsplit(endpoint).hostname if endpoint else None
    if endpoint and (not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn"))):
        raise _user_error(
            f"AWS_ENDPOINT_URL={endpoint} is not an emulator: emulate never deploys into AWS itself"
        )
    if endpoint:
        session = boto3.Session(region_name=region)
        dummy = session.get_credentials() is None
        if dummy:
            session = boto3.Session(region_name=region, **emulator.DUMMY_CREDENTIALS)
        print(
            f"Emulating stack '{args.stack}' into the AWS API at {endpoint}"
            + (" (no credentials configured: dummy ones, for this emulator only)" if dummy else ""),
            flush=True,
        )
        mocks = emulator.EmulatorMocks(args.stack, session=session, region=region)
        deployment = _emulate(emulator, args.stack, mocks)
    else:
        from moto import mock_aws

        print(
            f"Emulating stack '{args.stack}' in-process (moto): AWS_ENDPOINT_URL is not set, so nothing "
            "persists after this command; start `moto_server` and set AWS_ENDPOINT_URL to keep it",
            flush=True,
        )
        with mock_aws(config=emulator.MOTO_CONFIG):  # type: ignore[call-overload]
            session = boto3.Session(region_name=region, **emulator.DUMMY_CREDENTIALS)
            mocks = emulator.EmulatorMocks(args.stack, session=session, region=region)
            deployment = _emulate(emulator, args.stack, mocks)
    _print_summary(deployment, mocks)
    return 0


def _emulate(emulator: Any, stack: str, mocks: Any) -> Any:
    try:
        return emulator.deploy(stack, mocks)
    except emulator.EmulatorError as err:
        # The aborted run leaves futures holding the same error; asyncio would print each one
        # ("exception was never retrieved") when they are collected: the one line below says it.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        if isinstance(err, emulator.EmulatorUnreachable):
            raise _user_error(str(err)) from None
        raise _user_error(f"the AWS API rejected the program: {err}") from None
    except (ClientError, BotoCoreError) as err:
        with aws_errors("emulate"):
            raise err


def _print_summary(deployment: Any, mocks: Any) -> None:
    counts = deployment.counts()
    custom = {r.type for r in deployment.resources if r.custom and not r.type.startswith("pulumi:providers:")}
    width = max(len(t) for t in custom)
    lines = [
        f"Resources: {sum(counts[t] for t in custom)} ({sum(mocks.emulated.values())} through the AWS API)"
    ]
    for t in sorted(custom):
        how = "emulated" if t in mocks.emulated else "FALLBACK (plain mock outputs)"
        lines.append(f"  {t.ljust(width)}  {counts[t]:>3}  {how}")
    fallback = sorted(mocks.fallback_types)
    lines.append("Fallback types (no AWS API call, not validated): " + (", ".join(fallback) or "none"))
    for declared, stand_in in mocks.stand_ins.items():
        lines.append(f"Stand-in for an external resource: {declared} -> {stand_in}")
    lines.append("Outputs:")
    lines += [
        f"  {k}: {'[secret]' if k in deployment.secret_outputs else json.dumps(v, default=str)}"
        for k, v in deployment.outputs.items()
    ]
    print("\n".join(lines))


def register(sub: Any) -> None:
    """Add `emulate`, `status`, `rollback`, `logs`, `wait`, `secrets set`, `bootstrap`, `preflight`."""

    def stack(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stack", required=True, type=stack_name, help="stack name (a Pulumi.<stack>.yaml)")

    def timeout(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--timeout",
            type=seconds,
            default=None,
            help=f"seconds to wait (default {DEFAULT_TIMEOUT} plus the stack file's canary/linear steps and bake time)",
        )

    p = sub.add_parser(
        "emulate", help="deploy the stack into the AWS API at AWS_ENDPOINT_URL (e.g. moto_server)"
    )
    stack(p)
    p.set_defaults(func=cmd_emulate)

    p = sub.add_parser(
        "status", help="desired/running/pending, revision, deployments, stop reasons per service"
    )
    stack(p)
    p.add_argument("--service", choices=SERVICE_NAMES, help="one service (default: all)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("rollback", help="point a service at an earlier task-definition revision and wait")
    stack(p)
    p.add_argument("--service", required=True, choices=SERVICE_NAMES)
    p.add_argument(
        "--to", type=int, metavar="REVISION", help="revision (default: the one before the current)"
    )
    p.add_argument("--no-wait", action="store_true", help="return once the deployment has started")
    timeout(p)
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("logs", help="events of a service's log group (all tasks), optionally followed")
    stack(p)
    p.add_argument("--service", required=True, choices=SERVICE_NAMES)
    p.add_argument("--since", type=parse_duration, default=parse_duration("15m"), help="30s, 15m, 2h, 1d")
    p.add_argument("--follow", action="store_true", help="keep polling until Ctrl-C")
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("wait", help="wait until every service is stable")
    stack(p)
    p.add_argument("--service", choices=SERVICE_NAMES, help="one service (default: all)")
    timeout(p)
    p.set_defaults(func=cmd_wait)

    secrets_cli.register(sub)
    bootstrap.register(sub)
    preflight.register(sub)
