"""Fixtures shared by the tooling tests: an empty moto account, a project directory, and the
exports `pulumi up` of each stack would leave."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools.runtime import PROJECT_DIR, Deployment
from arbiter_tools.state_export import export_deployment
from tests.conftest import FAKE_ENV


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """An empty in-process moto account with dummy credentials; no endpoint or profile leaks in."""
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with the real program and Pulumi.yaml, for a test to add a stack file to."""
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    return tmp_path


@pytest.fixture(scope="module")
def staging_state(staging: Deployment) -> dict[str, Any]:
    return export_deployment(staging)


@pytest.fixture(scope="module")
def prod_state(prod: Deployment) -> dict[str, Any]:
    return export_deployment(prod)
