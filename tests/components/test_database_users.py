"""DatabaseUsers alone: a function in the private subnets with the vendored driver, a role that
reads only the master secret, and an invocation carrying the SQL and re-run on its change."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from arbiter_infra.database_access import DatabaseUser, access_sql, sql_digest
from arbiter_infra.naming import Naming
from components import database_users
from components.database_users import DatabaseUsers, DatabaseUsersArgs
from tests.components.conftest import Build
from tests.components.service_fixtures import ACCOUNT, KEY_ARN, MASTER_SECRET, REGION, statements

USERS = [DatabaseUser("engine", owns=("ledger",)), DatabaseUser("front", owns=("web",), reads=("ledger",))]


def _users(naming: Naming, **overrides: Any) -> DatabaseUsers:
    args: dict[str, Any] = {
        "naming": naming,
        "region": REGION,
        "account_id": ACCOUNT,
        "users": USERS,
        "database_name": "appdb",
        "master_username": "appmaster",
        "endpoint": "db.unit",
        "port": 5432,
        "master_secret_arn": MASTER_SECRET,
        "subnet_ids": ["subnet-private-a", "subnet-private-b"],
        "security_group_id": "sg-db-users",
        "kms_key_arn": KEY_ARN,
        "log_retention_days": 14,
        **overrides,
    }
    return DatabaseUsers("unit-db-users", DatabaseUsersArgs(**args))


def test_the_function_runs_in_the_private_subnets_with_its_own_group(build: Build, naming: Naming) -> None:
    d = build(lambda: _users(naming))
    fn = d.one("aws:lambda/function:Function")
    assert fn.inputs["name"] == "arbiter-unit-database-users"
    assert fn.inputs["runtime"] == "python3.12"
    assert fn.inputs["handler"] == "index.handler"
    assert fn.inputs["vpcConfig"] == {
        "subnetIds": ["subnet-private-a", "subnet-private-b"],
        "securityGroupIds": ["sg-db-users"],
    }
    logs = d.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/lambda/arbiter-unit-database-users"
    assert logs.inputs["kmsKeyId"] == KEY_ARN and logs.inputs["retentionInDays"] == 14


def test_the_archive_holds_the_handler_and_the_vendored_driver() -> None:
    archive = database_users.function_archive()
    names = set(archive.assets)
    assert "index.py" in names
    for module in (
        "pg8000/native.py",
        "scramp/core.py",
        "asn1crypto/x509.py",
        "dateutil/parser/_parser.py",
        "six.py",
    ):
        assert module in names, module
    # importlib.metadata.version("scramp") runs at import: its METADATA must travel with it.
    assert any(n.startswith("scramp-") and n.endswith(".dist-info/METADATA") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "RECORD", "INSTALLER"))]
    index = archive.assets["index.py"]
    assert isinstance(index, pulumi.FileAsset)
    assert str(index.path) == str(database_users.HANDLER_PATH)


def test_the_role_reads_only_the_master_secret_and_carries_the_boundary(build: Build, naming: Naming) -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/arbiter-unit-boundary"
    d = build(lambda: _users(naming, permissions_boundary=boundary))
    role = d.one("aws:iam/role:Role")
    assert role.inputs["name"] == "arbiter-unit-database-users-exec"
    assert role.inputs["permissionsBoundary"] == boundary
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    stmts = statements(d.one("aws:iam/rolePolicy:RolePolicy"))
    assert stmts["ReadMasterSecret"]["Resource"] == [MASTER_SECRET]
    assert stmts["ReadMasterSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert stmts["DecryptMasterSecret"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }
    assert set(stmts) == {
        "WriteOwnLogs",
        "VpcNetworkInterfaces",
        "VpcDescribe",
        "ReadMasterSecret",
        "DecryptMasterSecret",
    }
    assert "*" not in stmts["VpcNetworkInterfaces"]["Resource"]


def test_the_invocation_carries_the_sql_and_no_credential(build: Build, naming: Naming) -> None:
    d = build(lambda: _users(naming))
    invocation = d.one("aws:lambda/invocation:Invocation")
    event = json.loads(invocation.inputs["input"])
    expected = access_sql("appdb", "appmaster", USERS)
    assert event["statements"] == expected
    assert event["sqlSha256"] == sql_digest(expected)
    assert (event["host"], event["port"], event["database"]) == ("db.unit", 5432, "appdb")
    assert event["masterSecretArn"] == MASTER_SECRET
    assert event["caBundleUrl"] == f"https://truststore.pki.rds.amazonaws.com/{REGION}/{REGION}-bundle.pem"
    assert invocation.inputs["triggers"]["sql"] == sql_digest(expected)
    # The function reads the secret itself: the event (kept in state) has only its ARN.
    assert set(event) == {
        "host",
        "port",
        "database",
        "masterSecretArn",
        "caBundleUrl",
        "users",
        "statements",
        "sqlSha256",
    }


def test_a_changed_grant_changes_the_trigger(build: Build, naming: Naming) -> None:
    before = build(lambda: _users(naming)).one("aws:lambda/invocation:Invocation")
    narrower = [USERS[0], DatabaseUser("front", owns=("web",))]
    after = build(lambda: _users(naming, users=narrower)).one("aws:lambda/invocation:Invocation")
    assert before.inputs["triggers"]["sql"] != after.inputs["triggers"]["sql"]
