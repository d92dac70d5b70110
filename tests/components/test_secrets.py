"""ExchangeSecrets alone: one encrypted container per secret it is given, never a value."""

from __future__ import annotations

from arbiter_infra.naming import Naming
from components.secrets import ExchangeSecrets, ExchangeSecretsArgs, SecretSpec
from tests.components.conftest import Build

SECRET = "aws:secretsmanager/secret:Secret"
SPECS = {
    "acme": SecretSpec(purpose="Acme API key for the engine", fields=[("acmeKey", "key"), ("acmeId", "id")]),
    "bot": SecretSpec(purpose="Bot token", fields=[("botToken", "token")]),
}


def _secrets(
    naming: Naming, *, protect: bool = False, captured: list[ExchangeSecrets] | None = None
) -> ExchangeSecrets:
    secrets = ExchangeSecrets(
        naming("secrets"),
        ExchangeSecretsArgs(
            naming=naming, kms_key_arn="arn:key", secrets=SPECS, recovery_window_days=9, protect=protect
        ),
    )
    if captured is not None:
        captured.append(secrets)
    return secrets


def test_one_container_per_secret_with_its_purpose_key_and_window(build: Build, naming: Naming) -> None:
    d = build(lambda: _secrets(naming))
    secrets = {s.inputs["name"]: s for s in d.of_type(SECRET)}
    assert sorted(secrets) == ["arbiter-unit/acme", "arbiter-unit/bot"]
    assert secrets["arbiter-unit/acme"].inputs["description"] == "Acme API key for the engine"
    for s in secrets.values():
        assert s.inputs["kmsKeyId"] == "arn:key"
        assert s.inputs["recoveryWindowInDays"] == 9
        assert s.inputs["tags"]["Rotation"] == "external"


def test_containers_have_no_value(build: Build, naming: Naming) -> None:
    d = build(lambda: _secrets(naming))
    assert d.of_type("aws:secretsmanager/secretVersion:SecretVersion") == []
    for s in d.of_type(SECRET):
        assert not {"secretString", "secretBinary"} & set(s.inputs)


def test_fields_and_value_from_follow_the_specs(build: Build, naming: Naming) -> None:
    captured: list[ExchangeSecrets] = []
    build(lambda: _secrets(naming, captured=captured))
    [secrets] = captured
    assert secrets.fields == {"acme": ["key", "id"], "bot": ["token"]}
    assert sorted(secrets.value_from) == ["acmeId", "acmeKey", "botToken"]
    assert sorted(secrets.arns) == ["acme", "bot"]


def test_protect_follows_the_argument(build: Build, naming: Naming) -> None:
    assert all(s.protect for s in build(lambda: _secrets(naming, protect=True)).of_type(SECRET))
    assert not any(s.protect for s in build(lambda: _secrets(naming)).of_type(SECRET))
