"""Stack files read the way the Pulumi CLI reads them, without the CLI.

`Pulumi.<stack>.yaml` becomes what the CLI hands a program: `ns:key` -> string (objects as JSON),
with encrypted values replaced by a placeholder. Anything malformed is one line naming the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from arbiter_infra.config import PROJECT, ConfigError
from arbiter_tools.runtime.model import PROJECT_DIR, SECRET_PLACEHOLDER


def stack_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name.split(".")[1] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], set[str]]:
    """Stack-file config as the CLI passes it to programs: `ns:key` -> string (objects as JSON).

    Encrypted `secure:` values cannot be decrypted offline: they become a marked placeholder and
    are passed as secrets, so they are never printed.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", stack):
        raise ConfigError(f"--stack {stack!r}: not a stack name (letters, digits, '-', '_', '.')")
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = stack_names(project_dir)
        raise ConfigError(f"--stack {stack!r}: no {path.name}; known stacks: {', '.join(known)}")
    raw = _stack_file_config(path)
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key_, value in raw.items():
        key = str(key_)
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = SECRET_PLACEHOLDER
            secret_keys.add(full)
        elif isinstance(value, str):
            values[full] = value
        else:
            values[full] = json.dumps(value)
    return values, secret_keys


class _StrictLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads stack files: a key given twice is an error, not "last one wins"."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _stack_file_config(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file; anything malformed is one line naming the file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path.name}: not UTF-8 text (byte {err.start}): a stack file is YAML") from None
    try:
        doc = yaml.load(text, Loader=_StrictLoader) or {}
    except ConfigError as err:
        raise ConfigError(f"{path.name}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path.name}: not valid YAML{where}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path.name}: must be a mapping with a 'config:' key, not a {type(doc).__name__}")
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: 'config' must be a mapping of keys to values")
    return raw
