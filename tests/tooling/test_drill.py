"""The README's first deploy, followed step by step from an empty (moto) account, and its first month."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pulumi
import pytest
from moto import mock_aws

from arbiter_tools import drill
from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from arbiter_tools.runtime import PROJECT_DIR, Deployment, run_program
from arbiter_tools.secrets_cli import put_secret
from arbiter_tools.stacks import load_stack
from tests.conftest import FAKE_ENV, stack_sections

pytestmark = pytest.mark.moto


def _project(tmp: Path) -> Path:
    for item in [*PROJECT_DIR.glob("Pulumi*.yaml"), PROJECT_DIR / "__main__.py"]:
        shutil.copy(item, tmp / item.name)
    return tmp


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        yield boto3.Session(region_name="us-east-1")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_empty_account_to_healthy_services_then_rotation_without_redeploy_and_stop(
    stack: str, account: boto3.Session, tmp_path: Path
) -> None:
    d = drill.run_drill(account, stack, _project(tmp_path), io.StringIO())
    text = "\n".join(d.log)
    steps = [line.split(".", 1)[0] for line in d.log if line[:1].isdigit()]
    assert steps == (["0"] if stack == "prod" else []) + ["1", "2", "3", "4", "5", "6", "7", "8"]
    # Paused first deploy: secrets are not there yet, and that is fine.
    assert "skip  secret polymarket" in text
    # Unpaused: every preflight line ok (or the certificate skip of a self-signed staging).
    assert text.count("stable: trading-core, telegram-bot, web-api") == 4
    assert "task definitions holding the master secret: none" in text
    assert (
        "database users {'trading-core': 'trading_core', 'web-api': 'web_api'}; new deployments: []" in text
    )
    assert "desired count 0 -> " in text
    ecs = account.client("ecs")
    [core] = ecs.describe_services(cluster=f"arbiter-{stack}", services=["trading-core"])["services"]
    assert core["desiredCount"] == core["runningCount"] == (2 if stack == "prod" else 1)


def test_the_drill_runs_the_readmes_commands() -> None:
    """The drill's steps are the README's: a command renamed in one must be renamed in the other."""
    readme = (PROJECT_DIR / "README.md").read_text()
    for command in (
        "./dev bootstrap --stack account",
        "pulumi up --stack account",
        "pulumi config set --path 'arbiter:services.paused' true",
        "./dev preflight --stack staging",
        "./dev secrets set --stack staging --secret polymarket",
        "pulumi config set --path 'arbiter:services.paused' false",
        "./dev wait --stack staging",
        "./dev scale --stack prod --service trading-core --count 0",
    ):
        assert command in readme, command


def _inputs(d: Deployment) -> dict[str, dict[str, object]]:
    """Inputs by URN; an asset archive (a function's code) as the files and paths it holds."""

    def plain(value: object) -> object:
        if isinstance(value, pulumi.AssetArchive):
            return sorted((path, str(getattr(a, "path", a))) for path, a in value.assets.items())
        return value

    return {r.urn: {k: plain(v) for k, v in r.inputs.items()} for r in d.resources}


def test_unpausing_changes_only_the_counts(prod: Deployment) -> None:
    """What the drill applies for step 6 is what `pulumi up` would change, but the alarms' floors."""
    services = stack_sections("prod")["services"]
    paused = _inputs(run_program("prod", config_overrides={"services": {**services, "paused": True}}))
    running = _inputs(prod)
    assert paused.keys() == running.keys()
    changed = {
        (urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1], key)
        for urn in running
        for key in set(running[urn]) | set(paused[urn])
        if running[urn].get(key) != paused[urn].get(key)
    }
    assert changed == {
        ("aws:ecs/service:Service", "desiredCount"),
        ("aws:appautoscaling/target:Target", "minCapacity"),
        ("aws:appautoscaling/target:Target", "maxCapacity"),
        # The running-task alarms follow the counts (a paused service must not page).
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "threshold"),
    }


def test_tasks_start_only_with_their_image_and_secrets(account: boto3.Session, tmp_path: Path) -> None:
    """The ECS model the drill adds to moto: AWS cannot pull a missing image or inject an empty secret."""
    project = _project(tmp_path)
    deploy("account", EmulatorMocks("account", session=account), project_dir=project)
    env = deploy("staging", EmulatorMocks("staging", session=account), project_dir=project)
    cfg = load_stack("staging", project).config
    drill.unpause(account, cfg)
    blocked = drill.settle(account, cfg.account_id, cfg.region)
    assert all(b and b.startswith("CannotPullContainerError") for b in blocked.values()), blocked
    drill.push_images(account, cfg)
    blocked = drill.settle(account, cfg.account_id, cfg.region)
    assert blocked["trading-core"] and "ResourceInitializationError" in blocked["trading-core"]
    assert blocked["telegram-bot"] and "arbiter-staging/telegram" in blocked["telegram-bot"]
    sm = account.client("secretsmanager")
    for secret, values in drill.drill_secret_values().items():
        put_secret(sm, "staging", secret, values)
    assert drill.settle(account, cfg.account_id, cfg.region) == dict.fromkeys(blocked)
    assert env.outputs["clusterName"] == "arbiter-staging"
