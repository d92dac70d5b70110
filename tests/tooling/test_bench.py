"""`./dev bench`: the SDK floor registers exactly what the plan registers, so the ratio is fair."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pulumi
import pytest

from arbiter_tools.runtime import PROJECT_DIR, ArbiterMocks, DeclaredResource, Deployment, run_function


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Keys and certificates are generated afresh per run (as pulumi-tls does): compared by kind only.
PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)


def _archive(value: object) -> object:
    """An asset archive (a function's code) by the files it holds, not its object identity."""
    if isinstance(value, pulumi.AssetArchive):
        return sorted((k, str(getattr(a, "path", a))) for k, a in value.assets.items())
    return str(value)


def _registration(r: DeclaredResource) -> tuple[object, ...]:
    """Everything the engine is told about a resource (its mocked outputs follow from these)."""
    return (
        r.type,
        r.name,
        r.parent,
        r.custom,
        r.provider,
        PEM.sub(r"<\1>", json.dumps(r.inputs, sort_keys=True, default=_archive).replace("\\n", "\n")),
        r.secret_inputs,
        r.protect,
        tuple(sorted(r.dependencies)),
        r.delete_before_replace,
        r.retain_on_delete,
        r.ignore_changes,
        r.replace_on_changes,
    )


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_floor_replays_the_plans_registrations(
    stack: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    bench, floor = _script("bench_plan"), _script("bench_floor")
    recording = tmp_path / "recording.json"
    count = bench.record(stack, recording)
    records = json.loads(recording.read_text())["resources"]
    replayed = run_function(lambda: floor.replay(records), stack, mocks=ArbiterMocks(stack))
    planned: Deployment = request.getfixturevalue(stack)
    assert count == len(planned.resources) == len(replayed.resources) > 200
    before = {r.urn: _registration(r) for r in planned.resources}
    after = {r.urn: _registration(r) for r in replayed.resources}
    differing = [urn for urn in before if before[urn] != after.get(urn)]
    assert differing == []
    assert any(r.secret_inputs for r in replayed.resources)  # secrets are replayed as secrets


def test_the_floor_imports_the_resource_classes_the_program_uses() -> None:
    floor = _script("bench_floor")
    import pulumi_aws
    import pulumi_random

    assert floor.resource_class("aws:ec2/vpc:Vpc") is pulumi_aws.ec2.Vpc
    assert floor.resource_class("random:index/randomPassword:RandomPassword") is pulumi_random.RandomPassword
    assert floor.resource_class("pulumi:providers:aws") is pulumi_aws.Provider
