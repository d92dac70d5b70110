"""IAM rules for RDS, ElastiCache and AWS Backup calls (with the KMS grants they make for the caller)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from arbiter_tools.api_calls.core import GENERATED, CallContext, key_arn, rule


def _rds(c: CallContext, kind: str, name: Any) -> str:
    return c.arn("rds", f"{kind}:{name}")


def _rds_create(c: CallContext, action: str, arn: str, refs: Iterable[str] = ()) -> None:
    c.need(action, arn, tags=c.tags)
    for ref in refs:
        c.need(action, ref)
    if c.tags:
        c.need("rds:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


def _default_option_group(c: CallContext) -> str:
    major = str(c.p.get("EngineVersion", "")).split(".")[0]
    return _rds(c, "og", f"default:{c.p['Engine']}-{major}")


@rule("rds", "CreateDBClusterParameterGroup")
def _rds_cluster_pg(c: CallContext) -> None:
    _rds_create(
        c, "rds:CreateDBClusterParameterGroup", _rds(c, "cluster-pg", c.p["DBClusterParameterGroupName"])
    )


@rule("rds", "ModifyDBClusterParameterGroup")
def _rds_cluster_pg_modify(c: CallContext) -> None:
    c.need("rds:ModifyDBClusterParameterGroup", _rds(c, "cluster-pg", c.p["DBClusterParameterGroupName"]))


@rule("rds", "CreateDBSubnetGroup")
def _rds_subnet_group(c: CallContext) -> None:
    _rds_create(c, "rds:CreateDBSubnetGroup", _rds(c, "subgrp", c.p["DBSubnetGroupName"]))


@rule("rds", "CreateDBCluster")
def _rds_cluster(c: CallContext) -> None:
    refs = [_default_option_group(c)]
    if c.p.get("DBClusterParameterGroupName"):
        refs.append(_rds(c, "cluster-pg", c.p["DBClusterParameterGroupName"]))
    if c.p.get("DBSubnetGroupName"):
        refs.append(_rds(c, "subgrp", c.p["DBSubnetGroupName"]))
    _rds_create(c, "rds:CreateDBCluster", _rds(c, "cluster", c.p["DBClusterIdentifier"]), refs)
    if c.p.get("KmsKeyId"):
        key = key_arn(c, str(c.p["KmsKeyId"]))
        for action in ("kms:CreateGrant", "kms:DescribeKey"):
            c.need(action, key, extra=c.via("rds"), why="RDS encrypts the cluster with the stack key")
    if c.p.get("ManageMasterUserPassword"):
        secret = (c.r.get("DBCluster", {}).get("MasterUserSecret") or {}).get("SecretArn") or c.arn(
            "secretsmanager", "secret:rds!cluster-" + GENERATED
        )
        why = "RDS creates the managed master secret with the caller's permissions"
        for action in (
            "secretsmanager:CreateSecret",
            "secretsmanager:RotateSecret",
            "secretsmanager:TagResource",
        ):
            c.need(action, secret, why=why)
        if c.p.get("MasterUserSecretKmsKeyId"):
            key = key_arn(c, str(c.p["MasterUserSecretKmsKeyId"]))
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                c.need(action, key, extra=c.via("secretsmanager"), why=why)


@rule("rds", "CreateEventSubscription")
def _rds_event_subscription(c: CallContext) -> None:
    _rds_create(c, "rds:CreateEventSubscription", _rds(c, "es", c.p["SubscriptionName"]))


@rule("rds", "CreateDBInstance")
def _rds_instance(c: CallContext) -> None:
    refs = [_default_option_group(c), _rds(c, "cluster", c.p["DBClusterIdentifier"])]
    if c.p.get("DBParameterGroupName"):
        refs.append(_rds(c, "pg", c.p["DBParameterGroupName"]))
    _rds_create(c, "rds:CreateDBInstance", _rds(c, "db", c.p["DBInstanceIdentifier"]), refs)
    c.pass_role(c.p.get("MonitoringRoleArn"), "monitoring.rds.amazonaws.com")


def _elc(c: CallContext, kind: str, name: Any) -> str:
    return c.arn("elasticache", f"{kind}:{name}")


@rule("elasticache", "CreateCacheSubnetGroup")
def _elc_subnet_group(c: CallContext) -> None:
    arn = _elc(c, "subnetgroup", c.p["CacheSubnetGroupName"])
    c.need("elasticache:CreateCacheSubnetGroup", arn, tags=c.tags)
    if c.tags:
        c.need("elasticache:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


@rule("elasticache", "CreateUser")
def _elc_user(c: CallContext) -> None:
    arn = _elc(c, "user", c.p["UserId"])
    c.need("elasticache:CreateUser", arn, tags=c.tags)
    if c.tags:
        c.need("elasticache:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


@rule("elasticache", "CreateReplicationGroup")
def _elc_replication_group(c: CallContext) -> None:
    arn = _elc(c, "replicationgroup", c.p["ReplicationGroupId"])
    c.need("elasticache:CreateReplicationGroup", arn, tags=c.tags)
    for param, kind in (
        ("CacheParameterGroupName", "parametergroup"),
        ("CacheSubnetGroupName", "subnetgroup"),
    ):
        if c.p.get(param):
            c.need("elasticache:CreateReplicationGroup", _elc(c, kind, c.p[param]))
    for group in c.p.get("UserGroupIds") or ():
        c.need("elasticache:CreateReplicationGroup", _elc(c, "usergroup", group), why="RBAC user group")
    if c.tags:
        c.need("elasticache:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    if c.p.get("KmsKeyId"):
        key = key_arn(c, str(c.p["KmsKeyId"]))
        for action in ("kms:CreateGrant", "kms:DescribeKey"):
            c.need(action, key, extra=c.via("elasticache"), why="at-rest encryption with the stack key")
    if c.p.get("LogDeliveryConfigurations"):
        why = "slow-log delivery to CloudWatch Logs (vended logs)"
        for action in (
            "logs:CreateLogDelivery",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:PutResourcePolicy",
        ):
            c.need(action, "*", why=why)
    c.created(arn)


@rule("backup", "CreateBackupVault")
def _backup_vault(c: CallContext) -> None:
    arn = str(c.r["BackupVaultArn"])
    c.need("backup:CreateBackupVault", arn, tags=c.tags)
    c.need("backup-storage:MountCapsule", "*", why="CreateBackupVault mounts the vault's storage")
    if c.tags:
        c.need("backup:TagResource", arn, tags=c.tags, why="tags on CreateBackupVault")
    if c.p.get("EncryptionKeyArn"):
        key = key_arn(c, str(c.p["EncryptionKeyArn"]))
        for action in ("kms:CreateGrant", "kms:DescribeKey"):
            c.need(action, key, extra=c.via("backup"), why="the vault encrypts with this key")
    c.created(arn)


@rule("backup", "PutBackupVaultLockConfiguration")
def _backup_vault_lock(c: CallContext) -> None:
    c.need(
        "backup:PutBackupVaultLockConfiguration", c.arn("backup", f"backup-vault:{c.p['BackupVaultName']}")
    )


@rule("backup", "CreateBackupPlan")
def _backup_plan(c: CallContext) -> None:
    arn = str(c.r["BackupPlanArn"])
    c.need("backup:CreateBackupPlan", arn, tags=c.tags)
    if c.tags:
        c.need("backup:TagResource", arn, tags=c.tags, why="tags on CreateBackupPlan")
    c.created(arn)
