"""Fuzz: malformed stack files and arguments never reach a traceback.

Deterministic (seeded) so CI is reproducible. Every case goes through `arbiter_tools.cli.main`
in-process, a few through a subprocess as well (to see the real exit code and stderr), and asserts:
a non-zero exit (2 for bad input), stderr one line starting with `arbiter-infra:` (argparse's usage
errors included), no traceback; `emulate` with a bad stack file creates nothing in the emulator.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from arbiter_tools import cli, runtime
from arbiter_tools.runtime import PROJECT_DIR
from tests.conftest import FAKE_ENV

SEED = 1414
STACK = "staging"
BASE: dict[str, Any] = yaml.safe_load((PROJECT_DIR / f"Pulumi.{STACK}.yaml").read_text())

Path_ = tuple[str | int, ...]

#: Wrong values by kind; each key gets the kinds that differ from its own value's kind.
WRONG: dict[str, Any] = {
    "string": "a string",
    "int": 12,
    "float": 16.10,
    "bool": True,
    "null": None,
    "list": [1, "x"],
    "mapping": {"a": 1},
}
#: Extremes of the key's own kind.
EXTREMES: dict[str, list[Any]] = {
    "int": [-5, 10**30],
    "string": ["x" * 1_000_000, "ünïcødé ☃ \u202e"],
}
#: Extremes that are valid by design (a health check may run any shell command).
VALID_BY_DESIGN = {("healthCheckCommand", 1, "ünïcødé ☃ \u202e")}
#: Keys with a default: leaving them out is not bad input.
OPTIONAL = {
    "cpuArchitecture",
    "enableExec",
    "rustLog",
    "slowQueryThresholdMs",
    "alertEmails",
    "waf",
    # database.backup and each of its keys have defaults (prod on, us-west-2, 14 days).
    "backup",
    "enabled",
    "copyRegion",
    "retentionDays",
    "copyRetentionDays",
}
#: Sections every key of which has a default (WAF is on by default: a missing key is not bad input).
OPTIONAL_SECTIONS = {"waf"}


KINDS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),  # before int: a bool is an int in Python
    (int, "int"),
    (float, "float"),
    (str, "string"),
    (list, "list"),
    (dict, "mapping"),
)


def kind(value: Any) -> str:
    return next((name for type_, name in KINDS if isinstance(value, type_)), "null")


def key_paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key of every section (and every list item), outermost first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield (*prefix, key)
        yield from key_paths(item, (*prefix, key))


PATHS = list(key_paths(BASE["config"]))


def at(path: Path_) -> Any:
    value: Any = BASE["config"]
    for step in path:
        value = value[step]
    return value


def with_value(path: Path_, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target = doc["config"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


def without(path: Path_) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target = doc["config"]
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return doc


@dataclass(frozen=True)
class FileCase:
    id: str
    content: bytes


def _yaml(doc: Any) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True, width=10**9).encode()


def file_cases() -> list[FileCase]:
    """About 200 malformed stack files: every key gets a wrong type, plus a seeded sample of the rest."""
    rng = random.Random(SEED)
    cases = [FileCase(f"bytes-{n}", rng.randbytes(n)) for n in (1, 7, 64, 512, 4096)]
    cases += [
        FileCase("list", b"- a\n- b\n"),
        FileCase("scalar", b"42\n"),
        FileCase("config-list", b"config: [1, 2]\n"),
        FileCase("config-scalar", b"config: hello\n"),
        FileCase("config-null", b"config:\n"),
        FileCase("unclosed", b"config: {a: [\n"),
        FileCase("tab-indent", b"config:\n\taws:region: us-east-1\n"),
        FileCase("duplicate", _yaml(BASE) + b"  arbiter:environment: prod\n"),
        FileCase("utf16", "config: {}".encode("utf-16")),
        FileCase("unknown-top", _yaml(with_value(("arbiter:telegramBotTokn",), "x"))),
        FileCase("unknown-aws", _yaml(with_value(("aws:regoin",), "us-east-1"))),
        FileCase("unknown-section", _yaml(with_value(("arbiter:netwrk",), {"a": 1}))),
        FileCase("unknown-nested", _yaml(with_value(("arbiter:network", "vpcCidrr"), "10.0.0.0/16"))),
        FileCase("plaintext-secret", _yaml(with_value(("arbiter:telegramBotToken",), "123:abc"))),
    ]
    for path in PATHS:  # every key: one wrong type, chosen by the seeded generator
        own = kind(at(path))
        wrong = rng.choice(sorted(k for k in WRONG if k != own and not (own == "int" and k == "float")))
        cases.append(FileCase(f"{_name(path)}={wrong}", _yaml(with_value(path, WRONG[wrong]))))
    rest: list[tuple[str, Any]] = []  # (id, document): dumped only when sampled (1 MB values)
    for path in PATHS:
        for extreme in EXTREMES.get(kind(at(path)), []):
            if (*path[-2:], extreme) not in VALID_BY_DESIGN:
                label = f"{len(extreme)}-chars" if isinstance(extreme, str) else extreme
                rest.append((f"{_name(path)}={label}"[:80], (path, extreme)))
        if path[-1] not in OPTIONAL and not OPTIONAL_SECTIONS & set(path) and not isinstance(path[-1], int):
            rest.append((f"{_name(path)}-missing", (path, None)))
    sampled = rng.sample(rest, k=min(len(rest), 200 - len(cases)))
    return cases + [
        FileCase(id_, _yaml(without(path) if id_.endswith("-missing") else with_value(path, value)))
        for id_, (path, value) in sampled
    ]


def _name(path: Path_) -> str:
    return ".".join(map(str, path))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    return tmp_path


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """`cli.main` in-process: its exit code (argparse's SystemExit included), stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def assert_one_line_usage_error(code: int, stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    # `arbiter-infra: ...`, or argparse's usage error `arbiter-infra <command>: ...`.
    assert len(lines) == 1 and re.match(r"arbiter-infra( [a-z]+)*: \S", lines[0]), stderr[:1000]
    assert len(lines[0]) <= 600, lines[0][:200]
    assert code == 2, (code, lines[0])


FILE_CASES = file_cases()


def test_the_fuzz_covers_every_key_and_about_200_cases() -> None:
    assert len(PATHS) > 80
    assert 190 <= len(FILE_CASES) <= 210
    assert len({c.id for c in FILE_CASES}) == len(FILE_CASES)
    assert all(any(c.id.startswith(f"{_name(p)}=") for c in FILE_CASES) for p in PATHS)


def test_the_unbroken_stack_file_plans(project: Path) -> None:
    """The converse: the fuzz's base file is valid, so each rejection is the mutation's doing."""
    (project / f"Pulumi.{STACK}.yaml").write_bytes(_yaml(BASE))
    code, out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project), "--no-policies"])
    assert (code, err) == (0, "")
    assert "Resources:" in out


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_malformed_stack_file(case: FileCase, project: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(case.content)
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project), "--no-policies"])
    assert_one_line_usage_error(code, err)


def test_a_float_where_a_string_belongs_says_to_quote_it(project: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(_yaml(with_value(("arbiter:services", "rustLog"), 1.10)))
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert code == 2
    assert err.strip() == (
        "arbiter-infra: arbiter:services.rustLog = 1.1: must be a string: quote it in the stack file "
        '("1.1" is how YAML read it)'
    )


def test_an_unquoted_version_with_a_minor_says_to_pin_the_major(project: Path) -> None:
    """An unquoted 16.10 reads as 16.1; either way a minor is refused, and the message says why."""
    (project / f"Pulumi.{STACK}.yaml").write_bytes(
        _yaml(with_value(("arbiter:database", "engineVersion"), 16.10))
    )
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert code == 2
    assert err.strip() == (
        'arbiter-infra: arbiter:database.engineVersion = 16.1: must be the major version only ("16"): '
        "AWS upgrades the minor version itself"
    )


def test_a_string_where_a_section_belongs_is_one_line(project: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(_yaml(with_value(("arbiter:network",), "10.0.0.0/16")))
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert (code, err.strip()) == (
        2,
        'arbiter-infra: arbiter:network = "10.0.0.0/16": must be a mapping of settings (indented keys), '
        "not a string",
    )


def test_a_huge_value_is_cut_in_the_message(project: Path) -> None:
    doc = with_value(("arbiter:services", "webApi", "image"), "y" * 1_000_000)
    (project / f"Pulumi.{STACK}.yaml").write_bytes(_yaml(doc))
    code, _out, err = run_main(["plan", "--stack", STACK, "--project-dir", str(project)])
    assert code == 2
    assert err.startswith('arbiter-infra: arbiter:services.webApi.image = "yyy')
    assert "(1000002 characters)" in err and len(err) < 400


# Arguments: every command, bad values in every option.

BAD_ARGS: list[list[str]] = [
    [],
    ["nope"],
    ["--debug"],
    ["plan"],
    ["plan", "--stack"],
    ["plan", "--stack", ""],
    ["plan", "--stack", "../etc/passwd"],
    ["plan", "--stack", "pröd"],
    ["plan", "--stack", "x" * 5000],
    ["plan", "--stack", "nosuchstack"],
    ["plan", "--stack", STACK, "--unknown-flag"],
    ["plan", "--stack", STACK, "--policy-config", "/nonexistent/config.json"],
    ["status"],
    ["status", "--stack", "nope"],
    ["status", "--stack", STACK, "--service", "trading_core"],
    ["rollback", "--stack", STACK],
    ["rollback", "--stack", STACK, "--service", "web-api", "--to", "abc"],
    ["rollback", "--stack", STACK, "--service", "web-api", "--to", "1.5"],
    ["rollback", "--stack", STACK, "--service", "web-api", "--timeout", "-5"],
    ["rollback", "--stack", STACK, "--service", "web-api", "--timeout", "nan"],
    ["rollback", "--stack", STACK, "--service", "web-api", "--timeout", "inf"],
    ["rollback", "--stack", STACK, "--service", "web-api", "--timeout", "1e400"],
    ["logs", "--stack", STACK, "--service", "web-api", "--since", "abc"],
    ["logs", "--stack", STACK, "--service", "web-api", "--since", "-5m"],
    ["logs", "--stack", STACK, "--service", "web-api", "--since", "0m"],
    ["logs", "--stack", STACK, "--service", "nope"],
    ["wait", "--stack", STACK, "--timeout", "-1"],
    ["wait", "--stack", STACK, "--timeout", "x" * 100_000],
    ["wait", "--stack", "prod ", "--timeout", "10"],
    ["emulate"],
    ["emulate", "--stack", "no-such-stack"],
    ["emulate", "--stack", STACK, "extra"],
    ["scale", "--stack", STACK, "--service", "web-api"],
    ["scale", "--stack", STACK, "--service", "web-api", "--count", "-1"],
    ["scale", "--stack", STACK, "--service", "web-api", "--count", "abc"],
    ["scale", "--stack", STACK, "--service", "web-api", "--count", str(10**30)],
    ["scale", "--stack", "../x", "--service", "web-api", "--count", "1", "--file-only"],
    ["scale", "--stack", STACK, "--service", "nope", "--count", "1"],
    ["secrets"],
    ["secrets", "set", "--stack", STACK],
    ["secrets", "set", "--stack", STACK, "--secret", "nope"],
    ["secrets", "set", "--stack", STACK, "--secret", "kalshi", "--from-file", "/nonexistent.json"],
    ["secrets", "get", "--stack", STACK, "--secret", "kalshi"],
]


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials and no instance metadata: nothing may reach for AWS before its arguments are checked."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.mark.parametrize("argv", BAD_ARGS, ids=lambda a: " ".join(a)[:60] or "no-args")
def test_bad_arguments(argv: list[str], no_aws: None) -> None:
    code, _out, err = run_main(argv)
    assert_one_line_usage_error(code, err)


def test_bad_policy_config_files(project: Path, tmp_path: Path) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_bytes(_yaml(BASE))
    rng = random.Random(SEED)
    for content in (rng.randbytes(64), b"[1, 2]", b'{"all": "madnatory"}', b'{"all": 5}', b"{"):
        config = tmp_path / "policy.json"
        config.write_bytes(content)
        argv = ["plan", "--stack", STACK, "--project-dir", str(project), "--policy-config", str(config)]
        code, _out, err = run_main(argv)
        assert_one_line_usage_error(code, err)


# A bug is one line too, and says so; --debug shows the traceback.


def test_a_bug_is_one_line_naming_it_and_where_to_report_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_args: Any) -> int:
        raise RuntimeError("surprise\nsecond line")

    monkeypatch.setattr(cli, "cmd_plan", broken)
    code, _out, err = run_main(["plan", "--stack", STACK])
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("arbiter-infra: bug: RuntimeError: surprise second line (please report it at ")
    assert cli.ISSUES_URL in err and "--debug" in err
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "plan", "--stack", STACK])


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
    (emulate_from / f"Pulumi.{STACK}.yaml").write_bytes(_yaml(BASE))
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        code, _out, err = run_main(["emulate", "--stack", STACK])
        assert (code, err) == (0, "")
        assert len(_emulated_anything(session)) > 5


# Through a real process: the exit code and stderr the shell sees.

SUBPROCESS_CASES = [
    ("binary", random.Random(SEED).randbytes(256), []),
    ("list", b"- a\n", []),
    ("wrong-type", _yaml(with_value(("arbiter:database", "instanceCount"), "two")), []),
    ("bad-arg", _yaml(BASE), ["--no-such-flag"]),
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
