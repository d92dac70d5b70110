"""Preview: unknown values are never violations, and a first preview (nothing exists yet) is clean.

pulumi_policy represents a value that is unknown at preview as a sentinel string per kind
(pulumi_policy.proxy.UNKNOWN_*_VALUE) and wraps props in a proxy that raises UnknownValueError when
such a value is read. Every case below first proves that the known violating value fires, then that
the unknown value does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from policies.offline import evaluate
from policies.resource_types import PROVIDER_PREFIX, SG_INGRESS
from tests.policies.builder import StackBuilder, container, doc
from tests.policies.compliant import compliant_stack

SUB = "token.actions.githubusercontent.com:sub"


@dataclass(frozen=True)
class Unknowable:
    policy: str
    apply: Callable[[StackBuilder, Any], None]
    violating: Any
    unknown: Any
    id: str


def _prop(name: str, key: str) -> Callable[[StackBuilder, Any], None]:
    return lambda b, value: b.set(name, **{key: value})


def _pg_world(b: StackBuilder, cidr: Any) -> None:
    b.add(
        SG_INGRESS,
        "pg",
        {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": cidr, "description": "x"},
    )


def _service_subnets(b: StackBuilder, subnets: Any) -> None:
    b.set("web-api", networkConfiguration={"subnets": subnets, "assignPublicIp": False})


def _provider_tags(b: StackBuilder, tags: Any) -> None:
    b.set("db", deletionProtection=False)
    b.provider.inputs["defaultTags"] = tags


def _subnet_ids(b: StackBuilder, value: Any) -> None:
    _service_subnets(b, ["subnet-elsewhere"])
    for name in ("private-a", "private-b"):
        b.get(name).outputs["id"] = value


CASES = [
    Unknowable(
        "aurora-encrypted-with-cmk", _prop("db", "storageEncrypted"), False, UNKNOWN_BOOLEAN_VALUE, "bool"
    ),
    Unknowable(
        "aurora-backup-retention", _prop("db", "backupRetentionPeriod"), 1, UNKNOWN_NUMBER_VALUE, "number"
    ),
    Unknowable(
        "ecs-no-privileged-containers",
        _prop("web-api-task", "containerDefinitions"),
        json.dumps([container(privileged=True)]),
        UNKNOWN_STRING_VALUE,
        "json-string",
    ),
    Unknowable(
        "github-oidc-trust-one-repository",
        _prop("deploy-role", "assumeRolePolicy"),
        doc({"Effect": "Allow", "Principal": {"Federated": "token.actions.githubusercontent.com"}}),
        UNKNOWN_STRING_VALUE,
        "trust-policy",
    ),
    Unknowable(
        "github-oidc-trust-one-repository",
        _prop("deploy-role", "assumeRolePolicy"),
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "token.actions.githubusercontent.com"},
                "Condition": {"StringLike": {SUB: "repo:*"}},
            }
        ),
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "token.actions.githubusercontent.com"},
                "Condition": {"StringLike": {SUB: UNKNOWN_STRING_VALUE}},
            }
        ),
        "sub-value",
    ),
    Unknowable(
        "iam-no-wildcard-actions",
        _prop("task-policy", "policy"),
        doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:::x"}),
        UNKNOWN_STRING_VALUE,
        "policy-document",
    ),
    Unknowable(
        "subnet-no-public-ip-on-launch",
        _prop("public-a", "mapPublicIpOnLaunch"),
        True,
        UNKNOWN_BOOLEAN_VALUE,
        "subnet",
    ),
    Unknowable("security-group-no-world-open-ports", _pg_world, "0.0.0.0/0", UNKNOWN_STRING_VALUE, "cidr"),
    Unknowable(
        "services-in-private-subnets", _service_subnets, ["subnet-public-a"], [UNKNOWN_STRING_VALUE], "item"
    ),
    Unknowable(
        "services-in-private-subnets", _service_subnets, ["subnet-public-a"], UNKNOWN_ARRAY_VALUE, "array"
    ),
    Unknowable(
        "services-in-private-subnets", _subnet_ids, "subnet-private-x", UNKNOWN_STRING_VALUE, "subnet-ids"
    ),
    Unknowable(
        "services-in-private-subnets",
        _prop("web-api", "networkConfiguration"),
        {"subnets": ["subnet-public-a"]},
        UNKNOWN_OBJECT_VALUE,
        "object",
    ),
    Unknowable(
        "alb-access-logs",
        _prop("alb", "accessLogs"),
        {"enabled": False},
        UNKNOWN_OBJECT_VALUE,
        "access-logs",
    ),
    Unknowable(
        "http-listener-redirects-to-https",
        _prop("http", "defaultActions"),
        [{"type": "forward"}],
        UNKNOWN_ARRAY_VALUE,
        "actions",
    ),
    Unknowable("redis-rbac-users", _prop("redis", "userGroupIds"), [], UNKNOWN_ARRAY_VALUE, "user-groups"),
    Unknowable(
        "redis-default-user-disabled",
        _prop("redis-default", "accessString"),
        "on ~x:* -@all +@string",
        UNKNOWN_STRING_VALUE,
        "default-user",
    ),
    Unknowable(
        "vpc-flow-logs-enabled", _prop("flow-log", "vpcId"), "vpc-other", UNKNOWN_STRING_VALUE, "flow-log"
    ),
    Unknowable(
        "aurora-multi-az-prod", _prop("db-2", "clusterIdentifier"), "other", UNKNOWN_STRING_VALUE, "instance"
    ),
    Unknowable(
        "s3-buckets-encrypted-and-private",
        _prop("alb-logs-pab", "bucket"),
        "other",
        UNKNOWN_STRING_VALUE,
        "pab",
    ),
    Unknowable(
        "ecr-lifecycle-policy", _prop("web-api-lifecycle", "repository"), "x", UNKNOWN_STRING_VALUE, "ecr"
    ),
    Unknowable(
        "secrets-rotated", _prop("db-secret-rotation", "secretId"), "x", UNKNOWN_STRING_VALUE, "rotation"
    ),
    Unknowable("sns-topic-policy-secure", _prop("alerts-policy", "arn"), "x", UNKNOWN_STRING_VALUE, "topic"),
    Unknowable(
        "database-subnets-no-internet-route",
        _prop("database-a-rta", "routeTableId"),
        "rtb-private",
        UNKNOWN_STRING_VALUE,
        "association",
    ),
    Unknowable(
        "aurora-deletion-protection-prod",
        _provider_tags,
        json.dumps({"tags": {"Environment": "prod"}}),
        UNKNOWN_STRING_VALUE,
        "environment",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.policy}-{c.id}")
def test_unknown_is_never_a_violation(case: Unknowable) -> None:
    known = compliant_stack()
    case.apply(known, case.violating)
    assert case.policy in {v.policy for v in evaluate(known.deployment())}

    unknown = compliant_stack()
    case.apply(unknown, case.unknown)
    assert evaluate(unknown.deployment()) == []


def _all_ids(b: StackBuilder) -> set[str]:
    return {v for r in b.resources.values() for k, v in r.outputs.items() if k in ("id", "arn")}


def _blank_out(value: Any, ids: set[str]) -> Any:
    if isinstance(value, str):
        return UNKNOWN_STRING_VALUE if value in ids else value
    if isinstance(value, dict):
        return {k: _blank_out(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_out(v, ids) for v in value]
    return value


def _as_first_preview(b: StackBuilder) -> StackBuilder:
    """Nothing exists yet: every id/ARN and every input that refers to one is unknown."""
    ids = _all_ids(b)
    for res in b.resources.values():
        if res.type.startswith(PROVIDER_PREFIX):
            continue
        res.inputs = _blank_out(res.inputs, ids)
        res.outputs = {k: UNKNOWN_STRING_VALUE for k in res.outputs}
        res.id = ""
    return b


def test_first_preview_of_compliant_stack_is_clean() -> None:
    assert evaluate(_as_first_preview(compliant_stack()).deployment()) == []


def test_first_preview_still_reports_known_violations() -> None:
    b = _as_first_preview(compliant_stack())
    b.set("public-a", mapPublicIpOnLaunch=True)
    b.set("db", deletionProtection=False)
    fired = {v.policy for v in evaluate(b.deployment())}
    assert fired == {"subnet-no-public-ip-on-launch", "aurora-deletion-protection-prod"}
