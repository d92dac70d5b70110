"""The runbook commands against staging deployed into moto, through `cli.main`.

moto's ECS never reports running tasks, so waiting is tested with an injected describe function
and clock; the CLI path uses `--no-wait` or a zero timeout. Bad input must give one line on
stderr, a non-zero exit, and change nothing.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools import cli, runbook
from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from tests.conftest import FAKE_ENV

pytestmark = pytest.mark.moto

CLUSTER = "arbiter-staging"


@pytest.fixture(scope="module")
def ecs() -> Iterator[Any]:
    """Staging deployed once into moto; tests use different services so they do not interfere."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_ENV.items():
            mp.setenv(key, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
            session = boto3.Session(region_name="us-east-1")
            deploy("staging", EmulatorMocks("staging", session=session))
            yield session.client("ecs")


def _current(ecs: Any, service: str) -> str:
    """`family:revision` the service runs (moto echoes what update_service got, AWS an ARN)."""
    arn = ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["taskDefinition"]
    return str(arn).rsplit("/", 1)[-1]


def _break(ecs: Any, service: str) -> tuple[str, str]:
    """Register a broken revision of the service's family and point the service at it."""
    good = _current(ecs, service)
    td = ecs.describe_task_definition(taskDefinition=good)["taskDefinition"]
    keys = ("family", "containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities")
    spec = {k: td[k] for k in keys if k in td}
    spec["containerDefinitions"] = [
        dict(c, image="broken:does-not-exist") for c in td["containerDefinitions"]
    ]
    bad = ecs.register_task_definition(**spec)["taskDefinition"]["taskDefinitionArn"].rsplit("/", 1)[-1]
    ecs.update_service(cluster=CLUSTER, service=service, taskDefinition=bad)
    return good, bad


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_failure(code: int, err: str) -> str:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_rollback_to_the_previous_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = _break(ecs, "trading-core")
    assert _current(ecs, "trading-core") == bad
    code, out, _ = _run(capsys, "rollback", "--stack", "staging", "--service", "trading-core", "--no-wait")
    assert code == 0
    assert _current(ecs, "trading-core") == good
    assert f"-> {good} (deployment started)" in out


def test_rollback_orders_by_revision_not_api_order(ecs: Any) -> None:
    """Revisions 1..4 with the service on 4: the one before is 3, whatever order the API lists."""
    family = "arbiter-staging-telegram-bot"
    revs = runbook.task_definition_revisions(ecs, family)
    assert revs == sorted(revs)

    class Shuffled:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def get_paginator(self, name: str) -> Any:
            pages = list(self.inner.get_paginator(name).paginate(familyPrefix=family, status="ACTIVE"))
            for page in pages:
                page["taskDefinitionArns"].reverse()

            class P:
                def paginate(self, **_: Any) -> list[dict[str, Any]]:
                    return pages

            return P()

    for _ in range(3):
        _break(ecs, "telegram-bot")
    latest = runbook.task_definition_revisions(ecs, family)[-1]
    result = runbook.rollback(Shuffled(ecs), CLUSTER, "telegram-bot", family, to=None, out=sys.stdout)
    assert result == (latest, latest - 1)


def test_rollback_to_an_explicit_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    good, _ = _break(ecs, "web-api")
    _break(ecs, "web-api")
    target = good.rsplit(":", 1)[1]
    code, _, _ = _run(
        capsys, "rollback", "--stack", "staging", "--service", "web-api", "--to", target, "--no-wait"
    )
    assert code == 0
    assert _current(ecs, "web-api") == good


def test_status_lists_each_service_and_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "status", "--stack", "staging")
    assert code == 0
    for service in ("trading-core", "telegram-bot", "web-api"):
        rev = _current(ecs, service).rsplit(":", 1)[1]
        assert f"{service}: arbiter-staging-{service}:{rev}" in out
    assert "deployment PRIMARY" in out
    assert "NOT stable" in out  # moto never runs tasks


def test_status_shows_why_tasks_stopped(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    service = ecs.describe_services(cluster=CLUSTER, services=["telegram-bot"])["services"][0]
    # moto cannot place the real task definition (no per-container cpu): a minimal one of its own
    # family, so the service's family keeps the revisions the rollback tests count on.
    probe = ecs.register_task_definition(
        family="arbiter-staging-probe",
        containerDefinitions=[{"name": "telegram-bot", "image": "bot:1", "cpu": 256, "memory": 512}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]
    task = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=probe["taskDefinitionArn"],
        launchType="FARGATE",
        group="service:telegram-bot",
        networkConfiguration=service["networkConfiguration"],
    )["tasks"][0]
    ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="Essential container in task exited")
    code, out, _ = _run(capsys, "status", "--stack", "staging", "--service", "telegram-bot")
    assert code == 0
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    assert f"task {task_id} (rev " in out
    assert "Essential container in task exited" in out
    code, out, _ = _run(capsys, "status", "--stack", "staging", "--service", "web-api")
    assert task_id not in out


def test_rollback_waits_and_times_out_in_one_line(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _break(ecs, "trading-core")
    code, out, err = _run(
        capsys, "rollback", "--stack", "staging", "--service", "trading-core", "--timeout", "0"
    )
    line = _one_line_failure(code, err)
    assert "timed out after 0s waiting for trading-core" in line
    assert "trading-core rev" in out  # progress was printed


def _service(running: int, desired: int, deployments: list[tuple[str, str]], rev: int = 7) -> dict[str, Any]:
    arn = f"arn:aws:ecs:us-east-1:123456789012:task-definition/arbiter-staging-web-api:{rev}"
    return {
        "serviceName": "web-api",
        "taskDefinition": arn,
        "runningCount": running,
        "desiredCount": desired,
        "deployments": [
            {
                "status": s,
                "rolloutState": r,
                "taskDefinition": arn,
                "runningCount": running,
                "desiredCount": desired,
            }
            for s, r in deployments
        ],
    }


def test_wait_polls_until_stable_without_sleeping() -> None:
    states = iter(
        [
            [_service(0, 2, [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")])],
            [_service(2, 2, [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")])],
            [_service(2, 2, [("PRIMARY", "COMPLETED")])],
        ]
    )
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    out = _Capture()
    runbook.wait_stable(
        lambda: next(states), timeout=60, out=out, clock=lambda: now[0], sleep=sleep, interval=5
    )
    assert slept == [5, 5]
    assert out.text.count("web-api rev 7") == 3
    assert "stable: web-api" in out.text


def test_wait_times_out_with_one_line() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    stuck = [_service(1, 2, [("PRIMARY", "IN_PROGRESS")])]
    with pytest.raises(cli.UserError, match=r"timed out after 30s waiting for web-api .*running 1/2") as info:
        runbook.wait_stable(
            lambda: stuck, timeout=30, out=_Capture(), clock=lambda: now[0], sleep=sleep, interval=10
        )
    assert "\n" not in str(info.value)
    assert now[0] == 30


@pytest.mark.parametrize(
    ("service", "stable"),
    [
        (_service(2, 2, [("PRIMARY", "COMPLETED")]), True),
        (_service(1, 2, [("PRIMARY", "COMPLETED")]), False),
        (_service(2, 2, [("PRIMARY", "IN_PROGRESS")]), False),
        (_service(2, 2, [("PRIMARY", "COMPLETED"), ("ACTIVE", "COMPLETED")]), False),
        (_service(2, 2, [("PRIMARY", "FAILED")]), False),
    ],
)
def test_stability_rule(service: dict[str, Any], stable: bool) -> None:
    assert runbook.is_stable(service) is stable


class _Capture(io.StringIO):
    @property
    def text(self) -> str:
        return self.getvalue()


def test_logs_since_and_follow(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    group = "/ecs/arbiter-staging-web-api"
    logs.create_log_stream(logGroupName=group, logStreamName="web-api/web-api/abc123")
    now_ms = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="web-api/web-api/abc123",
        logEvents=[
            {"timestamp": now_ms - 3_600_000, "message": "an hour ago"},
            {"timestamp": now_ms - 60_000, "message": "a minute ago"},
        ],
    )
    code, out, _ = _run(capsys, "logs", "--stack", "staging", "--service", "web-api", "--since", "15m")
    assert code == 0
    assert "web-api/web-api/abc123 a minute ago" in out
    assert "an hour ago" not in out

    polls = [0]

    def sleep(_: float) -> None:
        polls[0] += 1
        if polls[0] == 1:
            logs.put_log_events(
                logGroupName=group,
                logStreamName="web-api/web-api/abc123",
                logEvents=[{"timestamp": int(time.time() * 1000), "message": "new line"}],
            )
        else:
            raise KeyboardInterrupt

    out_cap = _Capture()
    runbook.tail_logs(logs, group, 120, follow=True, out=out_cap, sleep=sleep)
    assert out_cap.text.count("a minute ago") == 1  # no repeats across polls
    assert "new line" in out_cap.text
    assert "(stopped following)" in out_cap.text


@pytest.mark.parametrize("since", ["15", "15x", "-5m", "0s", "m"])
def test_bad_duration_is_a_usage_error(since: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["logs", "--stack", "staging", "--service", "web-api", "--since", since])
    line = _one_line_failure(int(str(info.value.code)), capsys.readouterr().err)
    assert "--since" in line


def test_parse_duration() -> None:
    assert [runbook.parse_duration(s) for s in ("30s", "15m", "2h", "1d")] == [30, 900, 7200, 86400]


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
    line = _one_line_failure(2, capsys.readouterr().err)
    assert "invalid choice" in line or "known stacks: account, prod, staging" in line


def test_unknown_revision_changes_nothing(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    before = _current(ecs, "web-api")
    code, _, err = _run(
        capsys, "rollback", "--stack", "staging", "--service", "web-api", "--to", "999", "--no-wait"
    )
    line = _one_line_failure(code, err)
    assert "revision 999 not found" in line
    assert _current(ecs, "web-api") == before


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
            code, _, err = _run(capsys, *argv)
            line = _one_line_failure(code, err)
            assert "arbiter-prod" in line and "nothing deployed" in line, line
        boto3.client("ecs", region_name="us-east-1").create_cluster(clusterName="arbiter-prod")
        code, _, err = _run(capsys, "status", "--stack", "prod", "--service", "web-api")
        line = _one_line_failure(code, err)
        assert "service web-api not found in cluster arbiter-prod" in line
        code, _, err = _run(capsys, "logs", "--stack", "prod", "--service", "web-api")
        assert "log group /ecs/arbiter-prod-web-api not found" in _one_line_failure(code, err)
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
        code, out, err = _run(capsys, *argv)
        line = _one_line_failure(code, err)
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
    code, _, err = _run(capsys, "status", "--stack", "staging")
    assert "no-such-profile" in _one_line_failure(code, err)


def test_emulate_refuses_a_real_aws_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://ecs.us-east-1.amazonaws.com")
    code, out, err = _run(capsys, "emulate", "--stack", "staging")
    assert "is not an emulator" in _one_line_failure(code, err)
    assert out == ""


def test_emulate_without_a_running_emulator_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = _run(capsys, "emulate", "--stack", "staging")
    assert "is the emulator (moto_server) running?" in _one_line_failure(code, err)


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

    code, out, err = _run(capsys, "emulate", "--stack", "staging")
    assert (code, err) == (0, "")
    assert f"into the AWS API at {moto_server} (no credentials configured: dummy ones" in out
    assert "aws:ecs/service:Service" in out and "Fallback types" in out
    assert 'clusterName: "arbiter-staging"' in out

    # The runbook never uses dummy credentials: without any, it refuses even against the endpoint.
    code, _, err = _run(capsys, "status", "--stack", "staging")
    assert "no AWS credentials found" in _one_line_failure(code, err)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code, out, err = _run(capsys, "status", "--stack", "staging")
    assert (code, err) == (0, "")
    for service in ("trading-core", "telegram-bot", "web-api"):
        assert f"{service}: arbiter-staging-{service}:1" in out


def test_rerunning_a_rollback_targets_the_same_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A rollback whose wait timed out, run again, must not step back one more revision."""
    _break(ecs, "trading-core")
    good, _bad = _break(ecs, "trading-core")
    argv = ("rollback", "--stack", "staging", "--service", "trading-core", "--no-wait")
    code, _, _ = _run(capsys, *argv)
    assert code == 0 and _current(ecs, "trading-core") == good
    code, out, _ = _run(capsys, *argv)
    assert code == 0 and _current(ecs, "trading-core") == good
    assert "already runs" in out


def test_negative_timeout_is_refused_before_any_deployment(
    ecs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _good, bad = _break(ecs, "web-api")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["rollback", "--stack", "staging", "--service", "web-api", "--timeout", "-5"])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "'-5' is not a number of seconds" in capsys.readouterr().err
    assert _current(ecs, "web-api") == bad
