"""IAM in the emulator: a policy AWS would refuse is refused, in one line."""

from __future__ import annotations

import boto3
import pytest

from arbiter_tools.emulator import EmulatorMocks
from policies import resource_types as rt
from tests.tooling.emulator.support import one_line_error, resource_args

pytestmark = pytest.mark.moto


def test_policy_without_resource_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    doc = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}'
    args = resource_args(rt.IAM_POLICY, "no-resource", policy=doc)
    assert "MalformedPolicyDocument" in one_line_error(mocks, args)
