"""Shared fixtures: the real program evaluated once per stack under the offline mock runtime."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from arbiter_tools.runtime import PROJECT_DIR, Deployment, run_program
from tests import servers

#: Dummy credentials for moto (in-process or moto_server): never valid against AWS.
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def pytest_configure(config: pytest.Config) -> None:
    """Start the real servers once per run: in the controller, before xdist starts its workers."""
    if not hasattr(config, "workerinput"):
        servers.start_all()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        servers.stop_all()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A superuser URL of a real PostgreSQL (the stack's major) on loopback, shared by the run."""
    return servers.url(servers.POSTGRES_URL)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The default user's URL of a real Redis 7 on loopback, shared by the run."""
    return servers.url(servers.REDIS_URL)


@pytest.fixture(scope="session")
def staging() -> Deployment:
    return run_program("staging")


@pytest.fixture(scope="session")
def prod() -> Deployment:
    return run_program("prod")


@pytest.fixture(scope="session")
def account() -> Deployment:
    """The account stack (ECR repositories, OIDC provider, service-linked roles)."""
    return run_program("account")


@pytest.fixture(params=["staging", "prod"])
def deployment(request: pytest.FixtureRequest, staging: Deployment, prod: Deployment) -> Deployment:
    return staging if request.param == "staging" else prod


def stack_sections(stack: str) -> dict[str, Any]:
    """The `arbiter:` settings of a stack file, namespace stripped (a fresh copy to mutate)."""
    doc = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(
        {k.split(":", 1)[1]: v for k, v in doc["config"].items() if k.startswith("arbiter:")}
    )


def write_project(tmp: Path, stack: str, sections: dict[str, Any]) -> Path:
    """A project dir with the real `__main__.py` and a stack file holding `sections`."""
    config: dict[str, Any] = {"aws:region": "us-east-1", "aws:allowedAccountIds": ["123456789012"]}
    config.update({f"arbiter:{k}": v for k, v in sections.items()})
    (tmp / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    (tmp / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    return tmp
