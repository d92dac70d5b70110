"""Fuzz: malformed stack files and arguments never reach a traceback.

Deterministic (seeded) so CI is reproducible. Every case goes through `arbiter_tools.cli.main`
in-process, a few through a subprocess as well (to see the real exit code and stderr), and asserts:
a non-zero exit (2 for bad input), stderr one line starting with `arbiter-infra:` (argparse's usage
errors included), no traceback; `emulate` with a bad stack file creates nothing in the emulator.
"""

from __future__ import annotations

import contextlib
import copy
import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from arbiter_tools import cli
from arbiter_tools.runtime import PROJECT_DIR

SEED = 1414
STACK = "staging"
BASE: dict[str, Any] = yaml.safe_load((PROJECT_DIR / f"Pulumi.{STACK}.yaml").read_text())

Path_ = tuple[str | int, ...]

#: Wrong values by kind; each key gets the kinds that differ from its own value's kind.
WRONG: dict[str, Any] = {
    "string": "a string",
    "int": 12,
    "float": 16.10,
    "bool": True,
    "null": None,
    "list": [1, "x"],
    "mapping": {"a": 1},
}
#: Extremes of the key's own kind.
EXTREMES: dict[str, list[Any]] = {
    "int": [-5, 10**30],
    "string": ["x" * 1_000_000, "ünïcødé ☃ \u202e"],
}
#: Extremes that are valid by design (a health check may run any shell command).
VALID_BY_DESIGN = {("healthCheckCommand", 1, "ünïcødé ☃ \u202e")}
#: Keys with a default: leaving them out is not bad input.
OPTIONAL = {
    "cpuArchitecture",
    "enableExec",
    "rustLog",
    "slowQueryThresholdMs",
    "alertEmails",
    "waf",
    # database.backup and each of its keys have defaults (prod on, us-west-2, 14 days).
    "backup",
    "enabled",
    "copyRegion",
    "retentionDays",
    "copyRetentionDays",
}
#: Sections every key of which has a default (WAF is on by default: a missing key is not bad input).
OPTIONAL_SECTIONS = {"waf"}


KINDS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),  # before int: a bool is an int in Python
    (int, "int"),
    (float, "float"),
    (str, "string"),
    (list, "list"),
    (dict, "mapping"),
)


def kind(value: Any) -> str:
    return next((name for type_, name in KINDS if isinstance(value, type_)), "null")


def key_paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key of every section (and every list item), outermost first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield (*prefix, key)
        yield from key_paths(item, (*prefix, key))


PATHS = list(key_paths(BASE["config"]))


def at(path: Path_) -> Any:
    value: Any = BASE["config"]
    for step in path:
        value = value[step]
    return value


def with_value(path: Path_, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target = doc["config"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


def without(path: Path_) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target = doc["config"]
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return doc


@dataclass(frozen=True)
class FileCase:
    id: str
    content: bytes


def as_yaml(doc: Any) -> bytes:
    """`doc` as a stack file; libyaml's emitter when there is one (the same text, 1 MB values in ms)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, allow_unicode=True, width=10**9).encode()


def file_cases() -> list[FileCase]:
    """About 200 malformed stack files: every key gets a wrong type, plus a seeded sample of the rest."""
    rng = random.Random(SEED)
    cases = [FileCase(f"bytes-{n}", rng.randbytes(n)) for n in (1, 7, 64, 512, 4096)]
    cases += [
        FileCase("list", b"- a\n- b\n"),
        FileCase("scalar", b"42\n"),
        FileCase("config-list", b"config: [1, 2]\n"),
        FileCase("config-scalar", b"config: hello\n"),
        FileCase("config-null", b"config:\n"),
        FileCase("unclosed", b"config: {a: [\n"),
        FileCase("tab-indent", b"config:\n\taws:region: us-east-1\n"),
        FileCase("duplicate", as_yaml(BASE) + b"  arbiter:environment: prod\n"),
        FileCase("utf16", "config: {}".encode("utf-16")),
        FileCase("unknown-top", as_yaml(with_value(("arbiter:telegramBotTokn",), "x"))),
        FileCase("unknown-aws", as_yaml(with_value(("aws:regoin",), "us-east-1"))),
        FileCase("unknown-section", as_yaml(with_value(("arbiter:netwrk",), {"a": 1}))),
        FileCase("unknown-nested", as_yaml(with_value(("arbiter:network", "vpcCidrr"), "10.0.0.0/16"))),
        FileCase("plaintext-secret", as_yaml(with_value(("arbiter:telegramBotToken",), "123:abc"))),
    ]
    for path in PATHS:  # every key: one wrong type, chosen by the seeded generator
        own = kind(at(path))
        wrong = rng.choice(sorted(k for k in WRONG if k != own and not (own == "int" and k == "float")))
        cases.append(FileCase(f"{key_name(path)}={wrong}", as_yaml(with_value(path, WRONG[wrong]))))
    rest: list[tuple[str, Any]] = []  # (id, document): dumped only when sampled (1 MB values)
    for path in PATHS:
        for extreme in EXTREMES.get(kind(at(path)), []):
            if (*path[-2:], extreme) not in VALID_BY_DESIGN:
                label = f"{len(extreme)}-chars" if isinstance(extreme, str) else extreme
                rest.append((f"{key_name(path)}={label}"[:80], (path, extreme)))
        if path[-1] not in OPTIONAL and not OPTIONAL_SECTIONS & set(path) and not isinstance(path[-1], int):
            rest.append((f"{key_name(path)}-missing", (path, None)))
    sampled = rng.sample(rest, k=min(len(rest), 200 - len(cases)))
    return cases + [
        FileCase(id_, as_yaml(without(path) if id_.endswith("-missing") else with_value(path, value)))
        for id_, (path, value) in sampled
    ]


def key_name(path: Path_) -> str:
    return ".".join(map(str, path))


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """`cli.main` in-process: its exit code (argparse's SystemExit included), stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def assert_one_line_usage_error(code: int, stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    # `arbiter-infra: ...`, or argparse's usage error `arbiter-infra <command>: ...`.
    assert len(lines) == 1 and re.match(r"arbiter-infra( [a-z][a-z-]*)*: \S", lines[0]), stderr[:1000]
    assert len(lines[0]) <= 600, lines[0][:200]
    assert code == 2, (code, lines[0])


FILE_CASES = file_cases()
