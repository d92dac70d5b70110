"""`db-upgrade`: an Aurora PostgreSQL major upgrade through an RDS blue/green deployment.

An in-place major upgrade (what changing `database.engineVersion` and `pulumi up` does) takes the
cluster down for the whole upgrade. A blue/green deployment copies the cluster (green), upgrades
the copy while logical replication keeps it in sync, and switches the endpoints over in about a
minute; the old cluster stays, renamed `<id>-old1`. The command:

1. checks, before changing anything: the target is a later major the catalog allows for the
   stack's instance classes (`catalog.AURORA_MAJOR_INSTANCE_CLASSES`), the cluster runs the major
   the stack file declares, no blue/green deployment already holds it, the writer runs with
   `rds.logical_replication=1` (AWS creates none without it), and AWS lists an upgrade path;
2. creates the target major's cluster parameter group (`<cluster>-pg<major>-bluegreen`) with the
   current group's modified parameters (the program's, read from AWS), or reuses it;
3. turns the RDS-managed master password (which blue/green deployments do not support) into a
   self-managed one with the same password, so running tasks keep connecting; `pulumi up` turns
   management back on afterwards;
4. creates the deployment (TargetEngineVersion, TargetDBClusterParameterGroupName), waits until
   green is AVAILABLE, switches over with AWS's SwitchoverTimeout, and checks the cluster runs the
   new major;
5. prints what the operator runs to bring the stack file and the Pulumi state in line, and what
   `plan --state` must show.

Every refusal is one line (`UserError`) and comes before the first change. A switchover that does
not complete is rolled back by RDS: the command says so and leaves the deployment to inspect. Run
again, it takes up its own deployment where an earlier run left it (its wait timed out, say).
AWS calls are functions of boto3 clients (tested against moto) with an injectable clock.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from botocore.exceptions import ClientError

from arbiter_infra import catalog
from arbiter_infra.config import PROJECT
from arbiter_tools.command_support import aws_errors, client_for, seconds, stack_name
from arbiter_tools.errors import UserError

ENGINE = "aurora-postgresql"
#: Waiting for green: a clone plus an engine upgrade per instance (minutes to hours).
DEFAULT_SYNC_TIMEOUT = 4 * 3600.0
#: AWS's default SwitchoverTimeout; the API takes 30 to 3600 seconds.
DEFAULT_SWITCHOVER_TIMEOUT = 300
SWITCHOVER_LIMITS = (30, 3600)
POLL_SECONDS = 30.0
#: After asking for a switchover, how long beyond its timeout to wait for RDS to report the end.
SWITCHOVER_GRACE_SECONDS = 120.0
#: ModifyDBClusterParameterGroup takes at most 20 parameters per call.
PARAMETERS_PER_CALL = 20
#: Said with any failure after the master password stopped being RDS-managed.
PASSWORD_NOTE = (
    "The master password is self-managed since this run (blue/green needs it; RDS deleted its managed "
    "secret, so the database-users function cannot log in until then): once no deployment holds the "
    "cluster (resume or delete it), `pulumi up --refresh --stack {stack}` twice turns RDS management "
    "back on and gives the function the new secret."
)
#: What AWS requires of an Aurora PostgreSQL blue cluster (Aurora User Guide,
#: blue-green-deployments-creating, "Preparing an Aurora PostgreSQL DB cluster").
LOGICAL_REPLICATION = "rds.logical_replication"

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def _user_error(message: str) -> Exception:
    return UserError(message)


def major_of(version: str) -> str:
    return version.split(".", 1)[0]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


# --- names ----------------------------------------------------------------------------------


def cluster_id(stack: str) -> str:
    """The program's cluster identifier (`Naming("aurora", kind="rds")`)."""
    return f"{PROJECT}-{stack}-aurora"


def program_group(stack: str, major: str) -> str:
    """The program's cluster parameter group of a major (components/database.py)."""
    return f"{cluster_id(stack)}-pg{major}"


def bluegreen_group(stack: str, major: str) -> str:
    """The green cluster's parameter group. Not the program's name: `pulumi up` creates that one
    after the upgrade (it could not adopt a group created outside it under the same name)."""
    return f"{program_group(stack, major)}-bluegreen"


def deployment_name(stack: str, major: str) -> str:
    return f"{cluster_id(stack)}-to-{major}"


# --- the offline checks ---------------------------------------------------------------------


def major_argument(text: str) -> str:
    """argparse type for `--to`: a major of the catalog, named as the stack file names it."""
    if text not in catalog.AURORA_POSTGRES_MAJORS:
        allowed = ", ".join(catalog.AURORA_POSTGRES_MAJORS)
        hint = (
            f' (the major only: "{major_of(text)}")'
            if major_of(text) in catalog.AURORA_POSTGRES_MAJORS
            else ""
        )
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an Aurora PostgreSQL major this project deploys{hint}; allowed: {allowed}"
        )
    return text


def switchover_seconds(text: str) -> int:
    """argparse type for `--switchover-timeout`: what AWS's SwitchoverTimeout accepts."""
    low, high = SWITCHOVER_LIMITS
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds from {low} to {high}")
    return value


def check_target(current_major: str, to: str, instance_classes: list[str], *, what: str) -> None:
    """A later major than `current_major`, offered for every class; else one line naming what is allowed."""
    if _version_key(to) <= _version_key(current_major):
        later = [m for m in catalog.AURORA_POSTGRES_MAJORS if _version_key(m) > _version_key(current_major)]
        word = "the major it runs" if to == current_major else "a downgrade (RDS has none)"
        raise _user_error(
            f"--to {to}: {what} is on {current_major}; {to} is {word}; "
            f"allowed: {', '.join(later) or 'none (already on the newest major the catalog has)'}"
        )
    offered = catalog.AURORA_MAJOR_INSTANCE_CLASSES[to]
    refused = sorted({c for c in instance_classes if c not in offered})
    if refused:
        raise _user_error(
            f"--to {to}: AWS does not offer Aurora PostgreSQL {to} on {', '.join(refused)} ({what}); "
            f"change database.instanceClass to one of {', '.join(offered)} first"
        )


# --- AWS: reading -----------------------------------------------------------------------------


def describe_cluster(rds: Any, identifier: str) -> dict[str, Any]:
    with aws_errors(f"describe DB cluster {identifier}"):
        try:
            clusters = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        except ClientError as err:
            if err.response["Error"]["Code"] == "DBClusterNotFoundFault":
                raise _user_error(f"DB cluster {identifier} not found: nothing deployed?") from None
            raise
    cluster: dict[str, Any] = clusters[0]
    return cluster


def instance_classes(rds: Any, cluster: dict[str, Any]) -> dict[str, str]:
    """Instance identifier -> class of the cluster's members."""
    found: dict[str, str] = {}
    for member in cluster.get("DBClusterMembers", []):
        ident = member["DBInstanceIdentifier"]
        with aws_errors(f"describe DB instance {ident}"):
            instance = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        found[ident] = instance["DBInstanceClass"]
    return dict(sorted(found.items()))


def deployments_of(rds: Any, cluster_arn: str) -> list[dict[str, Any]]:
    """Blue/green deployments whose blue or green is this cluster (RDS allows one at a time)."""
    found: list[dict[str, Any]] = []
    with aws_errors("describe blue/green deployments"):
        for side in ("source", "target"):
            resp = rds.describe_blue_green_deployments(Filters=[{"Name": side, "Values": [cluster_arn]}])
            found += [d for d in resp.get("BlueGreenDeployments", []) if d not in found]
    return found


def user_parameters(rds: Any, group: str) -> list[dict[str, Any]]:
    """The parameters set in `group` (Source=user): the program's, plus anything set by hand."""
    params: list[dict[str, Any]] = []
    with aws_errors(f"describe cluster parameter group {group}"):
        marker: dict[str, str] = {}
        while True:
            page = rds.describe_db_cluster_parameters(
                DBClusterParameterGroupName=group, Source="user", **marker
            )
            params += [p for p in page.get("Parameters", []) if p.get("Source", "user") == "user"]
            if not page.get("Marker"):
                return params
            marker = {"Marker": page["Marker"]}


def check_logical_replication(rds: Any, cluster: dict[str, Any]) -> str:
    """The blue cluster's group turns logical replication on and its writer runs with it."""
    group = cluster["DBClusterParameterGroup"]
    values = {p["ParameterName"]: str(p.get("ParameterValue", "")) for p in user_parameters(rds, group)}
    if values.get(LOGICAL_REPLICATION) != "1":
        raise _user_error(
            f"cluster parameter group {group} does not set {LOGICAL_REPLICATION}=1, which AWS requires "
            "for a blue/green deployment: `pulumi up` the current program (it sets it), reboot the writer "
            "in a quiet moment, then re-run"
        )
    if values.get("synchronous_commit", "on") != "on":
        raise _user_error(
            f"cluster parameter group {group} sets synchronous_commit={values['synchronous_commit']}: AWS "
            "requires on for a blue/green deployment; remove the override, then re-run"
        )
    stale = [
        m["DBInstanceIdentifier"]
        for m in cluster.get("DBClusterMembers", [])
        if m.get("IsClusterWriter") and m.get("DBClusterParameterGroupStatus", "in-sync") != "in-sync"
    ]
    if stale:
        raise _user_error(
            f"writer {', '.join(stale)} does not run with {group} yet (pending-reboot): AWS creates a "
            f"blue/green deployment only once it does; reboot it (`aws rds reboot-db-instance "
            f"--db-instance-identifier {stale[0]}`) in a quiet moment, then re-run"
        )
    return group


def upgrade_target(rds: Any, current: str, to: str) -> str:
    """The newest version of major `to` that AWS lists as a valid upgrade target of `current`."""
    with aws_errors(f"describe Aurora PostgreSQL {current}"):
        versions = rds.describe_db_engine_versions(Engine=ENGINE, EngineVersion=current)["DBEngineVersions"]
    targets = sorted(
        {
            t["EngineVersion"]
            for v in versions
            for t in v.get("ValidUpgradeTarget", [])
            if t.get("Engine", ENGINE) == ENGINE and major_of(t["EngineVersion"]) == to
        },
        key=_version_key,
    )
    if not targets:
        raise _user_error(
            f"AWS lists no upgrade from Aurora PostgreSQL {current} to {to}: let the cluster take the "
            "newest minor of its major first (maintenance window, or `aws rds modify-db-cluster "
            "--engine-version ...`), then re-run"
        )
    return targets[-1]


# --- AWS: changing ----------------------------------------------------------------------------


def ensure_parameter_group(
    rds: Any, *, name: str, family: str, copy_from: str, description: str, tags: list[dict[str, str]]
) -> str:
    """Create `name` (family `family`) with `copy_from`'s modified parameters, or reuse it.

    A group of that name in another family is refused; one this call created is deleted again
    when AWS rejects a parameter (say, one the new major no longer has).
    """
    with aws_errors(f"describe cluster parameter group {name}"):
        try:
            found = rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name)[
                "DBClusterParameterGroups"
            ]
        except ClientError as err:
            if err.response["Error"]["Code"] not in (
                "DBParameterGroupNotFound",
                "DBParameterGroupNotFoundFault",
            ):
                raise
            found = []
    if found:
        if found[0]["DBParameterGroupFamily"] != family:
            raise _user_error(
                f"cluster parameter group {name} exists in family {found[0]['DBParameterGroupFamily']}, "
                f"not {family}: delete it (`aws rds delete-db-cluster-parameter-group "
                f"--db-cluster-parameter-group-name {name}`) and re-run"
            )
        return "reused"
    params = [
        {
            "ParameterName": p["ParameterName"],
            "ParameterValue": p["ParameterValue"],
            "ApplyMethod": "pending-reboot"
            if p.get("ApplyType") == "static"
            else p.get("ApplyMethod", "immediate"),
        }
        for p in user_parameters(rds, copy_from)
        if "ParameterValue" in p
    ]
    with aws_errors(f"create cluster parameter group {name}"):
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=name,
            DBParameterGroupFamily=family,
            Description=description,
            Tags=tags,
        )
    try:
        with aws_errors(f"set the parameters of {name} (copied from {copy_from})"):
            for i in range(0, len(params), PARAMETERS_PER_CALL):
                rds.modify_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=params[i : i + PARAMETERS_PER_CALL]
                )
    except UserError:
        with aws_errors(f"delete cluster parameter group {name}"):
            rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName=name)
        raise
    names = ", ".join(f"{p['ParameterName']}={p['ParameterValue']}" for p in params)
    return f"created ({family}) with {copy_from}'s {names or 'defaults'}"


def wait_cluster_available(
    rds: Any, identifier: str, *, timeout: float, clock: Clock, sleep: Sleep, interval: float
) -> None:
    start = clock()
    while (status := describe_cluster(rds, identifier).get("Status", "available")) != "available":
        if clock() - start >= timeout:
            raise _user_error(
                f"timed out after {timeout:g}s waiting for {identifier} to be available ({status})"
            )
        sleep(interval)


def unmanage_master_password(rds: Any, secrets: Any, cluster: dict[str, Any]) -> str:
    """Keep the master password, but not in an RDS-managed secret (blue/green does not support one).

    The password is read from the managed secret and handed back to RDS, never printed or stored:
    tasks started with it keep connecting. RDS deletes the managed secret.
    """
    secret_arn = cluster["MasterUserSecret"]["SecretArn"]
    with aws_errors("read the RDS-managed master secret"):
        value = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
    with aws_errors(f"modify DB cluster {cluster['DBClusterIdentifier']}"):
        rds.modify_db_cluster(
            DBClusterIdentifier=cluster["DBClusterIdentifier"],
            ManageMasterUserPassword=False,
            MasterUserPassword=value["password"],
            ApplyImmediately=True,
        )
    return str(secret_arn)


def describe_deployment(rds: Any, identifier: str) -> dict[str, Any]:
    with aws_errors(f"describe blue/green deployment {identifier}"):
        found: dict[str, Any] = rds.describe_blue_green_deployments(BlueGreenDeploymentIdentifier=identifier)[
            "BlueGreenDeployments"
        ][0]
    return found


def _in_sync(deployment: dict[str, Any]) -> bool:
    details = deployment.get("SwitchoverDetails", [])
    return deployment["Status"] == "AVAILABLE" and all(
        d.get("Status", "AVAILABLE") == "AVAILABLE" for d in details
    )


def _progress(deployment: dict[str, Any]) -> str:
    details = deployment.get("StatusDetails")
    tasks = ", ".join(f"{t['Name']} {t['Status']}" for t in deployment.get("Tasks", []))
    return (
        f"{deployment['Status']}"
        + (f" ({details})" if details else "")
        + (f"; tasks: {tasks}" if tasks else "")
    )


def _state(deployment: dict[str, Any]) -> str:
    """The status for a one-line error: short enough to leave room for what to do."""
    details = " ".join(str(deployment.get("StatusDetails", "")).split())[:80]
    return deployment.get("Status", "no status") + (f": {details}" if details else "")


def _polls(clock: Clock, sleep: Sleep, interval: float, deadline: float) -> Iterator[float]:
    """Elapsed seconds at each poll until `deadline` seconds have passed (the last poll is at or after it)."""
    start = clock()
    while True:
        elapsed = clock() - start
        yield elapsed
        if elapsed >= deadline:
            return
        sleep(min(interval, deadline - elapsed))


def _leave_for_operator(identifier: str) -> str:
    """The one-line error's end; `_guidance` has printed the commands above it."""
    return f"{identifier} is left as it is (what to do: above)"


def _guidance(identifier: str, request: Request, out: TextIO) -> None:
    """What the operator can do with a deployment the command stops at (printed before the error)."""
    r = request.region
    lines = [
        f"The blue/green deployment {identifier} is left as it is:",
        f"  inspect: aws rds describe-blue-green-deployments --blue-green-deployment-identifier {identifier} "
        f"--region {r}",
        f"  resume:  ./dev db-upgrade --stack {request.stack} --to {request.to}   (takes it up where it is)",
        f"  delete:  aws rds delete-blue-green-deployment --blue-green-deployment-identifier {identifier} "
        f"--delete-target --region {r}   (before a switchover: deletes green, blue stays)",
    ]
    print("\n".join(lines), file=out, flush=True)


def wait_green(
    rds: Any,
    identifier: str,
    *,
    timeout: float,
    out: TextIO,
    clock: Clock,
    sleep: Sleep,
    interval: float,
) -> dict[str, Any]:
    """Poll until green is AVAILABLE (created, upgraded, replicating); one line on failure or timeout."""
    deployment: dict[str, Any] = {}
    for elapsed in _polls(clock, sleep, interval, timeout):
        deployment = describe_deployment(rds, identifier)
        print(f"[{elapsed:5.0f}s] {identifier}: {_progress(deployment)}", file=out, flush=True)
        if _in_sync(deployment):
            return deployment
        if deployment["Status"] not in ("PROVISIONING", "AVAILABLE"):
            raise _user_error(
                f"green did not become available ({_state(deployment)}); the cluster is unchanged; "
                f"{_leave_for_operator(identifier)}"
            )
    raise _user_error(
        f"timed out after {timeout:g}s waiting for green to be in sync ({_state(deployment)}); the cluster "
        f"is unchanged; {_leave_for_operator(identifier)}"
    )


def switch_over(
    rds: Any,
    identifier: str,
    *,
    switchover_timeout: int,
    out: TextIO,
    clock: Clock,
    sleep: Sleep,
    interval: float,
) -> None:
    """Switch over; RDS rolls a switchover back when it exceeds `switchover_timeout`."""
    with aws_errors(f"switch over {identifier}"):
        rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=identifier, SwitchoverTimeout=switchover_timeout
        )
    deployment: dict[str, Any] = {}
    for elapsed in _polls(clock, sleep, min(interval, 10.0), switchover_timeout + SWITCHOVER_GRACE_SECONDS):
        deployment = describe_deployment(rds, identifier)
        print(f"[{elapsed:5.0f}s] {identifier}: {_progress(deployment)}", file=out, flush=True)
        if deployment["Status"] == "SWITCHOVER_COMPLETED":
            return
        if deployment["Status"] == "SWITCHOVER_FAILED":
            break
    raise _user_error(
        f"the switchover did not complete within its {switchover_timeout}s timeout ({_state(deployment)}): "
        f"RDS rolls it back, blue still serves on the old major; {_leave_for_operator(identifier)}"
    )


# --- the whole upgrade ------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    stack: str
    region: str
    #: The major the stack file declares (`database.engineVersion`) and its instance class.
    declared_major: str
    declared_class: str
    to: str
    sync_timeout: float = DEFAULT_SYNC_TIMEOUT
    switchover_timeout: int = DEFAULT_SWITCHOVER_TIMEOUT


@dataclass(frozen=True)
class Result:
    cluster: str
    old_cluster: str
    from_version: str
    to_version: str
    deployment_id: str
    parameter_group: str
    old_parameter_group: str
    #: The managed master secret deleted on the way (None when the password was not RDS-managed).
    deleted_secret: str | None
    resource_id: str


def _deploy_and_switch(
    rds: Any,
    request: Request,
    cluster: dict[str, Any],
    *,
    version: str,
    group: str,
    tags: list[dict[str, str]],
    existing: dict[str, Any] | None,
    out: TextIO,
    clock: Clock,
    sleep: Sleep,
    interval: float,
) -> tuple[str, dict[str, Any]]:
    """Create the deployment (or take up `existing`), wait for green, switch over; the deployment id
    and the cluster after."""
    ident, to = cluster["DBClusterIdentifier"], request.to
    if existing is None:
        with aws_errors(f"create the blue/green deployment of {ident}"):
            existing = rds.create_blue_green_deployment(
                BlueGreenDeploymentName=deployment_name(request.stack, to),
                Source=cluster["DBClusterArn"],
                TargetEngineVersion=version,
                TargetDBClusterParameterGroupName=group,
                Tags=tags,
            )["BlueGreenDeployment"]
        how = "created"
    else:
        how = f"taken up where an earlier run left it ({existing['Status']})"
    bgd = existing["BlueGreenDeploymentIdentifier"]
    print(
        f"  blue/green deployment {deployment_name(request.stack, to)} ({bgd}): {how}; waiting for green",
        file=out,
        flush=True,
    )
    try:
        wait_green(
            rds,
            bgd,
            timeout=request.sync_timeout,
            out=out,
            clock=clock,
            sleep=sleep,
            interval=interval,
        )
        print(f"  switchover (SwitchoverTimeout {request.switchover_timeout}s)", file=out, flush=True)
        switch_over(
            rds,
            bgd,
            switchover_timeout=request.switchover_timeout,
            out=out,
            clock=clock,
            sleep=sleep,
            interval=interval,
        )
        now = describe_cluster(rds, ident)
        if major_of(now["EngineVersion"]) != to:
            raise _user_error(
                f"{bgd} reports a completed switchover but {ident} runs {now['EngineVersion']}: "
                f"{_leave_for_operator(bgd)}"
            )
    except UserError:
        _guidance(bgd, request, out)
        raise
    return bgd, now


def _resumable(deployment: dict[str, Any], request: Request, cluster: dict[str, Any]) -> bool:
    """This upgrade's own deployment, from an earlier run, not yet switched over or broken."""
    return (
        deployment.get("BlueGreenDeploymentName") == deployment_name(request.stack, request.to)
        and deployment.get("Source") == cluster["DBClusterArn"]
        and deployment["Status"] in ("PROVISIONING", "AVAILABLE")
    )


def upgrade(
    rds: Any,
    secrets: Any,
    request: Request,
    *,
    out: TextIO,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    interval: float = POLL_SECONDS,
) -> Result:
    """Check everything, then upgrade the stack's cluster to `request.to` through blue/green."""
    ident, to = cluster_id(request.stack), request.to
    check_target(request.declared_major, to, [request.declared_class], what=f"Pulumi.{request.stack}.yaml")
    cluster = describe_cluster(rds, ident)
    current = cluster["EngineVersion"]
    if major_of(current) != request.declared_major:
        raise _user_error(
            f"{ident} runs {current} but Pulumi.{request.stack}.yaml declares database.engineVersion "
            f'"{request.declared_major}": bring them in line first (an earlier upgrade not finished? '
            "see docs/runbook.md, db-upgrade)"
        )
    classes = instance_classes(rds, cluster)
    check_target(major_of(current), to, list(classes.values()), what=f"cluster {ident}")
    held = deployments_of(rds, cluster["DBClusterArn"])
    resume = next((d for d in held if _resumable(d, request, cluster)), None)
    if held and resume is None:
        d = held[0]
        raise _user_error(
            f"{ident} is already in blue/green deployment {d['BlueGreenDeploymentIdentifier']} ({d['Status']}): "
            "finish it or delete it (`aws rds delete-blue-green-deployment --blue-green-deployment-identifier "
            f"{d['BlueGreenDeploymentIdentifier']}`) first"
        )
    old_group = check_logical_replication(rds, cluster)
    # A deployment of an earlier run (say, its wait timed out) already has its target version.
    version = upgrade_target(rds, current, to) if resume is None else to
    family = catalog.AURORA_PARAMETER_FAMILY[to]
    group = bluegreen_group(request.stack, to)

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    say(f"{ident}: Aurora PostgreSQL {current} -> {version} through an RDS blue/green deployment")
    say("  instances: " + ", ".join(f"{i} ({c})" for i, c in classes.items()) + f": offered for {to}")
    say(f"  logical replication: on, writer in sync with {old_group}")

    tags = [
        {"Key": "Project", "Value": PROJECT},
        {"Key": "Environment", "Value": request.stack},
        {"Key": "ManagedBy", "Value": "arbiter-infra db-upgrade"},
    ]
    if resume is None:
        how = ensure_parameter_group(
            rds,
            name=group,
            family=family,
            copy_from=old_group,
            description=f"{ident}: green of the upgrade to {to} (parameters of {old_group})",
            tags=tags,
        )
        say(f"  parameter group {group}: {how}")
    # The program has RDS manage the password; an earlier run of this upgrade already turned it off.
    deleted_secret = None if resume is None else "(by the earlier run)"
    if cluster.get("MasterUserSecret"):
        deleted_secret = unmanage_master_password(rds, secrets, cluster)
        wait_cluster_available(
            rds, ident, timeout=request.sync_timeout, clock=clock, sleep=sleep, interval=interval
        )
        say(
            "  master password: was RDS-managed, which blue/green deployments do not support; now "
            "self-managed with the same password (RDS deleted the managed secret; `pulumi up` turns "
            "management back on)"
        )
    try:
        bgd, now = _deploy_and_switch(
            rds,
            request,
            cluster,
            version=version,
            group=group,
            tags=tags,
            existing=resume,
            out=out,
            clock=clock,
            sleep=sleep,
            interval=interval,
        )
    except UserError as err:
        if deleted_secret is None:
            raise
        print(PASSWORD_NOTE.format(stack=request.stack), file=out, flush=True)
        raise _user_error(f"{err}; the master password is self-managed (see above)") from None
    return Result(
        cluster=ident,
        old_cluster=f"{ident}-old1",
        from_version=current,
        to_version=now["EngineVersion"],
        deployment_id=bgd,
        parameter_group=now.get("DBClusterParameterGroup", group),
        old_parameter_group=old_group,
        deleted_secret=deleted_secret,
        resource_id=now.get("DbClusterResourceId", "?"),
    )


def next_steps(request: Request, result: Result) -> list[str]:
    """What the operator runs, in order, to bring the stack file and the Pulumi state in line."""
    s, r, to = request.stack, request.region, request.to
    old_family = catalog.AURORA_PARAMETER_FAMILY[major_of(result.from_version)]
    export = f"{s}-after-upgrade.json"
    return [
        f"Upgraded: {result.cluster} runs {result.to_version} (was {result.from_version}; the old cluster "
        f"is {result.old_cluster}). Same identifier and endpoints; new resource id {result.resource_id}.",
        "Until step 5, new database connections fail (each task role's rds-db:connect names the old "
        "resource id; IAM tokens are checked at login, so open connections stay)"
        + (
            " and the database-users function cannot read the master secret (RDS deleted it)"
            if result.deleted_secret
            else ""
        )
        + ". Do steps 1-5 now:",
        f'  1. Pulumi.{s}.yaml: set arbiter:database.engineVersion: "{to}"',
        f"  2. aws rds delete-blue-green-deployment --blue-green-deployment-identifier {result.deployment_id} "
        f"--region {r}",
        "       (after a switchover this deletes only the deployment record; both clusters stay)",
        f"  3. aws rds modify-db-cluster --db-cluster-identifier {result.old_cluster} "
        f"--db-cluster-parameter-group-name default.{old_family} --apply-immediately --region {r}",
        f"       (frees {result.old_parameter_group}, which `pulumi up` deletes; the old cluster is retired)",
        f"  4. pulumi refresh --stack {s} --yes && pulumi stack export --stack {s} --file {export} && "
        f"./dev plan --stack {s} --state {export}",
        "       expect exactly these changes, none of them a replacement or deletion of the cluster or "
        f"its instances: ClusterParameterGroup replace ({result.old_parameter_group} -> "
        f"{program_group(s, to)}); Cluster update (dbClusterParameterGroupName {result.parameter_group} "
        f"-> {program_group(s, to)}, manageMasterUserPassword false -> true); the task roles' "
        f"RolePolicy update (rds-db:connect on {result.resource_id})",
        f"  5. pulumi up --stack {s} && pulumi up --refresh --stack {s}",
        "       (the first moves the task roles' rds-db:connect to the new resource id and turns RDS "
        "management of the master password back on, a new secret; the second gives the database-users "
        "function's role that secret's ARN, known only once it exists)",
        "Then, once the application is checked on the new major:",
        f"  6. delete the old cluster: its instances (aws rds describe-db-clusters --db-cluster-identifier "
        f"{result.old_cluster} --region {r} lists them; aws rds delete-db-instance each), then aws rds "
        f"delete-db-cluster --db-cluster-identifier {result.old_cluster} --final-db-snapshot-identifier "
        f"{result.old_cluster}-final --region {r} (prod: first modify-db-cluster --no-deletion-protection)",
        f"  7. aws rds delete-db-cluster-parameter-group --db-cluster-parameter-group-name "
        f"{bluegreen_group(s, to)} --region {r}   (step 5 moved the cluster to {program_group(s, to)})",
    ]


# --- the command ------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from arbiter_tools.command_support import stack_region
    from arbiter_tools.stacks import load_stack

    config = load_stack(args.stack).config
    request = Request(
        stack=args.stack,
        region=stack_region(args.stack),
        declared_major=config.database.major_version,
        declared_class=config.database.instance_class,
        to=args.to,
        sync_timeout=args.timeout,
        switchover_timeout=args.switchover_timeout,
    )
    check_target(
        request.declared_major, request.to, [request.declared_class], what=f"Pulumi.{args.stack}.yaml"
    )
    if config.is_prod and not args.yes:
        raise _user_error(
            f"--stack {args.stack} is production: a major upgrade switches its database over; re-run with "
            "--yes to confirm (staging first)"
        )
    rds = client_for(args.stack, "rds")
    secrets = client_for(args.stack, "secretsmanager")
    result = upgrade(rds, secrets, request, out=sys.stdout)
    print("\n".join(next_steps(request, result)))
    return 0


def register(sub: Any) -> None:
    """Add `db-upgrade`."""
    p = sub.add_parser(
        "db-upgrade",
        help="Aurora PostgreSQL major upgrade through an RDS blue/green deployment, then the steps "
        "that bring the stack in line",
    )
    p.add_argument("--stack", required=True, type=stack_name, help="stack name (a Pulumi.<stack>.yaml)")
    p.add_argument(
        "--to",
        required=True,
        type=major_argument,
        metavar="MAJOR",
        help=f"the major to upgrade to ({', '.join(catalog.AURORA_POSTGRES_MAJORS)})",
    )
    p.add_argument("--yes", action="store_true", help="confirm an upgrade of a production stack")
    p.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_SYNC_TIMEOUT,
        help=f"seconds to wait for green to be in sync (default {DEFAULT_SYNC_TIMEOUT:g})",
    )
    p.add_argument(
        "--switchover-timeout",
        type=switchover_seconds,
        default=DEFAULT_SWITCHOVER_TIMEOUT,
        help=f"AWS's SwitchoverTimeout: RDS rolls back a switchover that takes longer (default "
        f"{DEFAULT_SWITCHOVER_TIMEOUT}, {SWITCHOVER_LIMITS[0]}-{SWITCHOVER_LIMITS[1]})",
    )
    p.set_defaults(func=cmd_db_upgrade)
