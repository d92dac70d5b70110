"""What the emulator tests share: the deployed stack they read, and helpers for one-resource checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.core.models import MockAWS
from pulumi.runtime.mocks import MockResourceArgs

from arbiter_tools.emulator import EmulatorError, EmulatorMocks
from arbiter_tools.runtime import Deployment
from policies import resource_types as rt

#: The types moto has no API for (ElastiCache parameter groups, Backup selections and vault
#: policies) or that are not AWS (random, tls: computed locally, with real PEM that ACM's import
#: accepts).
EXPECTED_FALLBACK = {
    # moto's AWS Backup has vaults and plans only (no selections, no vault access policies).
    rt.BACKUP_SELECTION,
    rt.BACKUP_VAULT_POLICY,
    rt.CACHE_PARAMETER_GROUP,
    rt.RANDOM_PASSWORD,
    # moto invokes a function only in Docker: the bootstrap's invocation is not emulated.
    rt.LAMBDA_INVOCATION,
    rt.TLS_PRIVATE_KEY,
    *rt.SELF_SIGNED,
}


@dataclass
class Emulated:
    """One stack of the shared moto account, read by every test of that stack (see conftest.py)."""

    stack: str
    deployment: Deployment
    mocks: EmulatorMocks
    session: boto3.Session
    sections: dict[str, Any]
    #: The moto mock holding the shared account: started around each test, its data kept between them.
    mock: MockAWS

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name="us-east-1")


def tag(resource: dict[str, Any], key: str = "Name") -> str | None:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == key), None)


def vpc_filter(e: Emulated) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": [e.deployment.outputs["vpcId"]]}]


def resource_args(typ: str, name: str, /, **inputs: Any) -> MockResourceArgs:
    """A custom resource as the engine hands it to the mocks (no provider, no id yet)."""
    return MockResourceArgs(typ=typ, name=name, inputs=inputs, provider=None, resource_id=None, custom=True)


def one_line_error(mocks: EmulatorMocks, args: MockResourceArgs) -> str:
    """Declare `args`, expect the AWS error as one line naming the resource, and return it."""
    with pytest.raises(EmulatorError) as info:
        mocks.new_resource(args)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{args.typ} {args.name}: ")
    assert mocks.errors == [message]
    return message
