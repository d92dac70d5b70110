"""AuroraBackup alone: a locked vault here and in the copy region, a daily plan of the given cluster."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from arbiter_infra.config import BackupConfig
from arbiter_infra.naming import Naming
from components.backup import PROTECTED_ACTIONS, AuroraBackup, AuroraBackupArgs
from tests.components.conftest import Build

ACCOUNT = "111122223333"
VAULT = "aws:backup/vault:Vault"


ADMINS = [
    "arn:aws:iam::{account}:role/Admin*",
    "arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/*",
]
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def _backup(naming: Naming, *, region: str = "us-east-1", protect: bool = False, **lock: Any) -> AuroraBackup:
    config = BackupConfig(
        copy_region="us-west-2",
        retention_days=9,
        copy_retention_days=21,
        start_hour_utc=3,
        admin_role_patterns=ADMINS,
        **lock,
    )
    return AuroraBackup(
        naming("backup"),
        AuroraBackupArgs(
            config=config,
            naming=naming,
            region=region,
            account_id=ACCOUNT,
            cluster_arn="arn:cluster",
            kms_key_arn="arn:stack-key",
            copy_provider=aws.Provider("copy", region="us-west-2"),
            permissions_boundary="arn:boundary",
            protect=protect,
        ),
    )


def test_two_vaults_each_with_its_regions_key(build: Build, naming: Naming) -> None:
    d = build(lambda: _backup(naming))
    vaults = {v.inputs["name"]: v for v in d.of_type(VAULT)}
    assert sorted(vaults) == ["arbiter-unit-backup", "arbiter-unit-backup-us-west-2"]
    assert vaults["arbiter-unit-backup"].inputs["kmsKeyArn"] == "arn:stack-key"
    copy_key = d.one("aws:kms/key:Key")
    assert vaults["arbiter-unit-backup-us-west-2"].inputs["kmsKeyArn"] == copy_key.outputs["arn"]
    assert vaults["arbiter-unit-backup-us-west-2"].provider == copy_key.provider is not None


def test_vault_policies_deny_the_protected_actions_to_all_but_admins(build: Build, naming: Naming) -> None:
    d = build(lambda: _backup(naming))
    policies = d.of_type("aws:backup/vaultPolicy:VaultPolicy")
    assert len(policies) == 2
    for p in policies:
        [stmt] = json.loads(p.inputs["policy"])["Statement"]
        assert stmt["Effect"] == "Deny" and sorted(stmt["Action"]) == sorted(PROTECTED_ACTIONS)
        assert stmt["Condition"] == {
            "ArnNotLike": {"aws:PrincipalArn": [a.format(account=ACCOUNT) for a in ADMINS]}
        }
    assert {"backup:DeleteBackupVaultAccessPolicy", "backup:DeleteBackupVaultLockConfiguration"} <= set(
        PROTECTED_ACTIONS
    )


def test_no_lock_unless_configured(build: Build, naming: Naming) -> None:
    d = build(lambda: _backup(naming))
    assert d.of_type(LOCK) == []


@pytest.mark.parametrize(("mode", "grace"), [("governance", None), ("compliance", 5)])
def test_each_vault_is_locked_to_exactly_its_retention(
    build: Build, naming: Naming, mode: str, grace: int | None
) -> None:
    lock = {"vault_lock": mode, **({"vault_lock_changeable_for_days": grace} if grace else {})}
    d = build(lambda: _backup(naming, protect=True, **lock))
    vaults = {v.urn: v for v in d.of_type(VAULT)}
    locks = {lk.inputs["backupVaultName"]: lk for lk in d.of_type(LOCK)}
    # The plan keeps primary points 9 days and copies 21: each vault's lock says exactly that.
    assert {
        name: (lk.inputs["minRetentionDays"], lk.inputs["maxRetentionDays"]) for name, lk in locks.items()
    } == {
        "arbiter-unit-backup": (9, 9),
        "arbiter-unit-backup-us-west-2": (21, 21),
    }
    for lk in locks.values():
        assert lk.inputs.get("changeableForDays") == grace  # absent: governance mode
        # Create-before-delete would write the new lock, then delete it with the old one's delete.
        assert lk.delete_before_replace and lk.protect
    copy_lock = locks["arbiter-unit-backup-us-west-2"]
    [copy_vault] = [v for v in vaults.values() if v.inputs["name"] == "arbiter-unit-backup-us-west-2"]
    assert copy_lock.provider == copy_vault.provider is not None
    # The vault policy (which denies lock changes to CI) lands only after the lock.
    for policy in d.of_type("aws:backup/vaultPolicy:VaultPolicy"):
        lock_urn = locks[policy.inputs["backupVaultName"]].urn
        assert lock_urn in policy.dependencies


def test_the_plan_follows_the_config_and_selects_the_cluster(build: Build, naming: Naming) -> None:
    d = build(lambda: _backup(naming))
    [rule] = d.one("aws:backup/plan:Plan").inputs["rules"]
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert rule["lifecycle"]["deleteAfter"] == 9
    assert rule["copyActions"][0]["lifecycle"]["deleteAfter"] == 21
    assert d.one("aws:backup/selection:Selection").inputs["resources"] == ["arn:cluster"]
    assert d.one("aws:iam/role:Role").inputs["permissionsBoundary"] == "arn:boundary"


def test_protect_follows_the_argument(build: Build, naming: Naming) -> None:
    assert all(v.protect for v in build(lambda: _backup(naming, protect=True)).of_type(VAULT))
    assert not any(v.protect for v in build(lambda: _backup(naming)).of_type(VAULT))


def test_a_copy_in_the_stacks_own_region_is_refused(build: Build, naming: Naming) -> None:
    with pytest.raises(Exception, match="copy region must differ"):
        build(lambda: _backup(naming, region="us-west-2"))
