"""Loading the config inside the program: before any resource, warnings in a preview, refusals in an update."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_infra.config import ConfigError
from arbiter_tools.runtime import ArbiterMocks, Deployment, run_program
from tests.conftest import stack_sections, write_project


class _CountingMocks(ArbiterMocks):
    def __init__(self) -> None:
        super().__init__()
        self.created = 0

    def new_resource(self, args: Any) -> Any:
        self.created += 1
        return super().new_resource(args)


def test_config_error_registers_nothing(tmp_path: Any) -> None:
    """Validation runs before the first resource: a bad value leaves nothing half-created."""
    sections = stack_sections("staging")
    sections["network"]["publicSubnets"][2] = "192.168.3.0/24"
    mocks = _CountingMocks()
    with pytest.raises(ConfigError, match=r"publicSubnets\[2\]"):
        run_program("staging", mocks=mocks, project_dir=write_project(tmp_path, "staging", sections))
    assert mocks.created == 0


def test_behaviour_follows_the_environment_not_the_stack_name(tmp_path: Any) -> None:
    """A stack's name is free; `arbiter:environment: prod` brings prod's rules, whatever its name."""
    sections = stack_sections("staging")
    sections["environment"] = "prod"
    with pytest.raises(ConfigError, match=r'^arbiter:network.natGateways = "single": must be per-az in prod'):
        run_program("staging", project_dir=write_project(tmp_path, "staging", sections))


def test_example_values_warn_in_a_preview_and_stop_an_update(prod: Deployment) -> None:
    preview = prod
    assert any("not deployable as written: set aws:allowedAccountIds" in w for w in preview.warnings)
    assert any("set arbiter:services.certificateArn" in w for w in preview.warnings)
    counting = _CountingMocks()
    with pytest.raises(ConfigError, match=r"^not deployable as written: set aws:allowedAccountIds"):
        run_program("prod", preview=False, mocks=counting)
    assert counting.created == 0


def test_real_values_deploy_without_a_warning() -> None:
    account = "111122223333"
    raw = stack_sections("prod")
    for svc in raw["services"].values():
        if isinstance(svc, dict) and "image" in svc:
            svc["image"] = svc["image"].replace("123456789012", account)
    raw["services"]["certificateArn"] = (
        f"arn:aws:acm:us-east-1:{account}:certificate/5e1f0a2b-1111-2222-3333-444455556666"
    )
    overrides: dict[str, Any] = {f"arbiter:{k}": v for k, v in raw.items()}
    overrides["aws:allowedAccountIds"] = [account]
    deployment = run_program("prod", preview=False, config_overrides=overrides)
    assert not [w for w in deployment.warnings if "not deployable" in w]


def test_paper_trading_in_prod_is_said_in_every_plan(prod: Deployment) -> None:
    raw = stack_sections("prod")
    raw["services"]["paperTrade"] = True
    deployment = run_program("prod", config_overrides={"services": raw["services"]})
    assert any("paperTrade is true in prod: trading is simulated" in w for w in deployment.warnings)
    assert not any("simulated" in w for w in prod.warnings)


def test_moving_tag_in_staging_is_a_note() -> None:
    raw = stack_sections("staging")
    raw["services"]["webApi"]["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api:latest"
    deployment = run_program("staging", config_overrides={"services": raw["services"]})
    assert any("services.webApi.image uses the moving tag 'latest'" in w for w in deployment.warnings)
