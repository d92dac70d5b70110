"""`db-upgrade`: a whole Aurora PostgreSQL major upgrade through an RDS blue/green deployment in
moto, each refusal (one line, exit 2, nothing changed), a switchover that runs out of time, and the
state the operator's steps lead to, checked with the state diff (`plan --state`).

The cluster is made with boto3 as the program declares it (identifier, parameter group and its
parameters, RDS-managed master password, instance classes): faster than an emulator deploy, and
what the command reads. moto does not implement DescribeDBEngineVersions, so `AwsVersions` answers
it as AWS does (ValidUpgradeTarget of the running version); everything else is moto's.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from arbiter_infra import catalog
from arbiter_tools import cli, db_upgrade, db_upgrade_rds, pricing
from arbiter_tools.errors import UserError
from arbiter_tools.runtime import PROJECT_DIR, Deployment, run_program
from arbiter_tools.state_diff import diff_state
from arbiter_tools.state_export import load_export
from tests.tooling.cli_support import Capture, one_line_failure, run_cli

pytestmark = pytest.mark.moto

PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
#: What AWS answers DescribeDBEngineVersions for a running version: its valid upgrade targets.
UPGRADE_TARGETS = {
    "16.6": ["16.8", "16.9", "17.4", "17.5"],
    "16.2": ["16.6", "16.9"],  # too old a minor: AWS lists no 17 from it
    "15.8": ["15.10", "16.6", "17.5"],
}


class AwsVersions:
    """The boto3 RDS client, answering the one call moto lacks the way AWS does."""

    def __init__(self, rds: Any) -> None:
        self._rds = rds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rds, name)

    def describe_db_engine_versions(self, *, Engine: str, EngineVersion: str) -> dict[str, Any]:
        targets = [{"Engine": Engine, "EngineVersion": v} for v in UPGRADE_TARGETS.get(EngineVersion, [])]
        return {
            "DBEngineVersions": [
                {"Engine": Engine, "EngineVersion": EngineVersion, "ValidUpgradeTarget": targets}
            ]
        }


def make_cluster(
    session: boto3.Session,
    deployment: Deployment,
    *,
    version: str = "16.6",
    logical_replication: bool = True,
    instance_class: str | None = None,
) -> dict[str, Any]:
    """The stack's cluster as the program declares it, in moto."""
    rds = session.client("rds")
    declared = deployment.one(CLUSTER).inputs
    group = deployment.one(PARAMS).inputs
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group["name"],
        DBParameterGroupFamily=group["family"],
        Description=group["description"],
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group["name"],
        Parameters=[
            {
                "ParameterName": p["name"],
                "ParameterValue": p["value"],
                "ApplyMethod": p.get("applyMethod", "immediate"),
            }
            for p in group["parameters"]
            if logical_replication or p["name"] != db_upgrade_rds.LOGICAL_REPLICATION
        ],
    )
    rds.create_db_cluster(
        DBClusterIdentifier=declared["clusterIdentifier"],
        Engine=declared["engine"],
        EngineVersion=version,
        DatabaseName=declared["databaseName"],
        MasterUsername=declared["masterUsername"],
        ManageMasterUserPassword=True,
        MasterUserSecretKmsKeyId=key,
        StorageEncrypted=True,
        KmsKeyId=key,
        EnableIAMDatabaseAuthentication=True,
        DBClusterParameterGroupName=group["name"],
        DeletionProtection=declared["deletionProtection"],
    )
    for instance in deployment.of_type(INSTANCE):
        rds.create_db_instance(
            DBInstanceIdentifier=instance.inputs["identifier"],
            DBClusterIdentifier=declared["clusterIdentifier"],
            Engine=declared["engine"],
            DBInstanceClass=instance_class or instance.inputs["instanceClass"],
        )
    found: dict[str, Any] = rds.describe_db_clusters(DBClusterIdentifier=declared["clusterIdentifier"])[
        "DBClusters"
    ][0]
    return found


def snapshot(session: boto3.Session) -> Any:
    """Everything the command could change: clusters, parameter groups, deployments, secrets."""
    rds = session.client("rds")
    clusters = sorted(
        (
            c["DBClusterIdentifier"],
            c["EngineVersion"],
            c["DBClusterParameterGroup"],
            bool(c.get("MasterUserSecret")),
        )
        for c in rds.describe_db_clusters()["DBClusters"]
    )
    groups = sorted(
        (g["DBClusterParameterGroupName"], g["DBParameterGroupFamily"])
        for g in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
    )
    deployments = sorted(
        d["BlueGreenDeploymentIdentifier"]
        for d in rds.describe_blue_green_deployments()["BlueGreenDeployments"]
    )
    secrets = sorted(s["ARN"] for s in session.client("secretsmanager").list_secrets()["SecretList"])
    return clusters, groups, deployments, secrets


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """The command's clients, RDS answering DescribeDBEngineVersions; records ModifyDBCluster calls."""
    calls: dict[str, list[dict[str, Any]]] = {"ModifyDBCluster": []}
    real = db_upgrade.client_for

    def client_for(stack: str, service: str) -> Any:
        client = real(stack, service)
        if service != "rds":
            return client
        client.meta.events.register(
            "provide-client-params.rds.ModifyDBCluster",
            lambda params, **_: calls["ModifyDBCluster"].append(params),
        )
        return AwsVersions(client)

    monkeypatch.setattr(db_upgrade, "client_for", client_for)
    return calls


class Clock:
    """Time that passes only when the command sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds
        self.slept += seconds


# --- the whole upgrade ----------------------------------------------------------------------


def test_whole_upgrade_against_moto(
    aws: boto3.Session,
    staging: Deployment,
    clients: dict[str, list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    blue = make_cluster(aws, staging)
    secret_arn = blue["MasterUserSecret"]["SecretArn"]
    password = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])[
        "password"
    ]
    stack_file = (PROJECT_DIR / "Pulumi.staging.yaml").read_bytes()

    code, out, err = run_cli(capsys, "db-upgrade", "--stack", "staging", "--to", "17")

    assert (code, err) == (0, ""), err
    rds = aws.client("rds")
    green = rds.describe_db_clusters(DBClusterIdentifier="arbiter-staging-aurora")["DBClusters"][0]
    old = rds.describe_db_clusters(DBClusterIdentifier="arbiter-staging-aurora-old1")["DBClusters"][0]
    # The newest 17 AWS lists as a target of 16.6, on the new family's group; blue kept as -old1.
    assert (
        green["EngineVersion"] == "17.5"
        and green["DBClusterParameterGroup"] == "arbiter-staging-aurora-pg17-bluegreen"
    )
    assert green["DbClusterResourceId"] != blue["DbClusterResourceId"]
    assert (old["EngineVersion"], old["DBClusterParameterGroup"]) == ("16.6", "arbiter-staging-aurora-pg16")
    group = rds.describe_db_cluster_parameter_groups(
        DBClusterParameterGroupName="arbiter-staging-aurora-pg17-bluegreen"
    )["DBClusterParameterGroups"][0]
    assert group["DBParameterGroupFamily"] == catalog.AURORA_PARAMETER_FAMILY["17"] == "aurora-postgresql17"
    copied = {
        p["ParameterName"]: p["ParameterValue"]
        for p in rds.describe_db_cluster_parameters(
            DBClusterParameterGroupName=group["DBClusterParameterGroupName"]
        )["Parameters"]
    }
    assert copied == {p["name"]: p["value"] for p in staging.one(PARAMS).inputs["parameters"]}
    deployment = rds.describe_blue_green_deployments()["BlueGreenDeployments"][0]
    assert deployment["Status"] == "SWITCHOVER_COMPLETED"
    assert deployment["BlueGreenDeploymentName"] == "arbiter-staging-aurora-to-17"
    # The same password, self-managed for the deployment (blue/green refuses a managed one), never shown.
    (modify,) = clients["ModifyDBCluster"]
    assert modify["ManageMasterUserPassword"] is False and modify["MasterUserPassword"] == password
    assert password not in out
    assert "MasterUserSecret" not in green
    assert secret_arn not in [s["ARN"] for s in aws.client("secretsmanager").list_secrets()["SecretList"]]
    # The operator is told each step, with this run's names; the stack file is theirs to edit.
    for line in (
        "arbiter-staging-aurora: Aurora PostgreSQL 16.6 -> 17.5 through an RDS blue/green deployment",
        "[    0s] " + deployment["BlueGreenDeploymentIdentifier"] + ": SWITCHOVER_COMPLETED",
        'Pulumi.staging.yaml: set arbiter:database.engineVersion: "17"',
        f"delete-blue-green-deployment --blue-green-deployment-identifier {deployment['BlueGreenDeploymentIdentifier']}",
        "modify-db-cluster --db-cluster-identifier arbiter-staging-aurora-old1 "
        "--db-cluster-parameter-group-name default.aurora-postgresql16",
        "pulumi refresh --stack staging --yes",
        "./dev plan --stack staging --state staging-after-upgrade.json",
        f"rds-db:connect on {green['DbClusterResourceId']}",
        "pulumi up --stack staging && pulumi up --refresh --stack staging",
        "delete-db-cluster --db-cluster-identifier arbiter-staging-aurora-old1",
    ):
        assert line in out, line
    assert (PROJECT_DIR / "Pulumi.staging.yaml").read_bytes() == stack_file


def test_prod_needs_yes_then_upgrades(
    aws: boto3.Session, prod: Deployment, clients: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    make_cluster(aws, prod)
    before = snapshot(aws)
    code, out, err = run_cli(capsys, "db-upgrade", "--stack", "prod", "--to", "17")
    line = one_line_failure(code, err)
    assert code == 2 and "--stack prod is production" in line and "--yes" in line
    assert out == "" and snapshot(aws) == before

    code, out, err = run_cli(capsys, "db-upgrade", "--stack", "prod", "--to", "17", "--yes")
    assert (code, err) == (0, ""), err
    cluster = aws.client("rds").describe_db_clusters(DBClusterIdentifier="arbiter-prod-aurora")["DBClusters"][
        0
    ]
    assert cluster["EngineVersion"] == "17.5"
    assert "instances: arbiter-prod-aurora-1 (db.r6g.large), arbiter-prod-aurora-2 (db.r6g.large)" in out
    assert "(prod: first modify-db-cluster --no-deletion-protection)" in out


# --- refusals: one line, exit 2, nothing changed ----------------------------------------------


@pytest.mark.parametrize("to", ["18", "17.4", "14", "latest"])
def test_unknown_major_is_a_usage_error(to: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["db-upgrade", "--stack", "staging", "--to", to])
    line = one_line_failure(int(str(info.value.code)), capsys.readouterr().err)
    assert info.value.code == 2
    assert f"{to!r} is not an Aurora PostgreSQL major this project deploys" in line
    assert "allowed: 15, 16, 17" in line
    assert ('(the major only: "17")' in line) == (to == "17.4")


@pytest.mark.parametrize("to", ["16", "15"])
def test_same_or_earlier_major_is_refused(
    to: str,
    aws: boto3.Session,
    staging: Deployment,
    clients: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_cluster(aws, staging)
    before = snapshot(aws)
    code, out, err = run_cli(capsys, "db-upgrade", "--stack", "staging", "--to", to)
    line = one_line_failure(code, err)
    assert code == 2 and f"--to {to}: Pulumi.staging.yaml is on 16" in line and "allowed: 17" in line
    assert ("a downgrade" in line) == (to == "15")
    assert out == "" and snapshot(aws) == before


def _refusal_cases() -> list[tuple[str, dict[str, Any], Callable[[boto3.Session], None], str]]:
    def nothing(session: boto3.Session) -> None:
        return None

    def held_by_a_deployment(session: boto3.Session) -> None:
        rds = session.client("rds")
        arn = rds.describe_db_clusters(DBClusterIdentifier="arbiter-staging-aurora")["DBClusters"][0][
            "DBClusterArn"
        ]
        rds.modify_db_cluster(
            DBClusterIdentifier="arbiter-staging-aurora",
            ManageMasterUserPassword=False,
            MasterUserPassword="x" * 16,
            ApplyImmediately=True,
        )
        rds.create_blue_green_deployment(
            BlueGreenDeploymentName="by-hand", Source=arn, TargetEngineVersion="17.4"
        )

    def asynchronous_commit(session: boto3.Session) -> None:
        session.client("rds").modify_db_cluster_parameter_group(
            DBClusterParameterGroupName="arbiter-staging-aurora-pg16",
            Parameters=[
                {"ParameterName": "synchronous_commit", "ParameterValue": "off", "ApplyMethod": "immediate"}
            ],
        )

    return [
        ("synchronous_commit off", {}, asynchronous_commit, "sets synchronous_commit=off: AWS requires on"),
        (
            "no cluster",
            {"skip": True},
            nothing,
            "DB cluster arbiter-staging-aurora not found: nothing deployed?",
        ),
        (
            "stack file behind",
            {"version": "17.4"},
            nothing,
            'runs 17.4 but Pulumi.staging.yaml declares database.engineVersion "16"',
        ),
        (
            "class not offered",
            {"instance_class": "db.t3.medium"},
            nothing,
            "AWS does not offer Aurora PostgreSQL 17 on db.t3.medium (cluster arbiter-staging-aurora)",
        ),
        (
            "no logical replication",
            {"logical_replication": False},
            nothing,
            "does not set rds.logical_replication=1, which AWS requires",
        ),
        (
            "no upgrade path",
            {"version": "16.2"},
            nothing,
            "AWS lists no upgrade from Aurora PostgreSQL 16.2 to 17",
        ),
        ("deployment exists", {}, held_by_a_deployment, "is already in blue/green deployment bgd-"),
    ]


@pytest.mark.parametrize("case", _refusal_cases(), ids=[c[0] for c in _refusal_cases()])
def test_refusals_change_nothing(
    case: tuple[str, dict[str, Any], Callable[[boto3.Session], None], str],
    aws: boto3.Session,
    staging: Deployment,
    clients: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, setup, change, message = case
    setup = dict(setup)
    if not setup.pop("skip", False):
        make_cluster(aws, staging, **setup)
    change(aws)
    before = snapshot(aws)
    code, out, err = run_cli(capsys, "db-upgrade", "--stack", "staging", "--to", "17")
    line = one_line_failure(code, err)
    assert code == 2 and message in line, line
    assert out == "" and snapshot(aws) == before


def test_writer_not_yet_rebooted_is_refused(aws: boto3.Session, staging: Deployment) -> None:
    """moto reports every member in sync; AWS reports `pending-reboot` until the writer restarts."""
    make_cluster(aws, staging)
    rds = AwsVersions(aws.client("rds"))
    cluster = db_upgrade_rds.describe_cluster(rds, "arbiter-staging-aurora")
    cluster["DBClusterMembers"][0]["DBClusterParameterGroupStatus"] = "pending-reboot"
    with pytest.raises(
        UserError, match=r"writer arbiter-staging-aurora-1 does not run with arbiter-staging-aurora-pg16 yet"
    ):
        db_upgrade_rds.check_logical_replication(rds, cluster)


def test_no_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out, err = run_cli(capsys, "db-upgrade", "--stack", "staging", "--to", "17")
    assert code == 2 and "no AWS credentials found: configure them" in one_line_failure(code, err)
    assert out == ""


# --- waiting: a switchover that runs out of time, a green that never syncs ------------------


class RolledBack(AwsVersions):
    """A switchover that exceeded its SwitchoverTimeout: RDS rolled it back, the deployment is AVAILABLE."""

    def switchover_blue_green_deployment(self, **kwargs: Any) -> dict[str, Any]:
        self.asked = kwargs
        return {}


class NeverInSync(AwsVersions):
    def describe_blue_green_deployments(self, **kwargs: Any) -> dict[str, Any]:
        resp: dict[str, Any] = copy.deepcopy(self._rds.describe_blue_green_deployments(**kwargs))
        for d in resp["BlueGreenDeployments"]:
            d["Status"] = "PROVISIONING"
        return resp


def _request(**kwargs: Any) -> db_upgrade.Request:
    values: dict[str, Any] = {
        "stack": "staging",
        "region": "us-east-1",
        "declared_major": "16",
        "declared_class": "db.t4g.medium",
        "to": "17",
    }
    return db_upgrade.Request(**{**values, **kwargs})


def test_switchover_timeout_leaves_the_cluster_and_the_deployment(
    aws: boto3.Session, staging: Deployment
) -> None:
    make_cluster(aws, staging)
    rds, clock, out = RolledBack(aws.client("rds")), Clock(), Capture()
    with pytest.raises(UserError) as err:
        db_upgrade.upgrade(
            rds,
            aws.client("secretsmanager"),
            _request(switchover_timeout=60),
            out=out,
            clock=clock,
            sleep=clock.sleep,
        )
    message = str(err.value)
    assert "\n" not in message
    assert rds.asked["SwitchoverTimeout"] == 60
    assert "the switchover did not complete within its 60s timeout" in message
    assert "blue still serves on the old major" in message
    # One line the CLI prints whole (it cuts at MAX_MESSAGE), with the details printed above it.
    assert cli.one_line(message) == message and len(message) <= cli.MAX_MESSAGE - 40
    (deployment,) = aws.client("rds").describe_blue_green_deployments()["BlueGreenDeployments"]
    bgd = deployment["BlueGreenDeploymentIdentifier"]
    assert deployment["Status"] == "AVAILABLE"
    assert f"{bgd} is left as it is (what to do: above)" in message
    for line in (
        f"The blue/green deployment {bgd} is left as it is:",
        f"inspect: aws rds describe-blue-green-deployments --blue-green-deployment-identifier {bgd}",
        "resume:  ./dev db-upgrade --stack staging --to 17",
        f"delete:  aws rds delete-blue-green-deployment --blue-green-deployment-identifier {bgd} --delete-target",
    ):
        assert line in out.text, line
    # The password had to stop being RDS-managed before the deployment: said, with the way back.
    assert message.endswith("; the master password is self-managed (see above)")
    assert "`pulumi up --refresh --stack staging` twice turns RDS management back on" in out.text
    cluster = aws.client("rds").describe_db_clusters(DBClusterIdentifier="arbiter-staging-aurora")[
        "DBClusters"
    ][0]
    assert (cluster["EngineVersion"], cluster["DBClusterParameterGroup"]) == (
        "16.6",
        "arbiter-staging-aurora-pg16",
    )
    # Polled until the timeout and RDS's grace had passed, without sleeping for real.
    assert clock.slept >= 60 + db_upgrade_rds.SWITCHOVER_GRACE_SECONDS
    assert "Upgraded" not in out.text


def test_green_never_in_sync_times_out_then_a_rerun_takes_it_up(
    aws: boto3.Session, staging: Deployment
) -> None:
    make_cluster(aws, staging)
    rds, clock = NeverInSync(aws.client("rds")), Clock()
    with pytest.raises(UserError) as err:
        db_upgrade.upgrade(
            rds,
            aws.client("secretsmanager"),
            _request(sync_timeout=900),
            out=Capture(),
            clock=clock,
            sleep=clock.sleep,
        )
    assert "timed out after 900s waiting for green to be in sync (PROVISIONING)" in str(err.value)
    assert len(str(err.value)) <= cli.MAX_MESSAGE - 40
    assert "the cluster is unchanged" in str(err.value)
    assert clock.slept == 900
    cluster = aws.client("rds").describe_db_clusters(DBClusterIdentifier="arbiter-staging-aurora")[
        "DBClusters"
    ][0]
    assert cluster["EngineVersion"] == "16.6"

    # Run again once green has caught up: the same deployment is taken up, not a second one made.
    out = Capture()
    result = db_upgrade.upgrade(
        AwsVersions(aws.client("rds")),
        aws.client("secretsmanager"),
        _request(),
        out=out,
        clock=clock,
        sleep=clock.sleep,
    )
    (deployment,) = aws.client("rds").describe_blue_green_deployments()["BlueGreenDeployments"]
    assert result.deployment_id == deployment["BlueGreenDeploymentIdentifier"]
    assert deployment["Status"] == "SWITCHOVER_COMPLETED" and result.to_version == "17.5"
    assert f"({result.deployment_id}): taken up where an earlier run left it (AVAILABLE)" in out.text
    assert "cannot read the master secret" in "\n".join(db_upgrade.next_steps(_request(), result))


# --- the steps after: what `plan --state` shows once the state is refreshed -------------------


def test_the_steps_lead_to_the_plan_they_announce(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    """After the switchover, `pulumi refresh` and engineVersion "17", `plan --state` shows the changes
    the command's step 4 announces, and no replacement or deletion of the cluster or its instances."""
    result = db_upgrade.Result(
        cluster="arbiter-staging-aurora",
        old_cluster="arbiter-staging-aurora-old1",
        from_version="16.6",
        to_version="17.5",
        deployment_id="bgd-0123456789abcdef",
        parameter_group="arbiter-staging-aurora-pg17-bluegreen",
        old_parameter_group="arbiter-staging-aurora-pg16",
        deleted_secret="arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
        resource_id="cluster-GREEN0123456789",
    )
    # What `pulumi refresh` reads from the switched-over cluster (same identifier, green's settings).
    doc = copy.deepcopy(staging_state)
    for entry in doc["deployment"]["resources"]:
        if entry["type"] == CLUSTER:
            for part in ("inputs", "outputs"):
                entry[part]["dbClusterParameterGroupName"] = result.parameter_group
                entry[part]["manageMasterUserPassword"] = False
            entry["outputs"].update(
                masterUserSecrets=[],
                engineVersion=result.to_version,
                engineVersionActual=result.to_version,
                clusterResourceId=result.resource_id,
            )
    path = tmp_path / "staging-after-upgrade.json"
    path.write_text(json.dumps(doc))
    database = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())["config"]["arbiter:database"]
    database["engineVersion"] = "17"
    upgraded = run_program("staging", config_overrides={"database": database})

    plan = diff_state(upgraded, load_export(path, stack="staging"))

    # 17 plans like 16: its family's group, and the same cost (Aurora is priced by class, not major).
    assert upgraded.one(PARAMS).inputs["family"] == "aurora-postgresql17"
    assert pricing.estimate(upgraded).total == pricing.estimate(staging).total

    ops = {(c.type, c.op) for c in plan.changes}
    assert ops == {(PARAMS, "replace"), (CLUSTER, "update"), ("aws:iam/rolePolicy:RolePolicy", "update")}
    cluster = next(c for c in plan.changes if c.type == CLUSTER)
    assert {(d.path, d.old, d.new) for d in cluster.diffs} == {
        ("dbClusterParameterGroupName", result.parameter_group, "arbiter-staging-aurora-pg17"),
        ("manageMasterUserPassword", False, True),
    }
    policies = [c for c in plan.changes if c.type == "aws:iam/rolePolicy:RolePolicy"]
    assert policies and all(result.resource_id in str(d.new) for c in policies for d in c.diffs)
    assert plan.at_risk() == []
    steps = "\n".join(db_upgrade.next_steps(_request(), result))
    # Every new connection waits for step 5 (the task roles name the old resource id); only a
    # password that was RDS-managed leaves the database-users function without its secret.
    assert "new database connections fail" in steps and "cannot read the master secret" in steps
    unmanaged = "\n".join(db_upgrade.next_steps(_request(), dataclasses.replace(result, deleted_secret=None)))
    assert "new database connections fail" in unmanaged and "cannot read the master secret" not in unmanaged
    assert (
        "ClusterParameterGroup replace (arbiter-staging-aurora-pg16 -> arbiter-staging-aurora-pg17); Cluster update "
        "(dbClusterParameterGroupName arbiter-staging-aurora-pg17-bluegreen -> arbiter-staging-aurora-pg17, "
        "manageMasterUserPassword false -> true); the task roles' RolePolicy update (rds-db:connect on "
        "cluster-GREEN0123456789)"
    ) in " ".join(steps.split())


# --- help ---------------------------------------------------------------------------------------


def test_dev_help_lists_db_upgrade() -> None:
    help_text = subprocess.run(
        ["bash", str(PROJECT_DIR / "dev"), "help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    line = next((ln for ln in help_text.splitlines() if "./dev db-upgrade" in ln), "")
    assert "--stack S --to MAJOR" in line and "blue/green" in line, help_text
