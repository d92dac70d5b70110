"""Fuzz: bad arguments of every command, bad policy configs and a bug are one line each, never a
traceback (`--debug` shows it).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from arbiter_tools import cli
from tests.tooling.fuzz_cases import (
    BASE,
    SEED,
    STACK,
    as_yaml,
    assert_one_line_usage_error,
    run_main,
)

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
    ["db-upgrade", "--stack", STACK],
    ["db-upgrade", "--stack", STACK, "--to", "18"],
    ["db-upgrade", "--stack", STACK, "--to", "17.4"],
    ["db-upgrade", "--stack", STACK, "--to", "x" * 100_000],
    ["db-upgrade", "--stack", STACK, "--to", "17", "--switchover-timeout", "5"],
    ["db-upgrade", "--stack", STACK, "--to", "17", "--switchover-timeout", "3601"],
    ["db-upgrade", "--stack", STACK, "--to", "17", "--timeout", "-1"],
    ["db-upgrade", "--stack", "account", "--to", "17"],
    ["db-upgrade", "--stack", "staging", "--to", "16"],
    ["db-upgrade", "--stack", "prod", "--to", "17"],
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
    (project / f"Pulumi.{STACK}.yaml").write_bytes(as_yaml(BASE))
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
