"""Each service's Redis access string, loaded into a real Redis 7 with `ACL SETUSER` and exercised.

The strings are the stack files' `redisAccess` through `redis_acl.access_string`, the function the
program gives ElastiCache, so what is proven here is what is deployed. The application's contract
(docs/redis-access.md): sessions under `session:web:*` (web-api) and `session:telegram:*`
(telegram-bot), rate-limit state under `ratelimit:<service>:*` (each its own), per-tenant quota
counters under `quota:*` (written by trading-core, read by web-api). Users are named uniquely per
test: the xdist workers share the server.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from arbiter_infra import redis_acl, redis_acl_data
from arbiter_infra.config import RedisAccessConfig

ROOT = Path(__file__).resolve().parents[2]
SERVICE_KEYS = {"tradingCore": "trading-core", "telegramBot": "telegram-bot", "webApi": "web-api"}


def _stack_access(stack: str) -> dict[str, str]:
    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    services = doc["config"]["arbiter:services"]
    return {
        SERVICE_KEYS[key]: RedisAccessConfig.model_validate(section["redisAccess"]).access_string
        for key, section in services.items()
        if key in SERVICE_KEYS and section.get("usesRedis")
    }


ACCESS = {stack: _stack_access(stack) for stack in ("staging", "prod")}

#: (command as argv, what it is) the service must be able to run; `{t}` is a per-test tenant id.
Check = tuple[tuple[str, ...], str]
ALLOWED: dict[str, list[Check]] = {
    "trading-core": [
        (("INCRBY", "quota:{t}:orders", "1"), "count a tenant's orders"),
        (("HINCRBY", "quota:{t}:daily", "trades", "1"), "count a tenant's trades"),
        (("EXPIRE", "quota:{t}:orders", "86400"), "reset quotas daily"),
        (("SET", "ratelimit:trading-core:kalshi", "1", "PX", "1000"), "exchange rate-limit state"),
        (("ZADD", "ratelimit:trading-core:poly", "1", "req-1"), "sliding-window rate limit"),
        (("GET", "quota:{t}:orders"), "read a quota"),
        (("PING",), "health check"),
    ],
    "telegram-bot": [
        (("HSET", "session:telegram:{t}", "state", "menu"), "a chat's conversation state"),
        (("EXPIRE", "session:telegram:{t}", "3600"), "sessions expire"),
        (("HGETALL", "session:telegram:{t}"), "read a chat session"),
        (("INCR", "ratelimit:telegram-bot:{t}"), "per-chat rate limit"),
        (("DEL", "session:telegram:{t}"), "end a session"),
        (("PING",), "health check"),
    ],
    "web-api": [
        (("SET", "session:web:{t}", "jwt-id", "EX", "3600"), "a web session"),
        (("GET", "session:web:{t}"), "read a web session"),
        (("HSET", "session:web:{t}:meta", "ip", "10.0.0.1"), "session metadata"),
        (("ZADD", "ratelimit:web-api:{t}", "1", "req-1"), "per-client sliding window"),
        (("ZREMRANGEBYSCORE", "ratelimit:web-api:{t}", "0", "0"), "trim the window"),
        (("GET", "quota:{t}:orders"), "show a tenant its quota"),
        (("TTL", "session:web:{t}"), "session lifetime"),
        (("PING",), "health check"),
    ],
}
#: What every service is refused, and what each is refused besides.
REFUSED_ALL: list[Check] = [
    (("FLUSHALL",), "wipe every key (names no key, so only @dangerous stops it)"),
    (("FLUSHDB",), "wipe the database"),
    (("KEYS", "*"), "enumerate every key"),
    (("SWAPDB", "0", "1"), "swap databases"),
    (("ACL", "LIST"), "read the users"),
    (("ACL", "SETUSER", "intruder", "on", "+@all", "~*"), "create a user"),
    (("CONFIG", "GET", "*"), "read the configuration"),
    (("CLIENT", "KILL", "ID", "999999"), "disconnect other clients"),
    (("MONITOR",), "see every command"),
    (("EVAL", "return 1", "0"), "run scripts"),
    (("SET", "unrelated:{t}", "x"), "a key outside its prefixes"),
]
REFUSED: dict[str, list[Check]] = {
    "trading-core": [
        (("GET", "session:web:{t}"), "web sessions"),
        (("SET", "ratelimit:web-api:{t}", "1"), "another service's rate limits"),
    ],
    "telegram-bot": [
        (("GET", "quota:{t}:orders"), "quota counters"),
        (("GET", "session:web:{t}"), "web sessions"),
        (("ZADD", "ratelimit:telegram-bot:{t}", "1", "x"), "sorted sets (not in its commands)"),
    ],
    "web-api": [
        (("INCR", "quota:{t}:orders"), "write quota counters (trading-core's)"),
        (("DEL", "quota:{t}:orders"), "delete quota counters"),
        (("GET", "session:telegram:{t}"), "chat sessions"),
        (("SET", "ratelimit:trading-core:kalshi", "1"), "trading-core's rate limits"),
    ],
}


@pytest.fixture
def admin(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def as_user(admin: redis.Redis) -> Iterator[Callable[[str], redis.Redis]]:
    """`as_user(access)`: a connection as a new user with exactly `access` (ElastiCache's syntax)."""
    made: list[tuple[str, redis.Redis]] = []
    kwargs = admin.connection_pool.connection_kwargs

    def make(access: str) -> redis.Redis:
        name, password = f"t-{uuid.uuid4().hex[:12]}", secrets.token_hex(32)
        admin.execute_command("ACL", "SETUSER", name, f">{password}", *access.split())
        client = redis.Redis(
            host=kwargs["host"], port=kwargs["port"], username=name, password=password, decode_responses=True
        )
        made.append((name, client))
        return client

    yield make
    for name, client in made:
        client.close()
        admin.execute_command("ACL", "DELUSER", name)


def _argv(check: Check, tenant: str) -> list[str]:
    return [a.replace("{t}", tenant) for a in check[0]]


def violations(client: redis.Redis, service: str, tenant: str) -> list[str]:
    """What `service`'s user may do that it must not, or may not do that it must (empty: exact)."""
    out: list[str] = []
    for check in ALLOWED[service]:
        try:
            client.execute_command(*_argv(check, tenant))
        except redis.exceptions.NoPermissionError as err:
            out.append(f"refused {' '.join(check[0])} ({check[1]}): {err}")
    for check in REFUSED_ALL + REFUSED[service]:
        try:
            client.execute_command(*_argv(check, tenant))
        except redis.exceptions.NoPermissionError:
            continue
        except redis.exceptions.ResponseError as err:
            out.append(f"{' '.join(check[0])} ({check[1]}) got past the ACL: {err}")
            continue
        out.append(f"allowed {' '.join(check[0])} ({check[1]})")
    return out


@pytest.mark.parametrize("stack", ["staging", "prod"])
@pytest.mark.parametrize("service", ["trading-core", "telegram-bot", "web-api"])
def test_each_service_can_do_what_it_needs_and_nothing_else(
    as_user: Callable[[str], redis.Redis], stack: str, service: str
) -> None:
    client = as_user(ACCESS[stack][service])
    assert violations(client, service, uuid.uuid4().hex[:8]) == []


@pytest.mark.parametrize(
    ("service", "broader"),
    [
        ("web-api", {"keys": ["session:web:*", "ratelimit:web-api:*", "quota:*"]}),
        ("telegram-bot", {"keys": ["session:*", "ratelimit:telegram-bot:*"]}),
        ("trading-core", {"commands": ["@connection", "@read", "@write", "@keyspace", "@scripting"]}),
    ],
)
def test_a_broader_access_string_fails_the_check(
    as_user: Callable[[str], redis.Redis], service: str, broader: dict[str, Any]
) -> None:
    """The check above can fail: broaden one service's `redisAccess` and it reports what leaked."""
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]["arbiter:services"]
    key = next(k for k, v in SERVICE_KEYS.items() if v == service)
    access = RedisAccessConfig.model_validate({**doc[key]["redisAccess"], **broader}).access_string
    assert violations(as_user(access), service, uuid.uuid4().hex[:8]) != []


def test_without_the_trailing_dangerous_rule_flushall_gets_through(
    as_user: Callable[[str], redis.Redis],
) -> None:
    """Why every string ends in `-@dangerous`: key patterns do not stop commands that name no key."""
    access = ACCESS["prod"]["web-api"].removesuffix(" -@dangerous") + " +@keyspace"
    client = as_user(access)
    client.set(f"session:web:{uuid.uuid4().hex[:8]}", "x")
    assert client.execute_command("KEYS", "nothing-matches-*") == []  # enumerates every key


def test_the_default_user_string_cannot_log_in(admin: redis.Redis) -> None:
    name, password = f"t-{uuid.uuid4().hex[:12]}", secrets.token_hex(32)
    admin.execute_command("ACL", "SETUSER", name, f">{password}", *redis_acl.DISABLED.split())
    kwargs = admin.connection_pool.connection_kwargs
    try:
        client = redis.Redis(host=kwargs["host"], port=kwargs["port"], username=name, password=password)
        with pytest.raises(redis.exceptions.AuthenticationError):
            client.ping()
    finally:
        admin.execute_command("ACL", "DELUSER", name)


def test_migration_default_user_is_exactly_the_union_of_the_services(
    as_user: Callable[[str], redis.Redis],
) -> None:
    """While migrating, tasks still sending the AUTH token get what some service may do, no more."""
    client = as_user(redis_acl.union(ACCESS["prod"].values()))
    tenant = uuid.uuid4().hex[:8]
    for checks in ALLOWED.values():
        for check in checks:
            client.execute_command(*_argv(check, tenant))
    for check in REFUSED_ALL:
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command(*_argv(check, tenant))


def test_category_data_is_what_the_server_says(admin: redis.Redis) -> None:
    """arbiter_infra/redis_acl_data.py is current (else: scripts/redis_acl_data.py <url>)."""
    assert sorted(admin.acl_cat()) == sorted(redis_acl_data.CATEGORIES)
    for category, commands in redis_acl_data.CATEGORIES.items():
        assert sorted(admin.acl_cat(category)) == list(commands), category


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_generated_strings_use_only_rules_elasticache_documents(stack: str) -> None:
    for access in ACCESS[stack].values():
        rules = access.split()
        assert rules[0] == "on" and rules[-1] == "-@dangerous"
        for rule in rules[1:]:
            assert rule.startswith(("~", "%R~", "-@", "+@", "+", "-")), rule
            assert rule not in ("reset", "nopass", "allkeys", "allcommands", "~*", "+@all")
            assert not rule.startswith((">", "<", "#", "!", "&", "resetchannels"))
            name = rule.lstrip("+-")
            if not name.startswith(("@", "~", "%")):
                assert name.split("|")[0] not in redis_acl.ELASTICACHE_RESTRICTED
