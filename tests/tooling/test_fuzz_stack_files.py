"""Fuzz: malformed stack files never reach a traceback, in `plan`, in `emulate` (which then creates
nothing in the emulator) and through a real process (the exit code and stderr the shell sees).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from arbiter_tools import runtime
from tests.conftest import FAKE_ENV
from tests.tooling.fuzz_cases import (
    BASE,
    FILE_CASES,
    PATHS,
    SEED,
    STACK,
    FileCase,
    as_yaml,
    assert_one_line_usage_error,
    key_name,
    run_main,
    with_value,
)


def test_the_fuzz_covers_every_key_and_about_200_cases() -> None:
    assert len(PATHS) > 80
    assert 190 <= len(FILE_CASES) <= 210
    assert len({c.id for c in FILE_CASES}) == len(FILE_CASES)
    assert all(any(c.id.startswith(f"{key_name(p)}=") for c in FILE_CASES) for p in PATHS)


def test_the_unbroken_stack_file_plans(project: Path) -> None:
    """The converse: the fuzz's base file is valid, so each rejection is the mutation's doing."""
    (project / f"Pulumi.{STACK}.yaml").write_bytes(as_yaml(BASE))
    code, out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project), "--no-policies"])
    assert (code, err) == (0, "")
    assert "Resources:" in out


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_malformed_stack_file(case: FileCase, project: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(case.content)
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project), "--no-policies"])
    assert_one_line_usage_error(code, err)


def test_a_float_where_a_string_belongs_says_to_quote_it(project: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(as_yaml(with_value(("arbiter:services", "rustLog"), 1.10)))
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert code == 2
    assert err.strip() == (
        "arbiter-infra: arbiter:services.rustLog = 1.1: must be a string: quote it in the stack file "
        '("1.1" is how YAML read it)'
    )


def test_an_unquoted_version_with_a_minor_says_to_pin_the_major(project: Path) -> None:
    """An unquoted 16.10 reads as 16.1; either way a minor is refused, and the message says why."""
    (project / f"Pulumi.{STACK}.yaml").write_bytes(
        as_yaml(with_value(("arbiter:database", "engineVersion"), 16.10))
    )
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert code == 2
    assert err.strip() == (
        'arbiter-infra: arbiter:database.engineVersion = 16.1: must be the major version only ("16"): '
        "AWS upgrades the minor version itself"
    )


def test_a_string_where_a_section_belongs_is_one_line(project: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(as_yaml(with_value(("arbiter:network",), "10.0.0.0/16")))
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert (code, err.strip()) == (
        2,
        'arbiter-infra: arbiter:network = "10.0.0.0/16": must be a mapping of settings (indented keys), '
        "not a string",
    )


def test_a_huge_value_is_cut_in_the_message(project: Path) -> None:
    doc = with_value(("arbiter:services", "webApi", "image"), "y" * 1_000_000)
    (project / f"Pulumi.{STACK}.yaml").write_bytes(as_yaml(doc))
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert code == 2
    assert err.startswith('arbiter-infra: arbiter:services.webApi.image = "yyy')
    assert "(1000002 characters)" in err and len(err) < 400


# `emulate` with a bad stack file: nothing created in the emulator.


def _emulated_anything(session: boto3.Session) -> list[str]:
    ec2 = session.client("ec2")
    found = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    found += [k["KeyId"] for k in session.client("kms").list_keys()["Keys"]]
    found += [s["Name"] for s in session.client("secretsmanager").list_secrets()["SecretList"]]
    found += session.client("ecs").list_clusters()["clusterArns"]
    found += [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]
    found += [g["logGroupName"] for g in session.client("logs").describe_log_groups()["logGroups"]]
    return found


@pytest.fixture
def emulate_from(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make `emulate --stack staging` read its stack file (and program) from `project`."""
    monkeypatch.setattr(runtime.read_stack_file, "__defaults__", (project,))
    kwdefaults = runtime.run_program.__kwdefaults__
    assert kwdefaults is not None
    monkeypatch.setitem(kwdefaults, "project_dir", project)
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return project


EMULATE_CASES = [c for c in FILE_CASES if c.id in ("bytes-64", "list", "config-null")] + random.Random(
    SEED
).sample([c for c in FILE_CASES if "=" in c.id], 2)


@pytest.mark.parametrize("case", EMULATE_CASES, ids=lambda c: c.id)
def test_emulate_with_a_bad_stack_file_creates_nothing(case: FileCase, emulate_from: Path) -> None:
    (emulate_from / f"Pulumi.{STACK}.yaml").write_bytes(case.content)
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        code, _out, err = run_main(["emulate", "--stack", STACK])
        assert_one_line_usage_error(code, err)
        assert _emulated_anything(session) == []


def test_emulate_with_the_unbroken_file_does_create(emulate_from: Path) -> None:
    """The converse: the probe above sees what emulate creates."""
    (emulate_from / f"Pulumi.{STACK}.yaml").write_bytes(as_yaml(BASE))
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        code, _out, err = run_main(["emulate", "--stack", STACK])
        assert (code, err) == (0, "")
        assert len(_emulated_anything(session)) > 5


# Through a real process: the exit code and stderr the shell sees.

SUBPROCESS_CASES = [
    ("binary", random.Random(SEED).randbytes(256), []),
    ("list", b"- a\n", []),
    ("wrong-type", as_yaml(with_value(("arbiter:database", "instanceCount"), "two")), []),
    ("bad-arg", as_yaml(BASE), ["--no-such-flag"]),
]


@pytest.mark.parametrize(("name", "content", "extra"), SUBPROCESS_CASES, ids=[c[0] for c in SUBPROCESS_CASES])
def test_subprocess_exit_code_and_one_line(
    name: str, content: bytes, extra: list[str], project: Path
) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(content)
    argv = ["plan", "--stack", STACK, "--project-dir", str(project), "--no-policies", *extra]
    proc = subprocess.run(
        [sys.executable, "-m", "arbiter_tools.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout == ""
    assert_one_line_usage_error(proc.returncode, proc.stderr)


def test_json_shape_of_the_base_is_what_the_fuzz_mutates() -> None:
    assert json.loads(json.dumps(BASE["config"])) == BASE["config"]
