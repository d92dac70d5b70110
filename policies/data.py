"""Aurora PostgreSQL and ElastiCache Redis: encrypted with CMKs, authenticated, backed up, highly available."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import EnforcementLevel, Severity

from policies.base import (
    UNKNOWN,
    ArbiterPolicy,
    Res,
    StackView,
    as_list,
    has_unknown,
    is_blank,
    is_false_or_absent,
    is_set,
    is_true,
    number,
)
from policies.resource_types import (
    BACKUP_PLAN,
    BACKUP_SELECTION,
    CACHE_USER,
    CACHE_USER_GROUP,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    RDS_EVENT_SUBSCRIPTION,
    REPLICATION_GROUP,
)

MIN_BACKUP_DAYS: Final = 7
#: RDS event categories a prod cluster's subscription must carry (empty categories: all events).
PAGED_CLUSTER_EVENTS: Final = frozenset({"failover", "failure"})
DEFAULT_PORTS: Final = {RDS_CLUSTER: 5432, REPLICATION_GROUP: 6379}


def _aurora_encryption(res: Res) -> Iterator[str]:
    if res.type == RDS_CLUSTER:
        if is_false_or_absent(res.get("storageEncrypted")):
            yield "storageEncrypted is not true: Aurora storage and snapshots are unencrypted"
        if is_blank(res.get("kmsKeyId")):
            yield "kmsKeyId is not set: storage is not encrypted with the project's customer-managed key"
    elif is_true(res.get("performanceInsightsEnabled")) and is_blank(res.get("performanceInsightsKmsKeyId")):
        yield "Performance Insights is enabled without performanceInsightsKmsKeyId (customer-managed key)"


def _aurora_backups(res: Res) -> Iterator[str]:
    days = res.get("backupRetentionPeriod")
    if days is UNKNOWN:
        return
    value = number(days)
    if value is None or value < MIN_BACKUP_DAYS:
        shown = "unset (AWS default 1)" if days is None else days
        yield f"backupRetentionPeriod is {shown}: keep automated backups for at least {MIN_BACKUP_DAYS} days"


def _aurora_deletion_protection(res: Res) -> Iterator[str]:
    if res.is_prod and is_false_or_absent(res.get("deletionProtection")):
        yield "deletionProtection is not true on a prod database"


def _aurora_hardening(res: Res) -> Iterator[str]:
    if is_false_or_absent(res.get("iamDatabaseAuthenticationEnabled")):
        yield "iamDatabaseAuthenticationEnabled is not true"
    if is_false_or_absent(res.get("copyTagsToSnapshot")):
        yield "copyTagsToSnapshot is not true: snapshots lose their Project/Environment tags"
    exports = res.get("enabledCloudwatchLogsExports")
    engine = res.get("engine")
    if not has_unknown(exports) and engine == "aurora-postgresql" and "postgresql" not in as_list(exports):
        yield "enabledCloudwatchLogsExports does not include 'postgresql'"


def _non_default_port(res: Res) -> Iterator[str]:
    default = DEFAULT_PORTS[res.type]
    port = res.get("port")
    if port is UNKNOWN:
        return
    if port is None or number(port) == default:
        yield f"uses the engine's default port {default}; set a non-default port"


def _redis_encryption(res: Res) -> Iterator[str]:
    if is_false_or_absent(res.get("atRestEncryptionEnabled")):
        yield "atRestEncryptionEnabled is not true"
    if is_blank(res.get("kmsKeyId")):
        yield "kmsKeyId is not set: data at rest is not encrypted with the project's customer-managed key"
    if is_false_or_absent(res.get("transitEncryptionEnabled")):
        yield "transitEncryptionEnabled is not true: clients talk to Redis in clear text"
    if is_blank(res.get("authToken")) and is_blank(res.get("userGroupIds")):
        yield "neither authToken nor userGroupIds is set: Redis accepts unauthenticated clients"


#: ElastiCache's user name for the user every group holds, which AUTH-token clients become.
_DEFAULT_USER = "default"


def _redis_rbac(res: Res) -> Iterator[str]:
    if is_set(res.get("authToken")):
        yield (
            "authToken is set: a client that sends the token is Redis's default user, with every key and "
            "command; use RBAC (userGroupIds, one user per service)"
        )
    if res.get("userGroupIds") is not UNKNOWN and is_blank(res.get("userGroupIds")):
        yield "userGroupIds is not set: no RBAC users, every client is the default user"


def _default_user_off(view: StackView) -> Iterator[tuple[str, str | None]]:
    """Each replication group's user group holds a `default` user that is off."""
    groups = view.of_type(CACHE_USER_GROUP)
    users = view.of_type(CACHE_USER)
    if any(has_unknown(g.get("userGroupId")) or has_unknown(g.get("userIds")) for g in groups):
        return
    if any(has_unknown(u.get("userId")) or has_unknown(u.get("userName")) for u in users):
        return
    by_group = {g.get("userGroupId"): g for g in groups}
    by_user = {u.get("userId"): u for u in users}
    for rg in view.of_type(REPLICATION_GROUP):
        ids = rg.get("userGroupIds")
        if has_unknown(ids) or is_blank(ids):
            continue  # `redis-rbac-users` reports a group without users
        for group_id in as_list(ids):
            group = by_group.get(group_id)
            if group is None:
                yield (
                    f"user group {group_id} is not declared in this stack: its default user cannot be shown off",
                    rg.urn,
                )
                continue
            members = [by_user.get(uid) for uid in as_list(group.get("userIds"))]
            defaults = [m for m in members if m is not None and m.get("userName") == _DEFAULT_USER]
            if not defaults:
                yield (
                    f"user group {group_id} has no declared member named default (AWS requires one)",
                    rg.urn,
                )
            for user in defaults:
                access = user.get("accessString")
                if has_unknown(access):
                    continue
                if not isinstance(access, str) or access.split()[:1] != ["off"]:
                    yield (
                        f"the default user of {group_id} is enabled ({access!r}): clients that send only a "
                        "password (the old AUTH token) reach Redis; its access string must start with off",
                        user.urn,
                    )


def _redis_user_access(res: Res) -> Iterator[str]:
    access = res.get("accessString")
    if not isinstance(access, str):
        return
    rules = access.split()
    enabled = "on" in rules and rules.index("on") > max(
        (i for i, r in enumerate(rules) if r == "off"), default=-1
    )
    for rule, why in (
        ("+@all", "every command"),
        ("allcommands", "every command"),
        ("+@admin", "admin commands (ACL, CONFIG, ...)"),
        ("+@dangerous", "dangerous commands (FLUSHALL, KEYS, MONITOR, ...)"),
        ("~*", "every key"),
        ("allkeys", "every key"),
        ("%RW~*", "every key"),
    ):
        if rule in rules:
            yield f"access string grants {why} ({rule}): give the user its key prefixes and command categories"
    mode = res.get("authenticationMode")
    no_password = res.get("noPasswordRequired") is True or (
        isinstance(mode, dict) and mode.get("type") == "no-password-required"
    )
    if enabled and (no_password or "nopass" in rules):
        yield "an enabled user needs no password: anyone who reaches the port is this user"


def _redis_failover(res: Res) -> Iterator[str]:
    if not res.is_prod:
        return
    if is_false_or_absent(res.get("automaticFailoverEnabled")):
        yield "automaticFailoverEnabled is not true on prod Redis"
    if is_false_or_absent(res.get("multiAzEnabled")):
        yield "multiAzEnabled is not true on prod Redis"


def _redis_backups(res: Res) -> Iterator[str]:
    limit = res.get("snapshotRetentionLimit")
    if limit is not UNKNOWN and (number(limit) or 0) < 1:
        yield "snapshotRetentionLimit is 0 or unset: Redis has no automatic backups"
    if res.get("autoMinorVersionUpgrade") is False or res.get("autoMinorVersionUpgrade") == "false":
        yield "autoMinorVersionUpgrade is false: security patches are not applied"


def _aurora_multi_az(view: StackView) -> Iterator[tuple[str, str | None]]:
    instances = view.of_type(RDS_CLUSTER_INSTANCE)
    if any(i.get("clusterIdentifier") is UNKNOWN for i in instances):
        return
    for cluster in view.of_type(RDS_CLUSTER):
        if not cluster.is_prod:
            continue
        keys = {cluster.get("id"), cluster.get("clusterIdentifier")} - {None, UNKNOWN}
        if not keys:
            continue
        count = sum(1 for i in instances if i.get("clusterIdentifier") in keys)
        if count < 2:
            yield (
                f"prod Aurora cluster has {count} instance(s): it needs a writer and a reader in another AZ",
                cluster.urn,
            )


def _region(arn: object) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else None


def _copies_out_of(plan: Res, region: str | None) -> bool:
    """Whether a rule of `plan` copies to a vault of another region (an unknown vault counts)."""
    for rule in as_list(plan.get("rules")):
        if not isinstance(rule, dict):
            continue
        for action in as_list(rule.get("copyActions")):
            dest = action.get("destinationVaultArn") if isinstance(action, dict) else None
            if dest is UNKNOWN or has_unknown(dest):
                return True
            if _region(dest) not in (None, region):
                return True
    return False


def _aurora_cross_region_backup(view: StackView) -> Iterator[tuple[str, str | None]]:
    selections = view.of_type(BACKUP_SELECTION)
    plans = view.of_type(BACKUP_PLAN)
    if any(has_unknown(s.get("resources")) or has_unknown(s.get("planId")) for s in selections):
        return
    if any(has_unknown(p.get("id")) or has_unknown(p.get("rules")) for p in plans):
        return
    by_id = {p.get("id"): p for p in plans}
    for cluster in view.of_type(RDS_CLUSTER):
        arn = cluster.get("arn")
        if not cluster.is_prod or arn is None or has_unknown(arn):
            continue
        covering = [by_id.get(s.get("planId")) for s in selections if arn in as_list(s.get("resources"))]
        if not any(plan is not None and _copies_out_of(plan, _region(arn)) for plan in covering):
            yield (
                "prod Aurora cluster is in no AWS Backup plan with a copy to another region "
                "(a lost region or a deleted cluster takes its automated backups with it)",
                cluster.urn,
            )


def _pages_cluster_events(sub: Res, ident: str) -> bool:
    """An enabled db-cluster subscription to a topic covering `ident` and its failover/failure events."""
    sources = as_list(sub.get("sourceIds"))
    categories = set(as_list(sub.get("eventCategories")))
    return (
        sub.get("sourceType") == "db-cluster"
        and sub.get("enabled") is not False
        and not is_blank(sub.get("snsTopic"))
        and (not sources or ident in sources)
        and (not categories or categories >= PAGED_CLUSTER_EVENTS)
    )


def _rds_event_subscription(view: StackView) -> Iterator[tuple[str, str | None]]:
    subscriptions = view.of_type(RDS_EVENT_SUBSCRIPTION)
    fields = ("sourceType", "sourceIds", "eventCategories", "snsTopic", "enabled")
    if any(has_unknown(s.get(f)) for s in subscriptions for f in fields):
        return
    for cluster in view.of_type(RDS_CLUSTER):
        ident = cluster.get("clusterIdentifier")
        if not cluster.is_prod or not isinstance(ident, str):
            continue
        if not any(_pages_cluster_events(s, ident) for s in subscriptions):
            yield (
                "prod Aurora cluster has no RDS event subscription for its failover and failure events",
                cluster.urn,
            )


POLICIES: Final = [
    ArbiterPolicy(
        name="aurora-encrypted-with-cmk",
        description="Aurora storage and Performance Insights are encrypted with a customer-managed KMS key.",
        severity=Severity.HIGH,
        controls=("RDS.27", "RDS2"),
        remediation=(
            "Set storage_encrypted=True and kms_key_id on the cluster, and performance_insights_kms_key_id on "
            "each instance with Performance Insights."
        ),
        resource_types=(RDS_CLUSTER, RDS_CLUSTER_INSTANCE),
        check=_aurora_encryption,
    ),
    ArbiterPolicy(
        name="aurora-backup-retention",
        description=f"Aurora keeps automated backups for at least {MIN_BACKUP_DAYS} days.",
        severity=Severity.MEDIUM,
        controls=("RDS13",),
        remediation=f"Set backup_retention_period >= {MIN_BACKUP_DAYS} (stack config database.backupRetentionDays).",
        resource_types=(RDS_CLUSTER,),
        check=_aurora_backups,
    ),
    ArbiterPolicy(
        name="aurora-deletion-protection-prod",
        description="Prod Aurora clusters have deletion protection (and `protect`, see prod-stateful-resources-protected).",
        severity=Severity.HIGH,
        controls=("RDS.7", "RDS10"),
        remediation="Set deletion_protection=True on the prod cluster.",
        resource_types=(RDS_CLUSTER,),
        check=_aurora_deletion_protection,
    ),
    ArbiterPolicy(
        name="aurora-cluster-hardening",
        description="Aurora uses IAM authentication, copies tags to snapshots and exports PostgreSQL logs.",
        severity=Severity.MEDIUM,
        controls=("RDS.12", "RDS6", "RDS.16", "RDS.37"),
        remediation=(
            "Set iam_database_authentication_enabled=True, copy_tags_to_snapshot=True and "
            "enabled_cloudwatch_logs_exports=['postgresql']."
        ),
        resource_types=(RDS_CLUSTER,),
        check=_aurora_hardening,
    ),
    ArbiterPolicy(
        name="data-stores-non-default-ports",
        description="Aurora and Redis listen on non-default ports, which cuts off scans for the well-known ones.",
        severity=Severity.LOW,
        controls=("RDS11", "AEC5"),
        remediation="Set `port` on the Aurora cluster (not 5432) and on the Redis replication group (not 6379).",
        resource_types=(RDS_CLUSTER, REPLICATION_GROUP),
        check=_non_default_port,
        # Advisory, not mandatory: the issues fix Aurora on 5432 and Redis on 6379 (and the
        # application's clients default to them), while the security groups already admit only
        # the task groups that use each store, so a moved port would hide nothing from an
        # attacker who can reach it. Raise it to mandatory through policy config if that changes.
        enforcement=EnforcementLevel.ADVISORY,
    ),
    ArbiterPolicy(
        name="aurora-multi-az-prod",
        description="Each prod Aurora cluster has at least two instances, so failover has somewhere to go.",
        severity=Severity.HIGH,
        controls=("RDS.15",),
        remediation="Set database.instanceCount >= 2 in Pulumi.prod.yaml.",
        resource_types=(RDS_CLUSTER, RDS_CLUSTER_INSTANCE),
        stack_check=_aurora_multi_az,
    ),
    ArbiterPolicy(
        name="aurora-cross-region-backup-prod",
        description="Each prod Aurora cluster is selected by an AWS Backup plan that copies it to another region.",
        severity=Severity.HIGH,
        controls=("RDS.26", "Backup.1"),
        remediation="Leave database.backup.enabled true in prod (components/backup.py: plan, selection, copy vault).",
        resource_types=(RDS_CLUSTER, BACKUP_PLAN, BACKUP_SELECTION),
        stack_check=_aurora_cross_region_backup,
    ),
    ArbiterPolicy(
        name="rds-event-subscription-prod",
        description="Prod Aurora clusters send failover and failure events to an SNS topic.",
        severity=Severity.MEDIUM,
        controls=("RDS.19", "RDS.20"),
        remediation="Subscribe the cluster (source type db-cluster) to the alert topic (components/monitoring.py).",
        resource_types=(RDS_CLUSTER, RDS_EVENT_SUBSCRIPTION),
        stack_check=_rds_event_subscription,
    ),
    ArbiterPolicy(
        name="redis-encryption-and-auth",
        description="Redis encrypts at rest with a customer-managed key and in transit, and requires AUTH.",
        severity=Severity.HIGH,
        controls=("ElastiCache.4", "ElastiCache.5", "ElastiCache.6", "AEC3", "AEC6"),
        remediation=(
            "Set at_rest_encryption_enabled=True, kms_key_id, transit_encryption_enabled=True and an auth_token "
            "(from Secrets Manager) or user_group_ids."
        ),
        resource_types=(REPLICATION_GROUP,),
        check=_redis_encryption,
    ),
    ArbiterPolicy(
        name="redis-rbac-users",
        description="Redis authenticates clients as RBAC users (a user group), never with the shared AUTH token.",
        severity=Severity.HIGH,
        controls=("ElastiCache.6", "AEC6"),
        remediation=(
            "Set user_group_ids to the stack's user group and no auth_token (components/cache.py); an existing "
            "group migrates with auth_token_update_strategy DELETE (docs/redis-access.md)."
        ),
        resource_types=(REPLICATION_GROUP,),
        check=_redis_rbac,
    ),
    ArbiterPolicy(
        name="redis-default-user-disabled",
        description="The default user of each Redis user group is off: only the services' own users log in.",
        severity=Severity.HIGH,
        controls=("ElastiCache.6",),
        remediation=(
            "Give the group a user named default whose access string is `off -@all` (components/cache.py). "
            "Only the AUTH-to-RBAC migration's middle deploy enables it (docs/redis-access.md)."
        ),
        resource_types=(REPLICATION_GROUP, CACHE_USER_GROUP, CACHE_USER),
        stack_check=_default_user_off,
    ),
    ArbiterPolicy(
        name="redis-user-least-privilege",
        description="A Redis user gets its key prefixes and command categories, never every key or command, and a password.",
        severity=Severity.HIGH,
        controls=("ElastiCache.6",),
        remediation="Configure services.<name>.redisAccess (keys, readKeys, commands); arbiter_infra/redis_acl.py writes the string.",
        resource_types=(CACHE_USER,),
        check=_redis_user_access,
    ),
    ArbiterPolicy(
        name="redis-multi-az-failover-prod",
        description="Prod Redis fails over automatically to a replica in another AZ.",
        severity=Severity.HIGH,
        controls=("ElastiCache.3", "AEC4"),
        remediation="Set automatic_failover_enabled=True, multi_az_enabled=True and num_cache_clusters >= 2.",
        resource_types=(REPLICATION_GROUP,),
        check=_redis_failover,
    ),
    ArbiterPolicy(
        name="redis-backups-and-patching",
        description="Redis takes automatic snapshots and receives minor-version (security) upgrades.",
        severity=Severity.MEDIUM,
        controls=("ElastiCache.1", "ElastiCache.2"),
        remediation="Set snapshot_retention_limit >= 1 and leave auto_minor_version_upgrade true.",
        resource_types=(REPLICATION_GROUP,),
        check=_redis_backups,
    ),
]
