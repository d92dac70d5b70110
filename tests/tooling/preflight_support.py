"""Shared by the preflight tests: stubbed AWS clients where moto has no answer, ECR image helpers,
and `make_ready`, the state the README's steps leave behind."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from arbiter_infra.config import SECRET_SETS, StackConfig
from arbiter_tools import (
    bootstrap,
    preflight_account,
    preflight_checks,
    stacks,
)
from arbiter_tools.stacks import LoadedStack

ACCOUNT = "123456789012"
IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/operator"}
QUOTA_PARAMS = {"ServiceCode": "fargate", "QuotaCode": "L-3032A538"}
SLR_SERVICES = (
    "ecs.amazonaws.com",
    "elasticache.amazonaws.com",
    "rds.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
)


# --- helpers ----------------------------------------------------------------------------------


def quota_client(*responses: tuple[str, dict[str, Any] | str]) -> Any:
    """A service-quotas client answering from `responses`: (method, response) or (method, error code)."""
    client = boto3.client("service-quotas", region_name="us-east-1")
    stub = Stubber(client)
    for method, answer in responses:
        if isinstance(answer, str):
            stub.add_client_error(method, service_error_code=answer, expected_params=QUOTA_PARAMS)
        else:
            stub.add_response(method, answer, QUOTA_PARAMS)
    stub.activate()
    return client


def applied(value: float) -> tuple[str, dict[str, Any]]:
    return "get_service_quota", {
        "Quota": {**QUOTA_PARAMS, "QuotaName": "Fargate On-Demand vCPU", "Value": value}
    }


class SessionWith:
    """The moto session, with some services answered by stubbed clients."""

    def __init__(self, real: boto3.Session, **overrides: Any) -> None:
        self.real, self.overrides = real, {k.replace("_", "-"): v for k, v in overrides.items()}

    def client(self, service: str, region_name: str | None = None) -> Any:
        return self.overrides.get(service) or self.real.client(service, region_name=region_name)


def factory(session: boto3.Session | SessionWith) -> preflight_checks.ClientFactory:
    def client(service: str, region_name: str | None = None) -> Any:
        return session.client(service, region_name=region_name or "us-east-1")

    return client


def index_manifest(*archs: str) -> str:
    """An OCI image index (multi-platform), as `docker buildx --push` writes it."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": f"sha256:{str(i) * 64}",
                    "size": 1000,
                    "platform": {"architecture": arch, "os": "linux"},
                }
                for i, arch in enumerate(archs, start=1)
            ],
        }
    )


def push(session: boto3.Session, image: str, manifest: str) -> None:
    _registry, rest = image.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    ecr = session.client("ecr")
    if repo not in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]:
        ecr.create_repository(repositoryName=repo, imageTagMutability="IMMUTABLE")
    ecr.put_image(
        repositoryName=repo,
        imageManifest=manifest,
        imageTag=tag,
        imageManifestMediaType=json.loads(manifest)["mediaType"],
    )


def make_ready(session: boto3.Session, stack: LoadedStack) -> None:
    """What the README's steps leave behind: state backend, images, secret values, service-linked roles."""
    bootstrap.bootstrap(session, stacks.Backend.of(stack.name, stack.config), io.StringIO())
    for cfg in stack.config.services.by_name().values():
        push(session, cfg.image, index_manifest("amd64", "arm64"))
    sm = session.client("secretsmanager")
    for secret, fields in SECRET_SETS.items():
        sm.create_secret(
            Name=f"{stack.config.prefix}/{secret}", SecretString=json.dumps({f: "x" for _, f in fields})
        )
    iam = session.client("iam")
    for service in SLR_SERVICES:
        iam.create_service_linked_role(AWSServiceName=service)


def with_services(config: StackConfig, **update: Any) -> StackConfig:
    return config.model_copy(update={"services": config.services.model_copy(update=update)})


def report_lines(out: str) -> dict[str, str]:
    """Check name -> its line, from the text report."""
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("ok", "FAIL", "skip"):
            found[rest.strip().split(": ", 1)[0]] = line
    return found


#: A single-platform image manifest: its architecture is only in the config blob.
SINGLE = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 1500,
        "digest": "sha256:" + "c" * 64,
    },
    "layers": [],
}


def stubbed_iam(
    *, simulate: str, count: int = 1, role_arn: str | None = None, source: str = IDENTITY["Arn"]
) -> Any:
    """IAM with no service-linked roles: moto does not implement SimulatePrincipalPolicy."""
    iam = boto3.client("iam", region_name="us-east-1")
    stub = Stubber(iam)
    roles = (
        preflight_account.ECS_SLR,
        preflight_account.ELASTICACHE_SLR,
        preflight_account.RDS_SLR,
        preflight_account.AUTOSCALING_SLR,
    )
    for _label, principal, role in roles[:count]:
        stub.add_response("list_roles", {"Roles": []}, {"PathPrefix": f"/aws-service-role/{principal}/"})
        if role_arn is not None:
            stub.add_response(
                "get_role",
                {
                    "Role": {
                        "Path": "/deploy/",
                        "RoleName": "arbiter-deployer",
                        "RoleId": "AROAEXAMPLEEXAMPLE123",
                        "Arn": role_arn,
                        "CreateDate": datetime(2026, 1, 1),
                        "AssumeRolePolicyDocument": "{}",
                    }
                },
                {"RoleName": "arbiter-deployer"},
            )
        stub.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {"EvalActionName": "iam:CreateServiceLinkedRole", "EvalDecision": simulate}
                ]
            },
            {
                "PolicySourceArn": role_arn or source,
                "ActionNames": ["iam:CreateServiceLinkedRole"],
                "ResourceArns": [f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{principal}/{role}"],
                "ContextEntries": [
                    {
                        "ContextKeyName": "iam:AWSServiceName",
                        "ContextKeyValues": [principal],
                        "ContextKeyType": "string",
                    }
                ],
            },
        )
    stub.activate()
    return iam
