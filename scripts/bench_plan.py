"""Benchmark: `arbiter-infra plan` per stack against the SDK's own floor for the same work.

    ./dev bench [--runs N] [--stacks staging prod]

For each stack, a real plan run is recorded (every registration: type, name, parent, provider,
inputs, options), then two programs are timed, each sample a fresh process (imports included, as
a user pays them), alternating, median of N:

- plan: `arbiter-infra plan --stack S --json` (config, program, policy pack, pricing, output);
- SDK floor: `scripts/bench_floor.py`, which imports the same resource classes and registers the
  same resources with generic `CustomResource`/`ComponentResource` under the same mocks.

The target is plan <= 1.2x floor. Both are given in CPU seconds (user + system of the process)
and wall seconds; the ratio is judged on CPU, because wall time on a shared machine swings by 2x
with the neighbours' load while CPU time much less. The plan's process skips the interpreter's
teardown and collects garbage in fewer passes, which a plain SDK program does not; so the floor is
also timed with those same settings (`--tuned`) and that like-for-like ratio is printed beside the
verdict: it is what the project's own work (config, components, policy pack) costs on top. For continuity with the
earlier benchmark, the one-resource program under the same runtime is reported as well.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_RATIO = 1.2

ONE_RESOURCE_PROGRAM = """
import pulumi_aws as aws
aws.s3.BucketV2("only", bucket="arbiter-bench-only")
"""
ONE_RESOURCE_STACK = "config:\n  aws:region: us-east-1\n"
ONE_RESOURCE = (
    "import sys; from pathlib import Path; from arbiter_tools.runtime import run_program; "
    "run_program('staging', project_dir=Path(sys.argv[1]))"
)


def _archive(value: Any) -> Any:
    """A function's code archive as the files it names (replayed as the same archive)."""
    import pulumi

    if isinstance(value, pulumi.AssetArchive):
        return {"__archive": {k: str(getattr(a, "path", "")) for k, a in value.assets.items()}}
    return str(value)


def record(stack: str, path: Path) -> int:
    """Write what a plan run of `stack` registers, in order, as `bench_floor.py` replays it."""
    from arbiter_infra.config import PROJECT
    from arbiter_tools.runtime import run_program

    deployment = run_program(stack)
    resources: list[dict[str, Any]] = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "provider": r.provider,
            "inputs": {k: {"__secret": v} if k in r.secret_inputs else v for k, v in r.inputs.items()},
            "dependencies": list(r.dependencies),
            "protect": r.protect,
            "deleteBeforeReplace": r.delete_before_replace,
            "retainOnDelete": r.retain_on_delete,
            "ignoreChanges": list(r.ignore_changes),
            "replaceOnChanges": list(r.replace_on_changes),
        }
        for r in deployment.resources
    ]
    path.write_text(
        json.dumps({"project": PROJECT, "stack": stack, "resources": resources}, default=_archive)
    )
    return len(resources)


class Timing:
    """The samples of one command: CPU seconds of the child (user + system) and wall seconds."""

    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd
        self.cpu: list[float] = []
        self.wall: list[float] = []

    def sample(self) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(self.cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        self.wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    def __str__(self) -> str:
        return f"{self.cpu_median:.2f}s CPU ({self.wall_median:.2f}s wall)"


def measure(timings: list[Timing], runs: int) -> None:
    """`runs` samples of each, interleaved, so a burst of load elsewhere hits all of them alike."""
    for _ in range(runs):
        for t in timings:
            t.sample()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="samples per measurement (median reported)")
    parser.add_argument("--stacks", nargs="+", default=["staging", "prod"], help="stacks to plan")
    args = parser.parse_args()
    worst = worst_like = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "__main__.py").write_text(ONE_RESOURCE_PROGRAM)
        (Path(tmp) / "Pulumi.staging.yaml").write_text(ONE_RESOURCE_STACK)
        one = Timing([sys.executable, "-c", ONE_RESOURCE, tmp])
        measure([one], args.runs)
        print(f"one-resource program, same runtime (earlier baseline): {one} (median of {args.runs})")
        for stack in args.stacks:
            recording = Path(tmp) / f"{stack}.json"
            count = record(stack, recording)
            floor_cmd = [sys.executable, str(ROOT / "scripts" / "bench_floor.py"), str(recording)]
            plan = Timing([str(BIN / "arbiter-infra"), "plan", "--stack", stack, "--json"])
            floor = Timing(floor_cmd)
            tuned = Timing([*floor_cmd, "--tuned"])
            measure([plan, floor, tuned], args.runs)
            ratio = plan.cpu_median / floor.cpu_median
            like = plan.cpu_median / tuned.cpu_median
            worst, worst_like = max(worst, ratio), max(worst_like, like)
            print(f"{stack} ({count} resources):")
            print(f"  arbiter-infra plan --json:             {plan}")
            print(f"  SDK floor (same registrations):        {floor}")
            print(f"  SDK floor, plan's process settings:    {tuned}")
            print(
                f"  plan / floor: {ratio:.2f}x CPU, {plan.wall_median / floor.wall_median:.2f}x wall "
                f"(target <= {TARGET_RATIO}x); like for like: {like:.2f}x CPU; "
                f"plan / one-resource: {plan.cpu_median / one.cpu_median:.2f}x CPU"
            )
    verdict = "within target" if worst <= TARGET_RATIO else "OVER TARGET"
    print(f"{verdict}: worst plan / floor {worst:.2f}x CPU (like for like: {worst_like:.2f}x)")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
