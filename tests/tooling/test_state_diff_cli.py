"""`arbiter-infra plan --state FILE`: exit codes, the prod guard, JSON, and bad input in one line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from arbiter_tools import cli
from arbiter_tools.runtime import Deployment
from arbiter_tools.state_diff import KNOWN_AFTER_DEPLOY
from tests.conftest import stack_sections, write_project
from tests.tooling.state_helpers import CLUSTER, INSTANCE, state_entry, write_state


def test_cli_no_change_exits_zero(
    tmp_path: Path, staging_state: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    state = write_state(tmp_path, staging_state)
    assert cli.main(["plan", "--stack", "staging", "--state", str(state), "--no-policies"]) == 0
    out = capsys.readouterr().out
    assert "no changes: " in out and "to create" not in out


@pytest.fixture(scope="module")
def prod_replacing_cluster(
    prod: Deployment, prod_state: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    doc = copy.deepcopy(prod_state)
    state_entry(doc, prod.one(CLUSTER).urn)["inputs"]["clusterIdentifier"] = "arbiter-prod-aurora-old"
    return write_state(tmp_path_factory.mktemp("state"), doc, "prod.json")


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
    path = write_state(tmp_path, prod_state)
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
    state = write_state(tmp_path, staging_state)
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
    state = write_state(tmp_path, staging_state)
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
