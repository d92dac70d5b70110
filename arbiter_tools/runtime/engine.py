"""Every use of Pulumi's private APIs, in one place: when an SDK upgrade breaks one, it breaks here.

The offline runtime needs what the public mock API does not give: the engine's URN rule and the
registration options (parent, provider, protect, ignoreChanges...) that `pulumi.runtime.Mocks`
never sees, the RPC secret wrappers, the config store, the root Stack's outputs, and a way to run a
program synchronously and forget a failed run's outstanding RPCs. The rest of the package calls
only the functions below.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pulumi
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from arbiter_tools.runtime.model import STACK_TYPE, DeclaredResource


def unwrap(value: Any) -> Any:
    """Strip RPC secret wrappers (the mock monitor hands them over as-is)."""
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def has_secret(value: Any) -> bool:
    """Whether an RPC value holds a secret anywhere inside."""
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(has_secret(v) for v in value)
    return False


class _Capturing(pmocks.Mocks):
    """Hands calls to the real mocks and keeps, per thread, the inputs the monitor deserialized.

    The monitor runs each registration on an executor thread; keeping the inputs here spares
    deserializing every resource's inputs a second time to record them.
    """

    def __init__(self, mocks: pmocks.Mocks) -> None:
        self.mocks = mocks
        self.local = threading.local()

    def call(self, args: pmocks.MockCallArgs) -> Any:
        return self.mocks.call(args)

    def new_resource(self, args: pmocks.MockResourceArgs) -> Any:
        self.local.inputs = args.inputs
        return self.mocks.new_resource(args)

    def register_transform(self, transform: Any) -> None:
        self.mocks.register_transform(transform)

    def register_invoke_transform(self, transform: Any) -> None:
        self.mocks.register_invoke_transform(transform)


class RecordingMonitor(pmocks.MockMonitor):
    """A MockMonitor that also keeps what the engine would: parents, providers, options."""

    def __init__(self, mocks: pmocks.Mocks) -> None:
        self._capture = _Capturing(mocks)
        super().__init__(self._capture)
        self.declared: list[DeclaredResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's rule: the parent's qualified type chain, without the root Stack, then the type.

        Pulumi's MockMonitor keeps only the parent's last type and keeps the Stack, so its URNs
        differ from the ones `pulumi up` assigns (and `--target`/`state unprotect` need).
        """
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            return response
        inputs: dict[str, Any] = self._capture.local.inputs
        reg = self.resources[response.urn]
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        self.declared.append(
            DeclaredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                id=reg.id or "",
                inputs=unwrap(inputs),
                outputs=unwrap(reg.state),
                secret_inputs=frozenset(k for k, v in inputs.items() if has_secret(v)),
                provider=provider,
                protect=bool(request.protect),
                dependencies=tuple(request.dependencies),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=tuple(request.ignoreChanges),
                replace_on_changes=tuple(request.replaceOnChanges),
            )
        )
        return response


@contextmanager
def isolated_runtime(
    mocks: pmocks.Mocks,
    stack: str,
    config: Mapping[str, str],
    secret_keys: set[str],
    logger: logging.Logger,
    *,
    project: str,
    preview: bool = True,
) -> Iterator[RecordingMonitor]:
    """A fresh root Stack and config under `mocks`; the caller's PULUMI_CONFIG is put back after."""
    saved_env = os.environ.pop("PULUMI_CONFIG", None)
    settings.ROOT.set(None)
    monitor = RecordingMonitor(mocks)
    pmocks.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor, logger=logger)
    set_all_config(dict(config), sorted(secret_keys))
    try:
        yield monitor
    finally:
        settings.ROOT.set(None)
        if saved_env is not None:
            os.environ["PULUMI_CONFIG"] = saved_env


def run(program: Callable[[], None]) -> None:
    """Run `program` to completion as the Stack's body (every registration and `apply` done)."""
    try:
        _sync_await(run_pulumi_func(program))
    except BaseException:
        # A failed run leaves its outstanding RPCs and first exception in Pulumi's global RPC
        # manager, and the next program run in this process would re-raise them: drop them.
        _discard_failed_run()
        raise


def stack_outputs() -> tuple[dict[str, Any], frozenset[str]]:
    """The root Stack's exported outputs, resolved, and the names of the secret ones."""
    root = settings.get_root_resource()
    raw_outputs: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
    outputs: dict[str, Any] = {}
    secret: set[str] = set()
    for name, value in raw_outputs.items():
        out = pulumi.Output.from_input(value)
        outputs[name] = _sync_await(out.future())
        if _sync_await(out.is_secret()):
            secret.add(name)
    return outputs, frozenset(secret)


def _discard_failed_run() -> None:
    """Forget a failed run's outstanding RPCs and outputs (marking their errors as seen)."""
    manager = settings._get_rpc_manager()
    with settings.SETTINGS.lock:
        pending = [*manager.rpcs, *settings.SETTINGS.outputs]
        settings.SETTINGS.outputs.clear()
    manager.clear()
    for item in pending:
        if not isinstance(item, asyncio.Future):
            continue
        if item.done():
            if not item.cancelled():
                item.exception()
        else:
            item.cancel()
