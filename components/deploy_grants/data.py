"""The deploy role's grants for the data tier (areas `data`, `cache`, `backup`): Aurora, Redis and its
RBAC users, Secrets Manager, the stack CMK, and AWS Backup of the cluster.

A data table (one `Grant` per statement, in policy order); `components.deploy_grants` joins the
areas into the deploy role's policies.
"""

from __future__ import annotations

from typing import Final

from components.deploy_grants.model import (
    _APP_SECRETS,
    _BACKUP_VAULTS,
    _ELC,
    _KMS,
    _KMS_KEYS,
    _RDS,
    _SM,
    Grant,
)

#: This stack's region's backup plans (plan ids are random: tags decide).
_BACKUP_PLANS = "arn:aws:backup:{region}:{account}:backup-plan:*"

#: Statements of this area, in the order the policy lists them.
GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "data",
        "AuroraOwnCluster",
        "the Aurora cluster, its instances, subnet and parameter groups, and the final snapshot on "
        "delete: all named arbiter-<env>-*",
        (
            "rds:AddTagsToResource",
            "rds:CreateDBCluster",
            "rds:CreateDBClusterParameterGroup",
            "rds:CreateDBClusterSnapshot",
            "rds:CreateDBInstance",
            "rds:CreateDBParameterGroup",
            "rds:CreateDBSubnetGroup",
            "rds:DeleteDBCluster",
            "rds:DeleteDBClusterParameterGroup",
            "rds:DeleteDBInstance",
            "rds:DeleteDBParameterGroup",
            "rds:DeleteDBSubnetGroup",
            "rds:DescribeDBClusterParameterGroups",
            "rds:DescribeDBClusterParameters",
            "rds:DescribeDBClusters",
            "rds:DescribeDBInstances",
            "rds:DescribeDBParameterGroups",
            "rds:DescribeDBParameters",
            "rds:DescribeDBSubnetGroups",
            "rds:ListTagsForResource",
            "rds:ModifyDBCluster",
            "rds:ModifyDBClusterParameterGroup",
            "rds:ModifyDBInstance",
            "rds:ModifyDBParameterGroup",
            "rds:ModifyDBSubnetGroup",
            "rds:RemoveTagsFromResource",
            "rds:ResetDBClusterParameterGroup",
        ),
        "arns",
        (
            f"{_RDS}:cluster:{{p}}-*",
            f"{_RDS}:db:{{p}}-*",
            f"{_RDS}:subgrp:{{p}}-*",
            f"{_RDS}:cluster-pg:{{p}}-*",
            f"{_RDS}:pg:{{p}}-*",
            f"{_RDS}:cluster-snapshot:{{p}}-*",
        ),
    ),
    Grant(
        "data",
        "AuroraDefaultOptionGroup",
        "CreateDBCluster requires an option-group resource (og*) and an Aurora instance is attached "
        "to the engine's default option group: both are authorized on it",
        ("rds:CreateDBCluster", "rds:CreateDBInstance", "rds:ModifyDBInstance"),
        "arns",
        (f"{_RDS}:og:default:aurora-postgresql-*",),
    ),
    Grant(
        "data",
        "AuroraManagedMasterSecret",
        "RDS creates the managed master-password secret (rds!cluster-*) with the caller's permissions",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:RotateSecret",
            "secretsmanager:TagResource",
        ),
        "arns",
        (f"{_SM}:secret:rds!cluster-*",),
    ),
    Grant(
        "backup",
        "BackupVaultStorage",
        "CreateBackupVault mounts the vault's storage (backup-storage has no resource type; AWS's "
        "CloudFormation handler lists Mount and MountCapsule)",
        ("backup-storage:Mount", "backup-storage:MountCapsule"),
        "unscopable",
    ),
    Grant(
        "backup",
        "BackupOwnVaults",
        "the Aurora backup vault and its copy-region twin (arbiter-<env>-backup*), their tags, "
        "access policies and locks: a vault CI creates gets its lock, then its policy; once the "
        "policy is there it denies CI every change to either (components/backup.py)",
        (
            "backup:CreateBackupVault",
            "backup:DescribeBackupVault",
            "backup:GetBackupVaultAccessPolicy",
            "backup:ListTags",
            "backup:PutBackupVaultAccessPolicy",
            "backup:PutBackupVaultLockConfiguration",
            "backup:TagResource",
            "backup:UntagResource",
        ),
        "arns",
        _BACKUP_VAULTS,
    ),
    Grant(
        "backup",
        "BackupDenyUnprotectingVaults",
        "whatever else CI is granted: deleting a vault, its access policy or its lock, or a "
        "recovery point, or shortening a point's lifecycle, is an administrator's act, in every "
        "vault of the account, any region (the vault policy denies the same to all but the "
        "administrators); an Aurora recovery point's ARN is its cluster snapshot's (awsbackup:*)",
        (
            "backup:DeleteBackupVault",
            "backup:DeleteBackupVaultAccessPolicy",
            "backup:DeleteBackupVaultLockConfiguration",
            "backup:DeleteRecoveryPoint",
            "backup:UpdateRecoveryPointLifecycle",
        ),
        "arns",
        (
            "arn:aws:backup:*:{account}:backup-vault:*",
            "arn:aws:backup:*:{account}:recovery-point:*",
            "arn:aws:rds:*:{account}:cluster-snapshot:awsbackup:*",
        ),
        effect="Deny",
    ),
    Grant(
        "backup",
        "BackupCreatePlanTagged",
        "a backup plan's ARN carries a random id: it is created with this stack's tags",
        ("backup:CreateBackupPlan", "backup:TagResource"),
        "request-tag",
        (_BACKUP_PLANS,),
    ),
    Grant(
        "backup",
        "BackupOwnPlans",
        "this stack's backup plan (by its tags) and the selection of the Aurora cluster in it",
        (
            "backup:CreateBackupSelection",
            "backup:DeleteBackupPlan",
            "backup:DeleteBackupSelection",
            "backup:GetBackupPlan",
            "backup:GetBackupSelection",
            "backup:ListTags",
            "backup:TagResource",
            "backup:UntagResource",
            "backup:UpdateBackupPlan",
        ),
        "resource-tag",
        (_BACKUP_PLANS,),
    ),
    Grant(
        "backup",
        "KmsBackupCopyAlias",
        "the alias of the copy-region key of the backup copies (alias/arbiter-<env>-backup there); "
        "the key itself carries the stack's tags (KmsUseAndManageStackKey)",
        ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
        "arns",
        ("arn:aws:kms:{copy_region}:{account}:alias/{p}-backup",),
    ),
    Grant(
        "backup",  # in the backup area's policy: the data area's is at IAM's size quota
        "RdsReads",
        "engine-version, instance-class, engine-default-parameter and event lookups have no resource "
        "type (the last two are in AWS's CloudFormation handler lists for the cluster and its groups)",
        (
            "rds:DescribeDBEngineVersions",
            "rds:DescribeEngineDefaultClusterParameters",
            "rds:DescribeEvents",
            "rds:DescribeOrderableDBInstanceOptions",
        ),
        "unscopable",
    ),
    Grant(
        "backup",
        "RdsOwnEventSubscriptions",
        "RDS event subscriptions arbiter-<env>-rds-* send the cluster's and instances' failover, "
        "failure, maintenance and low-storage events to the alert topic",
        (
            "rds:AddSourceIdentifierToSubscription",
            "rds:AddTagsToResource",
            "rds:CreateEventSubscription",
            "rds:DeleteEventSubscription",
            "rds:DescribeEventSubscriptions",
            "rds:ListTagsForResource",
            "rds:ModifyEventSubscription",
            "rds:RemoveSourceIdentifierFromSubscription",
            "rds:RemoveTagsFromResource",
        ),
        "arns",
        (f"{_RDS}:es:{{p}}-*",),
    ),
    Grant(
        "cache",
        "RedisReads",
        "engine-version and engine-default-parameter lookups have no resource type",
        ("elasticache:DescribeCacheEngineVersions", "elasticache:DescribeEngineDefaultParameters"),
        "unscopable",
    ),
    Grant(
        "cache",
        "RedisOwnReplicationGroup",
        "the Redis replication group, its member clusters, subnet and parameter groups, final "
        "snapshot; names use either prefix because ElastiCache ids are limited to 40 characters",
        (
            "elasticache:AddTagsToResource",
            "elasticache:CreateCacheParameterGroup",
            "elasticache:CreateCacheSubnetGroup",
            "elasticache:CreateReplicationGroup",
            "elasticache:CreateSnapshot",
            "elasticache:DecreaseReplicaCount",
            "elasticache:DeleteCacheParameterGroup",
            "elasticache:DeleteCacheSubnetGroup",
            "elasticache:DeleteReplicationGroup",
            "elasticache:DescribeCacheClusters",
            "elasticache:DescribeCacheParameterGroups",
            "elasticache:DescribeCacheParameters",
            "elasticache:DescribeCacheSubnetGroups",
            "elasticache:DescribeReplicationGroups",
            "elasticache:IncreaseReplicaCount",
            "elasticache:ListTagsForResource",
            "elasticache:ModifyCacheParameterGroup",
            "elasticache:ModifyCacheSubnetGroup",
            "elasticache:ModifyReplicationGroup",
            "elasticache:RemoveTagsFromResource",
        ),
        "arns",
        (
            *(
                f"{_ELC}:{kind}:{prefix}-*"
                for kind in ("replicationgroup", "cluster", "subnetgroup", "parametergroup", "snapshot")
                for prefix in ("{p}", "{s}")
            ),
            # Attaching the stack's user group (RBAC) to the group on create and modify.
            f"{_ELC}:usergroup:{{p}}-*",
        ),
    ),
    Grant(
        "cache",
        "RedisOwnUsers",
        "the RBAC users (arbiter-<env>-<service>, arbiter-<env>-default) and the user group "
        "(arbiter-<env>-redis)",
        (
            "elasticache:AddTagsToResource",
            "elasticache:CreateUser",
            "elasticache:CreateUserGroup",
            "elasticache:DeleteUser",
            "elasticache:DeleteUserGroup",
            "elasticache:DescribeUserGroups",
            "elasticache:DescribeUsers",
            "elasticache:ListTagsForResource",
            "elasticache:ModifyUser",
            "elasticache:ModifyUserGroup",
            "elasticache:RemoveTagsFromResource",
        ),
        "arns",
        (f"{_ELC}:user:{{p}}-*", f"{_ELC}:usergroup:{{p}}-*"),
    ),
    Grant(
        "data",
        "SecretsOwnContainers",
        "the secret containers (arbiter-<env>-* or arbiter-<env>/*): Pulumi manages their "
        "settings, never the values of the application secrets",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteResourcePolicy",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "secretsmanager:ListSecretVersionIds",
            "secretsmanager:PutResourcePolicy",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            "secretsmanager:UpdateSecret",
        ),
        "arns",
        (f"{_SM}:secret:{{p}}-*", f"{_SM}:secret:{{p}}/*"),
    ),
    Grant(
        "data",
        "SecretsPulumiGeneratedValue",
        "the Redis users' first passwords (and, while migrating, the AUTH token) are generated "
        "by Pulumi (pulumi-random) and written as secret versions, which refresh reads back",
        ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"),
        "arns",
        (f"{_SM}:secret:{{p}}/redis-*",),
    ),
    Grant(
        "data",
        "DenyApplicationSecretValues",
        "the trading and bot credentials are set by an operator and read only by the execution "
        "roles that inject them: CI never reads or writes their values",
        ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"),
        "arns",
        _APP_SECRETS,
        effect="Deny",
    ),
    Grant(
        "data",
        "SecretsReads",
        "random passwords (AUTH token) and the secret list have no resource type",
        ("secretsmanager:GetRandomPassword", "secretsmanager:ListSecrets"),
        "unscopable",
    ),
    Grant(
        "data",
        "KmsCreateStackKey",
        "the stack CMK is created with this stack's tags; CreateKey has no resource ARN, and tags "
        "on CreateKey need kms:TagResource not restricted to a key",
        ("kms:CreateKey", "kms:TagResource"),
        "request-tag",
    ),
    Grant(
        "data",
        "KmsUseAndManageStackKey",
        "key ids are random, so the stack CMK is identified by its tags. Grants let Aurora, Redis, "
        "Secrets Manager and AWS Backup encrypt with it (CreateBackupVault creates and retires one, "
        "per AWS's CloudFormation handler). Alias calls are authorized on the key as well as on "
        "the alias (the alias side is KmsStackAlias). No ScheduleKeyDeletion: destroying a CMK "
        "destroys the data it protects, so that stays an admin action",
        (
            "kms:CreateAlias",
            "kms:DeleteAlias",
            "kms:UpdateAlias",
            "kms:CreateGrant",
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:EnableKeyRotation",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
            "kms:PutKeyPolicy",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:RetireGrant",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:UpdateKeyDescription",
        ),
        "resource-tag",
        _KMS_KEYS,
    ),
    Grant(
        "data",
        "KmsStackAlias",
        "the stack CMK's alias (alias/arbiter-<env>); the key side of alias calls is the statement above",
        ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
        "arns",
        (f"{_KMS}:alias/{{p}}", f"{_KMS}:alias/{{p}}-*"),
    ),
    Grant(
        "data",
        "KmsReads",
        "alias and key listing have no resource type",
        ("kms:ListAliases", "kms:ListKeys"),
        "unscopable",
    ),
)
