"""What `arbiter-infra plan` prints: the preview-like tree, counts, outputs, cost and policy results.

Text for people and JSON for machines (and for `scripts/compare_plans.py`) come from the same
deployment; secrets are masked, and outputs built from values AWS computes are shown as
`output<known after deploy>`, as `pulumi preview` shows them.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter_tools.pricing import CostEstimate
from arbiter_tools.runtime import DeclaredResource, Deployment


def mask(deployment_outputs: dict[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    """Values with the secret ones replaced by `[secret]`: a plan never prints a secret."""
    return {k: ("[secret]" if k in secret else v) for k, v in deployment_outputs.items()}


UNKNOWN = "output<known after deploy>"


def unknown_outputs(outputs: dict[str, Any], invented: set[str]) -> dict[str, Any]:
    """Outputs as `pulumi preview` shows them: anything built from an AWS-computed value is unknown."""

    def mentions(value: Any) -> bool:
        text = json.dumps(value, default=str)
        return any(token in text for token in invented)

    return {k: (UNKNOWN if mentions(v) else v) for k, v in outputs.items()}


def tree_lines(deployment: Deployment) -> list[str]:
    """A preview-like tree: every resource under its parent, `+` (create), type then name."""
    children: dict[str | None, list[DeclaredResource]] = {}
    urns = {r.urn for r in deployment.resources}
    for r in deployment.resources:
        parent = r.parent if r.parent in urns else None
        children.setdefault(parent, []).append(r)
    lines = [f"+ pulumi:pulumi:Stack  arbiter-{deployment.stack}"]

    def walk(parent: str | None, indent: str) -> None:
        kids = children.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(f"+ {indent}{'└─ ' if last else '├─ '}{r.type}  {r.name}")
            walk(r.urn, indent + ("   " if last else "│  "))

    walk(None, "")
    return lines


def preview_outputs(deployment: Deployment, invented: set[str]) -> dict[str, Any]:
    """The stack outputs as a preview shows them: secrets masked, AWS-computed values unknown."""
    return unknown_outputs(mask(deployment.outputs, deployment.secret_outputs), invented)


def json_document(
    deployment: Deployment,
    outputs: dict[str, Any],
    cost: CostEstimate,
    violations: list[dict[str, Any]],
    *,
    ran_policies: bool,
) -> dict[str, Any]:
    """`plan --json`: every resource with its inputs, provider, dependencies and options."""
    return {
        "stack": deployment.stack,
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "parent": r.parent_name,
                "urn": r.urn,
                "protect": r.protect,
                "provider": r.provider,
                "dependencies": sorted(r.dependencies),
                "inputs": mask(r.inputs, r.secret_inputs),
                "options": {
                    "deleteBeforeReplace": r.delete_before_replace,
                    "retainOnDelete": r.retain_on_delete,
                    "ignoreChanges": list(r.ignore_changes),
                    "replaceOnChanges": list(r.replace_on_changes),
                },
            }
            for r in deployment.resources
        ],
        "counts": {"pulumi:pulumi:Stack": 1, **deployment.counts()},
        "resourceCount": len(deployment.resources) + 1,
        "outputs": outputs,
        "warnings": deployment.warnings,
        "cost": {
            "currency": "USD",
            "region": cost.region,
            "asOf": cost.as_of,
            "monthlyTotal": cost.total,
            "items": [vars(i) for i in cost.items],
            "excluded": cost.excluded,
        },
        "policies": {"ran": ran_policies, "violations": violations},
    }


def print_plan(
    stack: str,
    deployment: Deployment,
    outputs: dict[str, Any],
    cost: CostEstimate,
    violations: list[dict[str, Any]],
    *,
    ran_policies: bool,
    listing: list[str] | None = None,
) -> None:
    out: list[str] = [
        f"Offline plan of stack '{stack}': the real program under Pulumi's mock runtime "
        "(no credentials, no cloud calls; ids and endpoints are placeholders).",
        "",
    ]
    if listing is not None:
        out += listing
    else:
        out += [
            *tree_lines(deployment),
            "",
            f"Resources: + {len(deployment.resources) + 1} to create (the stack itself included)",
        ]
        counts = {"pulumi:pulumi:Stack": 1, **deployment.counts()}
        width = max(len(t) for t in counts)
        out += [f"  + {t.ljust(width)}  {n}" for t, n in counts.items()]
    out += ["", "Outputs:"]
    out += [f"  {k}: {v if v == UNKNOWN else json.dumps(v, default=str)}" for k, v in outputs.items()]
    if deployment.warnings:
        out += ["", "Notes:"]
        out += [f"  ! {w}" for w in deployment.warnings]
    out += ["", f"Estimated monthly cost ({cost.region}, on-demand prices as of {cost.as_of}, USD):"]
    iw = max((len(i.item) for i in cost.items), default=10)
    out += [
        f"  {i.item.ljust(iw)}  {i.quantity:>4g} {i.unit:<11} ${i.monthly_usd:>9,.2f}" for i in cost.items
    ]
    out += [f"  {'Total'.ljust(iw)}  {'':>16} ${cost.total:>9,.2f}"]
    out += ["  Excluded (usage-based): " + "; ".join(cost.excluded)]
    if ran_policies:
        from policies.catalog import pulumi_policies

        mandatory = sum(v["enforcement"] == "mandatory" for v in violations)
        out += [
            "",
            f"Policies: {len(pulumi_policies())} evaluated; {mandatory} mandatory and "
            f"{len(violations) - mandatory} advisory violation(s)",
        ]
        out += [
            f"  [{v['enforcement']}] {v['policy']} ({v['severity']}): {v['resource']}: {v['message']}"
            for v in violations
        ]
    print("\n".join(out))
