"""IAM policy documents built from typed statements.

Documents are assembled in Python (no `get_policy_document` invoke), so they work the same under
`pulumi up`, the offline plan and moto, and the policy pack can read them as plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi

# The facts least privilege is judged by live in the policy pack (which must import nothing of the
# program), and the program builds its documents from the same ones.
from policies.iam_facts import TAG_CONDITION_KEYS, UNSCOPABLE_ACTIONS

__all__ = [
    "PASSED_TO_SERVICES",
    "TAG_CONDITION_KEYS",
    "UNSCOPABLE_ACTIONS",
    "assume_role_policy",
    "document",
    "globs_overlap",
    "statement",
]

#: What a service that delivers logs for us (Step Functions, ElastiCache slow logs) needs of the
#: caller: CloudWatch Logs log deliveries and the Logs resource policy, none of which has a resource type.
LOG_DELIVERY_ACTIONS: Final = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
#: The services the program passes its roles to (iam:PassedToService): ECS tasks (task and
#: execution roles), RDS enhanced monitoring, VPC flow logs, AWS Backup and the database-users
#: bootstrap function.
PASSED_TO_SERVICES: Final = (
    "backup.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "lambda.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    *,
    effect: str = "Allow",
    principal: Mapping[str, Any] | None = None,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One IAM statement; Sid says why it exists."""
    out: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": sorted(actions)}
    if principal is not None:
        out["Principal"] = dict(principal)
    out["Resource"] = list(resources)
    if condition:
        out["Condition"] = dict(condition)
    return out


def document(*statements: Mapping[str, Any]) -> pulumi.Output[str]:
    """A policy document as JSON, resolving any Outputs inside it."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(
    service: str, *, source_account: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy for an AWS service principal, optionally pinned to this account (confused deputy)."""
    condition = (
        {"StringEquals": {"aws:SourceAccount": source_account}} if source_account is not None else None
    )
    stmt: dict[str, Any] = {
        "Sid": "TrustService",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        stmt["Condition"] = condition
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [stmt]})


def globs_overlap(a: str, b: str) -> bool:
    """Whether some string matches both IAM globs (`*` any run, `?` one character).

    Says whether an `ArnLike` pattern can match a principal another statement lets someone create
    (an administrator pattern against the roles CI may create), which no finite list of sample
    names can prove.
    """
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        x = a[i] if i < len(a) else None
        y = b[j] if j < len(b) else None
        if x == "*":
            todo += [(i + 1, j)] + ([(i, j + 1)] if y is not None else [])
        if y == "*":
            todo += [(i, j + 1)] + ([(i + 1, j)] if x is not None else [])
        if x is not None and y is not None and "*" not in (x, y) and (x == y or "?" in (x, y)):
            todo.append((i + 1, j + 1))
    return False
