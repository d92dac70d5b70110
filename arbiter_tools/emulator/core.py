"""The emulator's core: the handler registry, the request a handler gets, errors and shared helpers.

A handler creates one declared resource through the AWS API and returns the provider's id and the
outputs AWS computed; it registers itself for the Pulumi type tokens of `policies.resource_types`
with `@handles(...)`, so the pack, the mocks, the emulator and the tests spell a type one way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pulumi.runtime import rpc

if TYPE_CHECKING:
    from arbiter_tools.emulator.mocks import EmulatorMocks

#: moto knows AWS managed policies only when asked to load them.
MANAGED_POLICIES_HINT = "moto: load AWS managed policies with MOTO_IAM_LOAD_MANAGED_POLICIES=true"
MOTO_CONFIG: dict[str, Any] = {"iam": {"load_aws_managed_policies": True}}
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class EmulatorError(Exception):
    """The AWS API rejected a declared resource: `<type> <name>: <code>: <message>`."""


class EmulatorUnreachable(EmulatorError):
    """The AWS API endpoint did not answer (moto_server not running?): nothing was judged."""


@dataclass
class Request:
    """What a handler gets: the declared resource, its inputs, and the emulator (clients, lookups)."""

    emulator: EmulatorMocks
    type: str
    name: str
    inputs: dict[str, Any]
    tags: dict[str, str]
    #: The region of the resource's provider (the backup copy region for the copy vault and its key).
    region: str = ""

    def client(self, service: str) -> Any:
        return self.emulator.client(service, self.region or None)

    def physical_name(self, key: str = "name", *, max_len: int = 255) -> str:
        """The name the provider would use: explicit, prefix + suffix, or auto-named."""
        suffix = hashlib.sha1(f"{self.type}/{self.name}".encode()).hexdigest()[:7]
        if self.inputs.get(key):
            return str(self.inputs[key])
        if self.inputs.get(f"{key}Prefix"):
            return f"{self.inputs[f'{key}Prefix']}{suffix}"[:max_len]
        return f"{self.name[: max_len - 8]}-{suffix}"

    def tag_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        return [{key: k, value: v} for k, v in self.tags.items()]


Result = tuple[str, dict[str, Any]]
Handler = Callable[[Request], Result]
#: Pulumi type token -> handler. Types missing here fall back to the plain mocks.
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def clean(d: dict[str, Any]) -> dict[str, Any]:
    """Drop unset arguments: boto3 rejects None."""
    return {k: v for k, v in d.items() if v is not None and v not in ([], {})}


def plain(value: Any) -> Any:
    """Inputs without the RPC secret wrappers: the API gets the value (a secret stays one in state)."""
    if rpc.is_rpc_secret(value):
        return plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def pascal(value: Any) -> Any:
    """camelCase Pulumi input shapes -> PascalCase API shapes (EC2, ELB, RDS, autoscaling)."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def digest(*parts: Any) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()[:12]


def as_json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def aws_error(code: str, message: str) -> ClientError:
    """An AWS-shaped error for a check AWS makes and moto does not (reported like any API error)."""
    return ClientError({"Error": {"Code": code, "Message": message}}, "Describe")
