"""The infrastructure sections of a stack file: network, secrets, database (and its backup), cache,
monitoring, delivery. Each validates its own keys; rules across sections live in `stack.py`."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from arbiter_infra import catalog
from arbiter_infra.config.base import (
    PROJECT,
    Cidr,
    KeyedError,
    MaintenanceWindow,
    Model,
    RetentionDays,
    Window,
    as_text,
    check_engine_major,
    engine_major,
    listed,
    member_of,
)
from arbiter_infra.iam import globs_overlap


class NetworkConfig(Model):
    """The VPC: one block over three AZs, three subnet tiers."""

    vpc_cidr: Cidr
    availability_zones: list[str] = Field(min_length=2)
    public_subnets: list[Cidr]
    private_subnets: list[Cidr]
    database_subnets: list[Cidr]
    nat_gateways: Literal["single", "per-az"]
    vpc_endpoints: bool
    flow_log_retention_days: RetentionDays

    @field_validator("availability_zones")
    @classmethod
    def _azs(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("must not repeat an availability zone")
        for az in v:
            if not re.fullmatch(r"[a-z]{2}-[a-z]+-\d[a-z]", az):
                raise ValueError(f"{az!r} is not an availability zone name such as us-east-1a")
        return v

    @model_validator(mode="after")
    def _subnets(self) -> NetworkConfig:
        if not 16 <= self.vpc_cidr.prefixlen <= 28:
            raise KeyedError("vpcCidr", str(self.vpc_cidr), "a block from /16 to /28 (AWS's VPC size limits)")
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for tier in ("public_subnets", "private_subnets", "database_subnets"):
            nets: list[ipaddress.IPv4Network] = getattr(self, tier)
            key = to_camel(tier)
            if len(nets) != len(self.availability_zones):
                raise KeyedError(
                    key,
                    [str(n) for n in nets],
                    f"one subnet per availability zone ({len(self.availability_zones)})",
                )
            for i, net in enumerate(nets):
                if not 16 <= net.prefixlen <= 28:
                    raise KeyedError(
                        f"{key}[{i}]", str(net), "a block from /16 to /28 (AWS's subnet size limits)"
                    )
                if not net.subnet_of(self.vpc_cidr):
                    raise KeyedError(f"{key}[{i}]", str(net), f"a subnet inside vpcCidr {self.vpc_cidr}")
                for other_key, other in seen:
                    if net.overlaps(other):
                        raise KeyedError(
                            f"{key}[{i}]", str(net), f"a range that does not overlap {other_key} ({other})"
                        )
                seen.append((f"{key}[{i}]", net))
        return self


class SecretsConfig(Model):
    """Secrets Manager settings; AWS accepts a recovery window of 7-30 days."""

    recovery_window_days: int = Field(ge=7, le=30)


#: Regions a backup copy may go to (not the stack's own: a copy in the same region is no DR).
BACKUP_COPY_REGIONS = ("us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1")


#: An administrator role pattern: a role ARN glob in this account (the path may name IAM Identity
#: Center's `aws-reserved/sso.amazonaws.com/[<region>/]`).
_ADMIN_ROLE = re.compile(r"^arn:aws:iam::\{account\}:role/[\w+=,.@/*?-]+$")
#: Roles the CI roles of any stack can create or are (`arbiter-<env>-*`, path included): an
#: administrator pattern that could match one would let CI make itself an administrator.
CI_CREATABLE_ROLES: Final = "arn:aws:iam::{account}:role/" + PROJECT + "-*"


def _admin_role_pattern(v: str) -> str:
    if not _ADMIN_ROLE.match(v):
        raise ValueError(
            "must be an IAM role ARN glob of this account: arn:aws:iam::{account}:role/<path and name, * and ? allowed>"
        )
    if globs_overlap(v.lower(), CI_CREATABLE_ROLES.lower()):
        raise ValueError(
            f"must not match a role CI can create ({CI_CREATABLE_ROLES}): CI would make itself an administrator"
        )
    return v


class BackupConfig(Model):
    """AWS Backup of the Aurora cluster: a daily recovery point, copied to a second region.

    Independent of the cluster's own automated backups (point-in-time restore): a vault with an
    access policy survives a deleted cluster, and the copy survives a lost region.
    """

    enabled: bool = True
    copy_region: Annotated[str, member_of(BACKUP_COPY_REGIONS)] = "us-west-2"
    #: Days a daily recovery point is kept in the primary vault (at least Aurora's own 7).
    retention_days: int = Field(default=14, ge=7, le=35)
    #: Days the copy is kept in the copy region's vault.
    copy_retention_days: int = Field(default=14, ge=7, le=35)
    #: Who may still delete recovery points, the vaults, their policies and locks: IAM role ARN
    #: globs of this account (`{account}` filled in), e.g. IAM Identity Center's
    #: `role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*`.
    admin_role_patterns: list[Annotated[str, AfterValidator(_admin_role_pattern)]] = Field(
        default=["arn:aws:iam::{account}:role/Admin*"], min_length=1, max_length=10
    )
    #: UTC hour of the daily backup: after Aurora's backup window, before its maintenance window.
    start_hour_utc: int = Field(default=4, ge=0, le=23)
    #: AWS Backup Vault Lock on both vaults: `none`, `governance` (removable by an administrator) or
    #: `compliance` (irreversible after `vaultLockChangeableForDays`); docs/restore.md says which.
    vault_lock: Literal["none", "governance", "compliance"] = "none"
    #: Compliance mode only: the grace period in which the lock can still be removed (AWS: >= 3).
    vault_lock_changeable_for_days: int = Field(default=7, ge=3, le=36_500)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "adminRolePattern" in data:
            raise KeyedError(
                "adminRolePattern",
                data["adminRolePattern"],
                "renamed to adminRolePatterns, a list of role ARN globs "
                f"(e.g. adminRolePatterns: [{data['adminRolePattern']}])",
            )
        return data

    @model_validator(mode="after")
    def _lock_grace(self) -> BackupConfig:
        if "vault_lock_changeable_for_days" in self.model_fields_set and self.vault_lock != "compliance":
            raise KeyedError(
                "vaultLockChangeableForDays",
                self.vault_lock_changeable_for_days,
                f"unset unless vaultLock is compliance (it is {self.vault_lock}; governance has no grace period)",
            )
        if len(set(self.admin_role_patterns)) != len(self.admin_role_patterns):
            raise KeyedError("adminRolePatterns", self.admin_role_patterns, "a list without repeats")
        return self


class DatabaseConfig(Model):
    """Aurora PostgreSQL; an Aurora cluster has one writer and at most 15 readers."""

    engine_version: Annotated[str, BeforeValidator(as_text), engine_major(catalog.AURORA_POSTGRES_MAJORS)]
    instance_class: Annotated[str, member_of(catalog.AURORA_INSTANCE_MEMORY_GIB)]
    instance_count: int = Field(ge=1, le=16)
    database_name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    master_username: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    backup_retention_days: int = Field(ge=7, le=35)
    backup_window: Window
    maintenance_window: MaintenanceWindow
    performance_insights_retention_days: int
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60]
    log_retention_days: RetentionDays
    #: Statements slower than this are logged (log_min_duration_statement).
    slow_query_threshold_ms: int = Field(default=500, ge=50, le=60_000)
    backup: BackupConfig = BackupConfig()

    @field_validator("monitoring_interval_seconds", mode="before")
    @classmethod
    def _not_bool(cls, v: Any) -> Any:
        # `true == 1` in Python, so a Literal of numbers would take a YAML boolean as 1 second.
        if isinstance(v, bool):
            raise ValueError("must be one of 1, 5, 10, 15, 30, 60 (seconds), not true/false")
        return v

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi(cls, v: int) -> int:
        if v not in (7, 731) and not (v % 31 == 0 and 31 <= v <= 713):
            raise ValueError("must be 7, 731 or a multiple of 31 up to 713")
        return v

    @model_validator(mode="after")
    def _class_offered_for_major(self) -> DatabaseConfig:
        offered = catalog.AURORA_MAJOR_INSTANCE_CLASSES[self.engine_version]
        if self.instance_class not in offered:
            raise KeyedError(
                "instanceClass",
                self.instance_class,
                f"a class AWS offers for Aurora PostgreSQL {self.engine_version} ({listed(offered)})",
            )
        return self

    @property
    def major_version(self) -> str:
        return self.engine_version


class CacheConfig(Model):
    """ElastiCache replication group (Redis OSS or Valkey): one primary and at most five replicas."""

    #: Valkey speaks Redis OSS 7's protocol at a lower node price (README, "Design decisions").
    engine: Literal["redis", "valkey"]
    #: A major of `engine` (catalog.CACHE_ENGINES), checked against the engine below.
    engine_version: Annotated[str, BeforeValidator(as_text)]
    node_type: Annotated[str, member_of(catalog.CACHE_NODE_MEMORY_GIB)]
    num_nodes: int = Field(ge=1, le=6)
    automatic_failover: bool
    multi_az: bool
    snapshot_retention_days: int = Field(ge=1, le=35)
    snapshot_window: Window
    maintenance_window: MaintenanceWindow
    log_retention_days: RetentionDays
    #: Migration from AUTH to RBAC (docs/redis-access.md): the old AUTH token stays valid as the
    #: `default` user's password, limited to what the services together may do, while the services
    #: move to their own users. False (the end state): the `default` user is off.
    legacy_auth_token: bool = False

    @model_validator(mode="after")
    def _engine_major(self) -> CacheConfig:
        majors = catalog.CACHE_ENGINES[self.engine][0]
        try:
            check_engine_major(self.engine_version, majors)
        except ValueError as err:
            allowed = str(err).removeprefix("must be ").replace("supported", f"supported {self.engine}", 1)
            raise KeyedError("engineVersion", self.engine_version, allowed) from None
        return self

    @model_validator(mode="after")
    def _failover(self) -> CacheConfig:
        if self.automatic_failover and self.num_nodes < 2:
            raise KeyedError("automaticFailover", True, "false when numNodes is 1 (failover needs a replica)")
        if self.multi_az and not self.automatic_failover:
            raise KeyedError("multiAz", True, "false unless automaticFailover is true")
        return self


class MonitoringConfig(Model):
    """Who is paged. Thresholds and evaluation periods live in `components.monitoring.ALARMS`."""

    alert_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = []

    @field_validator("alert_emails")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        # One subscription per address: a repeat would be a second resource with the same name.
        seen: set[str] = set()
        for email in v:
            if email.lower() in seen:
                raise ValueError(f"must not repeat an address ({email})")
            seen.add(email.lower())
        return v


class DeliveryConfig(Model):
    """Account-level resources for GitHub Actions and ECR (see components/delivery.py)."""

    github_repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", max_length=140)
    github_environment: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=255)
    #: The GitHub environment pull-request previews run in: only it may assume the preview role.
    preview_environment: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=255)
    #: The GitHub environment the scheduled drift check runs in (main only): only it may assume
    #: the drift role, which reads what a refresh reads, generated secret values included.
    drift_environment: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=255)
    deploy_branch: str = Field(pattern=r"^[A-Za-z0-9_./-]+$", max_length=255)
    ecr_keep_images: int = Field(ge=1, le=1000)
    #: Not settings: derived from the account and environment (`state_bucket_name`, `state_kms_alias`).
    state_bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    secrets_kms_alias: str = Field(pattern=r"^alias/[A-Za-z0-9/_-]+$")

    @model_validator(mode="after")
    def _separate_environments(self) -> DeliveryConfig:
        # A preview job in the deploy environment would get the deploy role: the point of two.
        if self.preview_environment == self.github_environment:
            raise KeyedError(
                "previewEnvironment",
                self.preview_environment,
                f"a GitHub environment other than githubEnvironment ({self.github_environment})",
            )
        # The drift role reads generated secret values: pull-request jobs must never reach it.
        others = {
            "githubEnvironment": self.github_environment,
            "previewEnvironment": self.preview_environment,
        }
        for key, value in others.items():
            if self.drift_environment == value:
                raise KeyedError(
                    "driftEnvironment",
                    self.drift_environment,
                    f"a GitHub environment of its own, not {key}'s ({value})",
                )
        return self
