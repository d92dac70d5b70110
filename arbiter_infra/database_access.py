"""The SQL that gives each database-using service its own PostgreSQL user and only its privileges.

Generated here from the stack file's `services.<name>.databaseAccess` and run, as the RDS master
user in one transaction, by the bootstrap function inside the VPC (components/database_users.py).
Every statement is idempotent and converging: a re-run changes nothing, a narrowed grant is revoked.

The model (docs/database-access.md is the application's side of it):
- each service logs in as its own user with an IAM token (member of `rds_iam`, no password);
- each schema has one owner, the user of the service that owns it: it alone creates, alters and
  drops the schema's tables (PostgreSQL lets only an object's owner drop it);
- a reader gets USAGE on the schema and SELECT on its tables, present and future (default
  privileges of the owner), nothing else;
- PUBLIC loses its defaults: CONNECT and TEMP on the database, CREATE in `public`, everything on
  the owned schemas, EXECUTE on the owners' future functions.
The master is not a superuser on RDS (it has `rds_superuser`, CREATEROLE): to act for an owner it
grants itself that role with SET only (never INHERIT) for the transaction, and revokes it at the
end, so it is never left a member of a role that belongs to `rds_iam`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

#: RDS's role for IAM database authentication: its members log in with tokens only.
RDS_IAM_ROLE: Final = "rds_iam"
#: Session-wide lock for the bootstrap, so two runs (two `pulumi up`s) never interleave.
ADVISORY_LOCK_KEY: Final = "arbiter:database-users"
#: ALTER ... OWNER takes an exclusive lock: give up rather than wait behind a long application query.
LOCK_TIMEOUT: Final = "10s"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RELKIND_NOUN = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}


def ident(name: str) -> str:
    """A quoted identifier; only the plain lower-case names this project generates are accepted."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain PostgreSQL identifier ([a-z_][a-z0-9_]*, <= 63)")
    return f'"{name}"'


def literal(name: str) -> str:
    """A name as an SQL string literal (identifiers only, checked like `ident`)."""
    ident(name)
    return f"'{name}'"


@dataclass(frozen=True)
class DatabaseUser:
    """One service's database user and what it may do."""

    #: The PostgreSQL role (LOGIN, IAM authentication).
    name: str
    #: Schemas it owns: creates, writes and alone may drop their tables.
    owns: tuple[str, ...] = ()
    #: Schemas it reads (SELECT on every table, present and future).
    reads: tuple[str, ...] = ()


def users_from(access: Mapping[str, Mapping[str, str]]) -> list[DatabaseUser]:
    """`{user: {schema: owner|read}}` (the validated stack file) -> the users, in a stable order."""
    users = []
    for user, schemas in sorted(access.items()):
        unknown = {level for level in schemas.values()} - {"owner", "read"}
        if unknown:
            raise ValueError(f"unknown access level(s) {sorted(unknown)} for {user}")
        users.append(
            DatabaseUser(
                name=user,
                owns=tuple(sorted(s for s, level in schemas.items() if level == "owner")),
                reads=tuple(sorted(s for s, level in schemas.items() if level == "read")),
            )
        )
    return users


def _check(users: Sequence[DatabaseUser], master: str) -> None:
    owners: dict[str, str] = {}
    for user in users:
        ident(user.name)
        if user.name in (master, RDS_IAM_ROLE) or user.name.startswith(("pg_", "rds")):
            raise ValueError(f"{user.name!r} cannot be a service's database user (reserved or the master)")
        for schema in (*user.owns, *user.reads):
            ident(schema)
        for schema in user.owns:
            if schema in owners:
                raise ValueError(f"schema {schema!r} has two owners: {owners[schema]} and {user.name}")
            owners[schema] = user.name
    for user in users:
        orphans = sorted(set(user.reads) - owners.keys())
        if orphans:
            raise ValueError(f"{user.name} reads {orphans}, which no user owns")


def _create_user(user: DatabaseUser, database: str) -> list[str]:
    q, db = ident(user.name), ident(database)
    path = ", ".join(ident(s) for s in (*user.owns, *user.reads))
    return [
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = "
        f"{literal(user.name)}) THEN CREATE ROLE {q} LOGIN; END IF; END $$",
        # No password: it logs in with IAM tokens only. No CREATEDB/CREATEROLE; NOSUPERUSER is
        # the default and only a superuser may name it (the RDS master is not one).
        f"ALTER ROLE {q} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT PASSWORD NULL",
        f"GRANT {ident(RDS_IAM_ROLE)} TO {q}",
        f"GRANT CONNECT ON DATABASE {db} TO {q}",
        f"ALTER ROLE {q} IN DATABASE {db} SET search_path TO {path}",
    ]


def _take_over(schema: str, owner: str) -> str:
    """A schema the master made (before it had an owner: the services logged in as the master)
    is handed, with every table, view and free sequence in it, to its owner; a schema of any third
    role stops the run."""
    nouns = " ".join(f"WHEN '{kind}' THEN '{noun}'" for kind, noun in _RELKIND_NOUN.items())
    s, o = literal(schema), literal(owner)
    return (
        "DO $$ DECLARE obj record; current_owner regrole; BEGIN "
        f"SELECT nspowner::regrole INTO current_owner FROM pg_catalog.pg_namespace WHERE nspname = {s}; "
        f"IF current_owner = {o}::regrole THEN RETURN; END IF; "
        "IF current_owner <> current_user::regrole THEN RAISE EXCEPTION "
        f"'schema % is owned by %, neither % nor the master', {s}, current_owner, {o}; END IF; "
        f"EXECUTE format('GRANT CREATE ON SCHEMA %I TO %I', {s}, {o}); "
        "FOR obj IN SELECT c.oid::regclass::text AS name, c.relkind FROM pg_catalog.pg_class c "
        f"WHERE c.relnamespace = {s}::regnamespace AND c.relowner <> {o}::regrole "
        "AND (c.relkind IN ('r', 'p', 'f', 'v', 'm') OR (c.relkind = 'S' AND NOT EXISTS ("
        "SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype IN ('a', 'i')))) "
        f"LOOP EXECUTE format('ALTER %s %s OWNER TO %I', CASE obj.relkind {nouns} ELSE 'SEQUENCE' END, "
        f"obj.name, {o}); END LOOP; "
        f"EXECUTE format('ALTER SCHEMA %I OWNER TO %I', {s}, {o}); END $$"
    )


def _own_schema(owner: DatabaseUser, schema: str, users: Sequence[DatabaseUser]) -> list[str]:
    o, s = ident(owner.name), ident(schema)
    stmts = [
        f"CREATE SCHEMA IF NOT EXISTS {s} AUTHORIZATION {o}",
        _take_over(schema, owner.name),
        # As the owner: grants on its objects and its default privileges are the owner's to give.
        f"SET ROLE {o}",
        f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC",
    ]
    for other in users:
        if other.name == owner.name:
            continue
        u = ident(other.name)
        # Converge: what the stack file no longer says is taken away before what it says is given.
        stmts += [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {u}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {u}",
            f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {s} FROM {u}",
            f"REVOKE ALL ON SCHEMA {s} FROM {u}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON TABLES FROM {u}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON SEQUENCES FROM {u}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON FUNCTIONS FROM {u}",
        ]
        if schema in other.reads:
            stmts += [
                f"GRANT USAGE ON SCHEMA {s} TO {u}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {u}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {u}",
            ]
    stmts.append("RESET ROLE")
    return stmts


def access_sql(database: str, master: str, users: Sequence[DatabaseUser]) -> list[str]:
    """The statements, in order, to run as the master user inside one transaction."""
    _check(users, master)
    db = ident(database)
    stmts = [
        f"SELECT pg_advisory_xact_lock(hashtext('{ADVISORY_LOCK_KEY}'))",
        f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'",
        # PUBLIC's defaults: any role could connect and create temporary tables, and (before 15) create in public.
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]
    for user in users:
        stmts += _create_user(user, database)
    for user in users:
        if not user.owns:
            continue
        q = ident(user.name)
        stmts.append(f"GRANT {q} TO CURRENT_USER WITH INHERIT FALSE, SET TRUE")
        for schema in user.owns:
            stmts += _own_schema(user, schema, users)
        stmts += [
            f"SET ROLE {q}",
            # Functions are executable by PUBLIC by default: not the owner's future ones.
            "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC",
            "RESET ROLE",
            f"REVOKE {q} FROM CURRENT_USER",
        ]
    return stmts


def sql_digest(statements: Sequence[str]) -> str:
    """What the bootstrap's invocation is keyed on: it re-runs whenever the SQL changes."""
    return hashlib.sha256("\n;\n".join(statements).encode()).hexdigest()
