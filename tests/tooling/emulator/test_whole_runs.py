"""Whole runs through the emulator that AWS rejects: how a failed run ends, in `deploy` and the command.

These reset moto (the command runs its own in-process account), so they live in the emulator's
last test file: the shared account of the other files is deployed once before them.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools.emulator import HANDLERS, MOTO_CONFIG, EmulatorError, EmulatorMocks, deploy
from policies import resource_types as rt
from tests.conftest import FAKE_ENV

pytestmark = pytest.mark.moto


def _misplacing_subnets() -> Any:
    """The subnet handler, but every subnet outside its VPC: AWS refuses the first one."""
    subnet = HANDLERS[rt.SUBNET]

    def misplaced(req: Any) -> Any:
        req.inputs["cidrBlock"] = "192.168.0.0/24"
        return subnet(req)

    return misplaced


@pytest.fixture(scope="module")
def failed_run() -> EmulatorError:
    """One staging run into a fresh account that AWS rejects: two tests judge how it ended."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_ENV.items():
            mp.setenv(key, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.setitem(HANDLERS, rt.SUBNET, _misplacing_subnets())
        with mock_aws(config=MOTO_CONFIG), pytest.raises(EmulatorError) as info:  # type: ignore[call-overload]
            deploy("staging", EmulatorMocks(session=boto3.Session(region_name="us-east-1")))
    return info.value


def test_a_program_error_fails_the_whole_run(failed_run: EmulatorError) -> None:
    """Through `deploy`: the run stops with the first AWS error, as one line naming the resource."""
    assert re.match(
        r"^aws:ec2/subnet:Subnet arbiter-staging-network-\S+: InvalidSubnet.Range", str(failed_run)
    )
    assert "\n" not in str(failed_run)


def test_a_failed_run_does_not_poison_the_next_one(failed_run: EmulatorError) -> None:
    """Pulumi keeps a failed run's pending outputs globally; `deploy` drops them so later runs work."""
    from arbiter_tools.runtime import run_program

    assert isinstance(failed_run, EmulatorError)
    assert len(run_program("staging").of_type(rt.SUBNET)) == 9


def test_emulate_command_reports_the_aws_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`arbiter-infra emulate` without an endpoint: in-process moto, and the AWS error as one line."""
    from arbiter_tools import cli

    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setitem(HANDLERS, rt.SUBNET, _misplacing_subnets())
    assert cli.main(["emulate", "--stack", "staging"]) == 2
    out, err = capsys.readouterr()
    assert "in-process (moto)" in out
    assert err.count("\n") == 1
    assert err.startswith(
        "arbiter-infra: the AWS API rejected the program: aws:ec2/subnet:Subnet arbiter-staging-"
    )
    assert "InvalidSubnet.Range" in err
