"""Which input changes make `pulumi up` replace a resource instead of updating it, per type.

pulumi-aws is the Terraform AWS provider behind a bridge: a property whose Terraform schema says
`ForceNew: true` (or a CustomizeDiff that calls `ForceNew`) makes the bridge report a replacement.
The table keeps, per Pulumi type, the camelCase input names of those arguments (Terraform's
snake_case, camelCased as the bridge names them; a `MaxItems: 1` block is one object, so its
nested argument is `block.field`), and the provider source file it was read from
(github.com/hashicorp/terraform-provider-aws, `internal/service/...`). A type that is not here is
reported as an update "with replacement rules not tabled", never guessed.

Engine versions are special: the provider keeps the configured version in state as long as the
running one satisfies it (Aurora: `compareActualEngineVersion` in internal/service/rds/verify.go;
ElastiCache: engine_version_actual in internal/service/elasticache/replication_group.go), and a
downgrade is refused (RDS) or forces a new replication group (ElastiCache). `VERSION_RULES` holds
those rules as functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

TF = "terraform-provider-aws internal/service/"


@dataclass(frozen=True)
class TypeRules:
    """The replacement rules of one resource type."""

    #: Input paths whose change forces a new resource (`a` covers `a.b` and `a[0].c` too).
    force_new: frozenset[str]
    #: Where the rule was read (provider file; plus the function for CustomizeDiff rules).
    source: str
    #: What an operator should know about an update or replacement of this type.
    note: str = ""
    #: Every input change replaces (e.g. an ECS task definition: a new revision per change).
    all_inputs: bool = False
    #: Inputs that force a new resource only for some changes: path -> (old, new) -> replaces.
    force_new_if: Mapping[str, Callable[[object, object], bool]] = field(default_factory=dict)
    #: Inputs that never cause a replacement even when `all_inputs` (tags, lifecycle-only flags).
    in_place: frozenset[str] = field(default_factory=frozenset)

    def forces_replacement(self, path: str) -> bool:
        """Whether a change at `path` (e.g. `containerDefinitions[0].image`) forces replacement."""
        plain = re.sub(r"\[\d+\]", "", path)
        top = plain.split(".", 1)[0]
        if self.all_inputs:
            return top not in self.in_place
        return any(plain == p or plain.startswith(p + ".") for p in self.force_new)


def _rules(
    source: str,
    *force_new: str,
    note: str = "",
    force_new_if: Mapping[str, Callable[[object, object], bool]] | None = None,
) -> TypeRules:
    return TypeRules(
        force_new=frozenset(force_new), source=TF + source, note=note, force_new_if=force_new_if or {}
    )


def cache_engine_change_replaces(old: object, new: object) -> bool:
    """customizeDiffEngineForceNewOnDowngrade (elasticache/engine_version.go): any engine change
    replaces the replication group except redis -> valkey, which AWS performs in place."""
    return old != new and (old, new) != ("redis", "valkey")


#: Resource types whose replacement or deletion loses data or an identity others depend on.
STATEFUL: Final = frozenset(
    {
        "aws:rds/cluster:Cluster",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:kms/key:Key",
        "aws:secretsmanager/secret:Secret",
        "aws:ecr/repository:Repository",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
    }
)

REPLACEMENTS: Final[dict[str, TypeRules]] = {
    "aws:rds/cluster:Cluster": _rules(
        "rds/cluster.go",
        "availabilityZones",
        "clusterIdentifier",
        "clusterIdentifierPrefix",
        "clusterScalabilityType",
        "databaseName",
        "dbSubnetGroupName",
        "dbSystemId",
        "engine",
        "engineMode",
        "kmsKeyId",
        "masterUsername",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "sourceRegion",
        "storageEncrypted",
        note="engineVersion is updated in place (a major version needs allowMajorVersionUpgrade)",
    ),
    "aws:rds/clusterInstance:ClusterInstance": _rules(
        "rds/cluster_instance.go",
        "availabilityZone",
        "clusterIdentifier",
        "customIamInstanceProfile",
        "dbSubnetGroupName",
        "engine",
        "identifier",
        "identifierPrefix",
        note="instanceClass is modified in place (a reboot); engineVersion follows the cluster",
    ),
    "aws:rds/subnetGroup:SubnetGroup": _rules("rds/subnet_group.go", "name", "namePrefix"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _rules(
        "rds/cluster_parameter_group.go", "description", "family", "name", "namePrefix"
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": _rules(
        "elasticache/replication_group.go",
        "atRestEncryptionEnabled",
        "dataTieringEnabled",
        "globalReplicationGroupId",
        "kmsKeyId",
        "networkType",
        "port",
        "replicationGroupId",
        "securityGroupNames",
        "snapshotArns",
        "snapshotName",
        "subnetGroupName",
        note="nodeType and numCacheClusters change in place; an engineVersion downgrade replaces "
        "(customizeDiffEngineVersionForceNewOnDowngrade); engine redis -> valkey is in place, any "
        "other engine change replaces (customizeDiffEngineForceNewOnDowngrade)",
        force_new_if={"engine": cache_engine_change_replaces},
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": _rules("elasticache/subnet_group.go", "name"),
    # The ids and the user name: ModifyUser / ModifyUserGroup cannot change them.
    "aws:elasticache/user:User": _rules("elasticache/user.go", "userId", "userName"),
    "aws:elasticache/userGroup:UserGroup": _rules("elasticache/user_group.go", "userGroupId"),
    "aws:elasticache/parameterGroup:ParameterGroup": _rules(
        "elasticache/parameter_group.go", "description", "family", "name"
    ),
    "aws:kms/key:Key": _rules(
        "kms/key.go",
        "customKeyStoreId",
        "customerMasterKeySpec",
        "keyUsage",
        "multiRegion",
        "xksKeyId",
        note="a replaced key cannot decrypt what the old key encrypted",
    ),
    "aws:kms/alias:Alias": _rules("kms/alias.go", "name", "namePrefix"),
    "aws:secretsmanager/secret:Secret": _rules("secretsmanager/secret.go", "name", "namePrefix"),
    "aws:ecr/repository:Repository": _rules("ecr/repository.go", "encryptionConfigurations", "name"),
    "aws:s3/bucket:Bucket": _rules("s3/bucket.go", "bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:ec2/vpc:Vpc": _rules(
        "ec2/vpc_.go", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength", "ipv6IpamPoolId"
    ),
    "aws:ec2/subnet:Subnet": _rules(
        "ec2/vpc_subnet.go", "availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId"
    ),
    "aws:ec2/securityGroup:SecurityGroup": _rules(
        "ec2/vpc_security_group.go", "description", "name", "namePrefix", "vpcId"
    ),
    "aws:ec2/networkAcl:NetworkAcl": TypeRules(
        force_new=frozenset({"vpcId"}),
        source=TF + "ec2/vpc_network_acl.go",
        note="changed rules are deleted, then re-created in place: traffic they admit pauses briefly",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": TypeRules(
        force_new=frozenset(),
        all_inputs=True,
        in_place=frozenset({"tags", "skipDestroy", "trackLatest"}),
        source=TF + "ecs/task_definition.go",
        note="a new revision is registered and the old one deregistered",
    ),
    "aws:ecs/service:Service": _rules(
        "ecs/service.go",
        "cluster",
        "deploymentController.type",
        "iamRole",
        "launchType",
        "name",
        "schedulingStrategy",
        note="a new taskDefinition is a rolling deployment, not a replacement",
    ),
    "aws:ecs/cluster:Cluster": _rules("ecs/cluster.go", "name"),
    "aws:lb/loadBalancer:LoadBalancer": _rules(
        "elbv2/load_balancer.go",
        "customerOwnedIpv4Pool",
        "internal",
        "loadBalancerType",
        "name",
        "namePrefix",
        note="a replaced ALB has a new DNS name: records pointing at it must follow",
    ),
    "aws:lb/targetGroup:TargetGroup": _rules(
        "elbv2/target_group.go",
        "ipAddressType",
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "targetType",
        "vpcId",
    ),
    "aws:iam/role:Role": _rules("iam/role.go", "name", "namePrefix", "path"),
    "aws:iam/policy:Policy": _rules("iam/policy.go", "description", "name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": _rules("iam/role_policy.go", "name", "namePrefix", "role"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _rules(
        "iam/role_policy_attachment.go", "policyArn", "role"
    ),
    "aws:cloudwatch/logGroup:LogGroup": _rules("logs/group.go", "logGroupClass", "name", "namePrefix"),
    "aws:sns/topic:Topic": _rules("sns/topic.go", "fifoTopic", "name", "namePrefix"),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": TypeRules(
        force_new=frozenset(),
        all_inputs=True,
        source=TF + "backup/vault_lock_configuration.go (every argument ForceNew)",
        note="the lock is deleted, then put again (delete_before_replace): an administrator's change, "
        "impossible once a compliance-mode lock is past its grace period (docs/restore.md)",
    ),
    "random:index/randomPassword:RandomPassword": TypeRules(
        force_new=frozenset(),
        all_inputs=True,
        source="terraform-provider-random internal/provider/resource_password.go (every attribute RequiresReplace)",
        note="a new password: whatever consumes it is updated with the new value",
    ),
}


def version_parts(version: str) -> tuple[int, ...] | None:
    """`16.8` -> (16, 8); None for anything that is not dotted numbers."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        return None
    return tuple(int(p) for p in version.split("."))


def version_satisfies(declared: str, state: str) -> bool:
    """Whether a running `state` version satisfies a `declared` pin: equal, or the pin is a prefix.

    The provider's rule (compareActualEngineVersion): declared "16" is satisfied by "16.8", and
    "16.8" by "16.8.2"; "16.8" is not satisfied by "16.9" (AWS moved the minor: a plan downgrades).
    """
    return state == declared or state.startswith(declared + ".")


def is_downgrade(declared: str, state: str) -> bool:
    """Whether moving from running `state` to `declared` goes back in version (numeric compare)."""
    new, old = version_parts(declared), version_parts(state)
    if new is None or old is None:
        return False
    width = max(len(new), len(old))
    return new + (0,) * (width - len(new)) < old + (0,) * (width - len(old))


@dataclass(frozen=True)
class VersionRule:
    """An engine-version property: compared with the running version through `satisfies`."""

    #: State outputs holding the running version, most precise first.
    state_keys: tuple[str, ...]
    #: What a downgrade does: "replace" (a new resource) or "refused" (AWS rejects the update).
    on_downgrade: str
    source: str
    satisfies: Callable[[str, str], bool] = version_satisfies


VERSION_RULES: Final[dict[tuple[str, str], VersionRule]] = {
    ("aws:rds/cluster:Cluster", "engineVersion"): VersionRule(
        state_keys=("engineVersionActual", "engineVersion"),
        on_downgrade="refused",
        source=TF + "rds/verify.go compareActualEngineVersion; rds/cluster.go (engine_version not ForceNew)",
    ),
    ("aws:rds/clusterInstance:ClusterInstance", "engineVersion"): VersionRule(
        state_keys=("engineVersionActual", "engineVersion"),
        on_downgrade="refused",
        source=TF + "rds/cluster_instance.go clusterSetResourceDataEngineVersionFromClusterInstance",
    ),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "engineVersion"): VersionRule(
        state_keys=("engineVersionActual", "engineVersion"),
        on_downgrade="replace",
        source=TF + "elasticache/engine_version.go customizeDiffEngineVersionForceNewOnDowngrade",
    ),
}
