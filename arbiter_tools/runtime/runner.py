"""Run the real program (`__main__.py`), or any program function, under the offline mocks.

This is what `arbiter-infra plan`, the tests and the policy checks share: the stack file is read
the way the Pulumi CLI reads it, the program registers its resources with a recording monitor,
and the result is a `Deployment`: every resource with its type, name, parent, inputs, options and
(mocked) outputs, plus the stack outputs. No credentials, no Pulumi CLI, no network.
"""

from __future__ import annotations

import json
import logging
import runpy
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime import Mocks

from arbiter_infra.config import PROJECT
from arbiter_tools.runtime import engine
from arbiter_tools.runtime.mocks import ArbiterMocks
from arbiter_tools.runtime.model import PROJECT_DIR, Deployment
from arbiter_tools.runtime.stack_file import read_stack_file


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    stack: str,
    *,
    mocks: Mocks | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    secret_values: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
    preview: bool = True,
) -> Deployment:
    """Evaluate `__main__.py` for `stack` under mocks and return what it declared.

    `preview=True` runs it as `pulumi preview` does; `False` as the update of `pulumi up`.

    `config_overrides` replaces top-level `arbiter:` keys (objects are JSON-encoded), for tests of
    bad input; `secret_values` sets secret keys (`arbiter:polyApiKey` ...) as the CLI would.
    """
    config, secret_keys = read_stack_file(stack, project_dir)
    for key, value in (config_overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    for key, value in (secret_values or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        config[full] = value
        secret_keys.add(full)
    program = str(project_dir / "__main__.py")
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def evaluate() -> None:
        runpy.run_path(program, run_name="__main__")

    return run_function(evaluate, stack, mocks=mocks, config=config, secret_keys=secret_keys, preview=preview)


def run_function(
    program: Callable[[], None],
    stack: str = "staging",
    *,
    mocks: Mocks | None = None,
    config: Mapping[str, str] | None = None,
    secret_keys: set[str] | None = None,
    preview: bool = True,
) -> Deployment:
    """Run `program` as a Pulumi program of `stack` under mocks and return what it declared.

    Tests build one component alone this way, from hand-made args, with no stack file.
    """
    config = dict(config or {})
    mocks = mocks or ArbiterMocks(stack)
    logger = logging.getLogger(f"arbiter.program.{stack}")
    logger.propagate = False
    collector = _WarningCollector()
    logger.handlers = [collector]
    with engine.isolated_runtime(
        mocks, stack, config, set(secret_keys or ()), logger, project=PROJECT, preview=preview
    ) as monitor:
        engine.run(program)
        outputs, secret_outputs = engine.stack_outputs()
        return Deployment(
            stack=stack,
            resources=list(monitor.declared),
            outputs=outputs,
            secret_outputs=secret_outputs,
            config=dict(config),
            warnings=list(dict.fromkeys(collector.messages)),
        )
