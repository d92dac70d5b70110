"""The RDS side of `db-upgrade`: its limits, the checks it makes before any change, and the calls
that create, wait for and switch over a blue/green deployment (functions of boto3 clients, tested
against moto, with an injectable clock). `arbiter_tools.db_upgrade` runs them in order.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from botocore.exceptions import ClientError

from arbiter_infra import catalog
from arbiter_infra.config import PROJECT
from arbiter_tools.command_support import aws_errors
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


def user_error(message: str) -> Exception:
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
        raise user_error(
            f"--to {to}: {what} is on {current_major}; {to} is {word}; "
            f"allowed: {', '.join(later) or 'none (already on the newest major the catalog has)'}"
        )
    offered = catalog.AURORA_MAJOR_INSTANCE_CLASSES[to]
    refused = sorted({c for c in instance_classes if c not in offered})
    if refused:
        raise user_error(
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
                raise user_error(f"DB cluster {identifier} not found: nothing deployed?") from None
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
        raise user_error(
            f"cluster parameter group {group} does not set {LOGICAL_REPLICATION}=1, which AWS requires "
            "for a blue/green deployment: `pulumi up` the current program (it sets it), reboot the writer "
            "in a quiet moment, then re-run"
        )
    if values.get("synchronous_commit", "on") != "on":
        raise user_error(
            f"cluster parameter group {group} sets synchronous_commit={values['synchronous_commit']}: AWS "
            "requires on for a blue/green deployment; remove the override, then re-run"
        )
    stale = [
        m["DBInstanceIdentifier"]
        for m in cluster.get("DBClusterMembers", [])
        if m.get("IsClusterWriter") and m.get("DBClusterParameterGroupStatus", "in-sync") != "in-sync"
    ]
    if stale:
        raise user_error(
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
        raise user_error(
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
            raise user_error(
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
            raise user_error(
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


def left_for_operator(identifier: str) -> str:
    """The one-line error's end; `_guidance` has printed the commands above it."""
    return f"{identifier} is left as it is (what to do: above)"


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
            raise user_error(
                f"green did not become available ({_state(deployment)}); the cluster is unchanged; "
                f"{left_for_operator(identifier)}"
            )
    raise user_error(
        f"timed out after {timeout:g}s waiting for green to be in sync ({_state(deployment)}); the cluster "
        f"is unchanged; {left_for_operator(identifier)}"
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
    raise user_error(
        f"the switchover did not complete within its {switchover_timeout}s timeout ({_state(deployment)}): "
        f"RDS rolls it back, blue still serves on the old major; {left_for_operator(identifier)}"
    )
