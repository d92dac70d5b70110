"""`plan --state FILE`: the program diffed against exports built from its own state.

Each export is what `pulumi stack export` would hold after `pulumi up` of the program (run under
the offline mocks); a test then changes the stack config (or the export, for what config cannot
express) and checks what `pulumi up` would do. The command line around it: test_state_diff_cli.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from arbiter_infra import catalog
from arbiter_tools.replacements import REPLACEMENTS, STATEFUL, is_downgrade, version_satisfies
from arbiter_tools.runtime import Deployment, run_program
from arbiter_tools.state_diff import UNKNOWN
from arbiter_tools.state_export import SECRET_SIG, export_deployment
from arbiter_tools.state_render import blocked, is_prod_config, render
from tests.conftest import stack_sections
from tests.tooling.state_helpers import (
    CLUSTER,
    INSTANCE,
    REDIS,
    SERVICE,
    SUBNET_GROUP,
    TASK_DEF,
    diff_plan,
    ops_of,
    state_entry,
    with_inputs,
)


def test_no_change_is_no_changes(tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]) -> None:
    plan = diff_plan(tmp_path, staging, staging_state)
    assert plan.changes == [] and plan.unchanged == len(staging.resources)
    assert "no changes" in "\n".join(render(plan))


def test_image_tag_change_replaces_only_that_task_definition_and_updates_its_service(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    services = stack_sections("staging")["services"]
    old_image = services["tradingCore"]["image"]
    services["tradingCore"]["image"] = old_image.rsplit(":", 1)[0] + ":v9.9.9"
    new = run_program("staging", config_overrides={"services": services})
    plan = diff_plan(tmp_path, new, staging_state)
    task = next(r for r in new.of_type(TASK_DEF) if r.inputs["family"].endswith("trading-core"))
    service = next(r for r in new.of_type(SERVICE) if r.inputs["name"] == "trading-core")
    assert ops_of(plan) == {task.urn: "replace", service.urn: "update"}
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
    plan = diff_plan(tmp_path, staging, export_deployment(old))
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
    plan = diff_plan(tmp_path, staging, doc)
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
    state_entry(doc, cluster.urn)["inputs"]["clusterIdentifier"] = "arbiter-prod-aurora-old"
    plan = diff_plan(tmp_path, prod, doc)
    assert ops_of(plan)[cluster.urn] == "replace"
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


def test_redis_node_type_change_is_in_place(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    cache = stack_sections("staging")["cache"]
    old_type = cache["nodeType"]
    cache["nodeType"] = next(t for t in catalog.CACHE_NODE_MEMORY_GIB if t != old_type)
    plan = diff_plan(tmp_path, run_program("staging", config_overrides={"cache": cache}), staging_state)
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
    plan = diff_plan(tmp_path, staging, export_deployment(old))
    second = next(r for r in old.of_type(INSTANCE) if r.urn not in {i.urn for i in staging.of_type(INSTANCE)})
    assert ops_of(plan)[second.urn] == "delete"
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
        state_entry(doc, r.urn)["outputs"]["engineVersionActual"] = version
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
    new = with_inputs(with_inputs(staging, CLUSTER, engineVersion=declared), INSTANCE, engineVersion=declared)
    doc = _running(_running(staging_state, staging, CLUSTER, running), staging, INSTANCE, running)
    plan = diff_plan(tmp_path, new, doc)
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
    assert diff_plan(tmp_path, with_inputs(staging, REDIS, engineVersion="7.0"), doc).changes == []
    # Without that option, the provider's rule applies: a declared downgrade replaces the group.
    unpinned = dataclasses.replace(
        staging,
        resources=[
            dataclasses.replace(r, ignore_changes=()) if r.type == REDIS else r for r in staging.resources
        ],
    )
    assert diff_plan(tmp_path, with_inputs(unpinned, REDIS, engineVersion="7.1"), doc).changes == []
    plan = diff_plan(tmp_path, with_inputs(unpinned, REDIS, engineVersion="7.0"), doc)
    group = next(c for c in plan.changes if c.type == REDIS)
    assert group.op == "replace" and [c.type for c in plan.at_risk()] == [REDIS]


def test_cache_engine_redis_to_valkey_is_in_place_and_back_replaces(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    """customizeDiffEngineForceNewOnDowngrade: only redis -> valkey is an in-place engine change."""
    assert staging.one(REDIS).inputs["engine"] == "valkey"
    back = diff_plan(tmp_path, with_inputs(staging, REDIS, engine="redis"), staging_state)
    assert next(c for c in back.changes if c.type == REDIS).op == "replace"
    assert [c.type for c in back.at_risk()] == [REDIS]  # valkey -> redis: a new, empty group
    plan = diff_plan(tmp_path, staging, export_deployment(with_inputs(staging, REDIS, engine="redis")))
    group = next(c for c in plan.changes if c.type == REDIS)
    assert group.op == "update"
    assert [(d.path, d.old, d.new, d.forces_replacement) for d in group.diffs] == [
        ("engine", "redis", "valkey", False)
    ]


# Options and secrets.


def test_ignore_changes_is_recorded_and_honoured(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    services = {r.inputs["name"]: r for r in staging.of_type(SERVICE)}
    assert services["web-api"].ignore_changes == ("desiredCount",)  # autoscaling owns it
    assert services["trading-core"].ignore_changes == ()
    doc = copy.deepcopy(staging_state)
    for name in ("web-api", "trading-core"):
        state_entry(doc, services[name].urn)["inputs"]["desiredCount"] = 7
    plan = diff_plan(tmp_path, staging, doc)
    assert ops_of(plan) == {services["trading-core"].urn: "update"}


def test_secrets_are_compared_opaquely_and_never_printed(
    tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]
) -> None:
    password = staging.one(
        "random:index/randomPassword:RandomPassword", "arbiter-staging-cache-default-password"
    )
    user = staging.one("aws:elasticache/user:User", "arbiter-staging-cache-default-user")
    assert state_entry(staging_state, user.urn)["inputs"]["authenticationMode"][SECRET_SIG]
    # A --show-secrets export holds plaintext: a different value is a change, shown as [secret].
    doc = copy.deepcopy(staging_state)
    envelope = state_entry(doc, user.urn)["inputs"]["authenticationMode"]
    envelope.pop("ciphertext")
    envelope["plaintext"] = json.dumps({"type": "password", "passwords": ["old-password-value"]})
    plan = diff_plan(tmp_path, staging, doc)
    change = next(c for c in plan.changes if c.urn == user.urn)
    assert [(d.old, d.new) for d in change.diffs] == [("[secret]", "[secret]")]
    assert "old-password-value" not in "\n".join(render(plan))
    # A new password replaces the old; what consumes it is unknown until then, still unprinted.
    doc = copy.deepcopy(staging_state)
    state_entry(doc, password.urn)["inputs"]["length"] = 32
    plan = diff_plan(tmp_path, staging, doc)
    ops = {(c.type, c.urn): c.op for c in plan.changes}
    assert ops[("random:index/randomPassword:RandomPassword", password.urn)] == "replace"
    assert ops[("aws:elasticache/user:User", user.urn)] == "update"  # the default user's password, in place
    text = "\n".join(render(plan))
    assert (
        password.outputs["result"] not in text
        and "authenticationMode: [secret] => output<known after deploy>" in text
    )


def test_untabled_type_says_so(tmp_path: Path, staging: Deployment, staging_state: dict[str, Any]) -> None:
    alarm = staging.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")[0]
    assert alarm.type not in REPLACEMENTS
    doc = copy.deepcopy(staging_state)
    state_entry(doc, alarm.urn)["inputs"]["threshold"] = 12345
    change = diff_plan(tmp_path, staging, doc).changes[0]
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
    plan = diff_plan(tmp_path, staging, json.loads(real))
    assert plan.changes == [], [c.urn for c in plan.changes]


def test_a_retention_change_in_prod_replaces_the_vault_lock_delete_first(
    tmp_path: Path, prod: Deployment, prod_state: dict[str, Any]
) -> None:
    """Every argument of a Vault Lock forces a replacement: the plan says so, and says whose change it is."""
    database = stack_sections("prod")["database"]
    database["backup"]["retentionDays"] = 21
    plan = diff_plan(tmp_path, run_program("prod", config_overrides={"database": database}), prod_state)
    lock = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
    changed = {c.name: c for c in plan.changes if c.type == lock}
    # The primary vault's; the copy keeps copyRetentionDays (its lock may still show an unknown
    # vault name when the mocks' copy-region ARNs differ from the state's, never a retention change).
    assert "arbiter-prod-backup-vault-lock" in changed, {n: c.diffs for n, c in changed.items()}
    copy = changed.get("arbiter-prod-backup-copy-vault-lock")
    assert copy is None or not {d.path for d in copy.diffs} & {"minRetentionDays", "maxRetentionDays"}
    change = changed["arbiter-prod-backup-vault-lock"]
    assert change.op == "replace" and change.tabled
    assert any("administrator's change" in note for note in change.notes)
    assert {(d.path, d.old, d.new) for d in change.diffs} >= {
        ("minRetentionDays", 14, 21),
        ("maxRetentionDays", 14, 21),
    }


def test_a_functions_code_is_compared_by_the_content_of_each_file(tmp_path: Path) -> None:
    """An archive is compared with the per-asset hashes the state holds: unchanged files are no
    update, one changed file is one changed leaf."""
    import hashlib

    import pulumi

    from arbiter_tools.state_diff import _leaf_diffs

    handler = tmp_path / "index.py"
    handler.write_text("def handler(event, context): ...\n")
    digest = hashlib.sha256(handler.read_bytes()).hexdigest()
    archive = pulumi.AssetArchive(
        {"index.py": pulumi.FileAsset(str(handler)), "v.txt": pulumi.StringAsset("1")}
    )
    state = {
        "4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7",
        "assets": {
            "index.py": {
                "4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17",
                "hash": digest,
            },
            "v.txt": {"hash": hashlib.sha256(b"1").hexdigest(), "text": "1"},
        },
    }
    same: list[tuple[str, Any, Any]] = []
    _leaf_diffs("code", state, archive, same)
    assert same == []
    handler.write_text("def handler(event, context): return 1\n")
    changed: list[tuple[str, Any, Any]] = []
    _leaf_diffs("code", state, archive, changed)
    assert [path for path, _, _ in changed] == ["code.index.py"]
