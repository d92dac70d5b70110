"""`redis rotate` / `redis finish-rotation` against moto, through `cli.main`.

moto has ElastiCache users (CreateUser, DescribeUsers) but no ModifyUser: `modify_user` below adds
it to moto's ElastiCache API with AWS's rules (at most two passwords of 16-128 characters; the list
given replaces the user's passwords), the emulator's approach for what moto lacks. The service is
a real moto ECS service; MOTO_ECS_SERVICE_RUNNING makes its deployment COMPLETED.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.core.responses import ActionResult
from moto.ecs.models import ecs_backends
from moto.elasticache.exceptions import InvalidParameterValueException, PasswordTooShort, UserNotFound
from moto.elasticache.models import elasticache_backends
from moto.elasticache.responses import ElastiCacheResponse

from arbiter_tools import redis_cli
from arbiter_tools.runtime import ACCOUNT_ID
from tests.tooling.cli_support import one_line_failure, run_cli

pytestmark = pytest.mark.moto

USER = "arbiter-staging-web-api"
SECRET = "arbiter-staging/redis-web-api"
FIRST = "f" * 64
MAX_PASSWORDS = 2


def _modify_user(self: ElastiCacheResponse) -> ActionResult:
    """ModifyUser as AWS documents it, for the fields the rotation sends."""
    params = self._get_params()
    users = self.elasticache_backend.users
    if params["UserId"] not in users:
        raise UserNotFound(params["UserId"])
    user = users[params["UserId"]]
    mode = params.get("AuthenticationMode") or {}
    passwords = params.get("Passwords") or mode.get("Passwords")
    if passwords is not None:
        if not 1 <= len(passwords) <= MAX_PASSWORDS:
            raise InvalidParameterValueException("A user can have at most two passwords.")
        if any(not 16 <= len(p) <= 128 for p in passwords):
            raise PasswordTooShort
        user.passwords = list(passwords)
        user.authentication_type = mode.get("Type", "password")
    if params.get("AccessString"):
        user.access_string = params["AccessString"]
    return ActionResult(user)


@pytest.fixture
def stack(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """web-api's Redis user, its secret (first password, as `pulumi up` leaves it) and its service."""
    monkeypatch.setattr(ElastiCacheResponse, "modify_user", _modify_user, raising=False)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    elasticache, sm, ecs = aws.client("elasticache"), aws.client("secretsmanager"), aws.client("ecs")
    elasticache.create_user(
        UserId=USER,
        UserName=USER,
        Engine="redis",
        AccessString="on ~session:web:* -@all +@string -@dangerous",
        AuthenticationMode={"Type": "password", "Passwords": [FIRST]},
    )
    sm.create_secret(Name=SECRET, SecretString=json.dumps({"username": USER, "password": FIRST}))
    ecs.create_cluster(clusterName="arbiter-staging")
    ecs.register_task_definition(
        family="arbiter-staging-web-api",
        containerDefinitions=[{"name": "web-api", "image": "web-api:v1", "memory": 512}],
    )
    ecs.create_service(
        cluster="arbiter-staging",
        serviceName="web-api",
        taskDefinition="arbiter-staging-web-api",
        desiredCount=1,
    )
    # Deployed a minute ago: moto dates secret versions to the second, so a service created in the
    # same second as the new version would look rolled after it.
    [deployment] = ecs_backends[ACCOUNT_ID]["us-east-1"].services["arbiter-staging:web-api"].deployments
    deployment["createdAt"] -= datetime.timedelta(minutes=1)
    yield {"elasticache": elasticache, "sm": sm, "ecs": ecs}


def _passwords(c: dict[str, Any]) -> list[str]:
    """The user's passwords themselves, from moto's backend (DescribeUsers gives only their count)."""
    assert c["elasticache"].describe_users(UserId=USER)["Users"][0]["Authentication"]["Type"] == "password"
    return list(elasticache_backends[ACCOUNT_ID]["us-east-1"].users[USER].passwords)


def _current(c: dict[str, Any]) -> dict[str, str]:
    return dict(json.loads(c["sm"].get_secret_value(SecretId=SECRET)["SecretString"]))


def _deployment_started(c: dict[str, Any]) -> datetime.datetime:
    svc = c["ecs"].describe_services(cluster="arbiter-staging", services=["web-api"])["services"][0]
    return svc["deployments"][0]["createdAt"]


def test_rotation_adds_then_finishing_removes_the_old_password(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _deployment_started(stack)
    code, out, err = run_cli(capsys, "redis", "rotate", "--stack", "staging", "--service", "web-api")
    assert code == 0, err
    new = _current(stack)["password"]
    assert new != FIRST and len(new) == 64 and new.isalnum()
    # Both work while running tasks still hold the old one; the secret gives new tasks the new one.
    assert _passwords(stack) == [FIRST, new]
    assert _current(stack)["username"] == USER
    assert _deployment_started(stack) >= before  # the service was told to start new tasks
    assert new not in out and FIRST not in out
    assert "finish-rotation --stack staging --service web-api" in out

    code, out, err = run_cli(capsys, "redis", "finish-rotation", "--stack", "staging", "--service", "web-api")
    assert code == 0, err
    assert _passwords(stack) == [new]
    assert new not in out


def test_finishing_refuses_while_the_service_has_not_rolled(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        capsys, "redis", "rotate", "--stack", "staging", "--service", "web-api", "--no-roll"
    )
    assert code == 0, err
    code, _, err = run_cli(capsys, "redis", "finish-rotation", "--stack", "staging", "--service", "web-api")
    line = one_line_failure(code, err)
    assert code == redis_cli.EXIT_NOT_READY
    assert "before the new password" in line
    assert len(_passwords(stack)) == MAX_PASSWORDS  # nothing removed: old tasks keep working
    # Once rolled, it finishes.
    stack["ecs"].update_service(cluster="arbiter-staging", service="web-api", forceNewDeployment=True)
    code, _, err = run_cli(capsys, "redis", "finish-rotation", "--stack", "staging", "--service", "web-api")
    assert code == 0, err
    assert _passwords(stack) == [_current(stack)["password"]]


def test_a_second_rotation_before_finishing_is_refused(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "redis", "rotate", "--stack", "staging", "--service", "web-api")[0] == 0
    pending = _passwords(stack)
    code, _, err = run_cli(capsys, "redis", "rotate", "--stack", "staging", "--service", "web-api")
    line = one_line_failure(code, err)
    assert code == 2
    assert "rotation is unfinished" in line and "finish-rotation" in line
    assert _passwords(stack) == pending


def test_a_service_without_a_redis_user_is_one_line(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "redis", "rotate", "--stack", "staging", "--service", "trading-core")
    line = one_line_failure(code, err)
    assert code == 2
    assert "secret arbiter-staging/redis-trading-core does not exist" in line
