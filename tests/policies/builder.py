"""The policy tests' stack builder: resources declared as the recording monitor declares them.

The compliant stack built with it is in `compliant.py`; the values shared by that stack and the
cases that break it (account, ARNs, the repository) are here.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter_tools.runtime import DeclaredResource, Deployment
from policies.resource_types import (
    ACM_CERTIFICATES,
    AWS_PROVIDER,
    BUCKET_SSE,
    BUCKETS,
    IAM_ATTACHMENTS,
    LISTENER_RULES,
    LISTENERS,
    LOAD_BALANCERS,
    SELF_SIGNED,
    TARGET_GROUPS,
)

# One name per member of the pack's alias tuples (the `aws:lb/...` shape, then `aws:alb/...`).
LB, ALB_LB = LOAD_BALANCERS
LISTENER, ALB_LISTENER = LISTENERS
LISTENER_RULE, ALB_LISTENER_RULE = LISTENER_RULES
TARGET_GROUP, ALB_TARGET_GROUP = TARGET_GROUPS
(ACM_CERTIFICATE,) = ACM_CERTIFICATES
(SELF_SIGNED_CERT,) = SELF_SIGNED
BUCKET, BUCKET_V2 = BUCKETS
BUCKET_SSE_CONFIG, BUCKET_SSE_CONFIG_V2 = BUCKET_SSE
(
    ROLE_POLICY_ATTACHMENT,
    POLICY_ATTACHMENT,
    USER_POLICY_ATTACHMENT,
    GROUP_POLICY_ATTACHMENT,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
) = IAM_ATTACHMENTS
#: A component of the program (not a cloud resource): the pack must skip it.
COMPONENT = "arbiter:network:Network"

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:arbiter/trading-AbCdEf"
DB_SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:arbiter/db-AbCdEf"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:arbiter-alerts"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
REPO = "arbiter-bot/arbiter-infra"


def doc(*statements: dict[str, Any]) -> str:
    """An IAM-style policy document, as the JSON string resources carry."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def container(**overrides: Any) -> dict[str, Any]:
    """A compliant container definition, with `overrides` applied."""
    base: dict[str, Any] = {
        "name": "web-api",
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/web-api:v1",
        "environment": [
            {"name": "RUST_LOG", "value": "info"},
            {"name": "ARBITER_PAPER_TRADE", "value": "false"},
        ],
        "secrets": [{"name": "POLY_API_KEY", "valueFrom": f"{SECRET_ARN}:api_key::"}],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/arbiter/web-api",
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
    }
    base.update(overrides)
    return base


class StackBuilder:
    """Declares resources the way the recording monitor does: inputs, plus outputs carrying id/arn."""

    def __init__(self, environment: str = "prod", stack: str | None = None) -> None:
        self.stack = stack or environment
        self.resources: dict[str, DeclaredResource] = {}
        tags = {"Project": "arbiter", "Environment": environment, "Service": "infra", "ManagedBy": "pulumi"}
        self.provider = self.add(
            AWS_PROVIDER,
            f"aws-{environment}",
            {"region": "us-east-1", "defaultTags": json.dumps({"tags": tags})},
            custom=True,
            provider=False,
        )

    def urn(self, type_: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::arbiter::{type_}::{name}"

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        id_: str | None = None,
        arn: str | None = None,
        protect: bool = False,
        custom: bool = True,
        provider: bool = True,
        outputs: dict[str, Any] | None = None,
    ) -> DeclaredResource:
        rid = id_ or f"{name}-id"
        out = {"id": rid, **({"arn": arn} if arn else {}), **(outputs or {})}
        res = DeclaredResource(
            urn=self.urn(type_, name),
            type=type_,
            name=name,
            parent=None,
            custom=custom,
            id=rid,
            inputs=dict(inputs),
            outputs=out if custom else {},
            secret_inputs=frozenset(),
            provider=self.provider.urn if provider and custom else None,
            protect=protect,
            dependencies=(),
        )
        self.resources[name] = res
        return res

    def get(self, name: str) -> DeclaredResource:
        return self.resources[name]

    def set(self, name: str, **props: Any) -> None:
        res = self.resources[name]
        for key, value in props.items():
            res.inputs[key] = value
            if key in res.outputs:
                res.outputs[key] = value

    def drop(self, name: str, *keys: str) -> None:
        for key in keys:
            self.resources[name].inputs.pop(key, None)

    def remove(self, name: str) -> None:
        del self.resources[name]

    def containers(self, name: str, *defs: dict[str, Any]) -> None:
        self.set(name, containerDefinitions=json.dumps(list(defs)))

    def deployment(self) -> Deployment:
        return Deployment(self.stack, list(self.resources.values()), {}, frozenset())


CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:arbiter-prod-db"
BACKUP_PLAN_ARN = "arn:aws:backup:us-east-1:123456789012:backup-plan:plan-1"
BACKUP_RULE = {
    "ruleName": "daily",
    "targetVaultName": "arbiter-prod-backup",
    "schedule": "cron(0 4 * * ? *)",
    "lifecycle": {"deleteAfter": 14},
    "copyActions": [
        {
            "destinationVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:arbiter-prod-backup-us-west-2",
            "lifecycle": {"deleteAfter": 14},
        }
    ],
}


def with_container(b: StackBuilder, **overrides: Any) -> None:
    """Replace the task definition's one container with a compliant one carrying `overrides`."""
    b.containers("web-api-task", container(**overrides))
