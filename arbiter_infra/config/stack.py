"""The whole stack: environment stacks (`StackConfig`) and the account stack (`AccountConfig`).

The rules that need more than one section live here: what AWS would refuse half-way through
`pulumi up` (zones, certificate and images of another region or account) and what prod requires.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from arbiter_infra import application, catalog
from arbiter_infra.config.base import (
    MOVING_TAGS,
    PROJECT,
    RELEASE_TAG,
    KeyedError,
    Model,
    member_of,
    state_bucket_name,
    state_kms_alias,
)
from arbiter_infra.config.sections import (
    CacheConfig,
    DatabaseConfig,
    DeliveryConfig,
    MonitoringConfig,
    NetworkConfig,
    SecretsConfig,
)
from arbiter_infra.config.services import ServicesConfig


class StackConfig(Model):
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
                raise KeyedError(f"delivery.{key}", delivery[key], f"unset: it is always {derived}")
        account, name = data.get("accountId"), data.get("stack") or data.get("environment")
        if isinstance(account, str):
            delivery["stateBucket"] = state_bucket_name(account)
        if isinstance(name, str):
            delivery["secretsKmsAlias"] = state_kms_alias(name)
        return {**data, "delivery": delivery}

    @model_validator(mode="after")
    def _database_users(self) -> StackConfig:
        """Each database-using service logs in as its own user: never the master's name."""
        master = self.database.master_username
        for key, (name, svc) in zip(self.services.by_key(), self.services.by_name().items(), strict=True):
            if svc.uses_database and application.database_user(name) == master:
                raise KeyedError(
                    "database.masterUsername",
                    master,
                    f"another name: it is the {key} service's database user",
                )
        return self

    @model_validator(mode="after")
    def _what_aws_refuses(self) -> StackConfig:
        """Values every stack must get right, or AWS refuses them half-way through `pulumi up`."""
        for i, az in enumerate(self.network.availability_zones):
            if not re.fullmatch(rf"{re.escape(self.region)}[a-z]", az):
                raise KeyedError(
                    f"network.availabilityZones[{i}]",
                    az,
                    f"a zone of the stack's region {self.region} (e.g. {self.region}a)",
                )
        cert = self.services.certificate_arn
        if cert is not None:
            _, _, _, cert_region, cert_account, _ = cert.split(":", 5)
            if cert_region != self.region:
                raise KeyedError(
                    "services.certificateArn",
                    cert,
                    f"a certificate in {self.region}: an ALB uses ACM certificates of its own region",
                )
            if cert_account != self.account_id:
                raise KeyedError(
                    "services.certificateArn", cert, f"a certificate of the stack's account {self.account_id}"
                )
        for key, svc in self.services.by_key().items():
            registry = svc.image_parts[0]
            account, region = registry.split(".")[0], registry.split(".")[3]
            if (account, region) != (self.account_id, self.region):
                raise KeyedError(
                    f"services.{key}.image",
                    svc.image,
                    f"an image of this account's ECR ({self.account_id}.dkr.ecr.{self.region}.amazonaws.com/...): "
                    "the account stack owns the repositories the services pull from",
                )
            tag = svc.image_parts[2]
            if self.is_prod and (tag.lower() in MOVING_TAGS or not RELEASE_TAG.match(tag)):
                raise KeyedError(
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
            raise KeyedError("network.natGateways", self.network.nat_gateways, "per-az in prod")
        if self.database.instance_count < 2:
            raise KeyedError("database.instanceCount", self.database.instance_count, ">= 2 in prod")
        if not self.database.backup.enabled:
            raise KeyedError("database.backup.enabled", False, "true in prod (cross-region recovery points)")
        if self.database.backup.vault_lock == "none":
            raise KeyedError(
                "database.backup.vaultLock",
                "none",
                "governance or compliance in prod (immutable recovery points)",
            )
        cache = self.cache
        if cache.num_nodes < 2 or not (cache.automatic_failover and cache.multi_az):
            raise KeyedError(
                "cache.numNodes",
                cache.num_nodes,
                ">= 2 with automaticFailover and multiAz true in prod",
            )
        if self.services.certificate_arn is None:
            raise KeyedError("services.certificateArn", None, "an ACM certificate ARN (required in prod)")
        if not self.services.alb_deletion_protection:
            raise KeyedError("services.albDeletionProtection", False, "true in prod")
        if not self.services.waf.enabled:
            raise KeyedError(
                "services.waf.enabled", False, "true in prod (the ALB is the public entry point)"
            )
        if cache.snapshot_retention_days < 7:
            raise KeyedError("cache.snapshotRetentionDays", cache.snapshot_retention_days, ">= 7 in prod")
        if self.secrets.recovery_window_days != 30:
            raise KeyedError("secrets.recoveryWindowDays", self.secrets.recovery_window_days, "30 in prod")
        if not self.monitoring.alert_emails:
            raise KeyedError(
                "monitoring.alertEmails", [], "at least one address in prod (someone must be paged)"
            )
        if not self.services.web_api.deployment.gradual:
            raise KeyedError(
                "services.webApi.deployment.strategy",
                self.services.web_api.deployment.strategy,
                "canary or linear in prod (a release takes all traffic only after a share of it "
                "stayed healthy)",
            )
        if self.services.trading_core.desired_count == 1:
            raise KeyedError(
                "services.tradingCore.desiredCount",
                1,
                ">= 2 in prod (or 0 to stop trading): one replica is not highly available",
            )
        return self


class AccountSettings(Model):
    """What one AWS account holds for every environment in it (the `arbiter:account` section)."""

    #: The GitHub Actions OIDC provider (one per account; the environments' roles trust it).
    github_oidc_provider: bool = True
    #: Images kept per ECR repository; older ones expire.
    ecr_keep_images: int = Field(ge=1, le=1000)
    #: Service-linked roles to ensure; one that already exists and is not this stack's is left alone.
    service_linked_roles: list[Annotated[str, member_of(catalog.SERVICE_LINKED_ROLES)]] = Field(
        default_factory=lambda: list(catalog.SERVICE_LINKED_ROLES)
    )


class AccountConfig(Model):
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
