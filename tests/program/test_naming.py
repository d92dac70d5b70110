"""Physical names: unique per stack (side by side in one account) and inside AWS limits."""

from __future__ import annotations

import pytest

from arbiter_infra.naming import LIMITS, check_name
from arbiter_tools.runtime import DeclaredResource, Deployment

#: Inputs that set a physical name, per resource type where it is not `name`.
NAME_KEYS = (
    "name",
    "identifier",
    "clusterIdentifier",
    "replicationGroupId",
    "family",
    "alarmName",
    "dashboardName",
)
#: One per account by design (owned by one stack, looked up by the other): see DeliveryConfig.
ACCOUNT_LEVEL = {"aws:ecr/repository:Repository", "aws:iam/openIdConnectProvider:OpenIdConnectProvider"}
#: Names that are not physical names (parameter names, inline keys), or a shared AWS one.
NOT_PHYSICAL = {"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"}
#: Names scoped by a per-stack parent (the ECS cluster, the Cloud Map namespace): the runbook and
#: the seed's commands address services as `trading-core` etc., so these repeat across stacks.
SCOPED = {"aws:ecs/service:Service", "aws:servicediscovery/service:Service"}


def _physical(d: Deployment) -> dict[tuple[str, str], DeclaredResource]:
    out: dict[tuple[str, str], DeclaredResource] = {}
    for r in d.resources:
        if not r.custom or r.type in ACCOUNT_LEVEL | NOT_PHYSICAL or r.type.startswith("pulumi:"):
            continue
        keys = ("bucket",) if r.type == "aws:s3/bucket:Bucket" else NAME_KEYS
        for key in keys:
            value = r.inputs.get(key)
            if isinstance(value, str) and value:
                out[(r.type, value)] = r
                break
    return out


def test_physical_names_are_unique_per_stack(staging: Deployment, prod: Deployment) -> None:
    staging_names, prod_names = _physical(staging), _physical(prod)
    assert len(staging_names) > 40
    clashes = sorted(f"{t} {n}" for t, n in set(staging_names) & set(prod_names))
    assert [c for c in clashes if c.split(" ")[0] not in SCOPED] == []
    assert {c.split(" ")[0] for c in clashes} == SCOPED


def test_physical_names_carry_the_stack(deployment: Deployment) -> None:
    env = deployment.stack
    short = {"staging": "arb-stg", "prod": "arb-prd"}[env]
    services = {"trading-core", "telegram-bot", "web-api"}
    for (type_, name), _ in _physical(deployment).items():
        if type_ in SCOPED:
            assert name in services
            continue
        assert f"arbiter-{env}" in name or name.startswith(short), (type_, name)


@pytest.mark.parametrize(
    ("type_", "key", "kind"),
    [
        ("aws:lb/loadBalancer:LoadBalancer", "name", "alb"),
        ("aws:lb/targetGroup:TargetGroup", "name", "target-group"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId", "elasticache"),
        ("aws:iam/role:Role", "name", "iam-role"),
        ("aws:rds/cluster:Cluster", "clusterIdentifier", "rds"),
        ("aws:s3/bucket:Bucket", "bucket", "s3"),
    ],
)
def test_names_fit_aws_limits(deployment: Deployment, type_: str, key: str, kind: str) -> None:
    resources = deployment.of_type(type_)
    assert resources
    for r in resources:
        name = r.inputs[key]
        assert len(name) <= LIMITS[kind], name
        assert check_name(name, kind) == name
