"""Exchange secrets in both stacks: empty encrypted containers, per-key references, no plaintext anywhere.

Secret values in a stack file are refused before anything is registered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra.config import EXCHANGE_SECRET_KEYS, ConfigError
from arbiter_tools.runtime import Deployment, run_program
from tests.program.data_tier_helpers import (
    ALL_KEYS,
    CLUSTER,
    EXPECTED,
    GROUP,
    INSTANCE,
    PASSWORD,
    SECRET,
    VERSION,
    CountingMocks,
    injected,
    key_arn,
    secret,
    versions_of,
)

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtest\nline2+/=\n-----END RSA PRIVATE KEY-----\n"
SECRET_VALUES = {
    "polyPrivateKey": "ab" * 32,
    "polyApiKey": "poly-api-key-0001",
    "polyApiSecret": "poly-api-secret-0002",
    "polyApiPassphrase": "poly-passphrase-0003",
    "kalshiKeyId": "kalshi-key-id-0004",
    "kalshiPrivateKey": PEM,
    "telegramBotToken": "123456:telegram-token-0005",
}


def test_exchange_secrets_exist_encrypted_without_values(deployment: Deployment) -> None:
    env = deployment.stack
    assert set(deployment.outputs["exchangeSecretArns"]) == {"polymarket", "kalshi", "telegram"}
    for name in ("polymarket", "kalshi", "telegram"):
        s = secret(deployment, f"arbiter-{env}/{name}")
        assert s.inputs["kmsKeyId"] == key_arn(deployment)
        assert s.inputs["recoveryWindowInDays"] == EXPECTED[env]["window"]
        assert versions_of(deployment, s) == []  # containers only: an operator sets the values
        assert s.outputs["arn"] == deployment.outputs["exchangeSecretArns"][name]
    # The only secret versions the program writes are the Redis users' first passwords it generates.
    assert sorted(v.name for v in deployment.of_type(VERSION)) == sorted(
        f"arbiter-{env}-cache-{svc}-user-value" for svc in ("trading-core", "telegram-bot", "web-api")
    )
    assert deployment.outputs["exchangeSecretFields"] == {
        "polymarket": ["private_key", "api_key", "api_secret", "passphrase"],
        "kalshi": ["key_id", "private_key"],
        "telegram": ["bot_token"],
    }


def test_value_from_per_key(deployment: Deployment) -> None:
    """Every key of every exchange secret reaches a container as `<secret-arn>:<json key>::`."""
    arns = deployment.outputs["exchangeSecretArns"]
    expected = {key: f"{arns[secret]}:{json_key}::" for key, secret, json_key in EXCHANGE_SECRET_KEYS}
    assert set(expected.values()) <= injected(deployment)
    assert set(expected) == set(ALL_KEYS)


def _plaintext_leaks(value: Any, needles: list[str]) -> bool:
    text = json.dumps(value, default=str)
    return any(n in text or json.dumps(n)[1:-1] in text for n in needles)


def test_generated_redis_passwords_never_leave_secret_inputs(deployment: Deployment) -> None:
    needles = [p.outputs["result"] for p in deployment.of_type(PASSWORD)]
    assert len(needles) == 4  # three services' users and the (disabled) default user
    for r in deployment.resources:
        public = {k: v for k, v in r.inputs.items() if k not in r.secret_inputs}
        assert not _plaintext_leaks(public, needles), f"{r.type} {r.name} carries a secret in plain inputs"
    public_outputs = {k: v for k, v in deployment.outputs.items() if k not in deployment.secret_outputs}
    assert not _plaintext_leaks(public_outputs, needles)


@pytest.mark.parametrize(("key", "secret"), [("polyApiKey", "polymarket"), ("telegramBotToken", "telegram")])
def test_secret_values_in_stack_config_are_refused(key: str, secret: str) -> None:
    # Values in config would pass through CI and sit in the state: refused before anything exists.
    mocks = CountingMocks("staging")
    with pytest.raises(ConfigError) as err:
        run_program("staging", mocks=mocks, secret_values={key: SECRET_VALUES[key]})
    msg = str(err.value)
    assert "\n" not in msg
    assert f"arbiter:{key} is set" in msg
    assert f"arbiter-infra secrets set --stack staging --secret {secret}" in msg
    assert SECRET_VALUES[key] not in msg
    assert mocks.created == 0


def test_data_tier_children_are_parented_to_their_component(deployment: Deployment) -> None:
    owners = {
        "arbiter:database:Aurora": {CLUSTER, INSTANCE, "aws:rds/subnetGroup:SubnetGroup"},
        "arbiter:cache:Redis": {GROUP, PASSWORD, "aws:elasticache/subnetGroup:SubnetGroup"},
        "arbiter:secrets:ExchangeSecrets": {SECRET},
    }
    for token, types in owners.items():
        (component,) = deployment.of_type(token)
        child_types = {c.type for c in deployment.children(component)}
        assert types <= child_types, token
