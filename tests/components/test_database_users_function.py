"""The bootstrap function's handler (functions/database_users.py) against the real PostgreSQL 16:
it applies the SQL, a re-run is harmless, and a failure names no credential and changes nothing."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_infra.database_access import access_sql, sql_digest, users_from
from tests.library.test_database_access import privileges
from tests.pg_support import RdsLike, create_rds_like, drop_rds_like

HANDLER = Path(__file__).resolve().parents[2] / "functions" / "database_users.py"


def load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("database_users_function", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fn = load_handler()


@pytest.fixture(scope="module")
def db(postgres_url: str) -> Iterator[RdsLike]:
    created = create_rds_like(postgres_url)
    yield created
    drop_rds_like(created)


def event(db: RdsLike, statements: list[str]) -> dict[str, Any]:
    return {
        "host": db.host,
        "port": db.port,
        "database": db.database,
        "masterSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
        "caBundleUrl": "https://example.invalid/bundle.pem",
        "statements": statements,
        "sqlSha256": sql_digest(statements),
        "users": [db.name("trading_core"), db.name("web_api")],
    }


def statements(db: RdsLike, web_reads_market: bool = True) -> list[str]:
    web = {"web": "owner", "ledger": "read"} | ({"market": "read"} if web_reads_market else {})
    access = {db.name("trading_core"): {"ledger": "owner", "market": "owner"}, db.name("web_api"): web}
    return access_sql(db.database, db.master, users_from(access))


def master(db: RdsLike) -> dict[str, str]:
    return {"username": db.master, "password": db.master_password}


def test_the_digest_is_the_librarys() -> None:
    sql = ["SELECT 1", "SELECT 2"]
    assert fn.digest(sql) == sql_digest(sql)


def test_it_applies_the_sql_and_a_re_run_changes_nothing(db: RdsLike) -> None:
    result = fn.run(event(db, statements(db)), credentials=master(db), ssl_context=None)
    assert result["statements"] == len(statements(db))
    first = privileges(db)
    fn.run(event(db, statements(db)), credentials=master(db), ssl_context=None)
    assert privileges(db) == first
    assert db.master_password not in json.dumps(result)


def test_a_failing_statement_reports_without_the_credential_and_changes_nothing(db: RdsLike) -> None:
    fn.run(event(db, statements(db)), credentials=master(db), ssl_context=None)
    before = privileges(db)
    # A narrower grant first (it would take web-api's market reads away), then a statement that fails.
    bad = [*statements(db, web_reads_market=False), f"SELECT '{db.master_password}'::int"]
    with pytest.raises(fn.BootstrapError) as err:
        fn.run(event(db, bad), credentials=master(db), ssl_context=None)
    message = str(err.value)
    assert f"statement {len(bad)} of {len(bad)} failed, nothing was changed" in message
    assert "22P02" in message  # the server's code: invalid_text_representation
    assert db.master_password not in message
    # Nothing chained: Lambda's report of the error shows this message and no driver exception.
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__
    assert privileges(db) == before


def test_a_wrong_password_reports_without_it(db: RdsLike) -> None:
    wrong = {"username": db.master, "password": "not-the-password-Zq9"}
    with pytest.raises(fn.BootstrapError) as err:
        fn.run(event(db, statements(db)), credentials=wrong, ssl_context=None)
    message = str(err.value)
    assert message.startswith(f"cannot connect to {db.host}:{db.port}/{db.database} as the master user")
    assert "28P01" in message  # invalid_password
    assert "not-the-password-Zq9" not in message and db.master_password not in message


def test_statements_that_do_not_match_their_digest_are_not_run(db: RdsLike) -> None:
    tampered = event(db, statements(db))
    tampered["statements"] = [*tampered["statements"], "DROP SCHEMA ledger CASCADE"]
    with pytest.raises(fn.BootstrapError, match="do not match their digest"):
        fn.run(tampered, credentials=master(db), ssl_context=None)


def test_the_entry_point_reads_the_master_secret_itself(db: RdsLike, monkeypatch: pytest.MonkeyPatch) -> None:
    """`handler` as Lambda calls it: the secret from Secrets Manager (moto), TLS left to `rds_tls`."""
    monkeypatch.setattr(fn, "rds_tls", lambda url: None)
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="rds!cluster-test", SecretString=json.dumps(master(db))
        )["ARN"]
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        result = fn.handler({**event(db, statements(db)), "masterSecretArn": arn}, None)
        assert result["sqlSha256"] == sql_digest(statements(db))
        with pytest.raises(fn.BootstrapError) as err:
            fn.handler({**event(db, statements(db)), "masterSecretArn": arn + "-missing"}, None)
    assert "cannot read the master secret" in str(err.value)
    assert db.master_password not in str(err.value)
