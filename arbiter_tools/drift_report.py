"""`arbiter-infra drift-report PREVIEW.json`: the resources a refreshed preview would change, as Markdown.

The scheduled drift check (`.github/workflows/drift.yml`) runs `pulumi preview --refresh
--expect-no-changes --json` with the read-only drift role: the refresh reads what AWS holds now,
and every step the preview then plans is a difference between AWS and the program, which the
next `pulumi up` would undo (or a change merged but not deployed). This turns that JSON (Pulumi's
`PreviewDigest`: `steps` with `op`, `urn`, `oldState`, `newState`, `detailedDiff`, `diffReasons`;
`diagnostics`; `changeSummary`) into the body of the GitHub issue the workflow opens or updates.

Exit codes: 0 no drift, 1 drift (or the preview reported errors), 2 the file is not a preview.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from arbiter_tools.errors import UserError

#: The first line of the issue body: the workflow finds the stack's open drift issue by it.
MARKER: Final = "<!-- arbiter-drift:{stack} -->"
#: Steps that change nothing in AWS.
_QUIET_OPS: Final = frozenset({"same", "read", "refresh", "discard", "import"})
#: What each planned operation means when a refresh found it.
_MEANING: Final = {
    "update": "changed outside Pulumi: `pulumi up` would set it back",
    "create": "missing in AWS (deleted outside Pulumi, or not deployed yet): `pulumi up` would create it",
    "delete": "in the state but not in the program: `pulumi up` would delete it",
    "replace": "changed outside Pulumi in a way `pulumi up` can only undo by replacing it",
    "create-replacement": "changed outside Pulumi in a way `pulumi up` can only undo by replacing it",
    "delete-replaced": "changed outside Pulumi in a way `pulumi up` can only undo by replacing it",
    "read-replacement": "a read resource would be read anew",
    "remove-pending-replace": "a replacement left half-done",
}
#: Pulumi's marker of a secret value in state JSON, and the blinded form `--json` prints.
_SECRET_SIG: Final = "4dabf18193072939515e22adb298388d"
_SHOWN_SECRET: Final = "[secret]"
#: Keys of Pulumi's `PreviewDigest` (each omitted when empty; a clean preview has changeSummary).
_DIGEST_KEYS: Final = frozenset({"steps", "changeSummary", "diagnostics", "duration", "config"})
#: Longest value shown in a cell: a policy document would drown the table.
_MAX_VALUE: Final = 80


@dataclass(frozen=True)
class PropertyChange:
    path: str
    #: The value AWS holds now (refreshed), as shown; None when the change has no old side.
    actual: str | None
    #: The value the program declares, as shown.
    declared: str | None
    kind: str


@dataclass(frozen=True)
class Drifted:
    urn: str
    type: str
    name: str
    op: str
    properties: list[PropertyChange] = field(default_factory=list)

    @property
    def meaning(self) -> str:
        return _MEANING.get(self.op, f"`{self.op}` planned")


@dataclass(frozen=True)
class DriftReport:
    stack: str
    drifted: list[Drifted]
    errors: list[str]

    @property
    def found(self) -> bool:
        return bool(self.drifted or self.errors)


def _shown(value: Any) -> str:
    """A value as a table cell: secrets blinded, JSON for structures, long values cut."""
    if value == _SHOWN_SECRET or (isinstance(value, Mapping) and _SECRET_SIG in value):
        return _SHOWN_SECRET
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split()).replace("|", "\\|").replace("`", "'")
    return text if len(text) <= _MAX_VALUE else f"{text[: _MAX_VALUE - 3]}..."


def _lookup(state: Any, path: str) -> tuple[bool, Any]:
    """The value at a detailed-diff path (`tags.Owner`, `ingress[0].cidrBlocks[1]`) in inputs, then outputs."""
    if not isinstance(state, Mapping):
        return False, None
    for section in ("inputs", "outputs"):
        node: Any = state.get(section)
        found = True
        for part in path.replace("]", "").replace("[", ".").split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                found = False
                break
        if found:
            return True, node
    return False, None


def _secret_paths(state: Any) -> set[str]:
    """Top-level keys Pulumi marks secret in a state (`additionalSecretOutputs` or a secret value)."""
    if not isinstance(state, Mapping):
        return set()
    keys = {str(k) for k in state.get("additionalSecretOutputs") or []}
    for section in ("inputs", "outputs"):
        for key, value in (state.get(section) or {}).items():
            if (isinstance(value, Mapping) and _SECRET_SIG in value) or value == _SHOWN_SECRET:
                keys.add(str(key))
    return keys


def _properties(step: Mapping[str, Any]) -> list[PropertyChange]:
    old, new = step.get("oldState"), step.get("newState")
    detailed = step.get("detailedDiff") or {}
    paths = list(detailed) if isinstance(detailed, Mapping) and detailed else []
    if not paths:
        paths = [str(p) for p in step.get("replaceReasons") or step.get("diffReasons") or []]
    secret = _secret_paths(old) | _secret_paths(new)
    out = []
    for path in sorted(paths):
        top = path.replace("[", ".").split(".")[0]
        kind = (
            str(detailed.get(path, {}).get("kind", "update")) if isinstance(detailed, Mapping) else "update"
        )
        has_old, old_v = _lookup(old, path)
        has_new, new_v = _lookup(new, path)
        if top in secret:
            out.append(
                PropertyChange(
                    path, _SHOWN_SECRET if has_old else None, _SHOWN_SECRET if has_new else None, kind
                )
            )
        else:
            out.append(
                PropertyChange(
                    path, _shown(old_v) if has_old else None, _shown(new_v) if has_new else None, kind
                )
            )
    return out


def _split_urn(urn: str) -> tuple[str, str]:
    """`urn:pulumi:<stack>::<project>::<parent$>type::name` -> (type, name)."""
    parts = urn.split("::")
    if len(parts) < 4:
        return "", urn
    return parts[2].rsplit("$", 1)[-1], "::".join(parts[3:])


def parse(doc: Any, stack: str) -> DriftReport:
    """The drifted resources of one `pulumi preview --json` document (replacement steps merged)."""
    if not isinstance(doc, Mapping) or not _DIGEST_KEYS & set(doc):
        raise UserError("not the output of `pulumi preview --json` (no steps, changeSummary or diagnostics)")
    steps = doc.get("steps", [])
    if not isinstance(steps, list):
        raise UserError("not the output of `pulumi preview --json` (steps is not a list)")
    by_urn: dict[str, Drifted] = {}
    for step in steps:
        if not isinstance(step, Mapping):
            continue
        op, urn = str(step.get("op", "")), str(step.get("urn", ""))
        if op in _QUIET_OPS or not urn:
            continue
        type_, name = _split_urn(urn)
        if type_ == "pulumi:pulumi:Stack":
            continue
        props = _properties(step)
        known = by_urn.get(urn)
        if known is None:
            by_urn[urn] = Drifted(urn, type_, name, "replace" if "replace" in op else op, props)
        elif not known.properties and props:
            by_urn[urn] = Drifted(urn, type_, name, known.op, props)
    errors = [
        " ".join(str(d.get("message", "")).split())
        for d in doc.get("diagnostics") or []
        if isinstance(d, Mapping) and d.get("severity") == "error"
    ]
    return DriftReport(stack, list(by_urn.values()), [e for e in errors if e])


def load(path: Path, stack: str) -> DriftReport:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise UserError(f"{str(path)!r}: cannot read it ({err.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{str(path)!r}: not UTF-8 text: it is `pulumi preview --json` output") from None
    if not text.strip():
        raise UserError(f"{str(path)!r}: empty: the preview wrote no JSON (see its log)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(
            f"{str(path)!r}: not valid JSON (line {err.lineno}): it is `pulumi preview --json` output"
        ) from None
    try:
        return parse(doc, stack)
    except UserError as err:
        raise UserError(f"{str(path)!r}: {err}") from None


def render(report: DriftReport, *, run_url: str = "") -> str:
    """The issue body (Markdown); the first line is the stack's marker."""
    stack = report.stack
    run = f" ([run]({run_url}))" if run_url else ""
    out = [MARKER.format(stack=stack)]
    if not report.found:
        out += [f"No drift in **{stack}**: AWS matches the program{run}."]
        return "\n".join(out) + "\n"
    out += [
        f"## Drift in {stack}: {len(report.drifted)} resource(s) differ from the program",
        "",
        f"`pulumi preview --refresh --expect-no-changes` of **{stack}** with the read-only drift role{run} "
        "read AWS and found what the next `pulumi up` would change. Either someone changed it outside "
        "Pulumi (console, CLI, an incident fix) or a merged change is not deployed yet.",
    ]
    if report.drifted:
        out += [
            "",
            "| resource | type | found | property: in AWS now -> in the program |",
            "|---|---|---|---|",
        ]
        for d in report.drifted:
            props = (
                "<br>".join(
                    f"`{p.path}`: {'(none)' if p.actual is None else f'`{p.actual}`'} -> "
                    f"{'(none)' if p.declared is None else f'`{p.declared}`'}"
                    for p in d.properties
                )
                or "-"
            )
            out.append(f"| `{d.name}` | `{d.type}` | {d.meaning} | {props} |")
    if report.errors:
        out += ["", "**The preview reported errors** (the list above may be incomplete):", ""]
        out += [f"- {_shown(e) if len(e) > 300 else e}" for e in report.errors]
    out += [
        "",
        "What to do (docs/drift.md):",
        f"- **Keep the change**: put it in `Pulumi.{stack}.yaml` or the code, merge and deploy; the next "
        "drift run closes this issue.",
        f"- **Undo it**: deploy the program again (`pulumi up --stack {stack}`, or re-run the last deploy); "
        "check the plan first with `./dev plan --stack " + stack + " --state <export>`.",
    ]
    return "\n".join(out) + "\n"


def cmd_drift_report(args: argparse.Namespace) -> int:
    report = load(args.preview, args.stack)
    text = render(report, run_url=args.run_url)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 1 if report.found else 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "drift-report",
        help="the drifted resources of `pulumi preview --refresh --json` as Markdown (exit 1 when drifted)",
    )
    p.add_argument(
        "preview", type=Path, metavar="PREVIEW.json", help="`pulumi preview --refresh --json` output"
    )
    p.add_argument("--stack", required=True, choices=("staging", "prod"), help="the stack it previewed")
    p.add_argument("--run-url", default="", help="the workflow run, linked from the report")
    p.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_drift_report)
