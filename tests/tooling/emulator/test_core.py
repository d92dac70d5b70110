"""The emulator's core: every type emulated or listed, fallbacks, and how a failed run ends."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_tools.emulator import (
    HANDLERS,
    MOTO_CONFIG,
    SERVICE_MODULES,
    EmulatorError,
    EmulatorMocks,
    deploy,
)
from policies import resource_types as rt
from tests.conftest import FAKE_ENV
from tests.tooling.emulator.support import EXPECTED_FALLBACK, Emulated, one_line_error, resource_args

pytestmark = pytest.mark.moto


class TestDeployedStack:
    """What the deploy of each stack went through: handlers, fallbacks, no errors."""

    def test_every_declared_aws_type_is_emulated_or_listed_as_fallback(self, emulated: Emulated) -> None:
        declared = {
            r.type
            for r in emulated.deployment.resources
            if r.custom and not r.type.startswith("pulumi:providers:")
        }
        assert emulated.mocks.fallback_types == declared - set(emulated.mocks.emulated)
        assert emulated.mocks.fallback_types <= EXPECTED_FALLBACK
        assert not emulated.mocks.fallback_types & set(HANDLERS)
        assert emulated.mocks.errors == []


def test_a_reference_to_a_fallback_resource_is_named_in_the_error(aws: boto3.Session) -> None:
    """A fallback resource does not exist in AWS: a real resource referencing it fails, and says why."""
    mocks = EmulatorMocks(session=aws)
    fake_vpc, _ = mocks.new_resource(resource_args("aws:ec2/vpcIpv4CidrBlockAssociation:Thing", "fake-vpc"))
    message = one_line_error(mocks, resource_args(rt.SUBNET, "s", vpcId=fake_vpc, cidrBlock="10.0.0.0/24"))
    assert (
        f"{fake_vpc} is aws:ec2/vpcIpv4CidrBlockAssociation:Thing fake-vpc (fallback: not in AWS)" in message
    )


def test_unsupported_types_fall_back_and_are_listed(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    rid, state = mocks.new_resource(resource_args("aws:shield/protection:Protection", "shield", name="alb"))
    assert rid and state["arn"]
    assert mocks.fallback_types == {"aws:shield/protection:Protection"}
    assert mocks.emulated == {}


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


def _shared_tokens() -> set[str]:
    """Every type token `policies.resource_types` spells (single names and the alias tuples)."""
    tokens: set[str] = set()
    for name, value in vars(rt).items():
        if name.isupper():
            tokens.update(value if isinstance(value, tuple) else (value,))
    return tokens


def test_handlers_are_keyed_by_the_shared_type_tokens_one_module_per_service() -> None:
    """No handler registers a spelling of its own, and every handler lives in a service module."""
    assert set(HANDLERS) - _shared_tokens() == set()
    assert {fn.__module__ for fn in HANDLERS.values()} == {m.__name__ for m in SERVICE_MODULES}


def test_after_the_first_failure_nothing_more_is_created(aws: boto3.Session) -> None:
    """Registrations still in flight when a run fails must not keep building the half-made stack."""
    mocks = EmulatorMocks(session=aws)
    first = one_line_error(mocks, resource_args(rt.SUBNET, "s", vpcId="vpc-missing", cidrBlock="10.0.0.0/24"))
    rid, _ = mocks.new_resource(resource_args(rt.VPC, "late", cidrBlock="10.1.0.0/16"))
    vpcs = aws.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.1.0.0/16"]}])["Vpcs"]
    assert vpcs == [] and rid
    assert mocks.emulated == {} and mocks.errors == [first] and str(mocks.failure) == first


def test_clients_keep_the_endpoint_the_run_started_with(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client made late (by a thread of an aborted run) must not follow a changed AWS_ENDPOINT_URL."""
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    mocks = EmulatorMocks(session=boto3.Session(region_name="us-east-1"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    assert mocks.client("wafv2").meta.endpoint_url == "http://127.0.0.1:1"
