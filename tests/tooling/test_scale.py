"""`scale`: the stop-trading switch, applied to the live service and written to the stack file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from arbiter_tools import cli
from arbiter_tools.runtime import PROJECT_DIR
from arbiter_tools.scale import cmd_scale, rewrite_desired_count
from arbiter_tools.stacks import load_stack
from tests.conftest import FAKE_ENV


def _project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    return tmp_path


def _args(tmp: Path, *extra: str) -> object:
    return cli.build_parser().parse_args(["scale", *extra, "--project-dir", str(tmp)])


def test_rewrite_changes_only_that_services_count_and_keeps_comments() -> None:
    text = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    new, old = rewrite_desired_count(text, "tradingCore", 0)
    assert old == 2
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines(), strict=True) if a != b]
    assert changed == [("      desiredCount: 2", "      desiredCount: 0")]
    # web-api also has desiredCount 2 further down: untouched.
    assert new.count("desiredCount: 2") == text.count("desiredCount: 2") - 1


def test_scale_to_one_in_prod_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = (project / "Pulumi.prod.yaml").read_text()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "arbiter_tools.cli",
            "scale",
            "--stack",
            "prod",
            "--service",
            "trading-core",
            "--count",
            "1",
            "--project-dir",
            str(project),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "PYTHONPATH": str(PROJECT_DIR),
        },
    )
    assert result.returncode == cli.EXIT_USAGE
    assert result.stderr.strip().splitlines() == [
        "arbiter-infra: --count 1: arbiter:services.tradingCore.desiredCount = 1: must be >= 2 in prod "
        "(or 0 to stop trading): one replica is not highly available"
    ]
    assert (project / "Pulumi.prod.yaml").read_text() == before


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--stack", "prod", "--service", "web-api", "--count", "0"], "--service web-api: autoscaled"),
        (
            ["--stack", "prod", "--service", "trading-core", "--count", "-1"],
            "argument --count: '-1' is not a task count",
        ),
        (
            ["--stack", "prod", "--service", "trading-core", "--count", "0", "--timeout", "-5"],
            "'-5' is not a number of seconds from 0 to 86400",
        ),
        (["--stack", "qa", "--service", "trading-core", "--count", "0"], "--stack 'qa': no Pulumi.qa.yaml"),
    ],
)
def test_bad_scale_arguments_are_one_line(
    tmp_path: Path, argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    before = (project / "Pulumi.prod.yaml").read_text()
    try:
        code = cli.main(["scale", *argv, "--project-dir", str(project)])
    except SystemExit as exit_:  # argparse's own one-line usage errors
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.EXIT_USAGE
    assert len(err) == 1 and fragment in err[0], err
    assert (project / "Pulumi.prod.yaml").read_text() == before


@pytest.fixture
def deployed_staging(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """Staging's trading-core service as the program names and sizes it, in moto.

    `scale` touches only that ECS service, so it is created directly (a second or less) rather
    than by deploying the whole stack; the drill runs `scale` against the deployed program.
    """
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        ecs = session.client("ecs")
        ecs.create_cluster(clusterName="arbiter-staging")
        family = "arbiter-staging-trading-core"
        ecs.register_task_definition(
            family=family,
            containerDefinitions=[{"name": "trading-core", "image": "engine:v1", "essential": True}],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="1024",
            memory="2048",
        )
        desired = load_stack("staging").config.services.trading_core.desired_count
        ecs.create_service(
            cluster="arbiter-staging",
            serviceName="trading-core",
            taskDefinition=family,
            desiredCount=desired,
            launchType="FARGATE",
        )
        yield session


@pytest.mark.moto
def test_stop_and_resume_trading(deployed_staging: boto3.Session, tmp_path: Path) -> None:
    project = _project(tmp_path)
    ecs = deployed_staging.client("ecs")

    def desired() -> int:
        [svc] = ecs.describe_services(cluster="arbiter-staging", services=["trading-core"])["services"]
        return int(svc["desiredCount"])

    assert desired() == 1
    out = StringIO()
    cmd_scale(
        _args(project, "--stack", "staging", "--service", "trading-core", "--count", "0", "--no-wait"), out
    )  # type: ignore[arg-type]
    assert desired() == 0
    assert (
        "desiredCount: 0"
        in (project / "Pulumi.staging.yaml").read_text().split("tradingCore:")[1].split("telegramBot:")[0]
    )
    assert "trading-core: desired count 1 -> 0" in out.getvalue()
    cmd_scale(
        _args(project, "--stack", "staging", "--service", "trading-core", "--count", "1", "--no-wait"),
        StringIO(),
    )  # type: ignore[arg-type]
    assert desired() == 1
    assert (project / "Pulumi.staging.yaml").read_text() == (PROJECT_DIR / "Pulumi.staging.yaml").read_text()


@pytest.mark.moto
def test_aws_refusal_leaves_the_stack_file_alone(deployed_staging: boto3.Session, tmp_path: Path) -> None:
    project = _project(tmp_path)
    staging = project / "Pulumi.staging.yaml"
    staging.write_text(
        staging.read_text().replace("arbiter:environment: staging", "arbiter:environment: staging")
    )
    before = staging.read_text()
    deployed_staging.client("ecs").delete_service(
        cluster="arbiter-staging", service="trading-core", force=True
    )
    with pytest.raises(cli.UserError, match=r"trading-core"):
        cmd_scale(
            _args(project, "--stack", "staging", "--service", "trading-core", "--count", "0", "--no-wait"),
            StringIO(),
        )  # type: ignore[arg-type]
    assert staging.read_text() == before
