"""`arbiter-infra secrets set`: values from a hidden prompt or a file into Secrets Manager (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools import cli, secrets_cli
from tests.conftest import FAKE_ENV

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtest\n-----END RSA PRIVATE KEY-----\n"
POLY = {"private_key": "ab" * 32, "api_key": "k-1", "api_secret": "s-2", "passphrase": "p-3"}


@pytest.fixture
def sm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        for name in ("polymarket", "kalshi", "telegram"):
            client.create_secret(Name=f"arbiter-staging/{name}")  # the containers pulumi creates
        yield client


def _current(sm: Any, name: str) -> dict[str, str]:
    return dict(json.loads(sm.get_secret_value(SecretId=f"arbiter-staging/{name}")["SecretString"]))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_from_file_writes_exactly_the_fields_and_prints_no_value(
    sm: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "poly.json"
    path.write_text(json.dumps(POLY))
    code, out, err = _run(
        ["secrets", "set", "--stack", "staging", "--secret", "polymarket", "--from-file", str(path)], capsys
    )
    assert (code, err) == (0, "")
    assert _current(sm, "polymarket") == POLY
    assert "arbiter-staging/polymarket: new version" in out and "--force-new-deployment" in out
    assert not any(v in out for v in POLY.values())


def test_prompt_reads_hidden_values_and_the_pem_from_a_file(
    sm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = tmp_path / "kalshi.pem"
    pem.write_text(PEM)
    hidden: list[str] = []
    monkeypatch.setattr(secrets_cli.getpass, "getpass", lambda prompt: hidden.append(prompt) or "key-id-7")
    monkeypatch.setattr("builtins.input", lambda prompt: str(pem))
    code, _out, err = _run(["secrets", "set", "--stack", "staging", "--secret", "kalshi"], capsys)
    assert (code, err) == (0, "")
    assert _current(sm, "kalshi") == {"key_id": "key-id-7", "private_key": PEM}
    assert hidden == ["kalshi.key_id (hidden): "]  # the PEM never goes through a prompt


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1, column 2)"),
        ("[1, 2]", "must be a JSON object with the keys bot_token (got a JSON list)"),
        ("{}", "has exactly the keys bot_token (missing bot_token)"),
        ('{"bot_token": "1:a", "chat": "x"}', "has exactly the keys bot_token (unknown chat)"),
        ('{"bot_token": ""}', "telegram.bot_token: must not be empty"),
        ('{"bot_token": 42}', "telegram.bot_token: must be a string (got int)"),
    ],
)
def test_bad_files_are_one_line_errors_and_write_nothing(
    sm: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    code, out, err = _run(
        ["secrets", "set", "--stack", "staging", "--secret", "telegram", "--from-file", str(path)], capsys
    )
    assert code == cli.EXIT_USAGE and out == ""
    assert err.count("\n") == 1 and expected in err, err
    assert sm.list_secret_version_ids(SecretId="arbiter-staging/telegram")["Versions"] == []


def test_value_checks_never_echo_the_value(
    sm: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**POLY, "private_key": "0xSECRETVALUE"}))
    code, _out, err = _run(
        ["secrets", "set", "--stack", "staging", "--secret", "polymarket", "--from-file", str(path)], capsys
    )
    assert code == cli.EXIT_USAGE
    assert "polymarket.private_key: must be 64 hexadecimal characters" in err and "SECRETVALUE" not in err


def test_unknown_secret_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["secrets", "set", "--stack", "staging", "--secret", "binance"])
    err = capsys.readouterr().err
    assert exit_.value.code == cli.EXIT_USAGE
    assert err.count("\n") == 1 and "invalid choice: 'binance'" in err and "polymarket" in err


def test_values_are_not_accepted_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["secrets", "set", "--stack", "staging", "--secret", "telegram", "--value", "1:a"])
    assert "unrecognized arguments: --value 1:a" in capsys.readouterr().err


def test_secret_not_deployed_yet(sm: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sm.delete_secret(SecretId="arbiter-staging/telegram", ForceDeleteWithoutRecovery=True)
    path = tmp_path / "t.json"
    path.write_text('{"bot_token": "1:a"}')
    code, _out, err = _run(
        ["secrets", "set", "--stack", "staging", "--secret", "telegram", "--from-file", str(path)], capsys
    )
    assert code == cli.EXIT_USAGE
    assert "secret arbiter-staging/telegram does not exist: deploy the stack first" in err


def test_no_credentials_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in (*FAKE_ENV, "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    path = tmp_path / "t.json"
    path.write_text('{"bot_token": "1:a"}')
    code, _out, err = _run(
        ["secrets", "set", "--stack", "staging", "--secret", "telegram", "--from-file", str(path)], capsys
    )
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1 and "no AWS credentials found" in err


@pytest.mark.parametrize(
    "case",
    [("polymarket", POLY, "trading-core"), ("telegram", {"bot_token": "123:abc"}, "telegram-bot")],
)
def test_the_restart_hint_names_the_services_the_secret_is_injected_into(
    sm: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, Any, str]
) -> None:
    """Which services must restart comes from the service table (`application.consumers`)."""
    secret, values, services = case
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values))
    code, out, _err = _run(
        ["secrets", "set", "--stack", "staging", "--secret", secret, "--from-file", str(path)], capsys
    )
    assert code == 0
    assert f"--cluster arbiter-staging --service <{services}> --force-new-deployment" in out
