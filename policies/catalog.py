"""Every policy of the pack, in one list, plus the control-id floor it must cover (notes.md)."""

from __future__ import annotations

from typing import Final

from pulumi_policy import Policy

from policies import (
    containers,
    data,
    edge,
    encryption,
    identity,
    network_exposure,
    network_security_groups,
    network_topology,
    network_vpc,
    protection,
)
from policies.base import ArbiterPolicy

#: The pack as the CLI knows it (PulumiPolicy.yaml holds the same version).
PACK_NAME: Final = "arbiter-policies"
PACK_VERSION: Final = "0.1.0"

POLICIES: Final[tuple[ArbiterPolicy, ...]] = (
    *network_exposure.POLICIES,
    *network_security_groups.POLICIES,
    *network_topology.POLICIES,
    *network_vpc.POLICIES,
    *identity.POLICIES,
    *data.POLICIES,
    *encryption.POLICIES,
    *edge.POLICIES,
    *containers.POLICIES,
    *protection.POLICIES,
)

_names = [p.name for p in POLICIES]
if len(set(_names)) != len(_names):
    raise RuntimeError(f"duplicate policy names: {sorted(n for n in _names if _names.count(n) > 1)}")

#: Controls the pack must implement at least (reference notes: FSBP and cdk-nag AwsSolutions).
CONTROL_FLOOR: Final = frozenset(
    {
        *("EC2.2", "EC2.6", "EC2.15", "EC2.18", "EC2.19"),
        *("RDS.2", "RDS.7", "RDS.12", "RDS.15", "RDS.16", "RDS.27", "RDS.37"),
        *(f"ElastiCache.{i}" for i in range(1, 8)),
        *("ECS.2", "ECS.3", "ECS.4", "ECS.5", "ECS.8", "ECS.9", "ECS.10", "ECS.12"),
        *("ECR.1", "ECR.2", "ECR.3"),
        *("ELB.1", "ELB.4", "ELB.5", "ELB.6", "ELB.12", "ELB.13", "ELB.17"),
        *("IAM.1", "IAM.21", "KMS.3", "SecretsManager.1", "SNS.4"),
        *("VPC7", "EC23", "EC27", "RDS2", "RDS6", "RDS8", "RDS10", "RDS11", "RDS13"),
        *(
            "AEC3",
            "AEC4",
            "AEC5",
            "AEC6",
            "ECS2",
            "ECS4",
            "ECS7",
            "ELB2",
            "IAM5",
            "SMG4",
            "SNS3",
            "ECR1",
            "KMS5",
        ),
    }
)


def by_name(name: str) -> ArbiterPolicy:
    for policy in POLICIES:
        if policy.name == name:
            return policy
    raise LookupError(f"no policy {name!r}; known: {', '.join(_names)}")


def pulumi_policies() -> list[Policy]:
    """The pulumi_policy objects, built fresh (the PolicyPack and the offline adapter each own theirs)."""
    return [p.build() for p in POLICIES]
