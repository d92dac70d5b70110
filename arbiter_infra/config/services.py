"""The services section: the ALB's settings, WAF, and one Fargate service per application service."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from arbiter_infra import application, catalog, redis_acl
from arbiter_infra.config.base import ECR_IMAGE, KeyedError, Model, RetentionDays, listed

#: What a service may do in a schema: `owner` creates, alters and writes its tables (the only role
#: that may drop them); `read` only selects. docs/database-access.md has the contract.
DATABASE_ACCESS_LEVELS: Final = ("owner", "read")

#: ECS's quota of tasks per service: AWS refuses a larger desired count.
MAX_TASKS: Final = 5000


def _key_patterns(v: list[str]) -> list[str]:
    for pattern in v:
        redis_acl.check_key_pattern(pattern)
    if len(set(v)) != len(v):
        raise ValueError("must not repeat a key pattern")
    return v


def _command_rules(v: list[str]) -> list[str]:
    for rule in v:
        redis_acl.check_command_rule(rule)
    if not any(not rule.startswith("-") for rule in v):
        raise ValueError("must grant at least one @category or command")
    return v


class RedisAccessConfig(Model):
    """What a service may do in Redis (its ElastiCache user's access string, `redis_acl`)."""

    #: Key patterns it reads and writes (`session:web:*`).
    keys: Annotated[list[str], Field(min_length=1), AfterValidator(_key_patterns)]
    #: Key patterns it may only read (`quota:*`); default none.
    read_keys: Annotated[list[str], AfterValidator(_key_patterns)] = []
    #: `@category`, `command`, and `-@category` / `-command` to take some back, in order.
    commands: Annotated[list[str], Field(min_length=1), AfterValidator(_command_rules)]

    @property
    def access_string(self) -> str:
        """The ElastiCache access string, written by the one function the tests exercise."""
        return redis_acl.access_string(self.keys, self.read_keys, self.commands)


#: ECS bake times (minutes) are 0-1440.
MAX_BAKE_MINUTES: Final = 1440


class DeploymentConfig(Model):
    """How ECS replaces a service's tasks (`services.<name>.deployment`); default a rolling update.

    `canary` and `linear` shift the load balancer's traffic to the new revision gradually (ECS's
    built-in strategies: an alternate target group and listener rules per production target
    group), so only a service behind the ALB can use them. `bakeMinutes` is how long both
    revisions stay up after all traffic has moved: a rollback within it is a traffic switch.
    """

    strategy: Literal["rolling", "canary", "linear"] = "rolling"
    #: canary: share of traffic (0.1-100 %) the new revision gets first ...
    canary_percent: float | None = Field(default=None, ge=0.1, le=100)
    #: ... for this many minutes before the rest moves.
    canary_minutes: int | None = Field(default=None, ge=0, le=MAX_BAKE_MINUTES)
    #: linear: share of traffic moved per step (3-100 %) ...
    step_percent: float | None = Field(default=None, ge=3, le=100)
    #: ... and the minutes between steps.
    step_minutes: int | None = Field(default=None, ge=0, le=MAX_BAKE_MINUTES)
    #: Minutes both revisions stay after the shift (canary and linear only).
    bake_minutes: int | None = Field(default=None, ge=0, le=MAX_BAKE_MINUTES)

    @model_validator(mode="after")
    def _complete(self) -> DeploymentConfig:
        needs = {
            "rolling": (),
            "canary": ("canary_percent", "canary_minutes", "bake_minutes"),
            "linear": ("step_percent", "step_minutes", "bake_minutes"),
        }[self.strategy]
        fields = ("canary_percent", "canary_minutes", "step_percent", "step_minutes", "bake_minutes")
        for name in fields:
            value, camel = getattr(self, name), to_camel(name)
            if name in needs and value is None:
                raise KeyedError(camel, None, f"set for strategy {self.strategy}")
            if name not in needs and value is not None:
                raise KeyedError(camel, value, f"unset for strategy {self.strategy}")
        return self

    @property
    def gradual(self) -> bool:
        """Traffic moves to the new revision in steps through the load balancer."""
        return self.strategy != "rolling"

    @property
    def shift_minutes(self) -> int:
        """Minutes from the new revision taking traffic to the old one's end: the steps and the bake."""
        if self.strategy == "canary":
            assert self.canary_minutes is not None and self.bake_minutes is not None
            return self.canary_minutes + self.bake_minutes
        if self.strategy == "linear":
            assert self.step_percent is not None and self.step_minutes is not None
            assert self.bake_minutes is not None
            steps = -(-100 // self.step_percent)  # the last step may be partial
            return int(steps) * self.step_minutes + self.bake_minutes
        return 0


class ServiceConfig(Model):
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
    #: Schema -> access level of the service's own database user; set exactly when `uses_database`.
    database_access: dict[str, str] | None = None
    uses_redis: bool
    #: Its Redis user's keys and commands: required with `usesRedis`, refused without.
    redis_access: RedisAccessConfig | None = None
    user: str = Field(pattern=r"^[1-9]\d*(:\d+)?$")
    stop_timeout_seconds: int = Field(ge=2, le=120)
    min_count: int | None = Field(default=None, ge=0, le=MAX_TASKS)
    max_count: int | None = Field(default=None, ge=1, le=MAX_TASKS)
    cpu_target_percent: int | None = Field(default=None, ge=10, le=90)
    deployment: DeploymentConfig = DeploymentConfig()

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not ECR_IMAGE.match(v):
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

    @field_validator("database_access")
    @classmethod
    def _database_access(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError(
                f"must be a non-empty mapping of schema to access level ({listed(DATABASE_ACCESS_LEVELS)}),"
                " e.g. {ledger: owner}"
            )
        for schema, level in v.items():
            if schema not in application.DATABASE_SCHEMAS:
                raise KeyedError(
                    schema,
                    level,
                    f"keyed by a schema of the application ({listed(application.DATABASE_SCHEMAS)})",
                )
            if level not in DATABASE_ACCESS_LEVELS:
                raise KeyedError(schema, level, f"one of {listed(DATABASE_ACCESS_LEVELS)}")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> ServiceConfig:
        if self.cpu not in catalog.FARGATE_MEMORY_MIB:
            raise KeyedError("cpu", self.cpu, f"a Fargate cpu size ({listed(catalog.FARGATE_MEMORY_MIB)})")
        allowed = catalog.FARGATE_MEMORY_MIB[self.cpu]
        if self.memory not in allowed:
            raise KeyedError("memory", self.memory, f"for cpu {self.cpu}: {allowed[0]}-{allowed[-1]} MiB")
        if self.uses_database and self.database_access is None:
            raise KeyedError(
                "databaseAccess",
                None,
                f"set when usesDatabase is true: schema -> {' or '.join(DATABASE_ACCESS_LEVELS)}, e.g. {{ledger: owner}}",
            )
        if not self.uses_database and self.database_access is not None:
            raise KeyedError("databaseAccess", self.database_access, "unset when usesDatabase is false")
        if self.uses_redis and self.redis_access is None:
            raise KeyedError("redisAccess", None, "set with usesRedis: true ({keys: [...], commands: [...]})")
        if not self.uses_redis and self.redis_access is not None:
            raise KeyedError("redisAccess", "...", "unset while usesRedis is false")
        scaling = (self.min_count, self.max_count, self.cpu_target_percent)
        if any(v is not None for v in scaling) and None in scaling:
            raise KeyedError(
                "minCount", self.min_count, "minCount, maxCount and cpuTargetPercent set together"
            )
        if self.min_count is not None and self.max_count is not None:
            if self.min_count > self.max_count:
                raise KeyedError("minCount", self.min_count, f"at most maxCount ({self.max_count})")
            if not self.min_count <= self.desired_count <= self.max_count:
                raise KeyedError("desiredCount", self.desired_count, "between minCount and maxCount")
        return self

    @property
    def image_parts(self) -> tuple[str, str, str]:
        """(registry, repository, tag) of the image URI."""
        m = ECR_IMAGE.match(self.image)
        assert m is not None  # validated above
        return m["registry"], m["repo"], m["tag"]

    @property
    def autoscaled(self) -> bool:
        return self.min_count is not None


def _paused(svc: ServiceConfig) -> ServiceConfig:
    scaled = {"min_count": 0, "max_count": 0} if svc.autoscaled else {}
    return svc.model_copy(update={"desired_count": 0, **scaled})


class WafConfig(Model):
    """AWS WAF in front of the ALB (components/waf.py); on unless a non-prod stack turns it off."""

    enabled: bool = True
    #: Requests per client IP per 5 minutes before WAF answers 429. The ALB's clients are operators'
    #: REST dashboards and gRPC clients (the services reach each other inside the VPC, not through
    #: it): 2000 is about 6.7 requests a second sustained, several times a dashboard polling every
    #: second (300), and a gRPC stream counts once however many messages it carries.
    rate_limit_per5_min: int = Field(default=2000, ge=10, le=2_000_000_000)
    log_retention_days: RetentionDays = 90


class ServicesConfig(Model):
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

    def database_access_by_user(self) -> dict[str, dict[str, str]]:
        """Each database-using service's own PostgreSQL user -> its `databaseAccess` (schema -> level)."""
        return {
            application.database_user(svc): dict(cfg.database_access or {})
            for svc, cfg in self.by_name().items()
            if cfg.uses_database
        }

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
        owners: dict[str, str] = {}
        for key, svc in self.by_key().items():
            for schema, level in (svc.database_access or {}).items():
                if level == "owner" and schema in owners:
                    raise KeyedError(
                        f"{key}.databaseAccess.{schema}",
                        level,
                        f"read: {owners[schema]} already owns {schema}",
                    )
                if level == "owner":
                    owners[schema] = key
        for key, svc in self.by_key().items():
            for schema, level in (svc.database_access or {}).items():
                if level == "read" and schema not in owners:
                    raise KeyedError(
                        f"{key}.databaseAccess.{schema}",
                        level,
                        f"a schema some service owns ({schema} has no owner)",
                    )
        if self.trading_core.autoscaled:
            raise KeyedError(
                "tradingCore.minCount", self.trading_core.min_count, "unset: more replicas mean more traders"
            )
        for key in ("tradingCore", "telegramBot"):
            strategy = self.by_key()[key].deployment.strategy
            if strategy != "rolling":
                raise KeyedError(
                    f"{key}.deployment.strategy",
                    strategy,
                    "rolling: only webApi is behind the load balancer that canary and linear shift",
                )
        return self
