"""Benchmark: wall time of `arbiter-infra plan` per stack vs the same mock runtime on a one-resource program.

Target (issue 2): plan within 2.5x of the one-resource baseline. Each measurement is a fresh
process (imports included, as a user pays them), repeated; the median is reported.
Usage: ./dev bench [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_RATIO = 2.5

ONE_RESOURCE_PROGRAM = """
import pulumi_aws as aws
aws.s3.BucketV2("only", bucket="arbiter-bench-only")
"""
ONE_RESOURCE_STACK = "config:\n  aws:region: us-east-1\n"
BASELINE = (
    "import sys; from pathlib import Path; from arbiter_tools.runtime import run_program; "
    "run_program('staging', project_dir=Path(sys.argv[1]))"
)


def _time(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "__main__.py").write_text(ONE_RESOURCE_PROGRAM)
        (Path(tmp) / "Pulumi.staging.yaml").write_text(ONE_RESOURCE_STACK)
        baseline = _time([sys.executable, "-c", BASELINE, tmp], args.runs)
    print(f"one-resource program, same mock runtime: {baseline:.2f}s (median of {args.runs})")
    worst = 0.0
    for stack in ("staging", "prod"):
        t = _time([str(BIN / "arbiter-infra"), "plan", "--stack", stack, "--json"], args.runs)
        ratio = t / baseline
        worst = max(worst, ratio)
        print(
            f"arbiter-infra plan --stack {stack}: {t:.2f}s = {ratio:.2f}x baseline (target <= {TARGET_RATIO}x)"
        )
    print("within target" if worst <= TARGET_RATIO else "OVER TARGET")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
