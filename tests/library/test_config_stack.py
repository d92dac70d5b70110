"""Stack config: parsed once into a typed object; the rules across sections (state backend, account,
prod, what AWS would refuse) and the defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arbiter_infra.config import ConfigError, StackConfig, parse_stack_config
from arbiter_tools.runtime import run_program
from tests.library.config_cases import raw_config, set_value


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_files_parse_into_typed_config(stack: str) -> None:
    config = parse_stack_config(raw_config(stack))
    assert isinstance(config, StackConfig)
    assert config.services.waf.enabled is True  # shipped on in both environments
    assert config.environment == stack
    assert config.prefix == f"arbiter-{stack}"
    assert [str(n) for n in config.network.public_subnets] == ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
    # prod keeps the documented 4 vCPU / 8 GB; staging (paper, one replica) runs the smallest that fits.
    expected = {"prod": (4096, 8192), "staging": (1024, 2048)}[stack]
    assert (config.services.trading_core.cpu, config.services.trading_core.memory) == expected


def test_state_backend_follows_account_and_environment() -> None:
    config = parse_stack_config(raw_config("prod"))
    assert config.delivery.state_bucket == "arbiter-pulumi-state-123456789012"
    assert config.delivery.secrets_kms_alias == "alias/arbiter-pulumi-state-prod"


@pytest.mark.parametrize("key", ["stateBucket", "secretsKmsAlias"])
def test_state_backend_is_not_a_setting(key: str) -> None:
    raw = raw_config()
    raw["delivery"][key] = "arbiter-state"
    with pytest.raises(ConfigError, match=rf"^arbiter:delivery\.{key} = \"arbiter-state\": must be unset"):
        parse_stack_config(raw)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (None, "aws:allowedAccountIds is not set"),
        (["1", "2"], 'aws:allowedAccountIds = ["1", "2"]: must be a list of exactly one'),
        (["12345"], 'aws:allowedAccountIds[0] = "12345": must be a 12-digit AWS account id'),
    ],
)
def test_account_id_comes_from_allowed_account_ids(value: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        run_program("staging", config_overrides={"aws:allowedAccountIds": value})
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_trading_core_can_be_stopped_in_prod_but_not_run_alone() -> None:
    raw = raw_config("prod")
    raw["services"]["tradingCore"]["desiredCount"] = 0
    assert parse_stack_config(raw).services.trading_core.desired_count == 0
    raw["services"]["tradingCore"]["desiredCount"] = 1
    with pytest.raises(ConfigError, match=r"desiredCount = 1: must be >= 2 in prod \(or 0 to stop trading\)"):
        parse_stack_config(raw)


# --- what AWS would refuse, and what cannot be deployed as written ---------------------------

_IMG = "123456789012.dkr.ecr.us-east-1.amazonaws.com/arbiter-engine"
REFUSED = [
    (
        "certificate-other-region",
        "prod",
        set_value("services.certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"),
        'arbiter:services.certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123": '
        "must be a certificate in us-east-1",
    ),
    (
        "certificate-other-account",
        "prod",
        set_value("services.certificateArn", "arn:aws:acm:us-east-1:210987654321:certificate/abc-123"),
        "must be a certificate of the stack's account 123456789012",
    ),
    (
        "az-other-region",
        "staging",
        set_value("network.availabilityZones.2", "us-west-2c"),
        'arbiter:network.availabilityZones[2] = "us-west-2c": must be a zone of the stack\'s region us-east-1',
    ),
    (
        "vpc-too-large",
        "staging",
        set_value("network.vpcCidr", "10.0.0.0/12"),
        'arbiter:network.vpcCidr = "10.0.0.0/12": must be a block from /16 to /28',
    ),
    (
        "subnet-too-small",
        "staging",
        set_value("network.publicSubnets.0", "10.0.1.0/29"),
        'arbiter:network.publicSubnets[0] = "10.0.1.0/29": must be a block from /16 to /28',
    ),
    (
        "latest-in-prod",
        "prod",
        set_value("services.tradingCore.image", f"{_IMG}:latest"),
        "arbiter:services.tradingCore.image",
    ),
    (
        "untagged-release-in-prod",
        "prod",
        set_value("services.webApi.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api:sha-abc123"),
        "must be a released version tag in prod (e.g. v1.2.3)",
    ),
    (
        "image-other-account",
        "staging",
        set_value(
            "services.telegramBot.image", "210987654321.dkr.ecr.us-east-1.amazonaws.com/telegram-bot:v1.0.0"
        ),
        "must be an image of this account's ECR (123456789012.dkr.ecr.us-east-1.amazonaws.com/...)",
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "fragment"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_plan_refuses_what_aws_would_refuse(
    stack: str, mutate: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    raw = raw_config(stack)
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        parse_stack_config(raw)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_waf_is_on_by_default() -> None:
    """A stack file without a waf section gets it (prod on by default; only staging may opt out)."""
    raw = raw_config("prod")
    del raw["services"]["waf"]
    waf = parse_stack_config(raw).services.waf
    assert (waf.enabled, waf.rate_limit_per5_min, waf.log_retention_days) == (True, 2000, 90)
