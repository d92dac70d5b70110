"""What the runbook commands do, as functions of boto3 clients (and a clock).

ECS (describe, wait until stable, roll back to a task-definition revision, why tasks stopped) and
CloudWatch Logs (tail, follow). Tests drive them against moto and simulate waiting without sleeping.
Every user-caused failure is one line (`UserError`).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from botocore.exceptions import ClientError

from arbiter_tools.command_support import aws_errors
from arbiter_tools.errors import UserError

POLL_SECONDS = 10.0
FOLLOW_POLL_SECONDS = 2.0
#: `logs --follow` stops by itself after this many polls (about an hour), or on Ctrl-C.
FOLLOW_MAX_POLLS = 1800
STOPPED_TASKS_SHOWN = 5

Describe = Callable[[], list[dict[str, Any]]]


def _user_error(message: str) -> Exception:
    return UserError(message)


def _revision(task_definition_arn: str) -> int:
    return int(task_definition_arn.rsplit(":", 1)[1])


def _family(task_definition_arn: str) -> str:
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


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
