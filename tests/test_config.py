"""Stack config: parsed once into a typed object; every bad value is one line naming key, value and rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arbiter_infra.config import ConfigError, StackConfig, parse_stack_config
from arbiter_tools.runtime import ArbiterMocks, run_program
from tests.conftest import stack_sections, write_project


def _raw(stack: str = "staging") -> dict[str, Any]:
    return {"region": "us-east-1", "accountId": "123456789012", **stack_sections(stack)}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_files_parse_into_typed_config(stack: str) -> None:
    config = parse_stack_config(_raw(stack))
    assert isinstance(config, StackConfig)
    assert config.services.waf.enabled is True  # shipped on in both environments
    assert config.environment == stack
    assert config.prefix == f"arbiter-{stack}"
    assert [str(n) for n in config.network.public_subnets] == ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
    # prod keeps the documented 4 vCPU / 8 GB; staging (paper, one replica) runs the smallest that fits.
    expected = {"prod": (4096, 8192), "staging": (1024, 2048)}[stack]
    assert (config.services.trading_core.cpu, config.services.trading_core.memory) == expected


def test_state_backend_follows_account_and_environment() -> None:
    config = parse_stack_config(_raw("prod"))
    assert config.delivery.state_bucket == "arbiter-pulumi-state-123456789012"
    assert config.delivery.secrets_kms_alias == "alias/arbiter-pulumi-state-prod"


@pytest.mark.parametrize("key", ["stateBucket", "secretsKmsAlias"])
def test_state_backend_is_not_a_setting(key: str) -> None:
    raw = _raw()
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
    raw = _raw("prod")
    raw["services"]["tradingCore"]["desiredCount"] = 0
    assert parse_stack_config(raw).services.trading_core.desired_count == 0
    raw["services"]["tradingCore"]["desiredCount"] = 1
    with pytest.raises(ConfigError, match=r"desiredCount = 1: must be >= 2 in prod \(or 0 to stop trading\)"):
        parse_stack_config(raw)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if p.isdigit() else node[p]
        last = parts[-1]
        if value is _DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


_DELETE = object()

BAD = [
    # (id, mutation, stack, expected fragments of the one-line message)
    (
        "cidr-unparsable",
        _set("network.vpcCidr", "10.0.0.0/33"),
        "staging",
        ["arbiter:network.vpcCidr", "10.0.0.0/33"],
    ),
    (
        "subnet-outside-vpc",
        _set("network.privateSubnets.1", "10.1.12.0/24"),
        "staging",
        ["arbiter:network.privateSubnets[1]", "10.1.12.0/24", "inside vpcCidr 10.0.0.0/16"],
    ),
    (
        "subnets-overlap",
        _set("network.databaseSubnets.0", "10.0.11.0/24"),
        "staging",
        ["arbiter:network.databaseSubnets[0]", "10.0.11.0/24", "does not overlap privateSubnets[0]"],
    ),
    (
        "subnet-count-mismatch",
        _set("network.publicSubnets", ["10.0.1.0/24"]),
        "staging",
        ["arbiter:network.publicSubnets", "one subnet per availability zone (3)"],
    ),
    (
        "az-repeated",
        _set("network.availabilityZones", ["us-east-1a", "us-east-1a", "us-east-1c"]),
        "staging",
        ["availabilityZones", "must not repeat"],
    ),
    (
        "unknown-nat-strategy",
        _set("network.natGateways", "two"),
        "staging",
        ["arbiter:network.natGateways", '"two"', "'single' or 'per-az'"],
    ),
    (
        "count-below-zero",
        _set("services.webApi.desiredCount", -1),
        "staging",
        ["arbiter:services.webApi.desiredCount", "-1", "greater than or equal to 0"],
    ),
    (
        "db-count-below-one",
        _set("database.instanceCount", 0),
        "staging",
        ["arbiter:database.instanceCount", "0"],
    ),
    (
        "empty-image",
        _set("services.tradingCore.image", ""),
        "staging",
        ["arbiter:services.tradingCore.image", '""', "full ECR image URI"],
    ),
    (
        "image-without-tag",
        _set("services.telegramBot.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/telegram-bot"),
        "staging",
        ["telegramBot.image", "with a tag"],
    ),
    (
        "wrong-type",
        _set("services.webApi.cpu", "lots"),
        "staging",
        ["arbiter:services.webApi.cpu", '"lots"', "integer"],
    ),
    (
        "wrong-type-bool",
        _set("network.vpcEndpoints", "maybe"),
        "staging",
        ["arbiter:network.vpcEndpoints", '"maybe"', "boolean"],
    ),
    (
        "unknown-enum-arch",
        _set("services.cpuArchitecture", "SPARC"),
        "staging",
        ["arbiter:services.cpuArchitecture", "X86_64", "ARM64"],
    ),
    (
        "unknown-environment",
        _set("environment", "qa"),
        "staging",
        ["arbiter:environment", '"qa"', "'staging' or 'prod'"],
    ),
    (
        "bad-retention",
        _set("network.flowLogRetentionDays", 10),
        "staging",
        ["arbiter:network.flowLogRetentionDays", "10", "CloudWatch Logs retention"],
    ),
    (
        "fargate-size",
        _set("services.telegramBot.memory", 8192),
        "staging",
        ["arbiter:services.telegramBot.memory", "8192", "for cpu 256: 512-2048"],
    ),
    (
        "unknown-key",
        _set("network.vpcCidrs", "10.0.0.0/16"),
        "staging",
        ["arbiter:network.vpcCidrs", "not a known setting"],
    ),
    (
        "missing-key",
        _set("network.natGateways", _DELETE),
        "staging",
        ["arbiter:network.natGateways is not set"],
    ),
    (
        "unknown-db-version",
        _set("database.engineVersion", "15.4"),
        "staging",
        ["arbiter:database.engineVersion", '"15.4"', 'major version only ("15")'],
    ),
    (
        "unknown-db-class",
        _set("database.instanceClass", "db.m1.small"),
        "staging",
        ["arbiter:database.instanceClass", "db.r6g.large"],
    ),
    (
        "unknown-redis-version",
        _set("cache.engineVersion", "6.2"),
        "staging",
        ["arbiter:cache.engineVersion", '"6.2"', "a supported major version (7)"],
    ),
    (
        "trading-core-autoscaled",
        _set(
            "services.tradingCore",
            {
                **stack_sections("staging")["services"]["tradingCore"],
                "minCount": 1,
                "maxCount": 2,
                "cpuTargetPercent": 60,
            },
        ),
        "staging",
        ["arbiter:services.tradingCore.minCount", "more replicas mean more traders"],
    ),
    (
        "prod-single-nat",
        _set("network.natGateways", "single"),
        "prod",
        ["arbiter:network.natGateways", "per-az in prod"],
    ),
    (
        "backup-retention-below-7",
        _set("database.backup.retentionDays", 3),
        "staging",
        ["arbiter:database.backup.retentionDays", "3", "greater than or equal to 7"],
    ),
    (
        "backup-copy-region-same-or-unknown",
        _set("database.backup.copyRegion", "us-east-1"),
        "staging",
        ["arbiter:database.backup.copyRegion", '"us-east-1"', "us-west-2"],
    ),
    (
        "backup-admin-pattern-not-a-role",
        _set("database.backup.adminRolePattern", "arn:aws:iam::{account}:user/bob"),
        "staging",
        ["arbiter:database.backup.adminRolePattern", "user/bob"],
    ),
    (
        "prod-backup-off",
        _set("database.backup.enabled", False),
        "prod",
        ["arbiter:database.backup.enabled", "true in prod"],
    ),
    (
        "prod-one-db",
        _set("database.instanceCount", 1),
        "prod",
        ["arbiter:database.instanceCount", ">= 2 in prod"],
    ),
    (
        "prod-no-cert",
        _set("services.certificateArn", _DELETE),
        "prod",
        ["arbiter:services.certificateArn", "required in prod"],
    ),
    (
        "prod-no-alerts",
        _set("monitoring.alertEmails", []),
        "prod",
        ["arbiter:monitoring.alertEmails", "at least one"],
    ),
    (
        "prod-no-waf",
        _set("services.waf.enabled", False),
        "prod",
        ["arbiter:services.waf.enabled = false", "true in prod"],
    ),
    (
        "waf-rate-limit-too-low",
        _set("services.waf.rateLimitPer5Min", 5),
        "staging",
        ["arbiter:services.waf.rateLimitPer5Min = 5", "greater than or equal to 10"],
    ),
    (
        "waf-log-retention-not-a-cloudwatch-value",
        _set("services.waf.logRetentionDays", 10),
        "staging",
        ["arbiter:services.waf.logRetentionDays = 10", "CloudWatch Logs retention"],
    ),
    (
        "waf-unknown-key",
        _set("services.waf.rateLimit", 100),
        "staging",
        ["arbiter:services.waf.rateLimit"],
    ),
]


@pytest.mark.parametrize(("mutate", "stack", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_one_line_naming_key_value_and_rule(
    mutate: Callable[[dict[str, Any]], None], stack: str, fragments: list[str]
) -> None:
    raw = _raw(stack)
    mutate(raw)
    with pytest.raises(ConfigError) as exc:
        parse_stack_config(raw)
    message = str(exc.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_prod_cache_failover_with_one_node_is_refused() -> None:
    raw = _raw("prod")
    raw["cache"]["numNodes"] = 1
    with pytest.raises(
        ConfigError, match=r"arbiter:cache\.automaticFailover = true: must be false when numNodes is 1"
    ):
        parse_stack_config(raw)


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


# --- what AWS would refuse, and what cannot be deployed as written ---------------------------

_IMG = "123456789012.dkr.ecr.us-east-1.amazonaws.com/arbiter-engine"
REFUSED = [
    (
        "certificate-other-region",
        "prod",
        _set("services.certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"),
        'arbiter:services.certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123": '
        "must be a certificate in us-east-1",
    ),
    (
        "certificate-other-account",
        "prod",
        _set("services.certificateArn", "arn:aws:acm:us-east-1:210987654321:certificate/abc-123"),
        "must be a certificate of the stack's account 123456789012",
    ),
    (
        "az-other-region",
        "staging",
        _set("network.availabilityZones.2", "us-west-2c"),
        'arbiter:network.availabilityZones[2] = "us-west-2c": must be a zone of the stack\'s region us-east-1',
    ),
    (
        "vpc-too-large",
        "staging",
        _set("network.vpcCidr", "10.0.0.0/12"),
        'arbiter:network.vpcCidr = "10.0.0.0/12": must be a block from /16 to /28',
    ),
    (
        "subnet-too-small",
        "staging",
        _set("network.publicSubnets.0", "10.0.1.0/29"),
        'arbiter:network.publicSubnets[0] = "10.0.1.0/29": must be a block from /16 to /28',
    ),
    (
        "latest-in-prod",
        "prod",
        _set("services.tradingCore.image", f"{_IMG}:latest"),
        "arbiter:services.tradingCore.image",
    ),
    (
        "untagged-release-in-prod",
        "prod",
        _set("services.webApi.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api:sha-abc123"),
        "must be a released version tag in prod (e.g. v1.2.3)",
    ),
    (
        "image-other-account",
        "staging",
        _set(
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
    raw = _raw(stack)
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        parse_stack_config(raw)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_example_values_warn_in_a_preview_and_stop_an_update() -> None:
    preview = run_program("prod")
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


def test_paper_trading_in_prod_is_said_in_every_plan() -> None:
    raw = stack_sections("prod")
    raw["services"]["paperTrade"] = True
    deployment = run_program("prod", config_overrides={"services": raw["services"]})
    assert any("paperTrade is true in prod: trading is simulated" in w for w in deployment.warnings)
    assert not any("simulated" in w for w in run_program("prod").warnings)


def test_moving_tag_in_staging_is_a_note() -> None:
    raw = stack_sections("staging")
    raw["services"]["webApi"]["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api:latest"
    deployment = run_program("staging", config_overrides={"services": raw["services"]})
    assert any("services.webApi.image uses the moving tag 'latest'" in w for w in deployment.warnings)


def test_waf_is_on_by_default() -> None:
    """A stack file without a waf section gets it (prod on by default; only staging may opt out)."""
    raw = _raw("prod")
    del raw["services"]["waf"]
    waf = parse_stack_config(raw).services.waf
    assert (waf.enabled, waf.rate_limit_per5_min, waf.log_retention_days) == (True, 2000, 90)
