"""The emulator's core: every type emulated or listed, fallbacks, and how a failed run ends."""

from __future__ import annotations

import boto3
import pytest

from arbiter_tools.emulator import (
    HANDLERS,
    SERVICE_MODULES,
    EmulatorMocks,
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
