"""The cost of a change (`cost --compare`, `cost-diff`): known changes and their exact figures."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from arbiter_tools import cost_diff, plan_output, pricing
from arbiter_tools.cost_diff import MARKER, compare, cost_of, diff_checkouts, extract
from arbiter_tools.errors import UserError
from arbiter_tools.runtime import PROJECT_DIR, DeclaredResource, Deployment
from tests.tooling.cli_support import one_line_failure, run_cli

NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"


def plan_doc(d: Deployment) -> dict[str, Any]:
    """What `plan --json --no-policies` prints for `d` (its outputs are not part of the cost)."""
    return plan_output.json_document(d, {}, pricing.estimate(d), [], ran_policies=False)


def with_one_more(d: Deployment, type_: str) -> Deployment:
    """`d` plus a copy of its first resource of `type_` (another NAT gateway, another address)."""
    first: DeclaredResource = d.of_type(type_)[0]
    extra = dataclasses.replace(first, urn=first.urn + "-extra", name=first.name + "-extra")
    return dataclasses.replace(d, resources=[*d.resources, extra])


def test_one_more_nat_gateway_costs_exactly_32_85_a_month(staging: Deployment) -> None:
    """$0.045 an hour x 730 hours; its elastic IP is one more public IPv4 address, $3.65."""
    before = cost_of(plan_doc(staging), "before")
    after = cost_of(plan_doc(with_one_more(staging, NAT)), "after")
    diff = compare(before, after)
    assert [
        (c.item, c.before and c.before.quantity, c.after and c.after.quantity, c.delta) for c in diff.changes
    ] == [("NAT gateway", 1, 2, 32.85)]
    assert diff.delta == 32.85
    with_address = compare(
        before, cost_of(plan_doc(with_one_more(with_one_more(staging, NAT), EIP)), "after")
    )
    assert {c.item: c.delta for c in with_address.changes} == {
        "NAT gateway": 32.85,
        "Public IPv4 address (NAT EIP)": 3.65,
    }
    assert with_address.delta == 36.5


def test_markdown_comment_shows_totals_and_changed_lines(staging: Deployment, prod: Deployment) -> None:
    staging_diff = compare(
        cost_of(plan_doc(staging), "b"), cost_of(plan_doc(with_one_more(staging, NAT)), "a")
    )
    prod_diff = compare(cost_of(plan_doc(prod), "b"), cost_of(plan_doc(prod), "a"))
    text = cost_diff.render_markdown([staging_diff, prod_diff], base_label="main")
    assert text.startswith(MARKER + "\n")  # the workflow finds its own comment by it
    assert staging_diff.before and prod_diff.before
    total = staging_diff.before.total
    assert f"| staging | ${total:,.2f} | ${total + 32.85:,.2f} | **+$32.85** (+" in text
    prod_total = f"${prod_diff.before.total:,.2f}"
    assert f"| prod | {prod_total} | {prod_total} | **$0.00** |" in text
    assert "| NAT gateway | 1 gateway $32.85 | 2 gateway $65.70 | +$32.85 |" in text
    assert "**prod**" not in text  # no changed line, no table for it
    assert "before (main)" in text


def test_a_line_that_appears_or_disappears_is_a_change(staging: Deployment) -> None:
    without_nat = dataclasses.replace(staging, resources=[r for r in staging.resources if r.type != NAT])
    diff = compare(cost_of(plan_doc(staging), "b"), cost_of(plan_doc(without_nat), "a"))
    [change] = diff.changes
    assert (change.item, change.after, change.delta) == ("NAT gateway", None, -32.85)
    [line] = [t for t in cost_diff.render_text([diff]).splitlines() if "NAT gateway" in t]
    assert line.split() == ["NAT", "gateway", "1", "gateway", "$32.85", "->", "-", "-$32.85"]


def test_cost_command_compares_two_plan_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], staging: Deployment
) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(plan_doc(staging), default=str))
    after.write_text(json.dumps(plan_doc(with_one_more(staging, NAT)), default=str))
    code, out, _ = run_cli(capsys, "cost", "--compare", str(before), str(after))
    assert code == 0
    assert "staging: $" in out and "+$32.85" in out
    code, out, _ = run_cli(capsys, "cost", "--compare", str(before), str(after), "--markdown")
    assert code == 0 and out.startswith(MARKER)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot read it"),
        ("{not json", "not valid JSON (line 1)"),
        ('{"stack": "staging"}', "not an `arbiter-infra plan --json` document"),
    ],
)
def test_cost_command_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, fragment: str
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    code, _, err = run_cli(capsys, "cost", "--compare", str(bad), str(bad))
    assert code == 2
    line = one_line_failure(code, err)
    assert str(bad) in line and fragment in line


def test_plans_of_different_stacks_are_refused(staging: Deployment, prod: Deployment) -> None:
    with pytest.raises(UserError, match=r"different stacks \(staging, prod\)"):
        compare(cost_of(plan_doc(staging), "b"), cost_of(plan_doc(prod), "a"))


def test_cost_diff_needs_exactly_one_base(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "cost-diff")
    assert "exactly one of --base REF and --base-dir DIR" in one_line_failure(code, err)
    code, _, err = run_cli(capsys, "cost-diff", "--base-dir", "/nonexistent/base")
    assert "--base-dir '/nonexistent/base': not a directory" in one_line_failure(code, err)


def test_base_ref_is_read_with_git_archive(tmp_path: Path) -> None:
    """The base is the committed tree of the ref, not the working tree (a repository made here, so
    the test runs wherever git does, checkout or not)."""
    repo, into = tmp_path / "repo", tmp_path / "into"
    repo.mkdir()
    into.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    (repo / "__main__.py").write_text("base = True\n")
    git("add", "__main__.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    (repo / "__main__.py").write_text("base = False\n")  # uncommitted: not part of the base
    tree = extract("HEAD", into, repo=repo)
    assert (tree / "__main__.py").read_text() == "base = True\n"
    with pytest.raises(UserError, match=r"--base 'no-such-ref-\w+': not a commit of this repository"):
        extract("no-such-ref-zz9", into, repo=repo)


def _checkout(into: Path, nat_gateways: str) -> Path:
    """A copy of this checkout's program and tooling whose staging stack has `nat_gateways`."""
    for name in ("arbiter_infra", "arbiter_tools", "components", "policies"):
        shutil.copytree(PROJECT_DIR / name, into / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(PROJECT_DIR / name, into / name)
    doc = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())
    doc["config"]["arbiter:network"]["natGateways"] = nat_gateways
    (into / "Pulumi.staging.yaml").write_text(yaml.safe_dump(doc))
    return into


def test_cost_diff_plans_each_checkout_with_its_own_code(tmp_path: Path) -> None:
    """Base: one NAT gateway; head: one per AZ (two more gateways and addresses): exactly +$73.00."""
    base = _checkout(tmp_path / "base", "single")
    head = _checkout(tmp_path / "head", "per-az")
    [diff] = diff_checkouts(base, head, ["staging"])
    assert {c.item: c.delta for c in diff.changes} == {
        "NAT gateway": 65.7,
        "Public IPv4 address (NAT EIP)": 7.3,
    }
    assert diff.delta == 73.0
    assert "| staging |" in cost_diff.render_markdown([diff]) and "**+$73.00**" in cost_diff.render_markdown(
        [diff]
    )
