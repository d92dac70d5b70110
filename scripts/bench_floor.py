"""The SDK floor of `./dev bench`: a plan's registrations replayed with generic resources.

    python scripts/bench_floor.py RECORDING.json [--tuned]

RECORDING.json is what `bench_plan.py` recorded from a real plan run of one stack: every resource
with its type, name, parent, provider, inputs (secret ones marked) and options. This program
imports the same pulumi_aws / pulumi_random / pulumi_tls resource classes, then registers the same
resources with `pulumi.CustomResource`, `ComponentResource` and `ProviderResource` (same types,
names, parents, inputs, options) under the same mocks, so its time is what the SDK itself costs
for the work `arbiter-infra plan` does: no config, components, policy pack, pricing or output.
`--tuned` gives it the plan's process settings too (fewer GC passes, no interpreter teardown).
Kept to the fewest imports on purpose: whatever it imports counts on the floor's side.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
from typing import Any

import pulumi
from pulumi.runtime import set_mocks

from arbiter_tools.runtime import engine
from arbiter_tools.runtime.mocks import ArbiterMocks
from arbiter_tools.runtime.model import GC_THRESHOLD


def resource_class(type_: str) -> type:
    """The SDK class a program uses for `type_`: `aws:ec2/vpc:Vpc` -> pulumi_aws.ec2.Vpc."""
    package, module, name = type_.split(":")
    if package == "pulumi":  # pulumi:providers:aws
        return getattr(importlib.import_module(f"pulumi_{name}"), "Provider")  # noqa: B009
    found: Any = importlib.import_module(f"pulumi_{package}")
    submodule = module.split("/")[0]
    if submodule != "index":
        found = getattr(found, submodule)
    cls: type = getattr(found, name)
    return cls


def _value(value: Any) -> Any:
    """A recorded input value, with the secrets marked in the recording secret again."""
    if isinstance(value, dict):
        if set(value) == {"__secret"}:
            return pulumi.Output.secret(_value(value["__secret"]))
        if set(value) == {"__archive"}:
            return pulumi.AssetArchive({k: pulumi.FileAsset(p) for k, p in value["__archive"].items()})
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def replay(records: list[dict[str, Any]]) -> None:
    """Register every recorded resource, in the recorded order, with generic resource classes."""
    made: dict[str, pulumi.Resource] = {}
    providers: dict[str, pulumi.ProviderResource] = {}
    for r in records:
        opts = pulumi.ResourceOptions(
            parent=made.get(r["parent"] or ""),
            provider=providers.get(r["provider"] or "") if r["custom"] else None,
            depends_on=[made[d] for d in r["dependencies"] if d in made],
            protect=r["protect"],
            delete_before_replace=r["deleteBeforeReplace"],
            retain_on_delete=r["retainOnDelete"],
            ignore_changes=r["ignoreChanges"] or None,
            replace_on_changes=r["replaceOnChanges"] or None,
        )
        props = {k: _value(v) for k, v in r["inputs"].items()}
        type_: str = r["type"]
        resource: pulumi.Resource
        if type_.startswith("pulumi:providers:"):
            resource = providers[r["urn"]] = pulumi.ProviderResource(
                type_.split(":")[2], r["name"], props, opts
            )
        elif r["custom"]:
            resource = pulumi.CustomResource(type_, r["name"], props, opts)
        else:
            resource = pulumi.ComponentResource(type_, r["name"], props, opts)
        made[r["urn"]] = resource


def main(argv: list[str]) -> int:
    tuned = "--tuned" in argv
    if tuned:
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    path = next(a for a in argv if not a.startswith("--"))
    with open(path, encoding="utf-8") as f:
        recording = json.load(f)
    for type_ in sorted({r["type"] for r in recording["resources"] if r["custom"]}):
        resource_class(type_)
    stack = recording["stack"]
    set_mocks(ArbiterMocks(stack), project=recording["project"], stack=stack, preview=True)
    engine.run(lambda: replay(recording["resources"]))
    if tuned:
        sys.stdout.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
