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
AWS calls are functions of boto3 clients (tested against moto) with an injectable clock, in
`arbiter_tools.db_upgrade_rds`; this module orders them and says what the operator does next.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from arbiter_infra import catalog
from arbiter_infra.config import PROJECT
from arbiter_tools.command_support import aws_errors, client_for, seconds, stack_name
from arbiter_tools.db_upgrade_rds import (
    DEFAULT_SWITCHOVER_TIMEOUT,
    DEFAULT_SYNC_TIMEOUT,
    PASSWORD_NOTE,
    POLL_SECONDS,
    SWITCHOVER_LIMITS,
    Clock,
    Sleep,
    bluegreen_group,
    check_logical_replication,
    check_target,
    cluster_id,
    deployment_name,
    deployments_of,
    describe_cluster,
    ensure_parameter_group,
    instance_classes,
    left_for_operator,
    major_argument,
    major_of,
    program_group,
    switch_over,
    switchover_seconds,
    unmanage_master_password,
    upgrade_target,
    user_error,
    wait_cluster_available,
    wait_green,
)
from arbiter_tools.errors import UserError


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
            raise user_error(
                f"{bgd} reports a completed switchover but {ident} runs {now['EngineVersion']}: "
                f"{left_for_operator(bgd)}"
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
        raise user_error(
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
        raise user_error(
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
        raise user_error(f"{err}; the master password is self-managed (see above)") from None
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
        raise user_error(
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
