"""The runbook commands' bad input and broken environments: one line on stderr, a non-zero exit,
nothing changed; and `emulate` then `status` against a real moto_server on loopback.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from arbiter_infra.config import DeploymentConfig
from arbiter_tools import cli
from arbiter_tools.runbook import DEFAULT_TIMEOUT, deployment_timeout
from tests.conftest import FAKE_ENV
from tests.tooling.cli_support import one_line_failure, run_cli

pytestmark = pytest.mark.moto


@pytest.mark.parametrize("since", ["15", "15x", "-5m", "0s", "m"])
def test_bad_duration_is_a_usage_error(since: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["logs", "--stack", "staging", "--service", "web-api", "--since", since])
    line = one_line_failure(int(str(info.value.code)), capsys.readouterr().err)
    assert "--since" in line


# --- Bad input: one line, non-zero exit, nothing changed ------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "--stack", "qa"],
        ["rollback", "--stack", "staging", "--service", "worker"],
        ["wait", "--stack", "dev"],
    ],
)
def test_unknown_stack_or_service_is_an_argparse_one_liner(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    line = one_line_failure(2, capsys.readouterr().err)
    assert "invalid choice" in line or "known stacks: account, prod, staging" in line


def test_nothing_deployed(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        for argv in (
            ["status", "--stack", "prod"],
            ["rollback", "--stack", "prod", "--service", "web-api", "--no-wait"],
            ["wait", "--stack", "prod", "--timeout", "0"],
        ):
            code, _, err = run_cli(capsys, *argv)
            line = one_line_failure(code, err)
            assert "arbiter-prod" in line and "nothing deployed" in line, line
        boto3.client("ecs", region_name="us-east-1").create_cluster(clusterName="arbiter-prod")
        code, _, err = run_cli(capsys, "status", "--stack", "prod", "--service", "web-api")
        line = one_line_failure(code, err)
        assert "service web-api not found in cluster arbiter-prod" in line
        code, _, err = run_cli(capsys, "logs", "--stack", "prod", "--service", "web-api")
        assert "log group /ecs/arbiter-prod-web-api not found" in one_line_failure(code, err)
        assert (
            boto3.client("ecs", region_name="us-east-1").list_services(cluster="arbiter-prod")["serviceArns"]
            == []
        )


def test_no_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No mock active and no credentials anywhere: one line saying how to configure them, no call made."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for argv in (
        ["status", "--stack", "staging"],
        ["rollback", "--stack", "staging", "--service", "trading-core"],
        ["logs", "--stack", "staging", "--service", "web-api"],
        ["wait", "--stack", "staging"],
    ):
        code, out, err = run_cli(capsys, *argv)
        line = one_line_failure(code, err)
        assert "no AWS credentials found: configure them" in line
        assert out == ""


def test_unknown_profile_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    code, _, err = run_cli(capsys, "status", "--stack", "staging")
    assert "no-such-profile" in one_line_failure(code, err)


def test_emulate_refuses_a_real_aws_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://ecs.us-east-1.amazonaws.com")
    code, out, err = run_cli(capsys, "emulate", "--stack", "staging")
    assert "is not an emulator" in one_line_failure(code, err)
    assert out == ""


def test_emulate_without_a_running_emulator_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1: nothing listens there, and bind(0) never hands it out, so the aborted run's
    # in-flight calls can never reach a moto_server a later test starts on a recycled free port.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = run_cli(capsys, "emulate", "--stack", "staging")
    assert "is the emulator (moto_server) running?" in one_line_failure(code, err)


# --- A real moto_server on loopback ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def moto_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    log = (tmp_path / "moto_server.log").open("w")
    proc = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"moto_server did not start: {(tmp_path / 'moto_server.log').read_text()[-500:]}"
                    )
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_emulate_then_status_against_moto_server(
    moto_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    code, out, err = run_cli(capsys, "emulate", "--stack", "staging")
    assert code == 0 and err == "", err
    assert f"into the AWS API at {moto_server} (no credentials configured: dummy ones" in out
    assert "aws:ecs/service:Service" in out and "Fallback types" in out
    assert 'clusterName: "arbiter-staging"' in out

    # The runbook never uses dummy credentials: without any, it refuses even against the endpoint.
    code, _, err = run_cli(capsys, "status", "--stack", "staging")
    assert "no AWS credentials found" in one_line_failure(code, err)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code, out, err = run_cli(capsys, "status", "--stack", "staging")
    assert (code, err) == (0, "")
    for service in ("trading-core", "telegram-bot", "web-api"):
        assert f"{service}: arbiter-staging-{service}:1" in out


def test_wait_allows_a_canary_its_steps_and_bake_time() -> None:
    """prod's web-api canary (10 minutes at 10%, 15 minutes' bake) is not a stuck deployment."""
    assert deployment_timeout("prod", ["web-api"]) == DEFAULT_TIMEOUT + (10 + 15) * 60
    assert deployment_timeout("prod", ["trading-core", "telegram-bot"]) == DEFAULT_TIMEOUT
    assert deployment_timeout("staging", ["web-api"]) == DEFAULT_TIMEOUT
    linear = {"strategy": "linear", "stepPercent": 30, "stepMinutes": 2, "bakeMinutes": 5}
    # 30% steps: 30, 60, 90, 100 -> four steps of 2 minutes, then the bake.
    assert DeploymentConfig.model_validate(linear).shift_minutes == 4 * 2 + 5
