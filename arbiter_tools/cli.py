"""`arbiter-infra`: the offline plan and the runbook as commands.

Every failure a user can cause (bad stack config, bad arguments, missing credentials) ends in one
line on stderr naming what is wrong, and exit 2; never a traceback. Anything else is a bug: one
line saying so and where to report it, exit 1 (the traceback only with --debug).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from arbiter_infra.config import ConfigError
from arbiter_tools.errors import UserError
from arbiter_tools.runtime import GC_THRESHOLD, PROJECT_DIR

EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_POLICY = 3
#: Where a bug is reported (the repository's issue tracker).
ISSUES_URL = "https://github.com/arbiter-bot/arbiter-infra/issues"
#: Longest message line printed: a 1 MB value quoted back would bury the key it is about.
MAX_MESSAGE = 500


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """argparse prints usage plus the error; keep it to the one line that says what is wrong."""
        self.exit(EXIT_USAGE, f"{self.prog}: {one_line(message)} (see --help)\n")


def _add_stack(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stack",
        required=True,
        help="stack name: any Pulumi.<stack>.yaml of the project (staging, prod, account)",
    )


def build_parser(*, only_plan: bool = False) -> argparse.ArgumentParser:
    """Every command's parser; `only_plan` leaves out the runbook's, whose modules load AWS clients."""
    parser = _Parser(prog="arbiter-infra", description=__doc__)
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error (a bug)"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    plan = sub.add_parser(
        "plan",
        help="evaluate the real program under Pulumi's mock runtime (no credentials) and print the plan",
    )
    _add_stack(plan)
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="directory holding Pulumi.<stack>.yaml and __main__.py (default: this checkout)",
    )
    plan.add_argument("--no-policies", action="store_true", help="skip the policy pack (it runs by default)")
    plan.add_argument(
        "--policy-config",
        type=Path,
        help="policy config JSON, as `pulumi preview --policy-pack-config` takes "
        "(default: policies/<stack>.config.json when it exists)",
    )
    plan.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="a `pulumi stack export` of the stack: show what `pulumi up` would create, update, replace, delete",
    )
    plan.add_argument(
        "--allow-replace",
        action="append",
        default=[],
        metavar="URN",
        help="with --state: let a prod plan replace or delete this stateful resource (repeat per URN)",
    )
    plan.set_defaults(func=cmd_plan)
    if not only_plan:
        from arbiter_tools import cost_diff, db_upgrade, drift_report, drill, redis_cli, runbook, scale

        runbook.register(sub)
        scale.register(sub)
        drill.register(sub)
        redis_cli.register(sub)
        db_upgrade.register(sub)
        cost_diff.register(sub)
        drift_report.register(sub)
    return parser


def _is_plan(argv: Sequence[str]) -> bool:
    """Whether the command is `plan`: the first word that is not a top-level option (and no help)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return False
        if not arg.startswith("-"):
            return arg == "plan"
    return False


def cmd_plan(args: argparse.Namespace) -> int:
    from arbiter_tools import plan_output, pricing, state_diff, state_export, state_render
    from arbiter_tools.runtime import ArbiterMocks, run_program

    if args.allow_replace and args.state is None:
        raise UserError("--allow-replace needs --state FILE: it allows a replacement the state diff finds")
    export = state_export.load_export(args.state, stack=args.stack) if args.state is not None else None
    # A file given is checked before the program runs (a misnamed policy is bad input, like a bad
    # flag); the stack's own file only once the program has validated the stack's name.
    given = not args.no_policies and args.policy_config is not None
    policy_config = _load_policy_config(args.stack, args.policy_config) if given else None
    mocks = ArbiterMocks(args.stack)
    deployment = run_program(args.stack, project_dir=args.project_dir, mocks=mocks)
    diff = state_diff.diff_state(deployment, export) if export is not None else None
    if diff is not None:
        state_render.check_allowed(diff, args.allow_replace)
    cost = pricing.estimate(deployment)
    if not args.no_policies and not given:
        policy_config = _load_policy_config(args.stack, None)
    violations = [] if args.no_policies else _policy_violations(deployment, policy_config)
    mandatory = [v for v in violations if v.get("enforcement") == "mandatory"]
    outputs = plan_output.preview_outputs(deployment, mocks.invented)
    if args.json:
        doc = plan_output.json_document(
            deployment, outputs, cost, violations, ran_policies=not args.no_policies
        )
        if diff is not None:
            doc.update(state_render.to_json(diff))
        print(json.dumps(doc, indent=2, default=str))
    else:
        listing = state_render.render(diff, args.allow_replace) if diff is not None else None
        plan_output.print_plan(
            args.stack,
            deployment,
            outputs,
            cost,
            violations,
            ran_policies=not args.no_policies,
            listing=listing,
        )
    code = 0
    if mandatory:
        print(
            f"arbiter-infra: {len(mandatory)} mandatory policy violation(s): fix them before `pulumi up`",
            file=sys.stderr,
        )
        code = EXIT_POLICY
    stopped = (
        state_render.blocked(diff, args.allow_replace, is_prod=state_render.is_prod_config(deployment.config))
        if diff
        else []
    )
    if stopped:
        print(
            f"arbiter-infra: this production plan replaces or deletes {len(stopped)} stateful resource(s): "
            "back them up, then re-run with --allow-replace URN for each (URNs in the warnings)",
            file=sys.stderr,
        )
        code = EXIT_POLICY
    return code


def _load_policy_config(stack: str, path: Path | None) -> dict[str, Any] | None:
    """The per-stack policy config that `pulumi preview --policy-pack-config` is given."""
    import policies

    if path is None:
        default = Path(policies.__file__).parent / f"{stack}.config.json"
        if not default.is_file():
            return None
        path = default
    try:
        config = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as err:
        raise UserError(f"--policy-config {str(path)!r}: cannot read it ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise UserError(
            f"--policy-config {str(path)!r}: not UTF-8 text (byte {err.start}): it is JSON"
        ) from None
    except json.JSONDecodeError as err:
        raise UserError(f"--policy-config {str(path)!r}: not valid JSON (line {err.lineno})") from None
    if not isinstance(config, dict):
        raise UserError(f"--policy-config {str(path)!r}: must be a JSON object of policy name -> config")
    _check_policy_levels(path, config)
    from policies.offline import PolicyConfigError, check_config_names

    try:
        check_config_names(config)
    except PolicyConfigError as err:
        raise UserError(f"--policy-config {str(path)!r}: {err}") from None
    return config


def _check_policy_levels(path: Path, config: dict[str, Any]) -> None:
    """Each entry is a level or an object with `enforcementLevel`, as `pulumi preview` requires."""
    from pulumi_policy import EnforcementLevel

    levels = [level.value for level in EnforcementLevel]
    for name, value in config.items():
        if name == "environment":
            continue
        level = value.get("enforcementLevel") if isinstance(value, dict) else value
        if isinstance(value, dict) and level is None:
            continue
        if level not in levels:
            shown = json.dumps(level)[:80]
            raise UserError(
                f"--policy-config {str(path)!r}: {name} = {shown}: the enforcement level must be one of "
                f"{', '.join(levels)}"
            )


def _policy_violations(deployment: Any, config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Run the project's CrossGuard pack over what the program declared."""
    from policies.offline import evaluate

    return [
        {
            "policy": v.policy,
            "severity": v.severity,
            "enforcement": v.enforcement,
            "resource": v.resource_name or "stack",
            "message": v.message,
        }
        for v in evaluate(deployment, config=config)
    ]


def one_line(message: object) -> str:
    """A message as one stderr line: newlines folded, cut to MAX_MESSAGE characters."""
    text = " ".join(str(message).split())
    return text if len(text) <= MAX_MESSAGE else f"{text[: MAX_MESSAGE - 3]}..."


def main(argv: Sequence[str] | None = None) -> int:
    """The one entry point: whatever a command raises ends as one line and an exit code."""
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(only_plan=_is_plan(words))
    args = parser.parse_args(words)
    try:
        code: int = args.func(args)
    except (ConfigError, UserError) as err:
        print(f"arbiter-infra: {one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("arbiter-infra: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # the last line of defence: a bug, said in one line
        if args.debug:
            raise
        print(
            f"arbiter-infra: bug: {one_line(f'{type(err).__name__}: {err}')} "
            f"(please report it at {ISSUES_URL}; rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_BUG
    return code


def console() -> None:
    """The `arbiter-infra` command; a plan runs with fewer GC passes and ends with `_exit_now`."""
    if not _is_plan(sys.argv[1:]):
        sys.exit(main())
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    code = main()
    _exit_now(code)


def _exit_now(code: int) -> NoReturn:
    """End a plan's process without tearing the interpreter down.

    With the collector in larger batches during the plan (runtime.model.GC_THRESHOLD says why),
    freeing the SDK's and pulumi_aws's several hundred thousand objects one by one at exit is
    about a quarter of a plan's CPU time. A plan leaves no temporary files, threads or children,
    so the output is flushed, logging shut down, and the operating system reclaims the rest.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`| head`) can be told nothing more.
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
