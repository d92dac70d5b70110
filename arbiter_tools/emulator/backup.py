"""AWS Backup (moto: vaults, their locks and plans; selections and vault policies have no API there, they fall back)."""

from __future__ import annotations

from typing import Any

from arbiter_tools.emulator.core import Request, Result, clean, handles, opt_int
from policies import resource_types as rt


@handles(rt.BACKUP_VAULT)
def _backup_vault(req: Request) -> Result:
    name = req.physical_name(max_len=50)
    resp = req.client("backup").create_backup_vault(
        **clean(
            {
                "BackupVaultName": name,
                "EncryptionKeyArn": req.inputs.get("kmsKeyArn"),
                "BackupVaultTags": dict(req.tags) or None,
            }
        )
    )
    return name, {"arn": resp["BackupVaultArn"], "name": name, "recoveryPoints": 0}


@handles(rt.BACKUP_VAULT_LOCK)
def _backup_vault_lock(req: Request) -> Result:
    i = req.inputs
    name = str(i["backupVaultName"])
    backup = req.client("backup")
    backup.put_backup_vault_lock_configuration(
        **clean(
            {
                "BackupVaultName": name,
                "MinRetentionDays": opt_int(i.get("minRetentionDays")),
                "MaxRetentionDays": opt_int(i.get("maxRetentionDays")),
                "ChangeableForDays": opt_int(i.get("changeableForDays")),
            }
        )
    )
    # The provider's id is the vault's name; its ARN is read back as the provider's Read does.
    arn = backup.describe_backup_vault(BackupVaultName=name)["BackupVaultArn"]
    return name, {"backupVaultArn": arn}


def _backup_rule(rule: dict[str, Any]) -> dict[str, Any]:
    lifecycle = rule.get("lifecycle") or {}
    return clean(
        {
            "RuleName": rule["ruleName"],
            "TargetBackupVaultName": rule["targetVaultName"],
            "ScheduleExpression": rule.get("schedule"),
            "StartWindowMinutes": opt_int(rule.get("startWindow")),
            "CompletionWindowMinutes": opt_int(rule.get("completionWindow")),
            "Lifecycle": clean({"DeleteAfterDays": opt_int(lifecycle.get("deleteAfter"))}) or None,
            "CopyActions": [
                clean(
                    {
                        "DestinationBackupVaultArn": c["destinationVaultArn"],
                        "Lifecycle": clean(
                            {"DeleteAfterDays": opt_int((c.get("lifecycle") or {}).get("deleteAfter"))}
                        )
                        or None,
                    }
                )
                for c in rule.get("copyActions") or []
            ]
            or None,
        }
    )


@handles(rt.BACKUP_PLAN)
def _backup_plan(req: Request) -> Result:
    i = req.inputs
    backup = req.client("backup")
    for rule in i.get("rules") or []:
        # AWS refuses a rule whose vault does not exist; moto does not check.
        backup.describe_backup_vault(BackupVaultName=rule["targetVaultName"])
    resp = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": i["name"], "Rules": [_backup_rule(r) for r in i.get("rules") or []]},
        BackupPlanTags=dict(req.tags),
    )
    return resp["BackupPlanId"], {"arn": resp["BackupPlanArn"], "version": resp["VersionId"]}
