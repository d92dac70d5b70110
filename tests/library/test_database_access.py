"""The database users' SQL on a real PostgreSQL 16, run as an RDS-like (non-superuser) master:
each service's user can do what its service needs and is refused the rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from arbiter_infra.database_access import RDS_IAM_ROLE, DatabaseUser, access_sql, sql_digest, users_from
from tests.library.config_cases import raw_config
from tests.pg_support import RdsLike, create_rds_like, drop_rds_like, run_as_master

REFUSED = psycopg.errors.InsufficientPrivilege


@pytest.fixture(scope="module")
def db(postgres_url: str) -> Iterator[RdsLike]:
    created = create_rds_like(postgres_url)
    yield created
    drop_rds_like(created)


def shipped_access(db: RdsLike) -> dict[str, dict[str, str]]:
    """The staging stack file's `databaseAccess`, with this module's role names."""
    services = raw_config("staging")["services"]
    return {
        db.name("trading_core"): services["tradingCore"]["databaseAccess"],
        db.name("web_api"): services["webApi"]["databaseAccess"],
    }


def bootstrap(db: RdsLike, access: dict[str, dict[str, str]] | None = None) -> list[str]:
    statements = access_sql(db.database, db.master, users_from(access or shipped_access(db)))
    run_as_master(db, statements)
    return statements


@pytest.fixture(scope="module")
def users(db: RdsLike) -> tuple[str, str]:
    """The shipped access, bootstrapped, with one ledger table that existed before (made by the
    master, as the services did when they logged in as it) and one trading-core creates after."""
    with db.master_session() as conn:
        conn.execute("CREATE SCHEMA ledger")
        conn.execute("CREATE TABLE ledger.legacy_fills (id bigserial PRIMARY KEY, qty numeric)")
        conn.execute("INSERT INTO ledger.legacy_fills (qty) VALUES (1)")
    bootstrap(db)
    core, web = db.name("trading_core"), db.name("web_api")
    with db.as_role(core) as conn:
        conn.execute("CREATE TABLE ledger.orders (id bigserial PRIMARY KEY, market text, qty numeric)")
        conn.execute("INSERT INTO ledger.orders (market, qty) VALUES ('m1', 10)")
        conn.execute("CREATE TABLE market.quotes (market text, price numeric)")
    with db.as_role(web) as conn:
        conn.execute("CREATE TABLE web.sessions (id text PRIMARY KEY, created timestamptz DEFAULT now())")
    return core, web


def refused(db: RdsLike, role: str, statement: str) -> bool:
    with db.as_role(role) as conn:
        try:
            conn.execute(statement.encode())
        except REFUSED:
            return True
        except psycopg.errors.InvalidSchemaName:
            return True
    return False


def test_trading_core_writes_the_ledger_and_the_market_data(db: RdsLike, users: tuple[str, str]) -> None:
    core, _ = users
    with db.as_role(core) as conn:
        conn.execute("INSERT INTO ledger.orders (market, qty) VALUES ('m2', 5)")
        conn.execute("UPDATE ledger.orders SET qty = qty + 1 WHERE market = 'm2'")
        conn.execute("DELETE FROM ledger.orders WHERE market = 'm2'")
        conn.execute("INSERT INTO ledger.legacy_fills (qty) VALUES (2)")  # the table it was handed
        conn.execute("INSERT INTO market.quotes VALUES ('m1', 0.42)")
        conn.execute("ALTER TABLE ledger.orders ADD COLUMN IF NOT EXISTS side text")  # its migrations


def test_the_pre_existing_ledger_table_now_belongs_to_trading_core(
    db: RdsLike, users: tuple[str, str]
) -> None:
    core, _ = users
    with db.superuser() as conn:
        owners = dict(
            conn.execute(
                "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                "WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'S')"
            ).fetchall()
        )
    assert owners == {
        "legacy_fills": core,
        "legacy_fills_id_seq": core,
        "orders": core,
        "orders_id_seq": core,
    }


def test_web_api_reads_the_ledger_and_market_tables_old_and_new(db: RdsLike, users: tuple[str, str]) -> None:
    core, web = users
    with db.as_role(core) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ledger.positions (market text, qty numeric)")
    with db.as_role(web) as conn:
        assert conn.execute("SELECT count(*) FROM ledger.orders").fetchone() is not None
        assert conn.execute("SELECT count(*) FROM ledger.legacy_fills").fetchone() is not None
        assert conn.execute("SELECT count(*) FROM ledger.positions").fetchone() is not None
        assert conn.execute("SELECT count(*) FROM market.quotes").fetchone() is not None


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO ledger.orders (market, qty) VALUES ('x', 1)",
        "UPDATE ledger.orders SET qty = 0",
        "DELETE FROM ledger.orders",
        "TRUNCATE ledger.orders",
        "DROP TABLE ledger.orders",
        "ALTER TABLE ledger.orders ADD COLUMN evil text",
        "CREATE TABLE ledger.evil (id int)",
        "INSERT INTO market.quotes VALUES ('x', 1)",
        "SELECT nextval('ledger.orders_id_seq')",
    ],
)
def test_web_api_cannot_write_or_drop_the_ledger(db: RdsLike, users: tuple[str, str], statement: str) -> None:
    _, web = users
    assert refused(db, web, statement)


def test_web_api_owns_its_own_tables(db: RdsLike, users: tuple[str, str]) -> None:
    _, web = users
    with db.as_role(web) as conn:
        conn.execute("INSERT INTO web.sessions (id) VALUES ('s1') ON CONFLICT DO NOTHING")
        conn.execute("CREATE TABLE web.scratch (id int)")
        conn.execute("DROP TABLE web.scratch")


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM web.sessions",
        "DROP TABLE web.sessions",
        "CREATE TABLE web.evil (id int)",
        "CREATE TABLE public.evil (id int)",
    ],
)
def test_trading_core_is_refused_web_apis_tables(db: RdsLike, users: tuple[str, str], statement: str) -> None:
    core, _ = users
    assert refused(db, core, statement)


def test_nobody_but_the_owner_drops_a_table_not_even_the_master(db: RdsLike, users: tuple[str, str]) -> None:
    with db.master_session() as conn, pytest.raises(REFUSED):
        conn.execute("DROP TABLE ledger.orders")
    with db.master_session() as conn, pytest.raises(REFUSED):
        conn.execute("DROP SCHEMA ledger CASCADE")


def test_the_master_cannot_act_as_a_service_user_afterwards(db: RdsLike, users: tuple[str, str]) -> None:
    """PostgreSQL 16 leaves the creator ADMIN (only) on the roles it creates; the SET membership the
    SQL takes for the transaction is gone."""
    with db.superuser() as conn:
        memberships = conn.execute(
            "SELECT pg_get_userbyid(roleid), inherit_option OR set_option FROM pg_auth_members "
            "WHERE member = %s::regrole",
            (db.master,),
        ).fetchall()
    assert {role: acts for role, acts in memberships} == {
        RDS_IAM_ROLE: False,
        users[0]: False,
        users[1]: False,
    }
    with db.master_session() as conn, pytest.raises(REFUSED):
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(users[0])))


def test_service_users_log_in_by_iam_token_only(db: RdsLike, users: tuple[str, str]) -> None:
    with db.superuser() as conn:
        rows = conn.execute(
            "SELECT rolname, rolcanlogin, rolpassword IS NULL, rolsuper, rolcreaterole, rolcreatedb, "
            "pg_has_role(rolname, %s, 'MEMBER') FROM pg_authid WHERE rolname = ANY(%s) ORDER BY rolname",
            (RDS_IAM_ROLE, list(users)),
        ).fetchall()
    assert rows == [(name, True, True, False, False, False, True) for name in sorted(users)]


def test_public_loses_its_defaults(db: RdsLike, users: tuple[str, str]) -> None:
    stranger, password = db.name("stranger"), "a-test-password-1"
    with db.superuser() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(stranger), sql.Literal(password)
            )
        )
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(db.url(stranger, password)).close()
    assert refused(db, stranger, "SELECT * FROM ledger.orders")
    assert refused(db, stranger, "CREATE TABLE public.evil (id int)")
    with db.superuser() as conn:
        acl = conn.execute(
            "SELECT defaclacl::text FROM pg_default_acl WHERE defaclrole = %s::regrole AND defaclnamespace = 0",
            (users[0],),
        ).fetchone()
    # PUBLIC (an entry with no grantee before `=`) has no EXECUTE on its future functions.
    assert acl is not None and not any(item.startswith("=") for item in acl[0].strip("{}").split(","))


def privileges(db: RdsLike) -> list[Any]:
    """Every ACL (an unset one as the default it stands for), owner, default privilege and
    membership that the SQL touches."""
    with db.superuser() as conn:
        return [
            conn.execute(
                "SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner), coalesce(c.relacl, acldefault("
                "CASE c.relkind WHEN 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END, c.relowner))::text FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('ledger', 'market', 'web') "
                "ORDER BY 1, 2"
            ).fetchall(),
            conn.execute(
                "SELECT nspname, pg_get_userbyid(nspowner), coalesce(nspacl, acldefault('n', nspowner))::text "
                "FROM pg_namespace ORDER BY 1"
            ).fetchall(),
            conn.execute(
                "SELECT pg_get_userbyid(defaclrole), defaclnamespace::regnamespace::text, defaclobjtype, "
                "defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3"
            ).fetchall(),
            conn.execute(
                "SELECT pg_get_userbyid(roleid), pg_get_userbyid(member), admin_option, inherit_option, "
                "set_option FROM pg_auth_members ORDER BY 1, 2"
            ).fetchall(),
            conn.execute(
                "SELECT coalesce(datacl, acldefault('d', datdba))::text FROM pg_database "
                "WHERE datname = current_database()"
            ).fetchall(),
        ]


def test_a_re_run_changes_nothing(db: RdsLike, users: tuple[str, str]) -> None:
    before = privileges(db)
    bootstrap(db)
    assert privileges(db) == before


def test_a_narrowed_grant_is_taken_away_on_the_next_run(db: RdsLike, users: tuple[str, str]) -> None:
    core, web = users
    narrowed = shipped_access(db)
    narrowed[web] = {"web": "owner", "ledger": "read"}  # no longer reads market
    bootstrap(db, narrowed)
    try:
        assert refused(db, web, "SELECT * FROM market.quotes")
        with db.as_role(core) as conn:
            conn.execute("CREATE TABLE market.later (id int)")
        assert refused(db, web, "SELECT * FROM market.later")
        with db.as_role(web) as conn:
            conn.execute("SELECT count(*) FROM ledger.orders")
    finally:
        bootstrap(db)


def test_the_sql_is_a_pure_function_of_the_access() -> None:
    access = {"a_user": {"ledger": "owner"}, "b_user": {"ledger": "read"}}
    one = access_sql("arbiter", "arbiter", users_from(access))
    assert one == access_sql("arbiter", "arbiter", users_from(dict(reversed(access.items()))))
    assert sql_digest(one) != sql_digest(
        access_sql("arbiter", "arbiter", users_from({"a_user": {"ledger": "owner"}}))
    )


@pytest.mark.parametrize(
    ("users", "fragment"),
    [
        ([DatabaseUser("arbiter", owns=("ledger",))], "reserved or the master"),
        ([DatabaseUser("rds_iam")], "reserved or the master"),
        ([DatabaseUser("a", owns=("ledger",)), DatabaseUser("b", owns=("ledger",))], "two owners"),
        ([DatabaseUser("a", reads=("ledger",))], "which no user owns"),
        ([DatabaseUser('a"; DROP ROLE x; --', owns=("ledger",))], "not a plain PostgreSQL identifier"),
    ],
)
def test_bad_users_are_refused_before_any_sql(users: list[DatabaseUser], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        access_sql("arbiter", "arbiter", users)
