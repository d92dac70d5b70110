"""GitHub Actions workflows: schema-valid, zizmor-clean, and the delivery rules they encode."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from arbiter_tools.cost_diff import MARKER
from arbiter_tools.runtime import Deployment
from tests.conftest import stack_sections

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
BIN = Path(sys.executable).parent
#: The shared reference lies beside the checkout (as CI runs it); a GitHub runner has no such folder.
PINS_FILE = ROOT.parent / "shared" / "reference" / "github-actions-pins.md"
#: The pins file's table (action -> (tag, commit)); kept here too so the suite runs where the
#: shared reference is not mounted. test_pins_match_the_reference_file compares both when it is.
PINS = {
    "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
    "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"),
    "actions/upload-artifact": ("v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"),
    "astral-sh/setup-uv": ("v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d"),
    "pulumi/actions": ("v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d"),
    "aws-actions/configure-aws-credentials": ("v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c"),
    "aws-actions/amazon-ecr-login": ("v2.1.7", "03f1aad4c6c7ffd436567f42f9384779290529bd"),
    "docker/build-push-action": ("v7.3.0", "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a"),
}
#: GitHub environment per stack and role, as the stack files name them (the roles trust these).
DEPLOY_ENVIRONMENTS = {st: stack_sections(st)["delivery"]["githubEnvironment"] for st in ("staging", "prod")}
PREVIEW_ENVIRONMENTS = {
    st: stack_sections(st)["delivery"]["previewEnvironment"] for st in ("staging", "prod")
}
DRIFT_ENVIRONMENTS = {st: stack_sections(st)["delivery"]["driftEnvironment"] for st in ("staging", "prod")}
OIDC_ACTION = "aws-actions/configure-aws-credentials"


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # no YAML 1.1 "on" -> True
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    return {p.stem: _load(p) for p in sorted(WORKFLOWS.glob("*.yml"))}


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return _load(GITHUB / "actions" / "stack-access" / "action.yml")


def _all_yaml() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *GITHUB.glob("actions/*/action.yml")])


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def _uses(step: dict[str, Any]) -> str:
    return str(step.get("uses", ""))


# ---- external validators ------------------------------------------------------------------------


def test_workflows_validate_against_the_github_schema() -> None:
    files = [str(p) for p in sorted(WORKFLOWS.glob("*.yml"))]
    assert {Path(f).stem for f in files} >= {"ci", "preview", "deploy", "rollback"}
    cmd = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    actions = [str(p) for p in GITHUB.glob("actions/*/action.yml")]
    cmd = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", *actions]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("target", [".github/workflows", ".github"])
def test_zizmor_reports_no_findings(target: str) -> None:
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", target],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---- pins and permissions ------------------------------------------------------------------------


@pytest.mark.skipif(not PINS_FILE.is_file(), reason="no shared/ beside this checkout (e.g. a GitHub runner)")
def test_pins_match_the_reference_file() -> None:
    rows = re.findall(r"^\| (\S+/\S+) \| (v[\d.]+) \| ([0-9a-f]{40}) \|", PINS_FILE.read_text(), re.M)
    assert {a: (t, c) for a, t, c in rows} == PINS


def test_every_action_is_pinned_to_a_listed_sha_with_its_tag() -> None:
    seen = 0
    for path in _all_yaml():
        for line in path.read_text().splitlines():
            m = re.search(r"uses:\s*(\S+)(.*)$", line)
            if not m:
                continue
            ref, rest = m.groups()
            if ref.startswith("./"):
                continue  # this repository's own action or workflow, at the same commit
            name, _, sha = ref.partition("@")
            assert name in PINS, f"{path.name}: {name} is not in the pins file"
            tag, commit = PINS[name]
            assert sha == commit, f"{path.name}: {ref} is not pinned to {commit}"
            assert rest.strip() == f"# {tag}", f"{path.name}: {ref} lacks the '# {tag}' comment"
            seen += 1
    assert seen >= 10


def test_top_level_permissions_are_empty_and_jobs_ask_for_little(
    workflows: dict[str, dict[str, Any]],
) -> None:
    allowed = {
        "contents": {"read"},
        "id-token": {"write"},
        "pull-requests": {"write"},
        "issues": {"write"},
    }
    for name, wf in workflows.items():
        assert wf["permissions"] == {}, name
        for job_id, job in wf["jobs"].items():
            perms = job.get("permissions")
            assert isinstance(perms, dict), f"{name}.{job_id} must set its own permissions"
            for scope, level in perms.items():
                assert level in allowed.get(scope, set()), f"{name}.{job_id}: {scope}: {level}"
            uses_oidc = any(_uses(s).startswith("./.github/actions/stack-access") for s in _steps(job))
            assert (perms.get("id-token") == "write") == uses_oidc, (
                f"{name}.{job_id}: id-token only with OIDC"
            )
            if perms.get("pull-requests") == "write":
                assert name == "preview", f"{name}.{job_id}: only previews comment on pull requests"
            if perms.get("issues") == "write":
                assert (name, job_id) == ("drift", "alert"), (
                    f"{name}.{job_id}: only the drift alert opens issues"
                )


def test_checkout_never_persists_credentials() -> None:
    for path in _all_yaml():
        doc = _load(path)
        jobs = doc.get("jobs", {})
        steps = [s for j in jobs.values() for s in _steps(j)] + list(doc.get("runs", {}).get("steps", []))
        for step in steps:
            if _uses(step).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") == "false", path.name


# ---- promotion, stages, concurrency ------------------------------------------------------------------


def test_promotion_rules(workflows: dict[str, dict[str, Any]]) -> None:
    deploy = workflows["deploy"]
    assert deploy["on"] == {"push": {"branches": ["develop", "main"]}}
    promotion = {}
    for job_id, job in deploy["jobs"].items():
        if "environment" not in job:
            continue
        branch = re.fullmatch(r"github\.ref == 'refs/heads/([\w-]+)'", job["if"])
        assert branch, f"{job_id}: a deploy job runs for exactly one branch"
        environment = job["environment"]["name"]
        promotion[branch.group(1)] = (job["env"]["STACK"], environment)
        assert job["needs"] == "validate", job_id
    assert promotion == {
        "develop": ("staging", DEPLOY_ENVIRONMENTS["staging"]),
        "main": ("prod", DEPLOY_ENVIRONMENTS["prod"]),
    }
    assert deploy["jobs"]["validate"]["uses"] == "./.github/workflows/ci.yml"


def test_deploy_stages_in_order(workflows: dict[str, dict[str, Any]]) -> None:
    for job_id in ("staging", "prod"):
        job = workflows["deploy"]["jobs"][job_id]
        steps = _steps(job)
        text = [f"{_uses(s)} {s.get('run', '')}" for s in steps]
        order = [
            next(i for i, t in enumerate(text) if "stack-access" in t),
            next(i for i, t in enumerate(text) if "check-images.sh" in t),
            next(i for i, s in enumerate(steps) if s.get("with", {}).get("command") == "up"),
            next(i for i, t in enumerate(text) if './dev wait --stack "$STACK"' in t),
            next(i for i, t in enumerate(text) if "pulumi stack output albUrl" in t and "/health" in t),
        ]
        assert order == sorted(order), job_id
        [up] = [s for s in steps if s.get("with", {}).get("command") == "up"]
        assert up["with"]["policyPacks"] == "policies"
        assert up["with"]["stack-name"] == job["env"]["STACK"]
        assert up["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
        assert up["with"]["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"


def test_one_deploy_per_stack_and_rollbacks_queue_behind_it(workflows: dict[str, dict[str, Any]]) -> None:
    deploy = workflows["deploy"]["concurrency"]
    rollback = workflows["rollback"]["concurrency"]
    assert deploy == {
        "group": "deploy-${{ github.ref_name == 'main' && 'prod' || 'staging' }}",
        "cancel-in-progress": "false",
    }
    assert rollback == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": "false"}


def test_state_backend_is_self_managed(workflows: dict[str, dict[str, Any]]) -> None:
    for name in ("deploy", "preview", "rollback", "drift"):
        for job_id, job in workflows[name]["jobs"].items():
            if "environment" not in job:
                continue
            # Environment-level variables: each environment (account) names its own backend.
            assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", (name, job_id)
        assert "PULUMI_ACCESS_TOKEN" not in (WORKFLOWS / f"{name}.yml").read_text().split("\nname:", 1)[1]
    header = (WORKFLOWS / "deploy.yml").read_text().split("\nname:", 1)[0]
    assert "Pulumi Cloud alternative" in header


# ---- preview -----------------------------------------------------------------------------------


def test_preview_runs_only_for_same_repository_pull_requests(workflows: dict[str, dict[str, Any]]) -> None:
    preview = workflows["preview"]
    assert set(preview["on"]) == {"pull_request"}
    guard = "github.event.pull_request.head.repo.full_name == github.repository"
    for job_id, job in preview["jobs"].items():
        if job_id in COST_JOBS:
            continue  # no AWS access (test_cost_of_the_change_is_commented_without_aws)
        assert job["if"].startswith(guard), job_id
        stack = job_id
        # The preview environment, never the one holding the deploy role.
        assert job["environment"] == PREVIEW_ENVIRONMENTS[stack]
        assert job["environment"] not in DEPLOY_ENVIRONMENTS.values()
        assert job["permissions"]["id-token"] == "write"
        [access] = [s for s in _steps(job) if _uses(s) == "./.github/actions/stack-access"]
        assert access["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
        [run] = [s for s in _steps(job) if s.get("with", {}).get("command") == "preview"]
        assert run["with"]["stack-name"] == stack
        assert run["with"]["policyPacks"] == "policies"
        assert run["with"]["comment-on-pr"] == "true"
        names = [_uses(s) for s in _steps(job)]
        assert names.index("./.github/actions/stack-access") < names.index(_uses(run))
    assert "github.event.pull_request.base.ref == 'main'" in preview["jobs"]["prod"]["if"]
    assert "base.ref" not in preview["jobs"]["staging"]["if"]


COST_JOBS = ("cost", "cost-comment")


def test_cost_of_the_change_is_commented_without_aws(workflows: dict[str, dict[str, Any]]) -> None:
    """Offline plans of base and head in a job that can only read; the comment in one that runs no code."""
    jobs = workflows["preview"]["jobs"]
    cost, comment = (jobs[j] for j in COST_JOBS)
    assert cost["permissions"] == {"contents": "read"}
    assert "environment" not in cost and "if" not in cost  # no credentials: forks get a cost too
    checkouts = [s for s in _steps(cost) if _uses(s).startswith("actions/checkout@")]
    assert [c.get("with", {}).get("ref") for c in checkouts] == [
        None,
        "${{ github.event.pull_request.base.sha }}",
    ]
    base_dir = checkouts[1]["with"]["path"]
    [diff] = [s for s in _steps(cost) if "cost-diff" in s.get("run", "")]
    assert f"./dev cost-diff --base-dir {base_dir} " in diff["run"] and "--markdown" in diff["run"]
    assert cost["outputs"]["comment"] == f"${{{{ steps.{diff['id']}.outputs.comment }}}}"
    # The comment job: only the pull-request scope, no checkout, the text through the environment.
    assert comment["permissions"] == {"pull-requests": "write"}
    assert comment["needs"] == "cost"
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    [post] = _steps(comment)
    assert "uses" not in post and "./" not in post["run"]
    assert post["env"]["COMMENT"] == "${{ needs.cost.outputs.comment }}"
    assert f"marker='{MARKER}'" in post["run"]  # the comment the cost job writes is the one it edits


def test_stack_access_installs_python_deps_then_assumes_the_role(action: dict[str, Any]) -> None:
    steps = action["runs"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "./dev help" in runs
    [oidc] = [s for s in steps if _uses(s).startswith(OIDC_ACTION)]
    assert oidc["with"]["role-to-assume"] == "${{ inputs.role-to-assume }}"
    assert oidc["with"]["aws-region"] == "us-east-1"
    assert runs.index("./dev help") < steps.index(oidc)
    assert any(_uses(s).startswith("pulumi/actions@") and "with" not in s for s in steps), "CLI install"


def _session_seconds(action: dict[str, Any]) -> int:
    [oidc] = [s for s in action["runs"]["steps"] if _uses(s).startswith(OIDC_ACTION)]
    return int(oidc["with"]["role-duration-seconds"])


def test_ci_credentials_outlast_every_job_that_assumes_a_role(
    workflows: dict[str, dict[str, Any]], action: dict[str, Any], deployment: Deployment
) -> None:
    """Credentials that expire mid-`pulumi up` leave the stack half-applied: the session requested
    covers the job's timeout, and each CI role's maximum session allows what is requested."""
    requested = _session_seconds(action)
    timeouts = {
        f"{wf}.{name}": int(job["timeout-minutes"]) * 60
        for wf, doc in workflows.items()
        for name, job in doc["jobs"].items()
        if "./.github/actions/stack-access" in [_uses(s) for s in _steps(job)]
    }
    assert timeouts["deploy.prod"] == 90 * 60  # the job the finding is about
    assert {job: t for job, t in timeouts.items() if t > requested} == {}
    for kind in ("deploy", "preview"):
        role = deployment.one("aws:iam/role:Role", f"arbiter-{deployment.stack}-delivery-{kind}-role")
        assert requested <= role.inputs["maxSessionDuration"] <= 43_200, kind  # IAM's ceiling: 12 h


# ---- drift ---------------------------------------------------------------------------------------


def test_drift_runs_daily_and_on_demand_on_main_in_its_own_environment(
    workflows: dict[str, dict[str, Any]],
) -> None:
    drift = workflows["drift"]
    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}  # never for pull requests
    assert len(drift["on"]["schedule"]) == 1
    for stack in ("staging", "prod"):
        job = drift["jobs"][stack]
        assert job["if"] == "github.ref == 'refs/heads/main'"
        # Its own environment: never the deploy's or the pull requests' (the drift role trusts it only).
        assert job["environment"] == DRIFT_ENVIRONMENTS[stack]
        assert job["environment"] not in {*DEPLOY_ENVIRONMENTS.values(), *PREVIEW_ENVIRONMENTS.values()}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert job["env"]["STACK"] == stack
        runs = [s.get("run", "") for s in _steps(job)]
        names = [_uses(s) or s.get("run", "") for s in _steps(job)]
        check = names.index('.github/scripts/drift-check.sh "$STACK"')
        assert (
            names.index("./.github/actions/stack-access")
            < check
            < names.index('.github/scripts/drift-report.sh "$STACK" "$RUN_URL"')
        )
        assert job["outputs"] == {
            "drifted": "${{ steps.report.outputs.drifted }}",
            "report": "${{ steps.report.outputs.report }}",
        }
        assert not any("pulumi up" in r or "refresh --yes" in r for r in runs)
    script = (GITHUB / "scripts" / "drift-check.sh").read_text()
    assert 'pulumi preview --stack "$stack" --refresh --expect-no-changes --json' in script
    report = (GITHUB / "scripts" / "drift-report.sh").read_text()
    assert './dev drift-report "$PWD/preview.json"' in report and "exit 1" in report


def test_drift_alert_opens_one_issue_per_stack_and_runs_no_repository_code(
    workflows: dict[str, dict[str, Any]],
) -> None:
    alert = workflows["drift"]["jobs"]["alert"]
    assert alert["permissions"] == {"issues": "write"}
    assert alert["needs"] == ["staging", "prod"]
    assert alert["if"].startswith("always()")  # a failed drift job must still alert
    [step] = _steps(alert)
    assert "uses" not in step and "./" not in step["run"]
    for stack in ("staging", "prod"):
        up = stack.upper()
        assert step["env"][f"{up}_REPORT"] == f"${{{{ needs.{stack}.outputs.report }}}}"
        assert step["env"][f"{up}_RESULT"] == f"${{{{ needs.{stack}.result }}}}"
        assert f'alert {stack} "${up}_RESULT" "${up}_DRIFTED" "${up}_REPORT"' in step["run"]
    assert "gh issue create" in step["run"] and "gh issue close" in step["run"]


# ---- rollback ------------------------------------------------------------------------------------


def test_rollback_inputs_and_environment(workflows: dict[str, dict[str, Any]]) -> None:
    rollback = workflows["rollback"]
    inputs = rollback["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["staging", "prod"]
    assert inputs["service"]["options"] == ["trading-core", "telegram-bot", "web-api"]
    assert inputs["revision"]["required"] == "false"
    [job] = rollback["jobs"].values()
    assert job["environment"]["name"] == "${{ inputs.environment == 'prod' && 'deploy-prod' || 'staging' }}"
    assert job["env"] == {
        "STACK": "${{ inputs.environment }}",
        "SERVICE": "${{ inputs.service }}",
        "REVISION": "${{ inputs.revision }}",
        "PULUMI_BACKEND_URL": "${{ vars.PULUMI_BACKEND_URL }}",
    }
    script = "\n".join(s.get("run", "") for s in _steps(job))
    assert './dev rollback --stack "$STACK" --service "$SERVICE" --to "$REVISION"' in script
    assert './dev rollback --stack "$STACK" --service "$SERVICE"\n' in script


def test_no_expressions_inside_run_blocks() -> None:
    """Template expressions in `run` are code injection; values go through `env`."""
    for path in _all_yaml():
        doc = _load(path)
        jobs = doc.get("jobs", {})
        steps = [s for j in jobs.values() for s in _steps(j)] + list(doc.get("runs", {}).get("steps", []))
        for step in steps:
            assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name', step.get('run'))}"


# ---- secrets -------------------------------------------------------------------------------------


def test_no_workflow_receives_a_secret() -> None:
    """Application secrets are set by an operator in Secrets Manager; role ARNs are variables."""
    for path in _all_yaml():
        text = path.read_text()
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "secrets." not in code, path.name
    assert not (GITHUB / "scripts" / "set-secret-config.sh").exists()


def test_roles_come_from_the_job_environment(workflows: dict[str, dict[str, Any]]) -> None:
    for name, wf in workflows.items():
        for job_id, job in wf["jobs"].items():
            for step in _steps(job):
                if _uses(step) == "./.github/actions/stack-access":
                    assert "environment" in job, f"{name}.{job_id}: a role only in an environment job"
                    assert step["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"


def test_pulumi_steps_run_the_pack_without_exemptions() -> None:
    """Both stacks serve HTTPS, so neither needs a policy config that loosens a rule."""
    seen: dict[str, int] = {"staging": 0, "prod": 0}
    for name in ("deploy.yml", "preview.yml"):
        for job in _load(WORKFLOWS / name)["jobs"].values():
            for step in _steps(job):
                if not _uses(step).startswith("pulumi/actions@"):
                    continue
                inputs = step["with"]
                stack = inputs["stack-name"]
                assert inputs["policyPacks"] == "policies"
                assert "policyPackConfigs" not in inputs, (name, stack)
                assert not (ROOT / "policies" / f"{stack}.config.json").exists()
                seen[stack] += 1
    assert seen == {"staging": 2, "prod": 2}
