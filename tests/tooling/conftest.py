"""Fixtures shared by the tooling tests."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

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
