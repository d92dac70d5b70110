"""Both stacks deployed side by side into one moto account once, and a fresh account for one-resource tests.

Deploying takes most of these tests' time, and most only read what it left in AWS, so `emulated`
reads one shared account (`SharedAccount`). A test that changes the shared deployment must put it
back.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from tests.conftest import FAKE_ENV, stack_sections
from tests.tooling.emulator.support import Emulated


def _fake_credentials(mp: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_ENV.items():
        mp.setenv(key, value)
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    mp.delenv("AWS_PROFILE", raising=False)


class SharedAccount:
    """Staging and prod side by side in one moto account, deployed once and read by many tests.

    A real account holds both stacks (every name carries the stack), so one moto account does too,
    which also proves that they deploy side by side. moto's patching is off between tests, the data
    kept (`stop(remove_data=False)`), and on around each test that reads it. A test that needs an
    empty account (`aws`) resets moto; the next reader then deploys both stacks again rather than
    read an empty account; the one-resource tests here use accounts of their own (`aws`).
    """

    def __init__(self) -> None:
        self.mock: Any = None
        self.stacks: dict[str, Emulated] = {}

    def _deploy(self) -> None:
        with pytest.MonkeyPatch.context() as mp:
            _fake_credentials(mp)
            mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
            mock.start()
            try:
                session = boto3.Session(region_name="us-east-1")
                stacks = {}
                for stack in STACKS:
                    mocks = EmulatorMocks(stack, session=session)
                    deployment = deploy(stack, mocks)
                    stacks[stack] = Emulated(stack, deployment, mocks, session, stack_sections(stack), mock)
            finally:
                mock.stop(remove_data=False)
        self.mock, self.stacks = mock, stacks

    def _present(self) -> bool:
        for e in self.stacks.values():
            vpc = e.deployment.outputs["vpcId"]
            if not e.client("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"]:
                return False
        return True

    @contextmanager
    def open(self, stack: str) -> Iterator[Emulated]:
        """The shared account with moto's patching on, deployed (again) if anything reset it."""
        if self.mock is None:
            self._deploy()
        self.mock.start(reset=False)
        if not self._present():
            self.mock.stop(remove_data=False)
            self._deploy()
            self.mock.start(reset=False)
        try:
            yield self.stacks[stack]
        finally:
            self.mock.stop(remove_data=False)


STACKS = ("staging", "prod")
#: Account ids for one-resource tests, one each, never the shared account's (moto's default).
_FRESH_ACCOUNTS = itertools.count(210000000000)
_SHARED = SharedAccount()


@pytest.fixture(params=STACKS)
def emulated(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulated]:
    """One stack of the shared account, with moto's patching on for this test."""
    _fake_credentials(monkeypatch)
    with _SHARED.open(str(request.param)) as found:
        yield found


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """A fresh, empty moto account for one test: a new account id, so the shared one stays."""
    _fake_credentials(monkeypatch)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", str(next(_FRESH_ACCOUNTS)))
    mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
    mock.start(reset=False)
    try:
        yield boto3.Session(region_name="us-east-1")
    finally:
        mock.stop(remove_data=False)
