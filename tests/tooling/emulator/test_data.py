"""RDS, ElastiCache and AWS Backup in the emulator: the deployed data tier and a restore drill."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tooling.emulator.support import Emulated

pytestmark = pytest.mark.moto


class TestDeployedData:
    """Aurora, Redis and the backup vaults of each deployed stack."""

    def test_aurora_encrypted_in_the_database_subnets(self, emulated: Emulated) -> None:
        rds = emulated.client("rds")
        cluster = rds.describe_db_clusters(DBClusterIdentifier=f"arbiter-{emulated.stack}-aurora")[
            "DBClusters"
        ][0]
        assert cluster["StorageEncrypted"] is True
        assert cluster["KmsKeyId"] == emulated.deployment.outputs["kmsKeyArn"]
        assert cluster["Endpoint"] == emulated.deployment.outputs["databaseEndpoint"]
        group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
        assert {s["SubnetIdentifier"] for s in group["Subnets"]} == set(
            emulated.deployment.outputs["databaseSubnetIds"]
        )
        instances = rds.describe_db_instances(
            Filters=[{"Name": "db-cluster-id", "Values": [cluster["DBClusterIdentifier"]]}]
        )["DBInstances"]
        assert len(instances) == emulated.sections["database"]["instanceCount"]
        assert all(not i["PubliclyAccessible"] for i in instances)

    def test_redis_replication_group(self, emulated: Emulated) -> None:
        cache = emulated.client("elasticache")
        group = cache.describe_replication_groups(ReplicationGroupId=f"arbiter-{emulated.stack}-redis")[
            "ReplicationGroups"
        ][0]
        assert group["AtRestEncryptionEnabled"] is True
        assert group["TransitEncryptionEnabled"] is True
        # RBAC, no AUTH token: the stack's user group, whose `default` user is off.
        assert group["AuthTokenEnabled"] is False
        assert group["UserGroupIds"] == [f"arbiter-{emulated.stack}-redis"]
        primary = group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
        assert primary == emulated.deployment.outputs["redisPrimaryEndpoint"]
        subnets = cache.describe_cache_subnet_groups(CacheSubnetGroupName=f"arbiter-{emulated.stack}-redis")[
            "CacheSubnetGroups"
        ][0]["Subnets"]
        assert {s["SubnetIdentifier"] for s in subnets} == set(
            emulated.deployment.outputs["databaseSubnetIds"]
        )

    def test_redis_users_one_per_service_and_the_default_off(self, emulated: Emulated) -> None:
        cache, env = emulated.client("elasticache"), emulated.stack
        users = {
            u["UserId"]: u
            for u in cache.describe_users()["Users"]
            if u["UserId"].startswith(f"arbiter-{env}-")
        }
        services = [
            k for k, v in emulated.sections["services"].items() if isinstance(v, dict) and v.get("usesRedis")
        ]
        assert len(users) == len(services) + 1
        default = users[f"arbiter-{env}-default"]
        assert default["UserName"] == "default"
        assert default["AccessString"] == "off -@all"
        for user_id, user in users.items():
            assert user["Authentication"]["Type"] == "password"
            if user_id != f"arbiter-{env}-default":
                assert user["UserName"] == user_id
                assert user["AccessString"].startswith("on ~") and user["AccessString"].endswith(
                    " -@dangerous"
                )

    def test_backup_vaults_in_two_regions_and_the_daily_plan_with_its_copy(self, emulated: Emulated) -> None:
        env, out = emulated.stack, emulated.deployment.outputs
        east = emulated.client("backup")
        west = emulated.session.client("backup", region_name="us-west-2")
        [vault] = [
            v
            for v in east.list_backup_vaults()["BackupVaultList"]
            if v["BackupVaultName"] == f"arbiter-{env}-backup"
        ]
        assert vault["EncryptionKeyArn"] == out["kmsKeyArn"]
        [copy] = [
            v
            for v in west.list_backup_vaults()["BackupVaultList"]
            if v["BackupVaultName"] == f"arbiter-{env}-backup-us-west-2"
        ]
        assert copy["BackupVaultArn"] == out["backupCopyVaultArn"]
        assert copy["BackupVaultArn"].split(":")[3] == "us-west-2"
        # The copy is encrypted with a key of its own region (a KMS key never leaves its region).
        assert copy["EncryptionKeyArn"].split(":")[3] == "us-west-2"
        west_kms = emulated.session.client("kms", region_name="us-west-2")
        assert west_kms.describe_key(KeyId=copy["EncryptionKeyArn"])["KeyMetadata"]["KeyState"] == "Enabled"
        [plan] = [
            p
            for p in east.list_backup_plans()["BackupPlansList"]
            if p["BackupPlanName"].startswith(f"arbiter-{env}-")
        ]
        [rule] = east.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
        assert rule["TargetBackupVaultName"] == f"arbiter-{env}-backup"
        assert rule["ScheduleExpression"].startswith("cron(0 ")
        backup_cfg = emulated.sections["database"]["backup"]
        assert rule["Lifecycle"]["DeleteAfterDays"] == backup_cfg["retentionDays"] >= 7
        [action] = rule["CopyActions"]
        assert action["DestinationBackupVaultArn"] == copy["BackupVaultArn"]
        assert action["Lifecycle"]["DeleteAfterDays"] == backup_cfg["copyRetentionDays"]
        # Vault Lock (moto implements it): prod's vaults locked to exactly the plan's retention, staging's not locked.
        locked = [
            client.describe_backup_vault(BackupVaultName=name).get("Locked", False)
            for client, name in ((east, vault["BackupVaultName"]), (west, copy["BackupVaultName"]))
        ]
        assert locked == [env == "prod"] * 2
        if env == "prod":
            for client, name, days in (
                (east, vault["BackupVaultName"], backup_cfg["retentionDays"]),
                (west, copy["BackupVaultName"], backup_cfg["copyRetentionDays"]),
            ):
                described = client.describe_backup_vault(BackupVaultName=name)
                assert (described["MinRetentionDays"], described["MaxRetentionDays"]) == (days, days), name

    def test_restore_drill_from_a_recovery_point_under_the_programs_identifier(
        self, emulated: Emulated
    ) -> None:
        """docs/restore.md, "From an AWS Backup recovery point", as far as moto goes.

        moto has no backup jobs or recovery points: an Aurora recovery point *is* a cluster
        snapshot (what `start-backup-job` makes), so the drill takes one and restores it with the
        stack's subnet group, security group, parameter group and key, then swaps identifiers.
        The deployment is shared: the drill puts the program's cluster back under its name after.
        """
        env, out = emulated.stack, emulated.deployment.outputs
        rds = emulated.client("rds")
        name, new = f"arbiter-{env}-aurora", f"arbiter-{env}-aurora-restored"
        try:
            [old] = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]
            point = rds.create_db_cluster_snapshot(
                DBClusterIdentifier=name, DBClusterSnapshotIdentifier=f"awsbackup-job-{env}"
            )["DBClusterSnapshot"]
            assert point["KmsKeyId"] == out["kmsKeyArn"] and point["StorageEncrypted"]
            # moto cannot restore a snapshot of a cluster with an RDS-managed password (its
            # restore_db_cluster_from_snapshot raises KeyError); the same restore parameters go
            # through its point-in-time restore instead.
            rds.restore_db_cluster_to_point_in_time(
                DBClusterIdentifier=new,
                SourceDBClusterIdentifier=name,
                UseLatestRestorableTime=True,
                DBSubnetGroupName=old["DBSubnetGroup"],
                VpcSecurityGroupIds=[g["VpcSecurityGroupId"] for g in old["VpcSecurityGroups"]],
                DBClusterParameterGroupName=old["DBClusterParameterGroup"],
                KmsKeyId=out["kmsKeyArn"],
                EnableIAMDatabaseAuthentication=True,
                Port=5432,
            )
            rds.modify_db_cluster(
                DBClusterIdentifier=name, NewDBClusterIdentifier=f"{name}-old", ApplyImmediately=True
            )
            rds.modify_db_cluster(DBClusterIdentifier=new, NewDBClusterIdentifier=name, ApplyImmediately=True)
            [restored] = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]
            assert restored["DbClusterResourceId"] != old["DbClusterResourceId"]
            assert restored["KmsKeyId"] == out["kmsKeyArn"] and restored["StorageEncrypted"]
            assert restored["DBSubnetGroup"] == old["DBSubnetGroup"]
            assert restored["Endpoint"].startswith(f"{name}.")
        finally:
            _put_back(rds, name, new, f"awsbackup-job-{env}")


def _put_back(rds: Any, name: str, restored: str, snapshot: str) -> None:
    """Undo the restore drill on the shared deployment: the program's cluster under its name again."""
    clusters = {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]}
    if f"{name}-old" in clusters:
        if name in clusters:
            rds.modify_db_cluster(
                DBClusterIdentifier=name, NewDBClusterIdentifier=restored, ApplyImmediately=True
            )
        rds.modify_db_cluster(
            DBClusterIdentifier=f"{name}-old", NewDBClusterIdentifier=name, ApplyImmediately=True
        )
    if restored in {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]}:
        # The restore copied the source's deletion protection (prod has it on).
        rds.modify_db_cluster(DBClusterIdentifier=restored, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_cluster(DBClusterIdentifier=restored, SkipFinalSnapshot=True)
    snapshots = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=snapshot)["DBClusterSnapshots"]
    if snapshots:
        rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot)
