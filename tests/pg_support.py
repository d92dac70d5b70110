"""An RDS-like database on the real PostgreSQL of the run: a fresh database, a master that is not a
superuser, a stand-in `rds_iam`, and sessions as any role.

RDS's master user has CREATEROLE and CREATEDB and owns the database it created, but is not a
superuser (it is a member of `rds_superuser`): the SQL must work with exactly that. Roles are
global to the server, so every name carries a per-module suffix and xdist workers never collide.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from arbiter_infra.database_access import RDS_IAM_ROLE


@dataclass(frozen=True)
class RdsLike:
    """One test module's database on the shared server."""

    superuser_url: str
    database: str
    master: str
    master_password: str
    suffix: str

    @property
    def host(self) -> str:
        return str(urlsplit(self.superuser_url).hostname)

    @property
    def port(self) -> int:
        return int(urlsplit(self.superuser_url).port or 5432)

    def url(self, user: str, password: str, database: str | None = None) -> str:
        parts = urlsplit(self.superuser_url)
        netloc = f"{user}:{password}@{parts.hostname}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, f"/{database or self.database}", "", ""))

    def name(self, base: str) -> str:
        """A role name unique to this module (`trading_core` -> `trading_core_ab12cd`)."""
        return f"{base}_{self.suffix}"

    @contextmanager
    def superuser(self, database: str | None = None) -> Iterator[psycopg.Connection]:
        parts = urlsplit(self.superuser_url)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{database or self.database}", "", ""))
        with psycopg.connect(url, autocommit=True) as conn:
            yield conn

    @contextmanager
    def master_session(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.url(self.master, self.master_password), autocommit=True) as conn:
            yield conn

    @contextmanager
    def as_role(self, role: str) -> Iterator[psycopg.Connection]:
        """A session with exactly `role`'s privileges (its login is an IAM token on RDS)."""
        with self.superuser() as conn:
            conn.execute(sql.SQL("SET SESSION AUTHORIZATION {}").format(sql.Identifier(role)))
            yield conn


def create_rds_like(superuser_url: str) -> RdsLike:
    suffix = secrets.token_hex(3)
    db = RdsLike(
        superuser_url=superuser_url,
        database=f"arbiter_{suffix}",
        master=f"master_{suffix}",
        master_password=secrets.token_urlsafe(18),
        suffix=suffix,
    )
    with db.superuser("postgres") as conn:
        # Server-wide, like RDS's: another module (or worker) may have made it first.
        with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(RDS_IAM_ROLE)))
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {}").format(
                sql.Identifier(db.master), sql.Literal(db.master_password)
            )
        )
        # RDS's rds_superuser may grant rds_iam; the master is not made a member that logs in by token.
        conn.execute(
            sql.SQL("GRANT {} TO {} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE").format(
                sql.Identifier(RDS_IAM_ROLE), sql.Identifier(db.master)
            )
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(db.database), sql.Identifier(db.master)
            )
        )
    return db


def drop_rds_like(db: RdsLike) -> None:
    with db.superuser("postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.database)))
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"%\\_{db.suffix}",)
        ).fetchall()
        # The master last: it granted the others their memberships.
        for (role,) in sorted(roles, key=lambda r: r[0] == db.master):
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def run_as_master(db: RdsLike, statements: list[str]) -> None:
    """The statements in one transaction as the master (what the bootstrap function does)."""
    with psycopg.connect(db.url(db.master, db.master_password)) as conn, conn.transaction():
        for statement in statements:
            try:
                conn.execute(statement.encode())
            except psycopg.Error as err:
                raise type(err)(f"{err} [in: {statement[:200]}]") from None
