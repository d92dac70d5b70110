"""Lookups shared by the whole-program data-tier tests."""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime import mocks as pmocks

from arbiter_infra.config import EXCHANGE_SECRET_KEYS
from arbiter_tools.runtime import ArbiterMocks, DeclaredResource, Deployment

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PASSWORD = "random:index/randomPassword:RandomPassword"
ALL_KEYS = [key for key, _, _ in EXCHANGE_SECRET_KEYS]

EXPECTED: dict[str, dict[str, Any]] = {
    "staging": {"classes": ["db.t4g.medium"], "node": "cache.t4g.micro", "nodes": 1, "snap": 1, "window": 7},
    "prod": {"classes": ["db.r6g.large"] * 2, "node": "cache.r6g.large", "nodes": 3, "snap": 7, "window": 30},
}


def key_arn(d: Deployment) -> str:
    return str(d.one("aws:kms/key:Key", f"arbiter-{d.stack}-key-key").outputs["arn"])


def secret(d: Deployment, name: str) -> DeclaredResource:
    found = [r for r in d.of_type(SECRET) if r.inputs.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def versions_of(d: Deployment, secret: DeclaredResource) -> list[DeclaredResource]:
    return [r for r in d.of_type(VERSION) if r.inputs.get("secretId") == secret.id]


def sg_id(d: Deployment, key: str) -> str:
    return next(
        r.id
        for r in d.of_type("aws:ec2/securityGroup:SecurityGroup")
        if r.inputs.get("name") == f"arbiter-{d.stack}-{key}"
    )


def database_subnet_ids(d: Deployment) -> list[str]:
    ids = d.outputs["databaseSubnetIds"]
    assert len(ids) == 3
    return list(ids)


def injected(d: Deployment) -> set[str]:
    """Every `valueFrom` any container of the stack receives as an ECS secret."""
    return {
        s["valueFrom"]
        for td in d.of_type("aws:ecs/taskDefinition:TaskDefinition")
        for c in json.loads(td.inputs["containerDefinitions"])
        for s in c.get("secrets", [])
    }


class CountingMocks(ArbiterMocks):
    """Counts registrations, to show bad config is refused before anything is registered."""

    def __init__(self, environment: str) -> None:
        super().__init__(environment)
        self.created = 0

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.created += 1
        return super().new_resource(args)
