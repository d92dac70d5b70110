"""Preview: unknown values are never violations; the pack runs inside the real analyzer and CLI entry point.

pulumi_policy represents a value that is unknown at preview as a sentinel string per kind
(pulumi_policy.proxy.UNKNOWN_*_VALUE) and wraps props in a proxy that raises UnknownValueError when
such a value is read. Every case below first proves that the known violating value fires, then that
the unknown value does not.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from policies.base import UNKNOWN, plain
from policies.catalog import pulumi_policies
from policies.offline import evaluate
from tests.policy_fixtures import StackBuilder, compliant_stack, container, doc

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
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
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
    Unknowable(
        "redis-encryption-and-auth", _prop("redis", "authToken"), None, UNKNOWN_STRING_VALUE, "auth-token"
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
        if res.type.startswith("pulumi:providers:"):
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


def test_plain_replaces_sentinels_read_through_the_proxy() -> None:
    props = unknown_checking_proxy(
        {"a": UNKNOWN_BOOLEAN_VALUE, "b": [1, UNKNOWN_NUMBER_VALUE], "c": {"d": UNKNOWN_OBJECT_VALUE}}
    )
    assert plain(props) == {"a": UNKNOWN, "b": [1, UNKNOWN], "c": {"d": UNKNOWN}}


# The real analyzer: props arrive as protobuf Structs (numbers as floats, provider config as JSON).


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(value, struct_pb2.Struct())


def _provider(environment: str) -> proto.AnalyzerProviderResource:
    tags = json.dumps({"tags": {"Environment": environment}})
    return proto.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        urn="urn:pulumi:prod::arbiter::pulumi:providers:aws::aws",
        name="aws",
        properties=_struct({"defaultTags": tags}),
    )


def _servicer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer("arbiter-policies", "0.1.0", pulumi_policies(), EnforcementLevel.MANDATORY)


CLUSTER = {
    "engine": "aurora-postgresql",
    "port": 5433,
    "storageEncrypted": True,
    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
    "iamDatabaseAuthenticationEnabled": True,
    "copyTagsToSnapshot": True,
    "enabledCloudwatchLogsExports": ["postgresql"],
}


def _analyze(props: dict[str, Any], environment: str = "prod") -> list[Any]:
    request = proto.AnalyzeRequest(
        type="aws:rds/cluster:Cluster",
        urn="urn:pulumi:prod::arbiter::aws:rds/cluster:Cluster::db",
        name="db",
        properties=_struct(props),
        options=proto.AnalyzerResourceOptions(protect=True),
        provider=_provider(environment),
    )
    return list(_servicer().Analyze(request, None).diagnostics)


def test_analyzer_accepts_compliant_cluster() -> None:
    assert _analyze(CLUSTER) == []


def test_analyzer_reports_violation_with_provider_environment() -> None:
    diagnostics = _analyze({**CLUSTER, "deletionProtection": False})
    assert [d.policyName for d in diagnostics] == ["aurora-deletion-protection-prod"]
    assert diagnostics[0].enforcementLevel == proto.MANDATORY
    assert "deletionProtection is not true" in diagnostics[0].message
    assert _analyze({**CLUSTER, "deletionProtection": False}, environment="staging") == []


def test_analyzer_preview_unknowns_produce_no_diagnostics() -> None:
    props = {
        **CLUSTER,
        "storageEncrypted": UNKNOWN_BOOLEAN_VALUE,
        "kmsKeyId": UNKNOWN_STRING_VALUE,
        "backupRetentionPeriod": UNKNOWN_NUMBER_VALUE,
        "enabledCloudwatchLogsExports": UNKNOWN_ARRAY_VALUE,
    }
    # Not even the advisory "can't run policy during preview" diagnostic: each rule skips the unknown.
    assert _analyze(props) == []


def test_analyzer_stack_policy_with_unknown_ids() -> None:
    def resource(
        type_: str, name: str, props: dict[str, Any], protect: bool = False
    ) -> proto.AnalyzerResource:
        return proto.AnalyzerResource(
            type=type_,
            urn=f"urn:pulumi:prod::arbiter::{type_}::{name}",
            name=name,
            properties=_struct(props),
            options=proto.AnalyzerResourceOptions(protect=protect),
            provider=_provider("prod"),
        )

    subnet = resource(
        "aws:ec2/subnet:Subnet", "private-a", {"id": UNKNOWN_STRING_VALUE, "tags": {"Tier": "private"}}
    )
    service = resource(
        "aws:ecs/service:Service",
        "web-api",
        {"networkConfiguration": {"subnets": [UNKNOWN_STRING_VALUE], "assignPublicIp": False}},
    )
    key = resource("aws:kms/key:Key", "key", {"enableKeyRotation": True})
    response = _servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[subnet, service, key]), None)
    assert [(d.policyName, d.urn) for d in response.diagnostics] == [
        ("prod-stateful-resources-protected", key.urn)
    ]


# The entry point the CLI runs.


def test_main_serves_the_pack_from_the_policies_directory() -> None:
    policies_dir = Path(__file__).resolve().parent.parent / "policies"
    proc = subprocess.Popen(
        [sys.executable, "__main__.py"], cwd=policies_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "the pack did not announce its port"
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        assert line.isdigit() and int(line) > 0, (
            line,
            proc.stderr.read() if proc.poll() is not None else b"",
        )
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_importing_the_package_does_not_start_a_server() -> None:
    code = "import policies, policies.catalog, policies.offline; print('imported')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "imported"
