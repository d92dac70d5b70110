"""The real servers the data-access tests run against: reachable on loopback, of the right versions."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import redis

from tests import servers


def test_postgres_is_the_stacks_major_on_loopback(postgres_url: str) -> None:
    assert urlsplit(postgres_url).hostname == "127.0.0.1"
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    assert version is not None and version[0].split(".")[0] == servers.POSTGRES_MAJOR


def test_redis_is_7_with_acls_on_loopback(redis_url: str) -> None:
    assert urlsplit(redis_url).hostname == "127.0.0.1"
    client = redis.Redis.from_url(redis_url)
    assert str(client.info("server")["redis_version"]).startswith("7.")
    assert client.acl_whoami() == "default"
