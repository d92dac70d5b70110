"""Rollback and troubleshooting as commands, plus `emulate`.

`status`, `rollback`, `logs` and `wait` use boto3 with the standard credential chain and the
stack's region, honour `AWS_ENDPOINT_URL`, and find the cluster, services, task-definition
families and log groups by the names the program gives them (`arbiter-<env>`, `trading-core`,
`arbiter-<env>-<service>`, `/ecs/arbiter-<env>-<service>`). They never invent credentials: only
`emulate` may use dummy ones, and only against an emulator endpoint.

The logic lives in functions that take boto3 clients (and a clock), so tests drive them against
moto and simulate waiting without sleeping. Every user-caused failure is one line (`UserError`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from arbiter_infra.config import PROJECT, SERVICE_NAMES
from arbiter_tools.errors import UserError

DEFAULT_TIMEOUT = 600
POLL_SECONDS = 10.0
FOLLOW_POLL_SECONDS = 2.0
#: `logs --follow` stops by itself after this many polls (about an hour), or on Ctrl-C.
FOLLOW_MAX_POLLS = 1800
STOPPED_TASKS_SHOWN = 5
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Describe = Callable[[], list[dict[str, Any]]]


def _user_error(message: str) -> Exception:
    return UserError(message)


# --- names ----------------------------------------------------------------------------------


def cluster_name(stack: str) -> str:
    return f"{PROJECT}-{stack}"


def family_name(stack: str, service: str) -> str:
    return f"{PROJECT}-{stack}-{service}"


def log_group_name(stack: str, service: str) -> str:
    return f"/ecs/{PROJECT}-{stack}-{service}"


def stack_region(stack: str) -> str:
    """`aws:region` from the stack file (the program's region), default us-east-1."""
    from arbiter_tools.runtime import REGION, read_stack_file

    values, _ = read_stack_file(stack)
    return values.get("aws:region", REGION)


def seconds(text: str) -> float:
    """argparse type for `--timeout`: checked before anything is changed (0 = do not wait)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return value


def stack_name(text: str) -> str:
    """argparse type for `--stack`: any stack of the project (its Pulumi.<stack>.yaml exists)."""
    from arbiter_tools.runtime import stack_names

    known = stack_names()
    if text not in known:
        raise argparse.ArgumentTypeError(
            f"{text!r}: no Pulumi.{text}.yaml (known stacks: {', '.join(known)})"
        )
    return text


def parse_duration(text: str) -> int:
    """`30s`, `15m`, `2h`, `1d` -> seconds (argparse type: bad input is a one-line usage error)."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30s, 15m, 2h or 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _revision(task_definition_arn: str) -> int:
    return int(task_definition_arn.rsplit(":", 1)[1])


def _family(task_definition_arn: str) -> str:
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


# --- AWS errors -> one line -----------------------------------------------------------------


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn the AWS failures a user can cause into one-line `UserError`s."""
    try:
        yield
    except NoCredentialsError:
        raise _user_error(
            "no AWS credentials found: configure them (`aws configure`, `aws sso login` with AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        ) from None
    except EndpointConnectionError as err:
        raise _user_error(f"{what}: cannot reach the AWS API at {err.kwargs.get('endpoint_url')}") from None
    except ClientError as err:
        error = err.response.get("Error", {})
        code, message = error.get("Code", "Error"), " ".join(str(error.get("Message", "")).split())
        if code == "ClusterNotFoundException":
            raise _user_error(f"{what}: {message or 'cluster not found'}: nothing deployed?") from None
        raise _user_error(f"{what}: {code}: {message}") from None
    except BotoCoreError as err:
        raise _user_error(f"{what}: {' '.join(str(err).split())}") from None


# --- ECS ------------------------------------------------------------------------------------


def describe_services(ecs: Any, cluster: str, services: Sequence[str]) -> list[dict[str, Any]]:
    """The services, in the order asked; a missing cluster or service is a one-line error."""
    with aws_errors(f"describe services in cluster {cluster}"):
        resp = ecs.describe_services(cluster=cluster, services=list(services))
    missing = [f["arn"].rsplit("/", 1)[-1] for f in resp.get("failures", [])]
    if missing:
        raise _user_error(f"service {', '.join(missing)} not found in cluster {cluster}: nothing deployed?")
    found = {s["serviceName"]: s for s in resp["services"]}
    inactive = [n for n in services if found.get(n, {}).get("status") == "INACTIVE"]
    if inactive:
        raise _user_error(f"service {', '.join(inactive)} in cluster {cluster} is INACTIVE (deleted)")
    return [found[n] for n in services]


def is_stable(service: dict[str, Any]) -> bool:
    """What `aws ecs wait services-stable` means: one deployment, rolled out, running == desired."""
    deployments = service.get("deployments", [])
    if len(deployments) != 1 or deployments[0].get("status") != "PRIMARY":
        return False
    rollout = deployments[0].get("rolloutState")
    if rollout is not None and rollout != "COMPLETED":
        return False
    return service.get("runningCount") == service.get("desiredCount")


def _progress(service: dict[str, Any]) -> str:
    deployments = service.get("deployments", [])
    primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    rev = _revision(service["taskDefinition"])
    return (
        f"{service['serviceName']} rev {rev}: running {service.get('runningCount', 0)}/"
        f"{service.get('desiredCount', 0)}, {len(deployments)} deployment(s), "
        f"rollout {primary.get('rolloutState', 'n/a')}"
    )


def wait_stable(
    describe: Describe,
    *,
    timeout: float,
    out: TextIO,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = POLL_SECONDS,
) -> None:
    """Poll until every service is stable, printing progress; one-line error on timeout."""
    start = clock()
    while True:
        services = describe()
        elapsed = clock() - start
        pending = [s for s in services if not is_stable(s)]
        print(f"[{elapsed:4.0f}s] " + "; ".join(_progress(s) for s in services), file=out, flush=True)
        if not pending:
            print("stable: " + ", ".join(s["serviceName"] for s in services), file=out)
            return
        if elapsed >= timeout:
            raise _user_error(
                f"timed out after {timeout:g}s waiting for {', '.join(s['serviceName'] for s in pending)} "
                f"to be stable ({'; '.join(_progress(s) for s in pending)})"
            )
        sleep(min(interval, max(timeout - elapsed, 0.0)) or interval)


def task_definition_revisions(ecs: Any, family: str) -> list[int]:
    """ACTIVE revisions of exactly `family`, ascending (moto ignores `sort`, so sort here)."""
    revisions: list[int] = []
    with aws_errors(f"list task definitions of {family}"):
        for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE"):
            revisions += [_revision(a) for a in page["taskDefinitionArns"] if _family(a) == family]
    return sorted(set(revisions))


def rollback(
    ecs: Any, cluster: str, service: str, family: str, *, to: int | None, out: TextIO
) -> tuple[int, int] | None:
    """Point `service` at revision `to`; None if it already runs it.

    The default target is the revision before the family's newest one, not before the one the
    service runs: re-running a rollback (say, after its wait timed out) targets the same revision
    again instead of stepping back one more. Going further back takes an explicit `--to`.
    """
    current_arn = describe_services(ecs, cluster, [service])[0]["taskDefinition"]
    current = _revision(current_arn)
    revisions = task_definition_revisions(ecs, family)
    if _family(current_arn) != family:
        raise _user_error(
            f"service {service} runs {_family(current_arn)}, not family {family}: refusing to switch"
        )
    if to is None:
        earlier = [r for r in revisions if r < max(revisions, default=current)]
        if not earlier:
            raise _user_error(f"{family}: no revision before the newest ({current}) to roll back to")
        to = earlier[-1]
    elif to not in revisions:
        known = ", ".join(str(r) for r in revisions[-10:]) or "none"
        raise _user_error(f"{family}: revision {to} not found (active revisions: {known})")
    if to == current:
        print(f"{service} already runs {family}:{to}: nothing to do", file=out)
        return None
    with aws_errors(f"update service {service}"):
        ecs.update_service(cluster=cluster, service=service, taskDefinition=f"{family}:{to}")
    print(f"{service}: {family}:{current} -> {family}:{to} (deployment started)", file=out)
    return current, to


def stopped_task_reasons(ecs: Any, cluster: str, service: str, limit: int = STOPPED_TASKS_SHOWN) -> list[str]:
    """Why recent tasks of `service` stopped (the guide's `describe-tasks` step)."""
    with aws_errors(f"list stopped tasks of {service}"):
        arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED")["taskArns"][
            :limit
        ]
        if not arns:
            return []
        tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
    # A service's tasks carry `group: service:<name>` (the filter above is not honoured everywhere).
    tasks = [t for t in tasks if t.get("group", f"service:{service}") == f"service:{service}"]
    lines = []
    for task in tasks:
        containers = "; ".join(
            f"{c.get('name')}: exit {c.get('exitCode', '?')} {c.get('reason', '')}".rstrip()
            for c in task.get("containers", [])
            if c.get("exitCode") not in (None, 0) or c.get("reason")
        )
        rev = _revision(task["taskDefinitionArn"]) if task.get("taskDefinitionArn") else "?"
        reason = task.get("stoppedReason", "no reason reported")
        lines.append(
            f"task {task['taskArn'].rsplit('/', 1)[-1]} (rev {rev}): {reason}"
            + (f" [{containers}]" if containers else "")
        )
    return lines


def status(ecs: Any, cluster: str, services: Sequence[str], out: TextIO) -> None:
    """Per service: counts, revision, deployments and rollout state, recent stop reasons."""
    for svc in describe_services(ecs, cluster, services):
        print(
            f"{svc['serviceName']}: {_family(svc['taskDefinition'])}:{_revision(svc['taskDefinition'])}  "
            f"desired {svc.get('desiredCount', 0)}  running {svc.get('runningCount', 0)}  "
            f"pending {svc.get('pendingCount', 0)}  {'stable' if is_stable(svc) else 'NOT stable'}",
            file=out,
        )
        for d in svc.get("deployments", []):
            print(
                f"  deployment {d.get('status')}: rev {_revision(d['taskDefinition'])}  "
                f"rollout {d.get('rolloutState', 'n/a')}  running {d.get('runningCount', 0)}/"
                f"{d.get('desiredCount', 0)}  failed {d.get('failedTasks', 0)}"
                + (f"  ({d['rolloutStateReason']})" if d.get("rolloutStateReason") else ""),
                file=out,
            )
        reasons = stopped_task_reasons(ecs, cluster, svc["serviceName"])
        print(f"  stopped tasks: {len(reasons) or 'none recently'}", file=out)
        for line in reasons:
            print(f"    {line}", file=out)


# --- Logs -----------------------------------------------------------------------------------


def _print_events(events: list[dict[str, Any]], seen: set[str], out: TextIO) -> None:
    for e in events:
        if e["eventId"] in seen:
            continue
        seen.add(e["eventId"])
        ts = datetime.datetime.fromtimestamp(e["timestamp"] / 1000, datetime.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        print(f"{ts} {e.get('logStreamName', '')} {e['message'].rstrip()}", file=out)


def fetch_logs(logs: Any, group: str, start_ms: int, seen: set[str], out: TextIO) -> int:
    """Print every event of `group` since `start_ms` not printed before; return the newest timestamp."""
    newest = start_ms
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    with aws_errors(f"read log group {group}"):
        while True:
            try:
                page = logs.filter_log_events(**kwargs)
            except ClientError as err:
                if err.response["Error"]["Code"] == "ResourceNotFoundException":
                    raise _user_error(f"log group {group} not found: nothing deployed?") from None
                raise
            events = sorted(page.get("events", []), key=lambda e: e["timestamp"])
            _print_events(events, seen, out)
            newest = max([newest, *(e["timestamp"] for e in events)])
            if not page.get("nextToken") or page["nextToken"] == kwargs.get("nextToken"):
                return newest
            kwargs["nextToken"] = page["nextToken"]


def tail_logs(
    logs: Any,
    group: str,
    since_seconds: int,
    *,
    follow: bool,
    out: TextIO,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int = FOLLOW_MAX_POLLS,
) -> None:
    """The guide's `get-log-events` step over all streams; `follow` polls (bounded) until Ctrl-C."""
    seen: set[str] = set()
    start = int((clock() - since_seconds) * 1000)
    newest = fetch_logs(logs, group, start, seen, out)
    if not seen:
        print(f"(no events in {group} in the last {since_seconds}s)", file=out, flush=True)
    if not follow:
        return
    try:
        for _ in range(max_polls):
            sleep(FOLLOW_POLL_SECONDS)
            # Overlap one second: events can land late; `seen` drops the repeats.
            newest = fetch_logs(logs, group, max(newest - 1000, start), seen, out)
    except KeyboardInterrupt:
        print("(stopped following)", file=out)


# --- Commands -------------------------------------------------------------------------------


def _client(stack: str, service: str) -> Any:
    """A client with the standard credential chain and the stack's region (never dummy credentials)."""
    import boto3  # here, not at module level: `plan` imports this module and never needs boto3

    with aws_errors("AWS configuration"):
        session = boto3.Session(region_name=os.environ.get("AWS_REGION") or stack_region(stack))
        return session.client(service)


def _services(args: argparse.Namespace) -> list[str]:
    return [args.service] if getattr(args, "service", None) else list(SERVICE_NAMES)


def cmd_status(args: argparse.Namespace) -> int:
    status(_client(args.stack, "ecs"), cluster_name(args.stack), _services(args), sys.stdout)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    ecs = _client(args.stack, "ecs")
    cluster = cluster_name(args.stack)
    done = rollback(
        ecs, cluster, args.service, family_name(args.stack, args.service), to=args.to, out=sys.stdout
    )
    if done is None or args.no_wait:
        return 0
    wait_stable(lambda: describe_services(ecs, cluster, [args.service]), timeout=args.timeout, out=sys.stdout)
    return 0


def cmd_wait(args: argparse.Namespace) -> int:
    ecs = _client(args.stack, "ecs")
    cluster = cluster_name(args.stack)
    services = _services(args)
    wait_stable(lambda: describe_services(ecs, cluster, services), timeout=args.timeout, out=sys.stdout)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    logs = _client(args.stack, "logs")
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
            default=DEFAULT_TIMEOUT,
            help=f"seconds to wait (default {DEFAULT_TIMEOUT})",
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

    from arbiter_tools import bootstrap, preflight, secrets_cli  # they build on this module's helpers

    secrets_cli.register(sub)
    bootstrap.register(sub)
    preflight.register(sub)
