"""`drift-report`: the drifted resources of a refreshed preview's JSON, for the drift workflow's issue."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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


# ---- .github/scripts/drift-report.sh, the workflow step around the command -------------------------


def _run_step(tmp_path: Path, preview: str | None, preview_exit: str) -> tuple[int, dict[str, str], str]:
    """Run the step in `tmp_path` (its `./dev` runs this checkout's CLI): exit code, outputs, summary."""
    root = Path(__file__).resolve().parents[2]
    dev = tmp_path / "dev"
    dev.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m arbiter_tools.cli "$@"\n')
    dev.chmod(0o755)
    if preview is not None:
        (tmp_path / "preview.json").write_text(preview)
    (tmp_path / "preview.exit").write_text(preview_exit + "\n")
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    result = subprocess.run(
        [str(root / ".github" / "scripts" / "drift-report.sh"), "prod", RUN],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    text = (tmp_path / "output").read_text()
    drifted = re.search(r"^drifted=(\w+)$", text, re.M)
    report = re.search(r"^report<<(\S+)\n(.*)\n\1$", text, re.M | re.S)
    assert drifted and report, text
    return (
        result.returncode,
        {"drifted": drifted.group(1), "report": report.group(2)},
        (tmp_path / "summary").read_text(),
    )


def test_workflow_step_fails_on_drift_and_hands_the_report_to_the_alert(tmp_path: Path) -> None:
    code, outputs, summary = _run_step(tmp_path, FIXTURE.read_text(), "255")
    assert code == 1 and outputs["drifted"] == "true"
    assert outputs["report"] + "\n" == render(load(FIXTURE, "prod"), run_url=RUN) == summary


def test_workflow_step_passes_a_clean_refresh(tmp_path: Path) -> None:
    code, outputs, _ = _run_step(tmp_path, json.dumps({"changeSummary": {"same": 213}}), "0")
    assert (code, outputs["drifted"]) == (0, "false")
    assert "No drift in **prod**" in outputs["report"]


def test_workflow_step_alerts_when_the_preview_wrote_nothing(tmp_path: Path) -> None:
    code, outputs, _ = _run_step(tmp_path, "", "255")
    assert (code, outputs["drifted"]) == (1, "true")
    assert outputs["report"].startswith(MARKER.format(stack="prod"))
    assert "could not read the preview (pulumi exit 255" in outputs["report"] and "empty" in outputs["report"]
