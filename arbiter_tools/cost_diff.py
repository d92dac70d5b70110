"""The cost of a change: each stack's estimated monthly cost before and after, and the lines that moved.

`plan --json` already carries the estimate (`cost`), and the offline plan needs no credentials, so
the comparison needs nothing but two checkouts: the pull request's head and its base. Two commands:

- `arbiter-infra cost --compare BEFORE.json AFTER.json` compares two `plan --json` documents of
  one stack (repeat `--compare` per stack);
- `arbiter-infra cost-diff --base REF` (or `--base-dir DIR`) plans each stack in this checkout and
  in REF (extracted with `git archive`, so the working tree is untouched) with each checkout's own
  code and prices, then compares them. preview.yml posts its `--markdown` as one sticky comment.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from arbiter_tools.errors import UserError
from arbiter_tools.runtime import PROJECT_DIR

#: The first line of the pull-request comment: the workflow finds and edits its own comment by it.
MARKER: Final = "<!-- arbiter-cost-diff -->"
STACKS: Final = ("staging", "prod")


@dataclass(frozen=True)
class Line:
    """One line of the estimate (`LineItem` as `plan --json` writes it)."""

    item: str
    quantity: float
    unit: str
    monthly_usd: float


@dataclass(frozen=True)
class StackCost:
    stack: str
    total: float
    as_of: str
    region: str
    lines: dict[str, Line]


@dataclass(frozen=True)
class LineChange:
    item: str
    before: Line | None
    after: Line | None

    @property
    def delta(self) -> float:
        return round(
            (self.after.monthly_usd if self.after else 0) - (self.before.monthly_usd if self.before else 0), 2
        )


@dataclass(frozen=True)
class StackDiff:
    stack: str
    before: StackCost | None
    after: StackCost | None
    changes: list[LineChange]

    @property
    def delta(self) -> float:
        return round((self.after.total if self.after else 0) - (self.before.total if self.before else 0), 2)


def cost_of(doc: Any, source: str) -> StackCost:
    """The estimate in one `plan --json` document; `source` names it in an error."""
    try:
        cost = doc["cost"]
        lines = {
            str(i["item"]): Line(
                str(i["item"]), float(i["quantity"]), str(i["unit"]), float(i["monthly_usd"])
            )
            for i in cost["items"]
        }
        return StackCost(
            str(doc["stack"]), float(cost["monthlyTotal"]), str(cost["asOf"]), str(cost["region"]), lines
        )
    except (KeyError, TypeError, ValueError) as err:
        raise UserError(
            f"{source}: not an `arbiter-infra plan --json` document with a cost estimate (missing or bad {err})"
        ) from None


def load(path: Path) -> StackCost:
    """A `plan --json` file's estimate; a missing or broken file is one line, exit 2."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise UserError(f"--compare {str(path)!r}: cannot read it ({err.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"--compare {str(path)!r}: not UTF-8 text: it is `plan --json` output") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(f"--compare {str(path)!r}: not valid JSON (line {err.lineno})") from None
    return cost_of(doc, f"--compare {str(path)!r}")


def compare(before: StackCost | None, after: StackCost | None) -> StackDiff:
    """The lines whose quantity or price differ, added or removed, in the after estimate's order."""
    if before and after and before.stack != after.stack:
        raise UserError(f"--compare: the two plans are of different stacks ({before.stack}, {after.stack})")
    either = after or before
    if either is None:
        raise UserError("--compare: neither plan has a cost estimate")
    stack = either.stack
    old = before.lines if before else {}
    new = after.lines if after else {}
    changes = [
        LineChange(item, old.get(item), new.get(item))
        for item in [*new, *(i for i in old if i not in new)]
        if old.get(item) != new.get(item)
    ]
    return StackDiff(stack, before, after, changes)


# --- rendering ----------------------------------------------------------------------------------


def usd(value: float) -> str:
    return f"${value:,.2f}"


def signed(value: float) -> str:
    if round(value, 2) == 0:
        return "$0.00"
    return f"{'+' if value > 0 else '-'}{usd(abs(value))}"


def _percent(diff: StackDiff) -> str:
    if not diff.before or not diff.before.total or round(diff.delta, 2) == 0:
        return ""
    return f" ({diff.delta / diff.before.total:+.1%})"


def _total(cost: StackCost | None) -> str:
    return usd(cost.total) if cost else "(no stack)"


def _cell(line: Line | None) -> str:
    return f"{line.quantity:g} {line.unit} {usd(line.monthly_usd)}" if line else "-"


def _basis(diffs: Sequence[StackDiff]) -> str:
    costs = [c for d in diffs for c in (d.before, d.after) if c]
    as_of = sorted({c.as_of for c in costs})
    region = sorted({c.region for c in costs})
    return f"on-demand {', '.join(region)} prices as of {', '.join(as_of)}, USD a month, usage-based charges excluded"


def render_text(diffs: Sequence[StackDiff]) -> str:
    out = [f"Estimated monthly cost, before -> after ({_basis(diffs)}):"]
    for d in diffs:
        out.append(f"  {d.stack}: {_total(d.before)} -> {_total(d.after)}  {signed(d.delta)}{_percent(d)}")
        width = max((len(c.item) for c in d.changes), default=0)
        for c in d.changes:
            out.append(
                f"    {c.item.ljust(width)}  {_cell(c.before):>26} -> {_cell(c.after):<26} {signed(c.delta)}"
            )
        if not d.changes:
            out.append("    no line changed")
    return "\n".join(out) + "\n"


def render_markdown(
    diffs: Sequence[StackDiff], *, base_label: str = "base", head_label: str = "this change"
) -> str:
    """The pull-request comment: a summary table per stack, then each stack's changed lines."""
    out = [
        MARKER,
        "### Estimated monthly cost of this change",
        "",
        f"| stack | before ({base_label}) | after ({head_label}) | change |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {d.stack} | {_total(d.before)} | {_total(d.after)} | **{signed(d.delta)}**{_percent(d)} |"
        for d in diffs
    ]
    for d in diffs:
        if not d.changes:
            continue
        out += [
            "",
            f"**{d.stack}**: {len(d.changes)} line(s) changed",
            "",
            "| line | before | after | change |",
            "|---|---:|---:|---:|",
        ]
        out += [f"| {c.item} | {_cell(c.before)} | {_cell(c.after)} | {signed(c.delta)} |" for c in d.changes]
    if not any(d.changes for d in diffs):
        out += ["", "No cost line changed."]
    out += [
        "",
        f"<sub>{_basis(diffs)}; from `./dev plan` of both checkouts (`arbiter_tools/data/prices.json`, "
        "docs/cost.md). Locally: `./dev cost-diff --base <ref>`.</sub>",
    ]
    return "\n".join(out) + "\n"


# --- planning a checkout --------------------------------------------------------------------------


def plan_json(project_dir: Path, stack: str) -> dict[str, Any] | None:
    """`plan --json --no-policies` of `stack` run by `project_dir`'s own code; None if it has no such stack."""
    if not (project_dir / f"Pulumi.{stack}.yaml").is_file():
        return None
    env = {**os.environ, "PYTHONPATH": str(project_dir)}
    env.pop("PULUMI_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-m", "arbiter_tools.cli", "plan", "--stack", stack, "--json", "--no-policies"],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"plan of {stack} in {project_dir} failed (exit {result.returncode}): {last}")
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def extract(ref: str, into: Path, repo: Path = PROJECT_DIR) -> Path:
    """The tree of `ref` in `into`, through `git archive` (the working tree and index stay as they are)."""
    archive = into / "base.tar"
    with archive.open("wb") as out:
        result = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", ref],
            stdout=out,
            stderr=subprocess.PIPE,
            check=False,
        )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(
            f"--base {ref!r}: not a commit of this repository ({message[-1] if message else 'git archive failed'})"
        )
    tree = into / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def diff_checkouts(base_dir: Path, head_dir: Path, stacks: Sequence[str]) -> list[StackDiff]:
    diffs = []
    for stack in stacks:
        before, after = plan_json(base_dir, stack), plan_json(head_dir, stack)
        if before is None and after is None:
            raise UserError(f"--stack {stack!r}: neither checkout has Pulumi.{stack}.yaml")
        diffs.append(
            compare(
                cost_of(before, f"base plan of {stack}") if before else None,
                cost_of(after, f"plan of {stack}") if after else None,
            )
        )
    return diffs


# --- commands -------------------------------------------------------------------------------------


def _emit(diffs: list[StackDiff], args: argparse.Namespace) -> int:
    text = render_markdown(diffs, base_label=args.base_label) if args.markdown else render_text(diffs)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    diffs = [compare(load(Path(b)), load(Path(a))) for b, a in args.compare]
    return _emit(diffs, args)


def cmd_cost_diff(args: argparse.Namespace) -> int:
    if (args.base is None) == (args.base_dir is None):
        raise UserError("cost-diff needs exactly one of --base REF and --base-dir DIR")
    stacks = args.stack or list(STACKS)
    if args.base_dir is not None:
        if not args.base_dir.is_dir():
            raise UserError(
                f"--base-dir {str(args.base_dir)!r}: not a directory (a checkout of the base branch)"
            )
        return _emit(diff_checkouts(args.base_dir.resolve(), PROJECT_DIR, stacks), args)
    with tempfile.TemporaryDirectory(prefix="arbiter-cost-diff-") as tmp:
        return _emit(diff_checkouts(extract(args.base, Path(tmp)), PROJECT_DIR, stacks), args)


def _add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--markdown", action="store_true", help="the pull-request comment (Markdown) instead of text"
    )
    p.add_argument(
        "--base-label", default="base", help="what the 'before' column is called (e.g. the base branch)"
    )
    p.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "cost", help="compare two `plan --json` estimates: each stack's cost before, after, changed lines"
    )
    p.add_argument(
        "--compare",
        nargs=2,
        action="append",
        required=True,
        metavar=("BEFORE.json", "AFTER.json"),
        help="two `plan --json` documents of one stack (repeat per stack)",
    )
    _add_output(p)
    p.set_defaults(func=cmd_cost)
    p = sub.add_parser(
        "cost-diff",
        help="the estimated monthly cost of this checkout against a base ref, per stack (no credentials)",
    )
    p.add_argument(
        "--base", metavar="REF", help="the git ref to compare with (e.g. origin/main), read with git archive"
    )
    p.add_argument("--base-dir", type=Path, metavar="DIR", help="a checkout of the base instead of --base")
    p.add_argument(
        "--stack", action="append", choices=STACKS, help="only this stack (repeatable; default: both)"
    )
    _add_output(p)
    p.set_defaults(func=cmd_cost_diff)
