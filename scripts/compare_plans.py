"""Compare two `plan --json` documents, ignoring order: proof that a refactor changed no behaviour.

    python scripts/compare_plans.py before.json after.json

Resources are matched by URN; their type, parent, provider, protect flag, options, dependencies and
every input must be equal, and so must the stack outputs, warnings, policy findings and cost.
Exit 0 when equal, 1 with one line per difference otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

#: The mocks generate a fresh key pair and certificate per run (what pulumi-tls computes).
PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)


def canonical(value: Any) -> Any:
    """A value whose lists of records are sorted, so that registration order does not matter."""
    if isinstance(value, str):
        return PEM.sub(r"<\1>", value)
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per resource or top-level key that differs."""
    out: list[str] = []
    old = {r["urn"]: canonical(r) for r in before.get("resources", [])}
    new = {r["urn"]: canonical(r) for r in after.get("resources", [])}
    out += [f"only before: {urn}" for urn in sorted(old.keys() - new.keys())]
    out += [f"only after:  {urn}" for urn in sorted(new.keys() - old.keys())]
    for urn in sorted(old.keys() & new.keys()):
        for key in sorted(old[urn].keys() | new[urn].keys()):
            if old[urn].get(key) != new[urn].get(key):
                out.append(f"changed: {urn} {key}")
    for key in sorted((before.keys() | after.keys()) - {"resources"}):
        if canonical(before.get(key)) != canonical(after.get(key)):
            out.append(f"changed: top-level {key}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: compare_plans.py BEFORE.json AFTER.json", file=sys.stderr)
        return 2
    before, after = (json.loads(Path(p).read_text()) for p in argv)
    found = differences(before, after)
    for line in found:
        print(line)
    print(
        f"{len(before.get('resources', []))} resources before, {len(after.get('resources', []))} after: "
        + ("identical" if not found else f"{len(found)} differences")
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
