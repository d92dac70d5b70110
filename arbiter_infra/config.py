"""Typed, validated stack configuration.

Every per-environment value lives in `Pulumi.<stack>.yaml` under the `arbiter:` namespace. It is
parsed once into `StackConfig` before any resource is registered; a bad value raises `ConfigError`
with one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from arbiter_infra import catalog

PROJECT = "arbiter"
#: The account used in examples; a stack that names it cannot be deployed as written.
EXAMPLE_ACCOUNT_ID = "123456789012"


def state_bucket_name(account_id: str) -> str:
    """The account's Pulumi state bucket: bucket names are global, so each account's carries its id."""
    return f"{PROJECT}-pulumi-state-{account_id}"


def state_kms_alias(stack: str) -> str:
    """The key for one stack's state secrets: per stack, so staging's roles cannot decrypt prod's."""
    return f"alias/{PROJECT}-pulumi-state-{stack}"


ENVIRONMENTS = ("staging", "prod")
SERVICE_NAMES = ("trading-core", "telegram-bot", "web-api")


class ConfigError(pulumi.RunError):
    """A stack-config problem; pulumi prints RunError messages without a traceback."""


def _allowed(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def _retention(v: int) -> int:
    if v not in catalog.LOG_RETENTION_DAYS:
        raise ValueError(f"must be a CloudWatch Logs retention ({_allowed(catalog.LOG_RETENTION_DAYS)})")
    return v


RetentionDays = Annotated[int, AfterValidator(_retention)]


def _member_of(allowed: Any) -> Any:
    """A validator refusing anything not in `allowed`, listing what is."""

    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(f"must be one of {_allowed(allowed)}")
        return v

    return AfterValidator(check)


def _matching(pattern: re.Pattern[str], form: str) -> Any:
    def check(v: str) -> str:
        if not pattern.match(v):
            raise ValueError(f"must be {form}")
        return v

    return AfterValidator(check)


def _engine_major(allowed: Any) -> Any:
    """A major version only ("16", "7"): AWS moves the minor; a pinned minor would read as a downgrade."""

    def check(v: str) -> str:
        if v in allowed:
            return v
        major = v.split(".", maxsplit=1)[0]
        if major in allowed:
            raise ValueError(
                f'must be the major version only ("{major}"): AWS upgrades the minor version itself'
            )
        raise ValueError(f"must be a supported major version ({_allowed(allowed)}), without a minor")

    return AfterValidator(check)


def _as_text(v: Any) -> Any:
    """An unquoted YAML number (16, 16.8) is read as the version text it was meant to be."""
    return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


_WINDOW = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}$")
_MAINT_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}-(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}$"
)
Window = Annotated[str, _matching(_WINDOW, "hh:mm-hh:mm (UTC)")]
MaintenanceWindow = Annotated[
    str, _matching(_MAINT_WINDOW, "ddd:hh:mm-ddd:hh:mm (UTC), e.g. sun:05:00-sun:06:00")
]
#: Tags that name a moment, not a build; with immutable repositories they also cannot be re-pushed.
MOVING_TAGS: Final = frozenset(
    {
        "latest",
        "stable",
        "main",
        "master",
        "develop",
        "dev",
        "staging",
        "prod",
        "production",
        "edge",
        "nightly",
    }
)
#: A release: semantic version, optionally `v`-prefixed, with pre-release/build parts.
RELEASE_TAG: Final = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com)/(?P<repo>[a-z0-9][a-z0-9._/-]*):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$"
)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, strict=True
    )


def _network(v: Any) -> Any:
    """A CIDR block; a host address with a prefix (10.0.1.5/24) says which network it meant."""
    if not isinstance(v, str):
        raise ValueError("must be a CIDR block string such as 10.0.1.0/24")
    try:
        return ipaddress.IPv4Network(v)
    except ValueError as err:
        if "host bits set" in str(err):
            raise ValueError(
                f"must be a network address: host bits are set (did you mean {ipaddress.IPv4Network(v, strict=False)}?)"
            ) from None
        raise ValueError("must be an IPv4 CIDR block such as 10.0.1.0/24") from None


Cidr = Annotated[ipaddress.IPv4Network, BeforeValidator(_network)]


class NetworkConfig(_Model):
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
            raise _KeyedError(
                "vpcCidr", str(self.vpc_cidr), "a block from /16 to /28 (AWS's VPC size limits)"
            )
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for tier in ("public_subnets", "private_subnets", "database_subnets"):
            nets: list[ipaddress.IPv4Network] = getattr(self, tier)
            key = to_camel(tier)
            if len(nets) != len(self.availability_zones):
                raise _KeyedError(
                    key,
                    [str(n) for n in nets],
                    f"one subnet per availability zone ({len(self.availability_zones)})",
                )
            for i, net in enumerate(nets):
                if not 16 <= net.prefixlen <= 28:
                    raise _KeyedError(
                        f"{key}[{i}]", str(net), "a block from /16 to /28 (AWS's subnet size limits)"
                    )
                if not net.subnet_of(self.vpc_cidr):
                    raise _KeyedError(f"{key}[{i}]", str(net), f"a subnet inside vpcCidr {self.vpc_cidr}")
                for other_key, other in seen:
                    if net.overlaps(other):
                        raise _KeyedError(
                            f"{key}[{i}]", str(net), f"a range that does not overlap {other_key} ({other})"
                        )
                seen.append((f"{key}[{i}]", net))
        return self


class SecretsConfig(_Model):
    """Secrets Manager settings; AWS accepts a recovery window of 7-30 days."""

    recovery_window_days: int = Field(ge=7, le=30)


#: Regions a backup copy may go to (not the stack's own: a copy in the same region is no DR).
BACKUP_COPY_REGIONS = ("us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1")


class BackupConfig(_Model):
    """AWS Backup of the Aurora cluster: a daily recovery point, copied to a second region.

    Independent of the cluster's own automated backups (point-in-time restore): a vault with an
    access policy survives a deleted cluster, and the copy survives a lost region.
    """

    enabled: bool = True
    copy_region: Annotated[str, _member_of(BACKUP_COPY_REGIONS)] = "us-west-2"
    #: Days a daily recovery point is kept in the primary vault (at least Aurora's own 7).
    retention_days: int = Field(default=14, ge=7, le=35)
    #: Days the copy is kept in the copy region's vault.
    copy_retention_days: int = Field(default=14, ge=7, le=35)
    #: Who may still delete recovery points or the vaults: IAM role ARN pattern, `{account}` filled in.
    admin_role_pattern: str = Field(
        default="arn:aws:iam::{account}:role/Admin*", pattern=r"^arn:aws:iam::\{account\}:role/[\w+=,.@/*-]+$"
    )
    #: UTC hour of the daily backup: after Aurora's backup window, before its maintenance window.
    start_hour_utc: int = Field(default=4, ge=0, le=23)


class DatabaseConfig(_Model):
    """Aurora PostgreSQL; an Aurora cluster has one writer and at most 15 readers."""

    engine_version: Annotated[str, BeforeValidator(_as_text), _engine_major(catalog.AURORA_POSTGRES_MAJORS)]
    instance_class: Annotated[str, _member_of(catalog.AURORA_INSTANCE_MEMORY_GIB)]
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

    @property
    def major_version(self) -> str:
        return self.engine_version


class CacheConfig(_Model):
    """ElastiCache Redis replication group: one primary and at most five replicas."""

    engine_version: Annotated[str, BeforeValidator(_as_text), _engine_major(catalog.REDIS_CREATE_VERSION)]
    node_type: Annotated[str, _member_of(catalog.CACHE_NODE_MEMORY_GIB)]
    num_nodes: int = Field(ge=1, le=6)
    automatic_failover: bool
    multi_az: bool
    snapshot_retention_days: int = Field(ge=1, le=35)
    snapshot_window: Window
    maintenance_window: MaintenanceWindow
    log_retention_days: RetentionDays

    @model_validator(mode="after")
    def _failover(self) -> CacheConfig:
        if self.automatic_failover and self.num_nodes < 2:
            raise _KeyedError(
                "automaticFailover", True, "false when numNodes is 1 (failover needs a replica)"
            )
        if self.multi_az and not self.automatic_failover:
            raise _KeyedError("multiAz", True, "false unless automaticFailover is true")
        return self


#: ECS's quota of tasks per service: AWS refuses a larger desired count.
MAX_TASKS: Final = 5000


class ServiceConfig(_Model):
    """One Fargate service; its sizes and counts are the stack file's values."""

    image: str
    cpu: int
    memory: int
    #: 0 is allowed: the service exists with no tasks (first deploy before images, "stop trading").
    desired_count: int = Field(ge=0, le=MAX_TASKS)
    port: int = Field(ge=1, le=65535)
    log_retention_days: RetentionDays
    health_check_command: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(min_length=2)
    uses_database: bool
    uses_redis: bool
    user: str = Field(pattern=r"^[1-9]\d*(:\d+)?$")
    stop_timeout_seconds: int = Field(ge=2, le=120)
    min_count: int | None = Field(default=None, ge=0, le=MAX_TASKS)
    max_count: int | None = Field(default=None, ge=1, le=MAX_TASKS)
    cpu_target_percent: int | None = Field(default=None, ge=10, le=90)

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not _ECR_IMAGE.match(v):
            raise ValueError(
                "must be a full ECR image URI with a tag, ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG"
            )
        return v

    @field_validator("health_check_command")
    @classmethod
    def _hc(cls, v: list[str]) -> list[str]:
        if v[0] not in ("CMD", "CMD-SHELL"):
            raise ValueError("must start with CMD or CMD-SHELL")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> ServiceConfig:
        if self.cpu not in catalog.FARGATE_MEMORY_MIB:
            raise _KeyedError("cpu", self.cpu, f"a Fargate cpu size ({_allowed(catalog.FARGATE_MEMORY_MIB)})")
        allowed = catalog.FARGATE_MEMORY_MIB[self.cpu]
        if self.memory not in allowed:
            raise _KeyedError("memory", self.memory, f"for cpu {self.cpu}: {allowed[0]}-{allowed[-1]} MiB")
        scaling = (self.min_count, self.max_count, self.cpu_target_percent)
        if any(v is not None for v in scaling) and None in scaling:
            raise _KeyedError(
                "minCount", self.min_count, "minCount, maxCount and cpuTargetPercent set together"
            )
        if self.min_count is not None and self.max_count is not None:
            if self.min_count > self.max_count:
                raise _KeyedError("minCount", self.min_count, f"at most maxCount ({self.max_count})")
            if not self.min_count <= self.desired_count <= self.max_count:
                raise _KeyedError("desiredCount", self.desired_count, "between minCount and maxCount")
        return self

    @property
    def image_parts(self) -> tuple[str, str, str]:
        """(registry, repository, tag) of the image URI."""
        m = _ECR_IMAGE.match(self.image)
        assert m is not None  # validated above
        return m["registry"], m["repo"], m["tag"]

    @property
    def autoscaled(self) -> bool:
        return self.min_count is not None


def _paused(svc: ServiceConfig) -> ServiceConfig:
    scaled = {"min_count": 0, "max_count": 0} if svc.autoscaled else {}
    return svc.model_copy(update={"desired_count": 0, **scaled})


class WafConfig(_Model):
    """AWS WAF in front of the ALB (components/waf.py); on unless a non-prod stack turns it off."""

    enabled: bool = True
    #: Requests per client IP per 5 minutes before WAF answers 429. The ALB's clients are operators'
    #: REST dashboards and gRPC clients (the services reach each other inside the VPC, not through
    #: it): 2000 is about 6.7 requests a second sustained, several times a dashboard polling every
    #: second (300), and a gRPC stream counts once however many messages it carries.
    rate_limit_per5_min: int = Field(default=2000, ge=10, le=2_000_000_000)
    log_retention_days: RetentionDays = 90


class ServicesConfig(_Model):
    #: Every service at 0 tasks, the counts kept: the first deploy of an environment (before its
    #: secrets have values) and maintenance. `arbiter-infra scale` stops a single service.
    paused: bool = False
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    enable_exec: bool = False
    certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$"
    )
    alb_deletion_protection: bool
    access_log_retention_days: int = Field(ge=1, le=3650)
    #: RUST_LOG directives (`info`, `arbiter=debug,tower=warn`): a container variable, not free text.
    rust_log: str = Field(default="info", pattern=r"^[A-Za-z0-9_:=,.\-]{1,256}$")
    paper_trade: bool
    waf: WafConfig = WafConfig()
    trading_core: ServiceConfig
    telegram_bot: ServiceConfig
    web_api: ServiceConfig

    def by_name(self) -> dict[str, ServiceConfig]:
        """The services as they run: while `paused`, every count is 0 (the configured counts stay in the file)."""
        services = {
            "trading-core": self.trading_core,
            "telegram-bot": self.telegram_bot,
            "web-api": self.web_api,
        }
        if not self.paused:
            return services
        return {name: _paused(svc) for name, svc in services.items()}

    def by_key(self) -> dict[str, ServiceConfig]:
        """The services by their stack-file key (`tradingCore` ...), for error messages."""
        return {"tradingCore": self.trading_core, "telegramBot": self.telegram_bot, "webApi": self.web_api}

    @model_validator(mode="after")
    def _roles(self) -> ServicesConfig:
        if self.trading_core.autoscaled:
            raise _KeyedError(
                "tradingCore.minCount", self.trading_core.min_count, "unset: more replicas mean more traders"
            )
        return self


class MonitoringConfig(_Model):
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


class DeliveryConfig(_Model):
    """Account-level resources for GitHub Actions and ECR (see components/delivery.py)."""

    github_repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", max_length=140)
    github_environment: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=255)
    #: The GitHub environment pull-request previews run in: only it may assume the preview role.
    preview_environment: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=255)
    deploy_branch: str = Field(pattern=r"^[A-Za-z0-9_./-]+$", max_length=255)
    ecr_keep_images: int = Field(ge=1, le=1000)
    #: Not settings: derived from the account and environment (`state_bucket_name`, `state_kms_alias`).
    state_bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    secrets_kms_alias: str = Field(pattern=r"^alias/[A-Za-z0-9/_-]+$")

    @model_validator(mode="after")
    def _separate_environments(self) -> DeliveryConfig:
        # A preview job in the deploy environment would get the deploy role: the point of two.
        if self.preview_environment == self.github_environment:
            raise _KeyedError(
                "previewEnvironment",
                self.preview_environment,
                f"a GitHub environment other than githubEnvironment ({self.github_environment})",
            )
        return self


#: A stack's name is every physical name's prefix (`arbiter-<stack>-...`): short, DNS-safe.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$")


class StackConfig(_Model):
    """The whole stack's configuration."""

    #: How the stack behaves (prod: highly available, protected); its name says which stack it is.
    environment: Literal["staging", "prod"]
    #: The Pulumi stack name (staging, prod, dev-alice ...): names, tags and state are per stack.
    stack: str = Field(default="", pattern=r"^([a-z][a-z0-9-]{0,14}[a-z0-9])?$")
    region: Literal["us-east-1"]
    #: From `aws:allowedAccountIds` (exactly one): the providers refuse credentials of any other account.
    account_id: str = Field(pattern=r"^\d{12}$")
    network: NetworkConfig
    secrets: SecretsConfig
    database: DatabaseConfig
    cache: CacheConfig
    services: ServicesConfig
    monitoring: MonitoringConfig
    delivery: DeliveryConfig

    @property
    def name(self) -> str:
        """The stack's name; the shipped stacks are named after their environment."""
        return self.stack or self.environment

    @property
    def prefix(self) -> str:
        return f"{PROJECT}-{self.name}"

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @model_validator(mode="before")
    @classmethod
    def _state_backend(cls, data: Any) -> Any:
        """State bucket and key follow from account and environment; a setting could only drift."""
        if not isinstance(data, dict) or not isinstance(data.get("delivery"), dict):
            return data
        delivery = dict(data["delivery"])
        for key, derived in (
            ("stateBucket", "arbiter-pulumi-state-<account id>"),
            ("secretsKmsAlias", "alias/arbiter-pulumi-state-<stack>"),
        ):
            if key in delivery:
                raise _KeyedError(f"delivery.{key}", delivery[key], f"unset: it is always {derived}")
        account, name = data.get("accountId"), data.get("stack") or data.get("environment")
        if isinstance(account, str):
            delivery["stateBucket"] = state_bucket_name(account)
        if isinstance(name, str):
            delivery["secretsKmsAlias"] = state_kms_alias(name)
        return {**data, "delivery": delivery}

    @model_validator(mode="after")
    def _what_aws_refuses(self) -> StackConfig:
        """Values every stack must get right, or AWS refuses them half-way through `pulumi up`."""
        for i, az in enumerate(self.network.availability_zones):
            if not re.fullmatch(rf"{re.escape(self.region)}[a-z]", az):
                raise _KeyedError(
                    f"network.availabilityZones[{i}]",
                    az,
                    f"a zone of the stack's region {self.region} (e.g. {self.region}a)",
                )
        cert = self.services.certificate_arn
        if cert is not None:
            _, _, _, cert_region, cert_account, _ = cert.split(":", 5)
            if cert_region != self.region:
                raise _KeyedError(
                    "services.certificateArn",
                    cert,
                    f"a certificate in {self.region}: an ALB uses ACM certificates of its own region",
                )
            if cert_account != self.account_id:
                raise _KeyedError(
                    "services.certificateArn", cert, f"a certificate of the stack's account {self.account_id}"
                )
        for key, svc in self.services.by_key().items():
            registry = svc.image_parts[0]
            account, region = registry.split(".")[0], registry.split(".")[3]
            if (account, region) != (self.account_id, self.region):
                raise _KeyedError(
                    f"services.{key}.image",
                    svc.image,
                    f"an image of this account's ECR ({self.account_id}.dkr.ecr.{self.region}.amazonaws.com/...): "
                    "the account stack owns the repositories the services pull from",
                )
            tag = svc.image_parts[2]
            if self.is_prod and (tag.lower() in MOVING_TAGS or not RELEASE_TAG.match(tag)):
                raise _KeyedError(
                    f"services.{key}.image",
                    svc.image,
                    "a released version tag in prod (e.g. v1.2.3): a moving tag does not say what runs",
                )
        return self

    @model_validator(mode="after")
    def _environment_rules(self) -> StackConfig:
        if not self.is_prod:
            return self
        # Production is highly available; these are refused before anything is created.
        if self.network.nat_gateways != "per-az":
            raise _KeyedError("network.natGateways", self.network.nat_gateways, "per-az in prod")
        if self.database.instance_count < 2:
            raise _KeyedError("database.instanceCount", self.database.instance_count, ">= 2 in prod")
        if not self.database.backup.enabled:
            raise _KeyedError("database.backup.enabled", False, "true in prod (cross-region recovery points)")
        cache = self.cache
        if cache.num_nodes < 2 or not (cache.automatic_failover and cache.multi_az):
            raise _KeyedError(
                "cache.numNodes",
                cache.num_nodes,
                ">= 2 with automaticFailover and multiAz true in prod",
            )
        if self.services.certificate_arn is None:
            raise _KeyedError("services.certificateArn", None, "an ACM certificate ARN (required in prod)")
        if not self.services.alb_deletion_protection:
            raise _KeyedError("services.albDeletionProtection", False, "true in prod")
        if not self.services.waf.enabled:
            raise _KeyedError(
                "services.waf.enabled", False, "true in prod (the ALB is the public entry point)"
            )
        if cache.snapshot_retention_days < 7:
            raise _KeyedError("cache.snapshotRetentionDays", cache.snapshot_retention_days, ">= 7 in prod")
        if self.secrets.recovery_window_days != 30:
            raise _KeyedError("secrets.recoveryWindowDays", self.secrets.recovery_window_days, "30 in prod")
        if not self.monitoring.alert_emails:
            raise _KeyedError(
                "monitoring.alertEmails", [], "at least one address in prod (someone must be paged)"
            )
        if self.services.trading_core.desired_count == 1:
            raise _KeyedError(
                "services.tradingCore.desiredCount",
                1,
                ">= 2 in prod (or 0 to stop trading): one replica is not highly available",
            )
        return self


class AccountSettings(_Model):
    """What one AWS account holds for every environment in it (the `arbiter:account` section)."""

    #: The GitHub Actions OIDC provider (one per account; the environments' roles trust it).
    github_oidc_provider: bool = True
    #: Images kept per ECR repository; older ones expire.
    ecr_keep_images: int = Field(ge=1, le=1000)
    #: Service-linked roles to ensure; one that already exists and is not this stack's is left alone.
    service_linked_roles: list[Annotated[str, _member_of(catalog.SERVICE_LINKED_ROLES)]] = Field(
        default_factory=lambda: list(catalog.SERVICE_LINKED_ROLES)
    )


class AccountConfig(_Model):
    """The account stack: resources that exist once per AWS account, deployed before any environment."""

    region: Literal["us-east-1"]
    account_id: str = Field(pattern=r"^\d{12}$")
    account: AccountSettings

    #: Tag and name segment of account-level resources (`Environment=shared`, `arbiter-shared-...`).
    environment: Literal["shared"] = "shared"

    @property
    def name(self) -> str:
        return self.environment

    @property
    def prefix(self) -> str:
        return f"{PROJECT}-{self.environment}"

    @property
    def is_prod(self) -> bool:
        """Account resources are protected like prod: every environment depends on them."""
        return True


class _KeyedError(ValueError):
    """A cross-field error that knows which key (relative to its model) it is about."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        super().__init__(f"{key}={value!r}: must be {allowed}")
        self.key, self.value, self.allowed = key, value, allowed


#: Secret config keys: (stack config key, secret name, JSON key inside that secret).
EXCHANGE_SECRET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("polyPrivateKey", "polymarket", "private_key"),
    ("polyApiKey", "polymarket", "api_key"),
    ("polyApiSecret", "polymarket", "api_secret"),
    ("polyApiPassphrase", "polymarket", "passphrase"),
    ("kalshiKeyId", "kalshi", "key_id"),
    ("kalshiPrivateKey", "kalshi", "private_key"),
    ("telegramBotToken", "telegram", "bot_token"),
)

#: Secret name -> [(stack config key, JSON key)], in EXCHANGE_SECRET_KEYS order.
SECRET_SETS: dict[str, list[tuple[str, str]]] = {}
for _key, _set, _field in EXCHANGE_SECRET_KEYS:
    SECRET_SETS.setdefault(_set, []).append((_key, _field))


#: Secret name -> its JSON keys, exactly the fields an operator sets (`arbiter-infra secrets set`).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(field for _key, field in fields) for name, fields in SECRET_SETS.items()
}


def refuse_secret_config(full_key: str) -> None:
    """Application secret values are never Pulumi config: refuse a stack that still sets one.

    Values in config would pass through CI and sit in the state; they are set in Secrets Manager
    by an operator instead (docs/secrets-rotation.md).
    """
    key = full_key.split(":", 1)[-1]
    secret = next(s for k, s, _f in EXCHANGE_SECRET_KEYS if k == key)
    raise ConfigError(
        f"{full_key} is set: application secrets are not stack config; remove it "
        f"(pulumi config rm {full_key}) and set the value with "
        f"`arbiter-infra secrets set --stack {pulumi.get_stack()} --secret {secret}`"
    )


_APPLICATION_SECRET_KEYS: Final = frozenset(f"{PROJECT}:{k}" for k, _s, _f in EXCHANGE_SECRET_KEYS)


_SECTIONS = ("network", "secrets", "database", "cache", "services", "monitoring", "delivery")


def _format_error(err: ValidationError) -> str:
    """One line: the first problem, its full key, its value and what is allowed."""
    first = err.errors(include_url=False)[0]
    loc = [str(p) for p in first["loc"]]
    ctx = first.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _KeyedError):
        key = ".".join([*loc, inner.key]) if loc else inner.key
        return f"arbiter:{key} = {shown(inner.value)}: must be {inner.allowed}"
    key = ""
    for part in loc:
        key += f"[{part}]" if part.isdigit() else (f".{part}" if key else part)
    # Two top-level values come from the aws: namespace, not arbiter:.
    key = _AWS_KEYS.get(key, f"arbiter:{key}")
    msg = first["msg"]
    if first["type"] == "missing":
        return f"{key} is not set: it is required (add it to Pulumi.<stack>.yaml)"
    if first["type"] == "extra_forbidden":
        return f"{key} is not a known setting: remove it or fix its spelling"
    msg = msg.removeprefix("Value error, ")
    given = first.get("input")
    value = shown(given)
    if first["type"] == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
        # YAML reads an unquoted 16.10 as the number 16.1: the digits the user typed are gone.
        return (
            f'{key} = {value}: must be a string: quote it in the stack file ("{given}" is how YAML read it)'
        )
    if not msg.startswith("must"):
        msg = f"must be valid: {msg}"
    return f"{key} = {value}: {msg}"


def shown(value: Any, limit: int = 80) -> str:
    """A value for a one-line message: JSON, cut to `limit` characters (a 1 MB value stays readable)."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


_AWS_KEYS = {"region": "aws:region", "accountId": "aws:allowedAccountIds"}


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a mapping of `arbiter:` settings (namespace stripped) into a StackConfig."""
    try:
        return StackConfig.model_validate(dict(raw))
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None


def check_stack_name(stack: str) -> str:
    """A stack name every physical name can carry (ALB and target-group names stop at 32 characters)."""
    if not STACK_NAME.match(stack):
        raise ConfigError(
            f"stack name {stack!r}: must be 2-16 lowercase letters, digits and hyphens, starting with a "
            "letter (it prefixes every AWS name: arbiter-<stack>-...)"
        )
    return stack


def parse_stack_values(values: Mapping[str, str], stack: str | None = None) -> StackConfig:
    """An environment's config from stack-file values (`ns:key` -> string, objects as JSON), as tools read it.

    The same validation as `load_stack_config`, for tooling that reads the stack file without the
    Pulumi runtime (preflight, scale).
    """

    def value(key: str) -> Any:
        text = values.get(key)
        if text is None:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    raw: dict[str, Any] = {
        "environment": values.get(f"{PROJECT}:environment"),
        "region": values.get("aws:region"),
    }
    raw["accountId"] = account_id_of(value("aws:allowedAccountIds"))
    if stack is not None:
        raw["stack"] = check_stack_name(stack)
    for section in _SECTIONS:
        raw[section] = value(f"{PROJECT}:{section}")
    return parse_stack_config({k: v for k, v in raw.items() if v is not None})


#: `aws:` keys the program reads (explicit providers ignore every other `aws:` setting).
AWS_KEYS: Final = ("aws:region", "aws:allowedAccountIds")


def known_keys(*, account_stack: bool) -> list[str]:
    if account_stack:
        return [*AWS_KEYS, f"{PROJECT}:account"]
    return [*AWS_KEYS, f"{PROJECT}:environment", *(f"{PROJECT}:{s}" for s in _SECTIONS)]


def check_keys(keys: Mapping[str, bool]) -> None:
    """Refuse unknown keys (with a "did you mean") and credentials in stack config.

    `keys` maps every configured key to whether it is a secret. An unknown key is usually a typo
    whose value would silently not apply; credentials are set in Secrets Manager, never config.
    """
    import difflib

    account_stack = f"{PROJECT}:account" in keys
    known = known_keys(account_stack=account_stack)
    for key in sorted(keys):
        if key.startswith("pulumi:") or key in known:
            continue
        if key in _APPLICATION_SECRET_KEYS:
            refuse_secret_config(key)
        if account_stack and key in known_keys(account_stack=False):
            raise ConfigError(
                f"{key} is set in an account stack (it has {PROJECT}:account): an account stack holds only "
                f"{PROJECT}:account; environment settings belong in the environment's stack file"
            )
        close = difflib.get_close_matches(key, [*known, *_APPLICATION_SECRET_KEYS], n=1, cutoff=0.6)
        if close and close[0] in _APPLICATION_SECRET_KEYS:
            raise ConfigError(
                f"{key} is not a setting of this project: application secrets (did you mean {close[0]}?) are "
                f"set with `arbiter-infra secrets set`, never in stack config"
            )
        hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
        raise ConfigError(f"{key} is not a setting of this project: {hint}")


def _configured_keys() -> dict[str, bool]:
    """Every key the engine handed the program, and whether it is secret (explicit config, then env)."""
    from pulumi.runtime import config as runtime_config

    keys = {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}
    return {k: runtime_config.is_config_secret(k) for k in keys}


def parse_account_values(values: Mapping[str, str]) -> AccountConfig:
    """An account stack's config from stack-file values, as tools read it."""
    account = values.get(f"{PROJECT}:account")
    raw: dict[str, Any] = {
        "region": values.get("aws:region"),
        "accountId": account_id_of(
            json.loads(values["aws:allowedAccountIds"]) if "aws:allowedAccountIds" in values else None
        ),
        "account": json.loads(account) if account is not None else None,
    }
    try:
        return AccountConfig.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None


def state_backend(config: StackConfig | AccountConfig) -> tuple[str, str]:
    """(state bucket, secrets-provider KMS alias) of a stack: one bucket per account, one key per stack."""
    if isinstance(config, AccountConfig):
        return state_bucket_name(config.account_id), state_kms_alias(config.environment)
    return config.delivery.state_bucket, config.delivery.secrets_kms_alias


def load_config() -> StackConfig | AccountConfig:
    """The running stack's config: an account stack has `arbiter:account`, an environment does not."""
    check_keys(_configured_keys())
    cfg = pulumi.Config(PROJECT)
    account = _get_object(cfg, "account")
    if account is None:
        return load_stack_config()
    aws_cfg = pulumi.Config("aws")
    raw = {
        "region": aws_cfg.get("region"),
        "accountId": account_id_of(_get_object(aws_cfg, "allowedAccountIds")),
        "account": account,
    }
    try:
        config = AccountConfig.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None
    check_deployable(example_account_problem(config.account_id), [])
    return config


def _get_object(cfg: pulumi.Config, key: str) -> Any:
    """A structured setting; a plain string where YAML structure belongs is one line, not a ConfigTypeError."""
    try:
        return cfg.get_object(key)
    except pulumi.config.ConfigTypeError:
        form = "a list" if key == "allowedAccountIds" else "a mapping of settings (indented keys)"
        raise ConfigError(f"{cfg.name}:{key} = {shown(cfg.get(key))}: must be {form}, not a string") from None


def load_stack_config() -> StackConfig:
    """Read the running stack's config the way `pulumi up` hands it to the program."""
    cfg = pulumi.Config(PROJECT)
    raw: dict[str, Any] = {"environment": cfg.get("environment")}
    aws_cfg = pulumi.Config("aws")
    raw["region"] = aws_cfg.get("region")
    raw["accountId"] = account_id_of(_get_object(aws_cfg, "allowedAccountIds"))
    for section in _SECTIONS:
        raw[section] = _get_object(cfg, section)
    raw["stack"] = check_stack_name(pulumi.get_stack())
    config = parse_stack_config({k: v for k, v in raw.items() if v is not None})
    check_deployable(deployability_problems(config), advisories(config))
    return config


ZERO_CERTIFICATE = re.compile(r":certificate/0{8}-0{4}-0{4}-0{4}-0{12}$")


def deployability_problems(config: StackConfig) -> list[str]:
    """What makes a valid stack file undeployable as written: example values a real account lacks.

    The offline plan and `pulumi preview` show them as warnings (the example files must plan);
    `pulumi up` refuses them before creating anything.
    """
    problems = example_account_problem(config.account_id)
    cert = config.services.certificate_arn
    if cert is not None and ZERO_CERTIFICATE.search(cert):
        problems.append(
            "not deployable as written: set arbiter:services.certificateArn (the all-zero ARN is an example), "
            "or remove it to use a self-signed certificate"
        )
    return problems


def advisories(config: StackConfig) -> list[str]:
    """Deployable, but worth a line in every plan and preview."""
    notes: list[str] = []
    if config.services.paused:
        notes.append(
            "arbiter:services.paused is true: every service runs 0 tasks (set it to false to start them)"
        )
    if config.is_prod and config.services.paper_trade:
        notes.append(
            "arbiter:services.paperTrade is true in prod: trading is simulated, no real orders are placed"
        )
    for key, svc in config.services.by_key().items():
        if not config.is_prod and svc.image_parts[2].lower() in MOVING_TAGS:
            notes.append(
                f"arbiter:services.{key}.image uses the moving tag {svc.image_parts[2]!r}: ECR tags are immutable "
                "here, so it can be pushed only once; use a version tag"
            )
    return notes


def example_account_problem(account_id: str) -> list[str]:
    if account_id != EXAMPLE_ACCOUNT_ID:
        return []
    return [
        f"not deployable as written: set aws:allowedAccountIds ({EXAMPLE_ACCOUNT_ID} is the example account)"
        " and every value naming that account (image URIs, certificate ARN)"
    ]


def check_deployable(problems: list[str], notes: list[str]) -> None:
    """Warn in a preview; refuse in an update, before any resource is registered."""
    for note in notes:
        pulumi.log.warn(note)
    if problems and not pulumi.runtime.is_dry_run():
        raise ConfigError(problems[0])
    for problem in problems:
        pulumi.log.warn(problem)


def account_id_of(allowed: Any) -> str | None:
    """The stack's one account, from `aws:allowedAccountIds` (the AWS provider's own guard)."""
    if allowed is None:
        raise ConfigError(
            "aws:allowedAccountIds is not set: it is required, a list with the stack's one AWS account id "
            '(e.g. aws:allowedAccountIds: ["111122223333"])'
        )
    if not (isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str | int)):
        raise ConfigError(
            f"aws:allowedAccountIds = {json.dumps(allowed, default=str)}: must be a list of exactly one "
            "12-digit AWS account id (one stack, one account)"
        )
    account = str(allowed[0])
    if not re.fullmatch(r"\d{12}", account):
        raise ConfigError(
            f"aws:allowedAccountIds[0] = {json.dumps(allowed[0])}: must be a 12-digit AWS account id"
        )
    return account
