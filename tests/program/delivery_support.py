"""Helpers for the delivery tests: the CI roles' policies of a deployment, judged by the IAM evaluator.

Permission checks run `arbiter_tools.iam_eval` over the policy documents the program attaches, so
conditions (boundary, PassedToService, tags) count, not only ARN patterns.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter_tools.iam_eval import Request, context_for, evaluate
from arbiter_tools.runtime import ACCOUNT_ID, REGION, Deployment
from components.delivery import GITHUB_OIDC_HOST

OIDC_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
IAM = f"arn:aws:iam::{ACCOUNT_ID}"
SM = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}"
TAGS = {"Project": "arbiter"}


def policies_of(d: Deployment, kind: str) -> dict[str, dict[str, Any]]:
    return {
        p.inputs["name"]: json.loads(p.inputs["policy"])
        for p in d.of_type("aws:iam/policy:Policy")
        if p.inputs["name"].startswith(f"arbiter-{d.stack}-{kind}-")
    }


def boundary_of(d: Deployment) -> dict[str, Any]:
    [p] = [p for p in d.of_type("aws:iam/policy:Policy") if p.inputs["name"] == f"arbiter-{d.stack}-boundary"]
    return dict(json.loads(p.inputs["policy"]))


def statements_of(d: Deployment, kind: str = "deploy") -> list[dict[str, Any]]:
    return [s for doc in policies_of(d, kind).values() for s in doc["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def boundary_arn(d: Deployment) -> str:
    return f"{IAM}:policy/arbiter-{d.stack}-boundary"


def decide(
    d: Deployment, action: str, arn: str, kind: str = "deploy", *, untagged: bool = False, **context: Any
) -> str:
    """The verdict for `action` on `arn`, a resource tagged as this stack's unless `untagged`."""
    tags = {} if untagged else {"Environment": d.stack, **TAGS}
    ctx = context_for(resource_tags=tags, extra=context)
    return evaluate(policies_of(d, kind).values(), Request(action, arn, ctx)).verdict
