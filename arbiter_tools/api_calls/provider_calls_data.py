"""A DATA TABLE: the Terraform AWS provider's calls besides the create, for identity, logs, secrets and the data tier (IAM, CloudWatch Logs, Secrets Manager, RDS, ElastiCache).

Source: hashicorp/terraform-provider-aws; each entry names the Go file it was read from.
"""

from __future__ import annotations

from typing import Final

from arbiter_tools.api_calls.provider_model import ELC_TAGS, RDS_TAGS, P, ProviderCalls
from policies import resource_types as rt

DATA_CALLS: Final[dict[str, ProviderCalls]] = {
    rt.IAM_ROLE: ProviderCalls(
        f"{P}/iam/role.go (GetRole; ListRolePolicies/GetRolePolicy and ListAttachedRolePolicies "
        "for inline_policy and managed_policy_arns)",
        (
            ("iam:GetRole", "{o[arn]}"),
            ("iam:ListRolePolicies", "{o[arn]}"),
            ("iam:ListAttachedRolePolicies", "{o[arn]}"),
        ),
        (
            ("iam:UpdateRoleDescription", "{o[arn]}"),
            ("iam:TagRole", "{o[arn]}"),
            ("iam:UntagRole", "{o[arn]}"),
        ),
    ),
    rt.IAM_ROLE_POLICY: ProviderCalls(
        f"{P}/iam/role_policy.go", (("iam:GetRolePolicy", "arn:aws:iam::{account}:role/{i[role]}"),)
    ),
    rt.IAM_POLICY: ProviderCalls(
        f"{P}/iam/policy.go (GetPolicy, GetPolicyVersion, ListPolicyVersions before a new version)",
        (
            ("iam:GetPolicy", "{o[arn]}"),
            ("iam:GetPolicyVersion", "{o[arn]}"),
            ("iam:ListPolicyVersions", "{o[arn]}"),
        ),
        (
            ("iam:CreatePolicyVersion", "{o[arn]}"),
            ("iam:DeletePolicyVersion", "{o[arn]}"),
            ("iam:TagPolicy", "{o[arn]}"),
        ),
    ),
    rt.IAM_ROLE_POLICY_ATTACHMENT: ProviderCalls(
        f"{P}/iam/role_policy_attachment.go",
        (("iam:ListAttachedRolePolicies", "arn:aws:iam::{account}:role/{i[role]}"),),
    ),
    rt.LOG_GROUP: ProviderCalls(
        f"{P}/logs/group.go (DescribeLogGroups; ListTagsForResource)",
        (("logs:DescribeLogGroups", "*"), ("logs:ListTagsForResource", "{o[arn]}")),
        (
            ("logs:PutRetentionPolicy", "{o[arn]}"),
            ("logs:AssociateKmsKey", "{o[arn]}"),
            ("logs:TagResource", "{o[arn]}"),
            ("logs:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SECRET: ProviderCalls(
        f"{P}/secretsmanager/secret.go (DescribeSecret, GetResourcePolicy)",
        (("secretsmanager:DescribeSecret", "{o[arn]}"), ("secretsmanager:GetResourcePolicy", "{o[arn]}")),
        (
            ("secretsmanager:UpdateSecret", "{o[arn]}"),
            ("secretsmanager:TagResource", "{o[arn]}"),
            ("secretsmanager:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SECRET_VERSION: ProviderCalls(
        f"{P}/secretsmanager/secret_version.go (GetSecretValue of the version, ListSecretVersionIds)",
        (("secretsmanager:GetSecretValue", "{o[arn]}"), ("secretsmanager:ListSecretVersionIds", "{o[arn]}")),
        (("secretsmanager:PutSecretValue", "{o[arn]}"),),
    ),
    rt.RDS_CLUSTER_PARAMETER_GROUP: ProviderCalls(
        f"{P}/rds/cluster_parameter_group.go",
        (
            ("rds:DescribeDBClusterParameterGroups", "{o[arn]}"),
            ("rds:DescribeDBClusterParameters", "{o[arn]}"),
            ("rds:ListTagsForResource", "{o[arn]}"),
        ),
        (("rds:ModifyDBClusterParameterGroup", "{o[arn]}"), *RDS_TAGS),
    ),
    rt.RDS_SUBNET_GROUP: ProviderCalls(
        f"{P}/rds/subnet_group.go",
        (("rds:DescribeDBSubnetGroups", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (("rds:ModifyDBSubnetGroup", "{o[arn]}"), *RDS_TAGS),
    ),
    rt.RDS_CLUSTER: ProviderCalls(
        f"{P}/rds/cluster.go (DescribeDBClusters; waits on it after create and modify)",
        (("rds:DescribeDBClusters", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (("rds:ModifyDBCluster", "{o[arn]}"), *RDS_TAGS),
    ),
    rt.RDS_CLUSTER_INSTANCE: ProviderCalls(
        f"{P}/rds/cluster_instance.go (DescribeDBInstances, DescribeDBClusters for the writer flag)",
        (
            ("rds:DescribeDBInstances", "{o[arn]}"),
            ("rds:DescribeDBClusters", "arn:aws:rds:{region}:{account}:cluster:{i[clusterIdentifier]}"),
            ("rds:ListTagsForResource", "{o[arn]}"),
        ),
        (("rds:ModifyDBInstance", "{o[arn]}"), *RDS_TAGS),
    ),
    rt.CACHE_SUBNET_GROUP: ProviderCalls(
        f"{P}/elasticache/subnet_group.go",
        (
            ("elasticache:DescribeCacheSubnetGroups", "{o[arn]}"),
            ("elasticache:ListTagsForResource", "{o[arn]}"),
        ),
        (("elasticache:ModifyCacheSubnetGroup", "{o[arn]}"), *ELC_TAGS),
    ),
    rt.CACHE_PARAMETER_GROUP: ProviderCalls(
        f"{P}/elasticache/parameter_group.go (created by the provider; moto has no API for it)",
        (
            ("elasticache:DescribeCacheParameterGroups", "{pg}"),
            ("elasticache:DescribeCacheParameters", "{pg}"),
            ("elasticache:ListTagsForResource", "{pg}"),
        ),
        (
            ("elasticache:CreateCacheParameterGroup", "{pg}"),
            ("elasticache:ModifyCacheParameterGroup", "{pg}"),
            ("elasticache:AddTagsToResource", "{pg}"),
            ("elasticache:RemoveTagsFromResource", "{pg}"),
        ),
    ),
    rt.REPLICATION_GROUP: ProviderCalls(
        f"{P}/elasticache/replication_group.go (DescribeReplicationGroups, DescribeCacheClusters "
        "of the members, ListTagsForResource)",
        (
            ("elasticache:DescribeReplicationGroups", "{o[arn]}"),
            ("elasticache:DescribeCacheClusters", "arn:aws:elasticache:{region}:{account}:cluster:{id}-001"),
            ("elasticache:ListTagsForResource", "{o[arn]}"),
        ),
        (("elasticache:ModifyReplicationGroup", "{o[arn]}"), *ELC_TAGS),
    ),
    rt.CACHE_USER: ProviderCalls(
        f"{P}/elasticache/user.go (DescribeUsers, ListTagsForResource; ModifyUser on an access-string change)",
        (("elasticache:DescribeUsers", "{o[arn]}"), ("elasticache:ListTagsForResource", "{o[arn]}")),
        (("elasticache:ModifyUser", "{o[arn]}"), *ELC_TAGS),
    ),
    rt.CACHE_USER_GROUP: ProviderCalls(
        f"{P}/elasticache/user_group.go (created by the provider; moto has no user-group API: "
        "CreateUserGroup needs the group and each member user)",
        (("elasticache:DescribeUserGroups", "{o[arn]}"), ("elasticache:ListTagsForResource", "{o[arn]}")),
        (
            ("elasticache:CreateUserGroup", "{o[arn]}"),
            *(
                (
                    "elasticache:CreateUserGroup",
                    f"arn:aws:elasticache:{{region}}:{{account}}:user:{{i[userIds][{n}]}}",
                )
                for n in range(2)
            ),
            ("elasticache:ModifyUserGroup", "{o[arn]}"),
            *ELC_TAGS,
        ),
    ),
}
