"""Each stack deployed into moto once per session, and a fresh moto account for one-resource tests.

Deploying a stack takes most of these tests' time, and most only read what it left in AWS, so
`emulated` shares one deployment per stack: it is made with moto's patching on, which is then
switched off keeping the data (`stop(remove_data=False)`), and switched back on around each test
that reads it. pytest runs the tests of one stack together (a session-scoped parameter), so no
other mock resets moto between them; if one did, `emulated` fails loudly instead of reading an
empty account. A test that changes the shared deployment must put it back.
"""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture(scope="session", params=["staging", "prod"])
def deployed(request: pytest.FixtureRequest) -> Iterator[Emulated]:
    """The stack deployed into moto once; its data stays in moto, its patching is off between tests."""
    stack = str(request.param)
    with pytest.MonkeyPatch.context() as mp:
        _fake_credentials(mp)
        mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
        mock.start()
        try:
            session = boto3.Session(region_name="us-east-1")
            mocks = EmulatorMocks(stack, session=session)
            deployment = deploy(stack, mocks)
        finally:
            mock.stop(remove_data=False)
    yield Emulated(stack, deployment, mocks, session, stack_sections(stack), mock)
    # Drop the deployment from moto, so no later test finds it.
    mock.start(reset=False)
    mock.stop()


@pytest.fixture
def emulated(deployed: Emulated, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulated]:
    """The shared deployment of one stack, with moto's patching on for this test."""
    _fake_credentials(monkeypatch)
    deployed.mock.start(reset=False)
    try:
        vpc = deployed.deployment.outputs["vpcId"]
        found = deployed.client("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"]
        if not found:
            pytest.fail(f"the shared {deployed.stack} deployment is gone from moto: another mock reset it")
        yield deployed
    finally:
        deployed.mock.stop(remove_data=False)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """A fresh, empty moto account for one test."""
    _fake_credentials(monkeypatch)
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        yield boto3.Session(region_name="us-east-1")
