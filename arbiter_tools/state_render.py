"""How a state diff is shown: the `pulumi preview`-like listing, its JSON, and the prod guard.

A stateful resource (data or identity) that would be replaced or deleted gets a loud warning; in
a production stack the plan stops (exit 3) unless each such URN is allowed by `--allow-replace`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from arbiter_infra.config import PROJECT
from arbiter_tools.errors import UserError
from arbiter_tools.state_diff import KNOWN_AFTER_DEPLOY, MISSING, SECRET_SHOWN, UNKNOWN, Change, StatePlan

MARKERS: Final = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


def _plain(value: Any) -> Any:
    """Numbers as written: the engine hands every number over as a float (5 arrives as 5.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _shown(value: Any, limit: int = 100) -> str:
    if value is UNKNOWN:
        return KNOWN_AFTER_DEPLOY
    if value is MISSING:
        return "(none)"
    if value == SECRET_SHOWN:
        return SECRET_SHOWN
    text = json.dumps(_plain(value), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_value(value: Any) -> Any:
    if value is UNKNOWN:
        return KNOWN_AFTER_DEPLOY
    if value is MISSING:
        return None
    return _plain(value)


def risk_lines(plan: StatePlan, allowed: Iterable[str]) -> list[str]:
    """The loud warning per stateful resource that would be replaced or deleted."""
    allow = set(allowed)
    lines = []
    for c in plan.at_risk():
        verb = "REPLACED" if c.op == "replace" else "DELETED"
        tail = " (allowed with --allow-replace)" if c.urn in allow else ""
        lines.append(
            f"!!! STATEFUL RESOURCE WOULD BE {verb}: {c.type} {c.name}: its data or identity is lost "
            f"(snapshot or back it up first){tail}\n    {c.urn}"
        )
    return lines


def render(plan: StatePlan, allowed: Iterable[str] = ()) -> list[str]:
    """A `pulumi preview`-like listing of the changes, their properties, counts and warnings."""
    export = plan.export
    when = f", written {export.time}" if export.time else ""
    out = [
        f"Diff of stack '{plan.stack}' against {export.path.name} ({len(export.resources)} resources in state{when}):",
        "",
    ]
    if not plan.changes:
        out.append(f"  no changes: {plan.unchanged} resources unchanged")
    for c in plan.changes:
        suffix = {"replace": "  [replace]", "delete": "  [delete]"}.get(c.op, "")
        out.append(f"  {MARKERS[c.op]:<2} {c.type}  {c.name}{suffix}")
        for d in c.diffs:
            tags = [t for t in ("forces replacement" if d.forces_replacement else "", d.note) if t]
            extra = f"  ({'; '.join(tags)})" if tags else ""
            out.append(f"        ~ {d.path}: {_shown(d.old)} => {_shown(d.new)}{extra}")
        out += [f"        ! {n}" for n in c.notes]
    if plan.changes:
        out += ["", "Resources:"]
        out += [f"  {MARKERS[op]:<2} {n} to {op}" for op, n in plan.counts().items()]
        out.append(f"     {len(plan.changes)} changes, {plan.unchanged} unchanged")
    warnings = risk_lines(plan, allowed)
    if warnings or plan.notes:
        out.append("")
    out += warnings
    out += [f"  ! {n}" for n in plan.notes]
    return out


def to_json(plan: StatePlan) -> dict[str, Any]:
    return {
        "state": str(plan.export.path),
        "stateTime": plan.export.time,
        "changes": [
            {
                "urn": c.urn,
                "type": c.type,
                "op": c.op,
                "stateful": c.stateful,
                "diffs": [
                    {
                        "path": d.path,
                        "old": _json_value(d.old),
                        "new": _json_value(d.new),
                        "forcesReplacement": d.forces_replacement,
                        **({"note": d.note} if d.note else {}),
                    }
                    for d in c.diffs
                ],
                "notes": c.notes,
            }
            for c in plan.changes
        ],
        "changeCounts": plan.counts(),
        "unchanged": plan.unchanged,
        "atRisk": [c.urn for c in plan.at_risk()],
        "notes": plan.notes,
    }


def check_allowed(plan: StatePlan, allowed: Sequence[str]) -> None:
    """Every `--allow-replace URN` must name a resource this plan replaces or deletes."""
    destroyed = plan.destroyed_urns()
    for urn in allowed:
        if urn not in destroyed:
            raise UserError(
                f"--allow-replace {urn!r}: this plan neither replaces nor deletes it "
                f"({len(destroyed)} resource(s) are, marked '+-' or '-' in the listing)"
            )


def blocked(plan: StatePlan, allowed: Iterable[str], *, is_prod: bool) -> list[Change]:
    """Stateful replacements and deletions that stop a prod plan (those not allowed by URN)."""
    if not is_prod:
        return []
    allow = set(allowed)
    return [c for c in plan.at_risk() if c.urn not in allow]


def is_prod_config(config: Mapping[str, str]) -> bool:
    """Whether the stack is production: `arbiter:environment` prod, or the account stack."""
    from arbiter_infra.config import parse_stack_values

    if f"{PROJECT}:account" in config:
        return True  # AccountConfig.is_prod: every environment depends on the account's resources
    return parse_stack_values(config).is_prod
