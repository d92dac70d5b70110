"""The offline runtime: the real program under Pulumi's mock runtime, no credentials, no CLI.

- `model`: what a run declared (`Deployment`, `DeclaredResource`) and the offline constants;
- `mocks`: what AWS would compute (`ArbiterMocks`), per resource type and data source;
- `stack_file`: `Pulumi.<stack>.yaml` read as the CLI reads it;
- `runner`: `run_program` / `run_function`;
- `engine`: the only module that touches Pulumi's private APIs.

Every public name is importable from `arbiter_tools.runtime` itself. They load on first use, so
importing one module (the plan benchmark's SDK floor imports only `mocks`) does not pull in the
config, YAML or the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arbiter_tools.runtime.mocks import COMPUTED, INVOKES, ArbiterMocks, UnansweredInvokeError
    from arbiter_tools.runtime.model import (
        ACCOUNT_ID,
        GC_THRESHOLD,
        PROJECT_DIR,
        REGION,
        SECRET_PLACEHOLDER,
        STACK_TYPE,
        DeclaredResource,
        Deployment,
    )
    from arbiter_tools.runtime.runner import run_function, run_program
    from arbiter_tools.runtime.stack_file import read_stack_file, stack_names

#: Public name -> the module of this package that defines it.
_HOME = {
    **dict.fromkeys(("COMPUTED", "INVOKES", "ArbiterMocks", "UnansweredInvokeError"), "mocks"),
    **dict.fromkeys(
        (
            "ACCOUNT_ID",
            "GC_THRESHOLD",
            "PROJECT_DIR",
            "REGION",
            "SECRET_PLACEHOLDER",
            "STACK_TYPE",
            "DeclaredResource",
            "Deployment",
        ),
        "model",
    ),
    **dict.fromkeys(("run_function", "run_program"), "runner"),
    **dict.fromkeys(("read_stack_file", "stack_names"), "stack_file"),
}

__all__ = [
    "ACCOUNT_ID",
    "COMPUTED",
    "GC_THRESHOLD",
    "INVOKES",
    "PROJECT_DIR",
    "REGION",
    "SECRET_PLACEHOLDER",
    "STACK_TYPE",
    "ArbiterMocks",
    "DeclaredResource",
    "Deployment",
    "UnansweredInvokeError",
    "read_stack_file",
    "run_function",
    "run_program",
    "stack_names",
]


def __getattr__(name: str) -> Any:
    """Load the module that defines `name` (PEP 562) and cache the name here."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
