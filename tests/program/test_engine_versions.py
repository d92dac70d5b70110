"""Engine versions: pin the major, let AWS move the minor, and `pulumi preview` stays clean after it.

The provider's own read rules (terraform-provider-aws, bridged by pulumi-aws) are encoded in
`arbiter_infra.catalog` and checked here against the cases in their source; the program's declared
inputs are then replayed against a state in which AWS moved the minor (Aurora 16.8 -> 16.9, Redis
7.1 -> 7.2), the way the engine diffs them: declared input vs the provider's state, minus
`ignore_changes`.
"""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_infra import catalog
from arbiter_tools.runtime import DeclaredResource, Deployment, run_program
from tests.conftest import stack_sections

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CLUSTER_PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
CACHE_PARAMS = "aws:elasticache/parameterGroup:ParameterGroup"


def planned_changes(declared: DeclaredResource, state: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What a preview shows for `declared` against the provider's `state`: (state, declared) per input."""
    return {
        key: (state[key], value)
        for key, value in declared.inputs.items()
        if key in state and state[key] != value and key not in declared.ignore_changes
    }


# --- the provider's rules, from their source --------------------------------------------------


@pytest.mark.parametrize(
    ("prior", "actual", "pending", "kept"),
    [
        ("16", "16.9", "", "16"),  # a major-only declaration survives any minor
        ("16.8", "16.9", "", "16.9"),  # a pinned minor is overwritten: the declared 16.8 then diffs
        ("1.3", "1.3.27", "", "1.3"),  # the example in the provider's comment
        ("16.8", "16.8", "", "16.8"),
        ("16.8", "16.9", "16.8", "16.8"),  # an upgrade to the prior value is pending
        ("16", "160.1", "", "160.1"),  # a prefix only at a dot boundary
        ("", "16.8", "", "16.8"),
    ],
)
def test_rds_read_rule(prior: str, actual: str, pending: str, kept: str) -> None:
    assert catalog.rds_state_engine_version(prior, actual, pending) == kept


@pytest.mark.parametrize(
    ("prior", "actual", "kept"),
    [
        ("7.1", "7.1.0", "7.1"),
        ("7.1", "7.2.4", "7.2"),  # the moved minor replaces the declared one
        ("6.x", "6.2.6", "6.x"),
        ("6.2", "6.2.6", "6.2"),
        ("5.0.6", "5.0.6", "5.0.6"),
    ],
)
def test_redis_read_rule(prior: str, actual: str, kept: str) -> None:
    assert catalog.redis_state_engine_version(prior, actual) == kept


def test_redis_downgrade_rule() -> None:
    assert catalog.redis_version_is_downgrade("7.2", "7.1")
    assert not catalog.redis_version_is_downgrade("7.1", "7.2")
    assert not catalog.redis_version_is_downgrade("7.1", "7.1")


# --- the program against a state whose version moved ------------------------------------------


def _aurora_state_after(declared: str, created_at: str, moved_to: str) -> dict[str, Any]:
    """Provider state: read once after create (AWS picked `created_at`), again after AWS moved it."""
    at_create = catalog.rds_state_engine_version(declared, created_at)
    return {
        "engineVersion": catalog.rds_state_engine_version(at_create, moved_to),
        "engineVersionActual": moved_to,
    }


def test_aurora_minor_upgrade_by_aws_is_no_diff(deployment: Deployment) -> None:
    cluster = deployment.one(CLUSTER)
    declared = cluster.inputs["engineVersion"]
    state = _aurora_state_after(declared, "16.8", "16.9")
    assert planned_changes(cluster, {**cluster.inputs, **state}) == {}
    assert state["engineVersionActual"] == "16.9"
    # Instances declare no version: only the cluster's state could diff, and it does not.
    for instance in deployment.of_type(INSTANCE):
        assert "engineVersion" not in instance.inputs


def test_a_pinned_minor_would_plan_the_downgrade_rds_refuses() -> None:
    """Why the major only: the old declaration (16.8) against the same moved state is a downgrade."""
    state = _aurora_state_after("16.8", "16.8", "16.9")
    assert state["engineVersion"] == "16.9"  # then the plan is 16.9 -> 16.8, refused by RDS


def test_redis_minor_upgrade_by_aws_is_no_diff(deployment: Deployment) -> None:
    group = deployment.one(GROUP)
    declared = group.inputs["engineVersion"]
    at_create = catalog.redis_state_engine_version(declared, f"{declared}.0")
    major, minor = (int(p) for p in declared.split("."))
    moved = catalog.redis_state_engine_version(at_create, f"{major}.{minor + 1}.4")
    assert moved == f"{major}.{minor + 1}"
    # Without ignore_changes the plan would be 7.2 -> 7.1: a downgrade the provider turns into a
    # replacement of the whole group (sessions, rate limits and quota counters lost).
    assert catalog.redis_version_is_downgrade(moved, declared)
    assert planned_changes(group, {**group.inputs, "engineVersion": moved}) == {}


def test_aurora_major_change_in_config_takes_effect() -> None:
    """A new major in config is an in-place upgrade, with the new family's parameter group."""
    sections = stack_sections("staging")
    database = {**sections["database"], "engineVersion": "15"}
    d = run_program("staging", config_overrides={"database": database})
    cluster = d.one(CLUSTER)
    params = d.one(CLUSTER_PARAMS)
    assert params.inputs["family"] == "aurora-postgresql15"
    assert params.inputs["name"] == "arbiter-staging-aurora-pg15"
    assert cluster.inputs["dbClusterParameterGroupName"] == params.outputs["name"]
    # Against a cluster that runs 16.9, the plan is the major change, allowed.
    state = _aurora_state_after("16", "16.8", "16.9")
    changes = planned_changes(cluster, {**cluster.inputs, **state})
    assert changes["engineVersion"] == ("16", "15")
    assert cluster.inputs["allowMajorVersionUpgrade"] is True


def test_redis_major_follows_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new major creates at the catalog's version with its own family's parameter group."""
    monkeypatch.setitem(catalog.REDIS_CREATE_VERSION, "8", "8.0")
    monkeypatch.setitem(catalog.REDIS_PARAMETER_FAMILY, "8", "redis8")
    cache = {**stack_sections("staging")["cache"], "engine": "redis", "engineVersion": "8"}
    d = run_program("staging", config_overrides={"cache": cache})
    group, params = d.one(GROUP), d.one(CACHE_PARAMS)
    assert group.inputs["engine"] == "redis"
    assert group.inputs["engineVersion"] == "8.0"
    assert params.inputs["family"] == "redis8"
    assert params.inputs["name"] == "arbiter-staging-redis8"
    assert group.inputs["parameterGroupName"] == params.outputs["name"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_files_pin_majors_only(stack: str) -> None:
    sections = stack_sections(stack)
    assert sections["database"]["engineVersion"] in catalog.AURORA_POSTGRES_MAJORS
    assert sections["cache"]["engineVersion"] in catalog.CACHE_ENGINES[sections["cache"]["engine"]][0]


@pytest.mark.parametrize(
    ("engine", "major", "version", "family"),
    [("valkey", "7", "7.2", "valkey7"), ("valkey", "8", "8.0", "valkey8"), ("redis", "7", "7.1", "redis7")],
)
def test_each_engine_creates_at_its_version_with_its_family(
    engine: str, major: str, version: str, family: str
) -> None:
    cache = {**stack_sections("staging")["cache"], "engine": engine, "engineVersion": major}
    d = run_program("staging", config_overrides={"cache": cache})
    group, params = d.one(GROUP), d.one(CACHE_PARAMS)
    assert (group.inputs["engine"], group.inputs["engineVersion"]) == (engine, version)
    assert params.inputs["family"] == family
    assert params.inputs["name"] == f"arbiter-staging-{engine}{major}"
    assert group.inputs["parameterGroupName"] == params.outputs["name"]
    # The group keeps its id across engines: a new id would be a new, empty group.
    assert group.inputs["replicationGroupId"] == "arbiter-staging-redis"
