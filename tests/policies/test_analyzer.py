"""The pack inside pulumi_policy's real analyzer server, and the entry point the Pulumi CLI runs.

The analyzer receives props as protobuf Structs (numbers as floats, provider config as JSON) and
sends unknowns as sentinel strings: the pack must judge them as the offline evaluator does.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
)

from policies.catalog import PACK_NAME, PACK_VERSION, pulumi_policies
from policies.resource_types import AWS_PROVIDER, ECS_SERVICE, KMS_KEY, RDS_CLUSTER, SUBNET

# The real analyzer: props arrive as protobuf Structs (numbers as floats, provider config as JSON).


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(value, struct_pb2.Struct())


def _provider(environment: str) -> proto.AnalyzerProviderResource:
    tags = json.dumps({"tags": {"Environment": environment}})
    return proto.AnalyzerProviderResource(
        type=AWS_PROVIDER,
        urn=f"urn:pulumi:prod::arbiter::{AWS_PROVIDER}::aws",
        name="aws",
        properties=_struct({"defaultTags": tags}),
    )


def _servicer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, pulumi_policies(), EnforcementLevel.MANDATORY)


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
        type=RDS_CLUSTER,
        urn=f"urn:pulumi:prod::arbiter::{RDS_CLUSTER}::db",
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

    subnet = resource(SUBNET, "private-a", {"id": UNKNOWN_STRING_VALUE, "tags": {"Tier": "private"}})
    service = resource(
        ECS_SERVICE,
        "web-api",
        {"networkConfiguration": {"subnets": [UNKNOWN_STRING_VALUE], "assignPublicIp": False}},
    )
    key = resource(KMS_KEY, "key", {"enableKeyRotation": True})
    response = _servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[subnet, service, key]), None)
    assert [(d.policyName, d.urn) for d in response.diagnostics] == [
        ("prod-stateful-resources-protected", key.urn)
    ]


# The entry point the CLI runs.


def test_main_serves_the_pack_from_the_policies_directory() -> None:
    policies_dir = Path(__file__).resolve().parents[2] / "policies"
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
