"""Prod's stateful resources carry Pulumi's `protect`, so no `pulumi destroy` or refactor can delete them;
prod's backup vaults carry a Vault Lock, so no IAM principal can delete their recovery points early."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import Severity

from policies.base import ArbiterPolicy, StackView, as_list, has_unknown, number
from policies.resource_types import (
    BACKUP_PLAN,
    BACKUP_VAULT,
    BACKUP_VAULT_LOCK,
    KMS_KEY,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    REPLICATION_GROUP,
    SECRET,
)

#: Resources whose loss loses data or the keys to it.
STATEFUL_TYPES: Final = (RDS_CLUSTER, RDS_CLUSTER_INSTANCE, REPLICATION_GROUP, KMS_KEY, SECRET)


def _protected(view: StackView) -> Iterator[tuple[str, str | None]]:
    for res in view.of_type(*STATEFUL_TYPES):
        if res.is_prod and not res.protect:
            yield f"prod {res.type.rsplit(':', 1)[-1]} {res.name} is not protected (opts.protect)", res.urn


def _retentions_into(view: StackView, vault: str) -> list[float]:
    """The lifecycle days of every plan rule or copy action that writes into vault `vault`."""
    days: list[float] = []
    for plan in view.of_type(BACKUP_PLAN):
        for rule in as_list(plan.get("rules")):
            if isinstance(rule, dict) and rule.get("targetVaultName") == vault:
                days.append(number((rule.get("lifecycle") or {}).get("deleteAfter")) or 0)
            for copy in as_list(rule.get("copyActions")) if isinstance(rule, dict) else []:
                dest = copy.get("destinationVaultArn") if isinstance(copy, dict) else None
                if isinstance(dest, str) and dest.endswith(f":backup-vault:{vault}"):
                    days.append(number((copy.get("lifecycle") or {}).get("deleteAfter")) or 0)
    return days


def _vaults_locked(view: StackView) -> Iterator[tuple[str, str | None]]:
    locks = view.of_type(BACKUP_VAULT_LOCK)
    fields = ("backupVaultName", "minRetentionDays", "maxRetentionDays")
    if any(has_unknown(lock.get(f)) for lock in locks for f in fields):
        return
    if any(has_unknown(plan.get("rules")) for plan in view.of_type(BACKUP_PLAN)):
        return
    by_vault = {lock.get("backupVaultName"): lock for lock in locks}
    for vault in view.of_type(BACKUP_VAULT):
        name = vault.get("name")
        if not vault.is_prod or not isinstance(name, str):
            continue
        lock = by_vault.get(name)
        if lock is None:
            yield (
                f"prod backup vault {name} has no Vault Lock: anyone the vault policy admits, or who "
                "deletes that policy, can delete its recovery points early",
                vault.urn,
            )
            continue
        low, high = number(lock.get("minRetentionDays")), number(lock.get("maxRetentionDays"))
        for days in _retentions_into(view, name):
            if (low is not None and days < low) or (high is not None and days > high):
                bounds = f"{'-' if low is None else f'{low:g}'}..{'-' if high is None else f'{high:g}'}"
                yield (
                    f"backup vault {name} is locked to {bounds} days but a backup plan keeps its "
                    f"recovery points {days:g} days: AWS Backup fails every such job",
                    lock.urn,
                )


POLICIES: Final = [
    ArbiterPolicy(
        name="prod-stateful-resources-protected",
        description="Every stateful resource in prod (Aurora, Redis, KMS keys, secrets) has opts.protect.",
        severity=Severity.CRITICAL,
        controls=("KMS.3", "RDS.7", "RDS10"),
        remediation="Pass pulumi.ResourceOptions(protect=True) for these resources when environment=prod.",
        resource_types=STATEFUL_TYPES,
        stack_check=_protected,
    ),
    ArbiterPolicy(
        name="prod-backup-vaults-locked",
        description="Every prod backup vault has a Vault Lock whose retention range holds the plan's retention.",
        severity=Severity.HIGH,
        controls=("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",),
        remediation="Set database.backup.vaultLock to governance or compliance in Pulumi.prod.yaml "
        "(components/backup.py locks both vaults to the plan's retention).",
        resource_types=(BACKUP_VAULT, BACKUP_VAULT_LOCK, BACKUP_PLAN),
        stack_check=_vaults_locked,
    ),
]
