"""`plan --state FILE`: the program diffed against exports built from its own state.

Each export is what `pulumi stack export` would hold after `pulumi up` of the program (run under
the offline mocks); a test then changes the stack config (or the export, for what config cannot
express) and checks what `pulumi up` would do.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from arbiter_infra import catalog
from arbiter_tools import cli
from arbiter_tools.replacements import REPLACEMENTS, STATEFUL, is_downgrade, version_satisfies
from arbiter_tools.runtime import Deployment, run_program
from arbiter_tools.state_diff import (
    KNOWN_AFTER_DEPLOY,
    SECRET_SIG,
    UNKNOWN,
    StatePlan,
    blocked,
    diff_state,
    export_deployment,
    is_prod_config,
    load_export,
    render,
)
from tests.conftest import stack_sections, write_project

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"


def _write(tmp_path: Path, doc: dict[str, Any], name: str = "state.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _plan(tmp_path: Path, deployment: Deployment, doc: dict[str, Any]) -> StatePlan:
    return diff_state(deployment, load_export(_write(tmp_path, doc), stack=deployment.stack))


def _ops(plan: StatePlan) -> dict[str, str]:
    return {c.urn: c.op for c in plan.changes}


def _state_entry(doc: dict[str, Any], urn: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in doc["deployment"]["resources"] if r["urn"] == urn)
    return found


def _with_inputs(deployment: Deployment, type_: str, **inputs: Any) -> Deployment:
    """A copy of `deployment` whose resources of `type_` declare `inputs` instead."""
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.type == type_ else r
        for r in deployment.resources
    ]
    return dataclasses.replace(deployment, resources=resources)


@pytest.fixture(scope="module")
def staging_state(staging: Deployment) -> dict[str, Any]:
    return export_deployment(staging)


@pytest.fixture(scope="module")
def prod_state(prod: Deployment) -> dict[str, Any]:
    return export_deployment(prod)


def test_no_change_is_no_changes(tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]) -> None:
    plan = _plan(tmp_path, staging, staging_state)
    assert plan.changes == [] and plan.unchanged == len(staging.resources)
    assert "no changes" in "\n".join(render(plan))


def test_cli_no_change_exits_zero(
    tmp_path: Path, staging_state: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    state = _write(tmp_path, staging_state)
    assert cli.main(["plan", "--stack", "staging", "--state", str(state), "--no-policies"]) == 0
    out = capsys.readouterr().out
    assert "no changes: " in out and "to create" not in out


def test_image_tag_change_replaces_only_that_task_definition_and_updates_its_service(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    services = stack_sections("staging")["services"]
    old_image = services["tradingCore"]["image"]
    services["tradingCore"]["image"] = old_image.rsplit(":", 1)[0] + ":v9.9.9"
    new = run_program("staging", config_overrides={"services": services})
    plan = _plan(tmp_path, new, staging_state)
    task = next(r for r in new.of_type(TASK_DEF) if r.inputs["family"].endswith("trading-core"))
    service = next(r for r in new.of_type(SERVICE) if r.inputs["name"] == "trading-core")
    assert _ops(plan) == {task.urn: "replace", service.urn: "update"}
    task_change, service_change = (
        next(c for c in plan.changes if c.urn == u) for u in (task.urn, service.urn)
    )
    assert [(d.path, d.old, d.new, d.forces_replacement) for d in task_change.diffs] == [
        ("containerDefinitions[0].image", old_image, services["tradingCore"]["image"], True)
    ]
    # The new revision's ARN exists only after deploy: the service's reference is unknown, in place.
    assert [(d.path, d.new, d.forces_replacement) for d in service_change.diffs] == [
        ("taskDefinition", UNKNOWN, False)
    ]
    assert plan.at_risk() == []


def _other_major(version: str) -> str:
    major = version.split(".", maxsplit=1)[0]
    return next(
        m for m in catalog.AURORA_POSTGRES_MAJORS if m != major and m in catalog.AURORA_PARAMETER_FAMILY
    )


def test_aurora_major_version_change_updates_cluster_in_place(tmp_path: Path, staging: Deployment) -> None:
    declared = staging.one(CLUSTER).inputs["engineVersion"]
    database = stack_sections("staging")["database"]
    database["engineVersion"] = _other_major(declared)
    old = run_program("staging", config_overrides={"database": database})
    plan = _plan(tmp_path, staging, export_deployment(old))
    ops = {c.type: c.op for c in plan.changes}
    # engine_version is not ForceNew on aws_rds_cluster: the data stays, the engine is upgraded;
    # the instances declare no version of their own (they follow the cluster).
    assert ops[CLUSTER] == "update" and INSTANCE not in ops
    assert ops["aws:rds/clusterParameterGroup:ClusterParameterGroup"] == "replace"  # family is ForceNew
    cluster = next(c for c in plan.changes if c.type == CLUSTER)
    version = next(d for d in cluster.diffs if d.path == "engineVersion")
    assert (version.old, version.new, version.forces_replacement) == (
        database["engineVersion"],
        declared,
        False,
    )
    needs_flag = not staging.one(CLUSTER).inputs.get("allowMajorVersionUpgrade")
    assert ("allowMajorVersionUpgrade" in version.note) == needs_flag
    assert plan.at_risk() == []


def _rename(doc: dict[str, Any], old: str, new: str, urns: set[str]) -> dict[str, Any]:
    """The export as if the resources `urns` had been created with `new` where the program says `old`."""
    doc = copy.deepcopy(doc)
    for entry in doc["deployment"]["resources"]:
        if entry["urn"] in urns:
            for part in ("inputs", "outputs"):
                entry[part] = json.loads(json.dumps(entry[part]).replace(f'"{old}"', f'"{new}"'))
    return doc


def test_subnet_group_name_change_replaces_cluster_and_instances_loudly(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    group = staging.one(SUBNET_GROUP)
    name = group.inputs["name"]
    users = {r.urn for r in staging.resources if r.inputs.get("dbSubnetGroupName") == name}
    doc = _rename(staging_state, name, f"{name}-old", {group.urn, *users})
    plan = _plan(tmp_path, staging, doc)
    ops = {c.urn: (c.type, c.op) for c in plan.changes}
    assert ops[group.urn] == (SUBNET_GROUP, "replace")
    assert {ops[u] for u in users} == {(CLUSTER, "replace"), (INSTANCE, "replace")}
    cluster = next(c for c in plan.changes if c.type == CLUSTER)
    assert any(d.path == "dbSubnetGroupName" and d.forces_replacement for d in cluster.diffs)
    at_risk = {c.type for c in plan.at_risk()}
    assert at_risk == {CLUSTER, INSTANCE}
    text = "\n".join(render(plan))
    assert "!!! STATEFUL RESOURCE WOULD BE REPLACED: aws:rds/cluster:Cluster" in text
    assert staging.one(CLUSTER).urn in text
    assert blocked(plan, [], is_prod=False) == []  # staging: warned, not stopped


def test_cluster_identifier_change_cascades_to_the_instances(
    tmp_path: Path, prod: Deployment, prod_state: dict[str, Any]
) -> None:
    cluster = prod.one(CLUSTER)
    doc = copy.deepcopy(prod_state)
    _state_entry(doc, cluster.urn)["inputs"]["clusterIdentifier"] = "arbiter-prod-aurora-old"
    plan = _plan(tmp_path, prod, doc)
    assert _ops(plan)[cluster.urn] == "replace"
    instances = prod.of_type(INSTANCE)
    assert len(instances) == 2
    for instance in instances:
        change = next(c for c in plan.changes if c.urn == instance.urn)
        # The new cluster's id is unknown, and an instance's cluster_identifier is ForceNew.
        assert change.op == "replace"
        assert any(
            d.path == "clusterIdentifier" and d.new is UNKNOWN and d.forces_replacement for d in change.diffs
        )
    assert {c.urn for c in plan.at_risk()} >= {cluster.urn, *(i.urn for i in instances)}
    assert {c.urn for c in blocked(plan, [], is_prod=True)} >= {cluster.urn}


@pytest.fixture(scope="module")
def prod_replacing_cluster(
    prod: Deployment, prod_state: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    doc = copy.deepcopy(prod_state)
    _state_entry(doc, prod.one(CLUSTER).urn)["inputs"]["clusterIdentifier"] = "arbiter-prod-aurora-old"
    return _write(tmp_path_factory.mktemp("state"), doc, "prod.json")


def test_prod_plan_replacing_stateful_exits_3_until_each_urn_is_allowed(
    prod: Deployment, prod_replacing_cluster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["plan", "--stack", "prod", "--state", str(prod_replacing_cluster), "--no-policies"]
    assert cli.main(args) == cli.EXIT_POLICY
    captured = capsys.readouterr()
    assert "!!! STATEFUL RESOURCE WOULD BE REPLACED" in captured.out
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "replaces or deletes 3 stateful resource(s)" in err[0]
    urns = [prod.one(CLUSTER).urn, *(i.urn for i in prod.of_type(INSTANCE))]
    # Allowing only some is not enough.
    assert cli.main([*args, "--allow-replace", urns[0]]) == cli.EXIT_POLICY
    capsys.readouterr()
    allowed = [a for urn in urns for a in ("--allow-replace", urn)]
    assert cli.main([*args, *allowed]) == 0
    assert "(allowed with --allow-replace)" in capsys.readouterr().out


def test_json_lists_changes_with_property_diffs(
    prod: Deployment, prod_replacing_cluster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["plan", "--stack", "prod", "--state", str(prod_replacing_cluster), "--no-policies", "--json"]
    assert cli.main(args) == cli.EXIT_POLICY
    doc = json.loads(capsys.readouterr().out)
    cluster = next(c for c in doc["changes"] if c["urn"] == prod.one(CLUSTER).urn)
    assert cluster["op"] == "replace" and cluster["stateful"] is True
    assert {
        "path": "clusterIdentifier",
        "old": "arbiter-prod-aurora-old",
        "new": "arbiter-prod-aurora",
        "forcesReplacement": True,
    } in cluster["diffs"]
    instance = next(c for c in doc["changes"] if c["type"] == INSTANCE)
    assert {
        "path": "clusterIdentifier",
        "new": KNOWN_AFTER_DEPLOY,
        "forcesReplacement": True,
    }.items() <= next(d for d in instance["diffs"] if d["path"] == "clusterIdentifier").items()
    assert prod.one(CLUSTER).urn in doc["atRisk"]
    assert doc["changeCounts"]["replace"] >= 3


def test_redis_node_type_change_is_in_place(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    cache = stack_sections("staging")["cache"]
    old_type = cache["nodeType"]
    cache["nodeType"] = next(t for t in catalog.CACHE_NODE_MEMORY_GIB if t != old_type)
    plan = _plan(tmp_path, run_program("staging", config_overrides={"cache": cache}), staging_state)
    group = next(c for c in plan.changes if c.type == REDIS)
    assert group.op == "update"
    assert [(d.path, d.old, d.new, d.forces_replacement) for d in group.diffs] == [
        ("nodeType", old_type, cache["nodeType"], False)
    ]
    assert all(c.op != "replace" for c in plan.changes) and plan.at_risk() == []


def test_resource_removed_from_program_is_deleted_with_warning(tmp_path: Path, staging: Deployment) -> None:
    database = stack_sections("staging")["database"]
    database["instanceCount"] = 2
    old = run_program("staging", config_overrides={"database": database})
    plan = _plan(tmp_path, staging, export_deployment(old))
    second = next(r for r in old.of_type(INSTANCE) if r.urn not in {i.urn for i in staging.of_type(INSTANCE)})
    assert _ops(plan)[second.urn] == "delete"
    assert [c.urn for c in plan.at_risk()] == [second.urn]
    assert "!!! STATEFUL RESOURCE WOULD BE DELETED: aws:rds/clusterInstance:ClusterInstance" in "\n".join(
        render(plan)
    )


# Engine versions: the provider keeps a pin that the running version satisfies.


def test_version_rule() -> None:
    assert version_satisfies("16", "16.8") and version_satisfies("16.8", "16.8")
    assert version_satisfies("16.8", "16.8.2")
    assert not version_satisfies("16.8", "16.9") and not version_satisfies("16.8", "16.80")
    assert not version_satisfies("17", "16.8")
    assert is_downgrade("16.8", "16.9") and is_downgrade("16", "17.1")
    assert not is_downgrade("16.9", "16.8") and not is_downgrade("17", "16.8")


def _running(doc: dict[str, Any], deployment: Deployment, type_: str, version: str) -> dict[str, Any]:
    """The export after AWS reported `version` as running (what `pulumi refresh` records)."""
    doc = copy.deepcopy(doc)
    for r in deployment.of_type(type_):
        _state_entry(doc, r.urn)["outputs"]["engineVersionActual"] = version
    return doc


@pytest.mark.parametrize(
    "case",
    [
        ("16", "16.8", None),  # a major pin: any 16.x satisfies it
        ("16.8", "16.8", None),
        ("16.8", "16.9", "refused"),  # auto minor upgrade moved it: the pin plans a downgrade
        ("16.9", "16.8", "upgrade"),
    ],
)
def test_aurora_running_version_against_declared_pin(
    tmp_path: Path,
    staging: Deployment,
    staging_state: dict[str, Any],
    case: tuple[str, str, str | None],
) -> None:
    declared, running, expected = case
    new = _with_inputs(
        _with_inputs(staging, CLUSTER, engineVersion=declared), INSTANCE, engineVersion=declared
    )
    doc = _running(_running(staging_state, staging, CLUSTER, running), staging, INSTANCE, running)
    plan = _plan(tmp_path, new, doc)
    cluster = next((c for c in plan.changes if c.type == CLUSTER), None)
    if expected is None:
        assert plan.changes == []
        return
    assert cluster is not None and cluster.op == "update"
    version = next(d for d in cluster.diffs if d.path == "engineVersion")
    assert (version.old, version.new, version.forces_replacement) == (running, declared, False)
    assert ("AWS refuses a downgrade" in version.note) == (expected == "refused")
    assert plan.at_risk() == []


def test_redis_engine_downgrade_replaces_the_group(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    doc = _running(staging_state, staging, REDIS, "7.1.6")
    # The program ignores later engineVersion changes (AWS rolls minors): a moved version is quiet.
    assert staging.one(REDIS).ignore_changes == ("engineVersion",)
    assert _plan(tmp_path, _with_inputs(staging, REDIS, engineVersion="7.0"), doc).changes == []
    # Without that option, the provider's rule applies: a declared downgrade replaces the group.
    unpinned = dataclasses.replace(
        staging,
        resources=[
            dataclasses.replace(r, ignore_changes=()) if r.type == REDIS else r for r in staging.resources
        ],
    )
    assert _plan(tmp_path, _with_inputs(unpinned, REDIS, engineVersion="7.1"), doc).changes == []
    plan = _plan(tmp_path, _with_inputs(unpinned, REDIS, engineVersion="7.0"), doc)
    group = next(c for c in plan.changes if c.type == REDIS)
    assert group.op == "replace" and [c.type for c in plan.at_risk()] == [REDIS]


# Options and secrets.


def test_ignore_changes_is_recorded_and_honoured(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    services = {r.inputs["name"]: r for r in staging.of_type(SERVICE)}
    assert services["web-api"].ignore_changes == ("desiredCount",)  # autoscaling owns it
    assert services["trading-core"].ignore_changes == ()
    doc = copy.deepcopy(staging_state)
    for name in ("web-api", "trading-core"):
        _state_entry(doc, services[name].urn)["inputs"]["desiredCount"] = 7
    plan = _plan(tmp_path, staging, doc)
    assert _ops(plan) == {services["trading-core"].urn: "update"}


def test_secrets_are_compared_opaquely_and_never_printed(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    password = staging.one("random:index/randomPassword:RandomPassword")
    version = staging.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert _state_entry(staging_state, version.urn)["inputs"]["secretString"][SECRET_SIG]
    # A --show-secrets export holds plaintext: a different value is a change, shown as [secret].
    doc = copy.deepcopy(staging_state)
    envelope = _state_entry(doc, version.urn)["inputs"]["secretString"]
    envelope.pop("ciphertext")
    envelope["plaintext"] = json.dumps('{"auth_token": "old-token-value"}')
    plan = _plan(tmp_path, staging, doc)
    change = next(c for c in plan.changes if c.urn == version.urn)
    assert [(d.old, d.new) for d in change.diffs] == [("[secret]", "[secret]")]
    assert "old-token-value" not in "\n".join(render(plan))
    # A new password replaces the token; what consumes it is unknown until then, still unprinted.
    doc = copy.deepcopy(staging_state)
    _state_entry(doc, password.urn)["inputs"]["length"] = 32
    plan = _plan(tmp_path, staging, doc)
    ops = {c.type: c.op for c in plan.changes}
    assert ops["random:index/randomPassword:RandomPassword"] == "replace"
    assert ops["aws:secretsmanager/secretVersion:SecretVersion"] == "update"
    assert ops[REDIS] == "update"  # authToken changes in place (ROTATE strategy)
    text = "\n".join(render(plan))
    assert (
        password.outputs["result"] not in text and "authToken: [secret] => output<known after deploy>" in text
    )


def test_untabled_type_says_so(tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]) -> None:
    alarm = staging.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")[0]
    assert alarm.type not in REPLACEMENTS
    doc = copy.deepcopy(staging_state)
    _state_entry(doc, alarm.urn)["inputs"]["threshold"] = 12345
    change = _plan(tmp_path, staging, doc).changes[0]
    assert change.op == "update" and not change.tabled
    assert "update (replacement rules not tabled)" in change.notes[0]


def test_replacement_table_covers_what_holds_data_or_identity(staging: Deployment, prod: Deployment) -> None:
    required = {
        CLUSTER,
        INSTANCE,
        SUBNET_GROUP,
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        REDIS,
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:kms/key:Key",
        "aws:secretsmanager/secret:Secret",
        "aws:ecr/repository:Repository",
        "aws:s3/bucket:Bucket",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        TASK_DEF,
        SERVICE,
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:iam/role:Role",
        "aws:ec2/securityGroup:SecurityGroup",
    }
    assert required <= set(REPLACEMENTS)
    assert all("terraform-provider" in rules.source for rules in REPLACEMENTS.values())
    declared = {r.type for d in (staging, prod, run_program("account")) for r in d.resources}
    assert STATEFUL - {"aws:s3/bucketV2:BucketV2"} <= declared  # every stateful type is one the program uses
    assert REPLACEMENTS[TASK_DEF].forces_replacement("containerDefinitions[0].environment[2].value")
    assert not REPLACEMENTS[TASK_DEF].forces_replacement("tags.Version")
    assert REPLACEMENTS[SERVICE].forces_replacement("deploymentController.type")
    assert not REPLACEMENTS[SERVICE].forces_replacement("taskDefinition")


def test_which_stacks_are_production() -> None:
    def values(stack: str) -> dict[str, str]:
        from arbiter_tools.runtime import read_stack_file

        return read_stack_file(stack)[0]

    assert is_prod_config(values("prod")) and not is_prod_config(values("staging"))
    assert is_prod_config(values("account"))


# Bad input: one line, exit 2, nothing run.


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot read it (No such file or directory)"),
        ("{not json", "not JSON (line 1)"),
        ('{"resources": []}', "not a `pulumi stack export` file"),
        ('{"version": 2, "deployment": {}}', "deployment version 2; only version 3"),
        ('{"version": 3, "deployment": {"resources": [{"type": "x"}]}}', 'resources[0] has no valid "urn"'),
    ],
)
def test_bad_state_files_are_one_line(
    tmp_path: Path, content: str | None, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["plan", "--stack", "staging", "--state", str(path), "--no-policies"]) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith("arbiter-infra: --state ")


def test_export_of_another_stack_is_refused(
    tmp_path: Path, prod_state: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, prod_state)
    assert cli.main(["plan", "--stack", "staging", "--state", str(path)]) == cli.EXIT_USAGE
    assert capsys.readouterr().err.strip() == (
        f"arbiter-infra: --state {str(path)!r}: an export of stack 'prod' of project 'arbiter', "
        "not of stack 'staging' of project 'arbiter'"
    )


def test_allow_replace_must_name_a_replaced_resource(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    urn = staging.one(CLUSTER).urn
    assert cli.main(["plan", "--stack", "staging", "--allow-replace", urn]) == cli.EXIT_USAGE
    assert "--allow-replace needs --state FILE" in capsys.readouterr().err
    state = _write(tmp_path, staging_state)
    args = ["plan", "--stack", "staging", "--state", str(state), "--allow-replace", urn, "--no-policies"]
    assert cli.main(args) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        f"arbiter-infra: --allow-replace {urn!r}: this plan neither replaces nor deletes it "
        "(0 resource(s) are, marked '+-' or '-' in the listing)"
    ]


def test_cli_config_change_through_project_dir(
    tmp_path: Path, staging_state: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    sections = stack_sections("staging")
    sections["cache"]["snapshotRetentionDays"] = 5
    project = write_project(tmp_path, "staging", sections)
    state = _write(tmp_path, staging_state)
    args = [
        "plan",
        "--stack",
        "staging",
        "--project-dir",
        str(project),
        "--state",
        str(state),
        "--no-policies",
    ]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "~  aws:elasticache/replicationGroup:ReplicationGroup  arbiter-staging-cache-group" in out
    assert "~ snapshotRetentionLimit: 1 => 5" in out
    assert "~  1 to update" in out


def test_real_ids_in_state_are_not_changes(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    """A real export holds AWS's ids and ARNs where the offline run has placeholders: no diff for that."""
    text = json.dumps(staging_state)
    vpc = staging.one("aws:ec2/vpc:Vpc")
    real = text.replace(vpc.id, "vpc-0a1b2c3d4e5f60718")
    for tls in ("tls:index/selfSignedCert:SelfSignedCert",):
        cert = staging.one(tls).outputs["certPem"]
        real = real.replace(
            json.dumps(cert)[1:-1], "-----BEGIN CERTIFICATE-----\\nREAL\\n-----END CERTIFICATE-----\\n"
        )
    assert real != text
    plan = _plan(tmp_path, staging, json.loads(real))
    assert plan.changes == [], [c.urn for c in plan.changes]
