"""Records the AWS API calls the emulator's clients make, and what IAM checks for one."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class ApiCall:
    """One AWS API call the emulator made for a declared resource."""

    service: str  # botocore service name: "ec2", "elbv2", "application-autoscaling", ...
    operation: str  # API operation: "CreateVpc"
    params: Mapping[str, Any]
    response: Mapping[str, Any]
    #: `<pulumi type> <name>` of the resource being created ("" for invokes).
    resource: str = ""
    #: Tags the resource is declared with (explicit and the provider's default tags).
    resource_tags: Mapping[str, str] = field(default_factory=dict)
    failed: bool = False
    #: The client's region ("": the stack's); the backup copy region for the copy vault and its key.
    region: str = ""

    @property
    def type(self) -> str:
        return self.resource.split(" ", 1)[0]

    def __str__(self) -> str:
        return f"{self.service}:{self.operation} ({self.resource or 'invoke'})"


@dataclass(frozen=True)
class Authorization:
    """One action on one resource that IAM checks for a call, with the request context."""

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]]
    call: ApiCall
    #: Why this authorization exists besides the call itself ("tag on create", "implied PassRole").
    why: str = ""

    def __str__(self) -> str:
        extra = f" [{self.why}]" if self.why else ""
        return f"{self.action} on {self.resource}{extra} <- {self.call}"


class CallRecorder:
    """A botocore event hook: records each call made through the clients it is attached to."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._resource = ""
        self._tags: dict[str, str] = {}
        self._lock = threading.Lock()

    def begin(self, resource: str, tags: Mapping[str, str]) -> None:
        """The calls that follow are made for `resource` (declared with `tags`)."""
        self._resource, self._tags = resource, dict(tags)

    def end(self) -> None:
        self._resource, self._tags = "", {}

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("provide-client-params", self._params, unique_id="arbiter-recorder-params")
        events.register("after-call", self._after, unique_id="arbiter-recorder-after")

    @staticmethod
    def _params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["arbiter_params"] = copy.deepcopy(params)

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        call = ApiCall(
            service=model.service_model.service_name,
            operation=model.name,
            params=context.get("arbiter_params", {}),
            response=parsed,
            resource=self._resource,
            resource_tags=dict(self._tags),
            failed=getattr(http_response, "status_code", 200) >= 300,
            region=str(context.get("client_region") or ""),
        )
        with self._lock:
            self.calls.append(call)
