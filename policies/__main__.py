"""Entry point the Pulumi CLI runs (cwd=policies/): serve every policy as the `arbiter-policies` pack."""

from __future__ import annotations

import sys
from pathlib import Path

# The CLI runs this file with cwd=policies/, so the directory holding the `policies` package is not
# importable until it is put on the path (nothing else from there is imported).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.catalog import PACK_NAME, pulumi_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=pulumi_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Arbiter-Bot AWS guardrails: AWS FSBP and cdk-nag AwsSolutions controls, plus the project's design rules.",
)
