"""Any stack name works: names and tags follow the stack, behaviour follows `arbiter:environment`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from arbiter_infra.config import ConfigError
from arbiter_infra.naming import short_name
from arbiter_tools import cli
from arbiter_tools.runtime import PROJECT_DIR, Deployment, run_program
from policies.offline import evaluate


def _stack(tmp: Path, name: str, like: str = "staging") -> Path:
    shutil.copy(PROJECT_DIR / "__main__.py", tmp / "__main__.py")
    shutil.copy(PROJECT_DIR / f"Pulumi.{like}.yaml", tmp / f"Pulumi.{name}.yaml")
    return tmp


@pytest.fixture(scope="module")
def alice(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return run_program("dev-alice", project_dir=_stack(tmp_path_factory.mktemp("p"), "dev-alice"))


def test_a_personal_stack_plans_like_staging_under_its_own_names(alice: Deployment) -> None:
    names = [r.inputs.get("name") for r in alice.resources if isinstance(r.inputs.get("name"), str)]
    assert names and all("arbiter-staging" not in n for n in names)
    assert alice.outputs["clusterName"] == "arbiter-dev-alice"
    providers = alice.of_type("pulumi:providers:aws")
    assert providers
    for provider in providers:
        default_tags = provider.inputs["defaultTags"]
        tags = (json.loads(default_tags) if isinstance(default_tags, str) else default_tags)["tags"]
        assert (tags["Environment"], tags["Tier"]) == ("dev-alice", "staging")
    # Staging's behaviour: one NAT gateway, one Aurora instance; and the pack judges it as staging.
    assert len(alice.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert [v for v in evaluate(alice) if v.enforcement == "mandatory"] == []


def test_the_deploy_role_is_scoped_to_its_own_stack(alice: Deployment) -> None:
    policies = " ".join(str(r.inputs["policy"]) for r in alice.of_type("aws:iam/policy:Policy"))
    assert '"aws:ResourceTag/Environment":"dev-alice"' in policies
    assert ".pulumi/stacks/arbiter/dev-alice.json" in policies
    assert "alias/arbiter-pulumi-state-dev-alice" in policies


def test_short_names_differ_per_stack() -> None:
    assert short_name("staging") == "stg" and short_name("prod") == "prd"
    assert short_name("dev-alice") != short_name("dev-bob")
    assert len(f"arb-{short_name('dev-alice')}-services-lb-alb") <= 32


@pytest.mark.parametrize("name", ["Dev_Alice", "a-very-long-stack-name"])
def test_a_stack_name_that_cannot_prefix_aws_names_is_one_line(tmp_path: Path, name: str) -> None:
    project = _stack(tmp_path, name)
    with pytest.raises(ConfigError, match=rf"^stack name '{name}': must be 2-16 lowercase letters"):
        run_program(name, project_dir=project)
    code = cli.main(["plan", "--stack", name, "--project-dir", str(project), "--no-policies"])
    assert code == cli.EXIT_USAGE
