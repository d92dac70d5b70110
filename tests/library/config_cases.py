"""Stack-config test inputs: a stack file's sections as the loader hands them over, and mutations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import stack_sections


def raw_config(stack: str = "staging") -> dict[str, Any]:
    """The stack file's settings with the two `aws:` values, as `parse_stack_config` takes them."""
    return {"region": "us-east-1", "accountId": "123456789012", **stack_sections(stack)}


def set_value(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting `a.b.0.c` to `value` (DELETE removes the key)."""

    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if p.isdigit() else node[p]
        last = parts[-1]
        if value is DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


#: `set_value(path, DELETE)` removes the key.
DELETE = object()
