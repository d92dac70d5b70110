"""`drift-report`: the drifted resources of a refreshed preview's JSON, for the drift workflow's issue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from arbiter_tools.drift_report import MARKER, load, parse, render
from arbiter_tools.errors import UserError
from tests.tooling.cli_support import one_line_failure, run_cli

#: A `pulumi preview --refresh --expect-no-changes --json` of prod after four changes made by hand:
#: a snapshot retention lowered, a rule and a tag added to a security group, an alarm deleted, and
#: the Redis AUTH value rewritten (a replacement of its SecretVersion).
FIXTURE = Path(__file__).parent / "data" / "drift_preview.json"
RUN = "https://github.com/arbiter-bot/arbiter-infra/actions/runs/1234"


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(FIXTURE.read_text())
    return doc


def test_each_drifted_resource_is_named_once_with_what_changed() -> None:
    report = load(FIXTURE, "prod")
    assert [(d.name, d.op) for d in report.drifted] == [
        ("arbiter-prod-cache-group", "update"),
        ("arbiter-prod-network-endpoints-sg", "update"),
        ("arbiter-prod-monitoring-backup-jobs-failed", "create"),
        ("arbiter-prod-cache-auth-value", "replace"),  # create-replacement, replace, delete-replaced
    ]
    group, sg, _alarm, _version = report.drifted
    assert group.type == "aws:elasticache/replicationGroup:ReplicationGroup"
    assert [(p.path, p.actual, p.declared) for p in group.properties] == [
        ("snapshotRetentionLimit", "1", "7")
    ]
    assert [(p.path, p.actual, p.declared, p.kind) for p in sg.properties] == [
        ("ingress[0].cidrBlocks[1]", "0.0.0.0/0", None, "delete"),
        ("tags.Owner", "alice", None, "delete"),
    ]
    assert report.errors == []  # the warning is not an error
    assert report.found


def test_markdown_names_resources_and_values_but_never_a_secret() -> None:
    text = render(load(FIXTURE, "prod"), run_url=RUN)
    assert text.startswith(MARKER.format(stack="prod") + "\n")  # the workflow finds the issue by it
    assert "## Drift in prod: 4 resource(s) differ from the program" in text
    assert f"([run]({RUN}))" in text
    assert "| `arbiter-prod-cache-group` | `aws:elasticache/replicationGroup:ReplicationGroup` |" in text
    assert "`snapshotRetentionLimit`: `1` -> `7`" in text
    assert "`ingress[0].cidrBlocks[1]`: `0.0.0.0/0` -> (none)" in text
    assert "missing in AWS" in text and "replacing it" in text
    assert "`secretString`: `[secret]` -> `[secret]`" in text
    assert "v1:abc" not in text and "1b47061264138c4ac30d75fd1eb44270" not in text
    assert "Pulumi.prod.yaml" in text


def test_a_secret_output_is_blinded_even_where_the_refreshed_state_is_plain() -> None:
    doc = _doc()
    step = doc["steps"][2]
    step["oldState"]["inputs"]["authToken"] = "plain-token-read-back"
    step["newState"]["inputs"]["authToken"] = "[secret]"
    step["detailedDiff"]["authToken"] = {"kind": "update", "inputDiff": True}
    text = render(parse(doc, "prod"))
    assert "plain-token-read-back" not in text
    assert "`authToken`: `[secret]` -> `[secret]`" in text


def test_long_values_are_cut_and_table_syntax_escaped() -> None:
    doc = _doc()
    step = doc["steps"][2]
    step["oldState"]["inputs"]["description"] = "a|b " + "x" * 200
    step["newState"]["inputs"]["description"] = "short"
    step["detailedDiff"] = {"description": {"kind": "update"}}
    [prop] = parse(doc, "prod").drifted[0].properties
    assert prop.actual is not None and len(prop.actual) == 80 and prop.actual.startswith("a\\|b x")
    assert prop.actual.endswith("...")


def test_a_clean_refresh_is_no_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "preview.json"
    clean.write_text(json.dumps({"changeSummary": {"same": 213}, "duration": 39000000000}))
    code, out, _ = run_cli(capsys, "drift-report", str(clean), "--stack", "staging")
    assert code == 0
    assert out == f"{MARKER.format(stack='staging')}\nNo drift in **staging**: AWS matches the program.\n"


def test_drift_exits_1_and_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "drift.md"
    code, out, _ = run_cli(
        capsys, "drift-report", str(FIXTURE), "--stack", "prod", "--run-url", RUN, "--output", str(out_file)
    )
    assert (code, out) == (1, "")
    assert out_file.read_text() == render(load(FIXTURE, "prod"), run_url=RUN)


def test_preview_errors_are_reported_as_drift_not_hidden() -> None:
    doc = {
        "diagnostics": [
            {
                "message": "error: reading ElastiCache Replication Group (arbiter-prod-redis): AccessDenied\n",
                "severity": "error",
            }
        ],
        "changeSummary": {"same": 12},
    }
    report = parse(doc, "prod")
    assert report.found and report.drifted == []
    assert report.errors == [
        "error: reading ElastiCache Replication Group (arbiter-prod-redis): AccessDenied"
    ]
    assert "**The preview reported errors**" in render(report)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot read it"),
        ("", "empty: the preview wrote no JSON"),
        ("Previewing update (prod):", "not valid JSON (line 1)"),
        ('{"resources": []}', "not the output of `pulumi preview --json`"),
        ('{"steps": {}}', "steps is not a list"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, fragment: str
) -> None:
    path = tmp_path / "preview.json"
    if content is not None:
        path.write_text(content)
    code, _, err = run_cli(capsys, "drift-report", str(path), "--stack", "prod")
    assert code == 2
    line = one_line_failure(code, err)
    assert str(path) in line and fragment in line
    with pytest.raises(UserError):
        load(path, "prod")
