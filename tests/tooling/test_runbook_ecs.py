"""The runbook commands against staging deployed into moto (once for the module), through `cli.main`.

moto's ECS never reports running tasks, so the CLI path uses `--no-wait` or a zero timeout; tests
use different services so they do not interfere.
"""

import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools import cli, operations
from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from tests.conftest import FAKE_ENV
from tests.tooling.cli_support import Capture, one_line_failure, run_cli

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


def test_rollback_to_the_previous_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = _break(ecs, "trading-core")
    assert _current(ecs, "trading-core") == bad
    code, out, _ = run_cli(capsys, "rollback", "--stack", "staging", "--service", "trading-core", "--no-wait")
    assert code == 0
    assert _current(ecs, "trading-core") == good
    assert f"-> {good} (deployment started)" in out


def test_rollback_orders_by_revision_not_api_order(ecs: Any) -> None:
    """Revisions 1..4 with the service on 4: the one before is 3, whatever order the API lists."""
    family = "arbiter-staging-telegram-bot"
    revs = operations.task_definition_revisions(ecs, family)
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
    latest = operations.task_definition_revisions(ecs, family)[-1]
    result = operations.rollback(Shuffled(ecs), CLUSTER, "telegram-bot", family, to=None, out=sys.stdout)
    assert result == (latest, latest - 1)


def test_rollback_to_an_explicit_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    good, _ = _break(ecs, "web-api")
    _break(ecs, "web-api")
    target = good.rsplit(":", 1)[1]
    code, _, _ = run_cli(
        capsys, "rollback", "--stack", "staging", "--service", "web-api", "--to", target, "--no-wait"
    )
    assert code == 0
    assert _current(ecs, "web-api") == good


def test_status_lists_each_service_and_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "status", "--stack", "staging")
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
    code, out, _ = run_cli(capsys, "status", "--stack", "staging", "--service", "telegram-bot")
    assert code == 0
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    assert f"task {task_id} (rev " in out
    assert "Essential container in task exited" in out
    code, out, _ = run_cli(capsys, "status", "--stack", "staging", "--service", "web-api")
    assert task_id not in out


def test_rollback_waits_and_times_out_in_one_line(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _break(ecs, "trading-core")
    code, out, err = run_cli(
        capsys, "rollback", "--stack", "staging", "--service", "trading-core", "--timeout", "0"
    )
    line = one_line_failure(code, err)
    assert "timed out after 0s waiting for trading-core" in line
    assert "trading-core rev" in out  # progress was printed


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
    code, out, _ = run_cli(capsys, "logs", "--stack", "staging", "--service", "web-api", "--since", "15m")
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

    out_cap = Capture()
    operations.tail_logs(logs, group, 120, follow=True, out=out_cap, sleep=sleep)
    assert out_cap.text.count("a minute ago") == 1  # no repeats across polls
    assert "new line" in out_cap.text
    assert "(stopped following)" in out_cap.text


def test_unknown_revision_changes_nothing(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    before = _current(ecs, "web-api")
    code, _, err = run_cli(
        capsys, "rollback", "--stack", "staging", "--service", "web-api", "--to", "999", "--no-wait"
    )
    line = one_line_failure(code, err)
    assert "revision 999 not found" in line
    assert _current(ecs, "web-api") == before


def test_rerunning_a_rollback_targets_the_same_revision(ecs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A rollback whose wait timed out, run again, must not step back one more revision."""
    _break(ecs, "trading-core")
    good, _bad = _break(ecs, "trading-core")
    argv = ("rollback", "--stack", "staging", "--service", "trading-core", "--no-wait")
    code, _, _ = run_cli(capsys, *argv)
    assert code == 0 and _current(ecs, "trading-core") == good
    code, out, _ = run_cli(capsys, *argv)
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
