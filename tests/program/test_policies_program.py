"""The whole policy pack over everything the real program declares, for both stacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbiter_tools import cli
from arbiter_tools.runtime import PROJECT_DIR, Deployment
from policies.offline import evaluate

POLICY_DIR = PROJECT_DIR / "policies"


def _stack_config(stack: str) -> dict[str, object] | None:
    path = POLICY_DIR / f"{stack}.config.json"
    return json.loads(path.read_text()) if path.is_file() else None


def test_program_has_no_mandatory_violation(deployment: Deployment) -> None:
    violations = evaluate(deployment, config=_stack_config(deployment.stack))
    assert [str(v) for v in violations if v.enforcement == "mandatory"] == []


def test_only_the_documented_advisories_remain(deployment: Deployment) -> None:
    """5432/6379 are fixed by the issues; the port policy is advisory for that reason (policies/data.py)."""
    violations = evaluate(deployment, config=_stack_config(deployment.stack))
    assert sorted((v.policy, v.resource_name) for v in violations) == sorted(
        [
            ("data-stores-non-default-ports", f"arbiter-{deployment.stack}-database-cluster"),
            ("data-stores-non-default-ports", f"arbiter-{deployment.stack}-cache-group"),
        ]
    )


def test_staging_needs_no_exemption(staging: Deployment) -> None:
    """Staging serves HTTPS (self-signed) too: the bare pack has no mandatory violation there."""
    assert [str(v) for v in evaluate(staging) if v.enforcement == "mandatory"] == []


def test_staging_s_certificate_would_be_refused_in_prod(staging: Deployment) -> None:
    """The self-signed certificate passes only because the stack is staging."""
    as_prod = evaluate(staging, config={"environment": "prod"})
    fired = {(v.policy, v.resource_name) for v in as_prod if v.policy == "prod-certificates-issued-by-acm"}
    assert fired == {
        ("prod-certificates-issued-by-acm", "arbiter-staging-services-lb-self-signed"),
        ("prod-certificates-issued-by-acm", "arbiter-staging-services-lb-tls-cert"),
    }


def test_plan_exits_nonzero_on_a_mandatory_violation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    as_prod = tmp_path / "as-prod.json"
    as_prod.write_text('{"environment": "prod"}')
    code = cli.main(["plan", "--stack", "staging", "--policy-config", str(as_prod)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_POLICY
    assert "[mandatory] prod-certificates-issued-by-acm (high)" in captured.out
    [err] = captured.err.strip().splitlines()
    assert (
        err.startswith("arbiter-infra: ")
        and "mandatory policy violation(s): fix them before `pulumi up`" in err
    )


def test_plan_runs_the_pack_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--stack", "prod", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["policies"]["ran"] is True
    assert {v["enforcement"] for v in doc["policies"]["violations"]} == {"advisory"}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot read it"),
        ("{not json", "not valid JSON (line 1)"),
        ("[1]", "must be a JSON object"),
        (
            '{"kms-key-rotaton": "disabled"}',
            "unknown policy 'kms-key-rotaton': did you mean 'kms-key-rotation'?",
        ),
    ],
)
def test_bad_policy_config_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, fragment: str
) -> None:
    path = tmp_path / "policy.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["plan", "--stack", "staging", "--policy-config", str(path)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("arbiter-infra: --policy-config") and fragment in err[0]
