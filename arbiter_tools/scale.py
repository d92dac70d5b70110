"""`arbiter-infra scale`: set a service's task count now and in its stack file, in one command.

This is the "stop trading now" switch (`--service trading-core --count 0`) and its reverse. The
count is applied to the running ECS service at once (no `pulumi up` needed in an incident) and
written to `Pulumi.<stack>.yaml`, so the next `pulumi up` or CI deploy keeps it instead of
restoring the old count. Commit the stack file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TextIO

from arbiter_infra.config import SERVICE_NAMES, ConfigError, StackConfig, parse_stack_values
from arbiter_tools.command_support import aws_errors, client_for, seconds
from arbiter_tools.errors import UserError
from arbiter_tools.operations import describe_services, wait_stable
from arbiter_tools.runbook import cluster_name
from arbiter_tools.runtime import PROJECT_DIR, read_stack_file

#: Stack-file key of each service's section under `arbiter:services`.
SERVICE_KEYS = {"trading-core": "tradingCore", "telegram-bot": "telegramBot", "web-api": "webApi"}


def _user_error(message: str) -> Exception:
    return UserError(message)


def _count(text: str) -> int:
    """argparse type: a whole number of tasks, 0 or more."""
    if not re.fullmatch(r"\d{1,4}", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a task count (a whole number from 0 to 9999)")
    return int(text)


def rewrite_desired_count(text: str, service_key: str, count: int) -> tuple[str, int]:
    """The stack file with `desiredCount` of one service replaced, comments and layout kept.

    Returns the new text and the old count. Refuses a file whose layout it cannot edit safely
    (the key missing or there more than once) rather than guess.
    """
    lines = text.splitlines(keepends=True)
    in_services = in_service = False
    service_indent = -1
    hits: list[int] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent <= 2:
            in_services = stripped.startswith("arbiter:services:")
            in_service = False
            continue
        if in_services and stripped.startswith(f"{service_key}:"):
            in_service, service_indent = True, indent
            continue
        if in_service and indent <= service_indent:
            in_service = False
        if in_service and re.match(r"desiredCount:\s*\d+\s*(#.*)?$", stripped):
            hits.append(i)
    if len(hits) != 1:
        raise _user_error(
            f"cannot find exactly one arbiter:services.{service_key}.desiredCount in the stack file "
            f"(found {len(hits)}): set it with `pulumi config set --path arbiter:services.{service_key}.desiredCount {count}`"
        )
    old_line = lines[hits[0]]
    old = int(re.search(r"desiredCount:\s*(\d+)", old_line).group(1))  # type: ignore[union-attr]
    lines[hits[0]] = re.sub(r"(desiredCount:\s*)\d+", rf"\g<1>{count}", old_line, count=1)
    return "".join(lines), old


def plan_scale(
    stack: str, service: str, count: int, project_dir: Path = PROJECT_DIR
) -> tuple[str, int, StackConfig]:
    """Validate the new count against every config rule; returns the new file text, old count, new config."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    values, _ = read_stack_file(stack, project_dir)
    current = parse_stack_values(values)
    svc = current.services.by_name()[service]
    if svc.autoscaled:
        raise _user_error(
            f"--service {service}: autoscaled between minCount {svc.min_count} and maxCount {svc.max_count}; "
            "change those in the stack file instead"
        )
    text, old = rewrite_desired_count(path.read_text(), SERVICE_KEYS[service], count)
    new_values = {**values}
    new_values["arbiter:services"] = _services_json(values["arbiter:services"], SERVICE_KEYS[service], count)
    try:
        config = parse_stack_values(new_values)
    except ConfigError as err:
        raise _user_error(f"--count {count}: {err}") from None
    return text, old, config


def _services_json(services_json: str, key: str, count: int) -> str:
    import json

    services = json.loads(services_json)
    services[key]["desiredCount"] = count
    return json.dumps(services)


def scale(ecs: object, cluster: str, service: str, count: int) -> None:
    with aws_errors(f"scale {service} in cluster {cluster}"):
        ecs.update_service(cluster=cluster, service=service, desiredCount=count)  # type: ignore[attr-defined]


def cmd_scale(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    text, old, _config = plan_scale(args.stack, args.service, args.count, args.project_dir)
    cluster = cluster_name(args.stack)
    if not args.file_only:
        ecs = client_for(args.stack, "ecs")
        # The live service first: if AWS refuses, the stack file is left as it was.
        describe_services(ecs, cluster, [args.service])
        scale(ecs, cluster, args.service, args.count)
        print(f"{args.service}: desired count {old} -> {args.count} in cluster {cluster}", file=out)
    path = args.project_dir / f"Pulumi.{args.stack}.yaml"
    path.write_text(text)
    print(
        f"{path.name}: services.{SERVICE_KEYS[args.service]}.desiredCount {old} -> {args.count}; commit it",
        file=out,
    )
    if not args.file_only and not args.no_wait:
        wait_stable(lambda: describe_services(ecs, cluster, [args.service]), timeout=args.timeout, out=out)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scale",
        help="set a service's task count now and in its stack file (count 0 stops trading-core)",
    )
    p.add_argument("--stack", required=True, help="environment stack (staging, prod, ...)")
    p.add_argument("--service", required=True, choices=SERVICE_NAMES)
    p.add_argument("--count", required=True, type=_count, help="tasks to run; 0 stops the service")
    p.add_argument("--file-only", action="store_true", help="only edit the stack file (apply with pulumi up)")
    p.add_argument("--no-wait", action="store_true", help="return once the change is requested")
    p.add_argument(
        "--timeout", type=seconds, default=600.0, help="seconds to wait for the service (default 600)"
    )
    p.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_scale)
