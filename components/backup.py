"""AWS Backup of the Aurora cluster: daily recovery points, a copy in a second region, locked vaults.

Aurora's own automated backups die with the cluster and stay in its region. A backup vault
outlives both: recovery points are copied to a vault in `copyRegion`, encrypted there with a key of
that region (a KMS key never leaves its region), and both vaults carry an access policy that denies
deleting recovery points, shortening their lifecycle, changing or deleting the policy or the vault
lock, or deleting the vault to everyone but an administrator role (`database.backup.adminRolePatterns`),
including the CI roles. With `vaultLock` set (prod), AWS Backup Vault Lock also makes the recovery
points immutable for exactly the plan's retention, whatever any policy allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.config import BackupConfig
from arbiter_infra.naming import Naming
from components.kms import ACCOUNT_ACTIONS

VaultLockMode = Literal["none", "governance", "compliance"]

#: AWS managed policies of the role AWS Backup assumes (what AWSBackupDefaultServiceRole has).
BACKUP_POLICY_ARNS: Final = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)
#: What only an administrator may do to a vault or its recovery points: each removes or weakens
#: a protection (deleting the access policy drops every deny at once; a lock can be removed or its
#: retention changed by whoever may Put/Delete its configuration while it is in governance mode).
PROTECTED_ACTIONS: Final = (
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:DeleteRecoveryPoint",
    "backup:PutBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
    "backup:UpdateRecoveryPointLifecycle",
)


def schedule(start_hour_utc: int) -> str:
    """The daily cron expression AWS Backup takes (six fields, UTC)."""
    return f"cron(0 {start_hour_utc} * * ? *)"


def vault_policy(admin_role_arns: Sequence[str]) -> pulumi.Output[str]:
    """Deny the protected actions to every principal whose ARN matches no administrator pattern.

    `Resource: *` in a vault access policy means this vault and its recovery points (an Aurora
    recovery point's ARN is a cluster-snapshot ARN, which the vault's ARN would not match).
    `ArnNotLike` with a list holds when the ARN matches none of them.
    """
    return iam.document(
        iam.statement(
            "OnlyAdministratorsDeleteRecoveryPoints",
            PROTECTED_ACTIONS,
            ["*"],
            effect="Deny",
            principal={"AWS": "*"},
            condition={"ArnNotLike": {"aws:PrincipalArn": list(admin_role_arns)}},
        )
    )


@dataclass(frozen=True)
class LockSettings:
    """A Vault Lock's retention bounds and, in compliance mode, its grace period."""

    min_retention_days: int
    max_retention_days: int
    #: Compliance mode: days the lock can still be removed; None is governance mode.
    changeable_for_days: int | None = None


def lock_settings(mode: VaultLockMode, retention_days: int, grace_days: int) -> LockSettings | None:
    """The Vault Lock of a vault whose recovery points are kept `retention_days` (None: unlocked).

    Minimum and maximum are both the plan's retention: AWS Backup refuses a backup or copy job
    whose retention lies outside them, so a lock that drifted from the plan pages (failed-jobs
    alarms) instead of silently keeping points shorter or longer. Compliance mode is the lock with
    a grace period (`changeable_for_days`), after which nobody, AWS included, can remove it.
    """
    if mode == "none":
        return None
    return LockSettings(retention_days, retention_days, grace_days if mode == "compliance" else None)


@dataclass(frozen=True)
class AuroraBackupArgs:
    #: The `database.backup` section: copy region, retentions, schedule, who may still delete.
    config: BackupConfig
    #: The stack's names: vaults `<prefix>-backup[-<copy region>]`, role `<prefix>-backup`.
    naming: Naming
    #: The stack's region: the copy region must differ (config allows only other regions).
    region: str
    #: The account: fills the admin role pattern and confines the role's trust.
    account_id: str
    #: The Aurora cluster backed up (the selection's only resource).
    cluster_arn: pulumi.Input[str]
    #: The stack CMK: encrypts the primary vault.
    kms_key_arn: pulumi.Input[str]
    #: Provider for the copy region (same account guard and default tags as the stack's).
    copy_provider: aws.Provider
    #: Permissions boundary the backup role carries.
    permissions_boundary: pulumi.Input[str]
    #: Prod: the vaults and the copy key are protected from `pulumi destroy`; default off.
    protect: bool = False


class AuroraBackup(pulumi.ComponentResource):
    """Vaults, copy-region key, plan, selection and the role AWS Backup assumes."""

    vault: aws.backup.Vault
    copy_key: aws.kms.Key
    copy_vault: aws.backup.Vault
    #: Vault Lock of each vault; None where `vaultLock` is none (staging).
    vault_lock: aws.backup.VaultLockConfiguration | None
    copy_vault_lock: aws.backup.VaultLockConfiguration | None
    plan: aws.backup.Plan
    role: aws.iam.Role
    selection: aws.backup.Selection
    vault_name: str
    copy_vault_name: str

    def __init__(self, name: str, args: AuroraBackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:database:AuroraBackup", name, None, opts)
        cfg, naming = args.config, args.naming
        if cfg.copy_region == args.region:
            raise ValueError("the backup copy region must differ from the stack's region")
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)
        copy_opts = pulumi.ResourceOptions(parent=self, provider=args.copy_provider)
        admins = [pattern.format(account=args.account_id) for pattern in cfg.admin_role_patterns]

        self.vault_name = naming("backup")
        self.copy_vault_name = naming("backup", cfg.copy_region)
        self.vault = aws.backup.Vault(
            f"{name}-vault", name=self.vault_name, kms_key_arn=args.kms_key_arn, opts=protected
        )
        # A KMS key is regional: the copy is re-encrypted with a key of its region.
        root = f"arn:aws:iam::{args.account_id}:root"
        self.copy_key = aws.kms.Key(
            f"{name}-copy-key",
            description=f"{naming.prefix}: Aurora recovery points copied to {cfg.copy_region}",
            enable_key_rotation=True,
            deletion_window_in_days=30 if args.protect else 7,
            policy=iam.document(
                iam.statement(
                    "AccountAdministersKeyAndDelegatesUseToIam",
                    ACCOUNT_ACTIONS,
                    ["*"],
                    principal={"AWS": root},
                )
            ),
            opts=pulumi.ResourceOptions.merge(copy_opts, pulumi.ResourceOptions(protect=args.protect)),
        )
        aws.kms.Alias(
            f"{name}-copy-key-alias",
            name=f"alias/{naming.prefix}-backup",
            target_key_id=self.copy_key.key_id,
            opts=copy_opts,
        )
        self.copy_vault = aws.backup.Vault(
            f"{name}-copy-vault",
            name=self.copy_vault_name,
            kms_key_arn=self.copy_key.arn,
            opts=pulumi.ResourceOptions.merge(copy_opts, pulumi.ResourceOptions(protect=args.protect)),
        )
        self.vault_lock = self._lock(f"{name}-vault-lock", self.vault, cfg.retention_days, cfg, protected)
        self.copy_vault_lock = self._lock(
            f"{name}-copy-vault-lock",
            self.copy_vault,
            cfg.copy_retention_days,
            cfg,
            pulumi.ResourceOptions.merge(copy_opts, pulumi.ResourceOptions(protect=args.protect)),
        )
        # After the lock: the policy denies Put/DeleteBackupVaultLockConfiguration to all but
        # administrators, so a CI run creating a vault must lock it before the policy lands.
        aws.backup.VaultPolicy(
            f"{name}-vault-policy",
            backup_vault_name=self.vault.name,
            policy=vault_policy(admins),
            opts=pulumi.ResourceOptions(parent=self, depends_on=_present(self.vault_lock)),
        )
        aws.backup.VaultPolicy(
            f"{name}-copy-vault-policy",
            backup_vault_name=self.copy_vault.name,
            policy=vault_policy(admins),
            opts=pulumi.ResourceOptions.merge(
                copy_opts, pulumi.ResourceOptions(depends_on=_present(self.copy_vault_lock))
            ),
        )

        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=naming("aurora-daily"),
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=self.vault.name,
                    schedule=schedule(cfg.start_hour_utc),
                    start_window=60,
                    completion_window=480,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=cfg.retention_days),
                    copy_actions=[
                        aws.backup.PlanRuleCopyActionArgs(
                            destination_vault_arn=self.copy_vault.arn,
                            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                                delete_after=cfg.copy_retention_days
                            ),
                        )
                    ],
                )
            ],
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=naming("backup", kind="iam-role"),
            description="AWS Backup: snapshots the Aurora cluster and copies it to the copy region",
            assume_role_policy=iam.assume_role_policy("backup.amazonaws.com", source_account=args.account_id),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{arn.rsplit('For', 1)[1].lower()}",
                role=self.role.name,
                policy_arn=arn,
                opts=child,
            )
            for arn in BACKUP_POLICY_ARNS
        ]
        self.selection = aws.backup.Selection(
            f"{name}-selection",
            name=naming("aurora"),
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=[args.cluster_arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        outputs: dict[str, Any] = {
            "vaultLock": cfg.vault_lock,
            "vaultName": self.vault_name,
            "vaultArn": self.vault.arn,
            "copyVaultName": self.copy_vault_name,
            "copyVaultArn": self.copy_vault.arn,
            "copyKeyArn": self.copy_key.arn,
            "planId": self.plan.id,
            "roleArn": self.role.arn,
        }
        self.register_outputs(outputs)

    @staticmethod
    def _lock(
        name: str,
        vault: aws.backup.Vault,
        retention_days: int,
        cfg: BackupConfig,
        opts: pulumi.ResourceOptions,
    ) -> aws.backup.VaultLockConfiguration | None:
        settings = lock_settings(cfg.vault_lock, retention_days, cfg.vault_lock_changeable_for_days)
        if settings is None:
            return None
        # Every argument forces a replacement, and the lock's id is the vault's name: replaced
        # create-before-delete, the new lock would be written and then deleted by the old one's
        # delete, leaving the vault unlocked. So delete first (an administrator's change: the
        # vault policy denies the delete to everyone else, and prod's `protect` refuses it).
        return aws.backup.VaultLockConfiguration(
            name,
            backup_vault_name=vault.name,
            min_retention_days=settings.min_retention_days,
            max_retention_days=settings.max_retention_days,
            changeable_for_days=settings.changeable_for_days,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True)),
        )


def _present(*resources: pulumi.Resource | None) -> list[pulumi.Resource]:
    return [r for r in resources if r is not None]
