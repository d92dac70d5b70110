"""Typed, validated stack configuration.

Every per-environment value lives in `Pulumi.<stack>.yaml` under the `arbiter:` namespace. It is
parsed once into `StackConfig` before any resource is registered; a bad value raises `ConfigError`
with one line naming the key, the value and what is allowed.

The modules, by concern: `base` (names, the error, field validators), `sections` and `services`
(one model per stack-file section), `stack` (the whole stack and the account stack, with the rules
across sections), `secrets` (application secrets are never config), `loader` (reading and
validating, one-line errors), `deployable` (example values, advisories). Import from here.
"""

from arbiter_infra.config.base import (
    ENVIRONMENTS,
    EXAMPLE_ACCOUNT_ID,
    MOVING_TAGS,
    PROJECT,
    RELEASE_TAG,
    SERVICE_NAMES,
    STACK_NAME,
    Cidr,
    ConfigError,
    MaintenanceWindow,
    RetentionDays,
    Window,
    state_bucket_name,
    state_kms_alias,
)
from arbiter_infra.config.deployable import (
    ZERO_CERTIFICATE,
    advisories,
    check_deployable,
    deployability_problems,
    example_account_problem,
)
from arbiter_infra.config.loader import (
    AWS_KEYS,
    account_id_of,
    check_keys,
    check_stack_name,
    known_keys,
    load_config,
    load_stack_config,
    parse_account_values,
    parse_stack_config,
    parse_stack_values,
    shown,
    state_backend,
)
from arbiter_infra.config.secrets import (
    EXCHANGE_SECRET_KEYS,
    SECRET_FIELDS,
    SECRET_SETS,
    refuse_secret_config,
)
from arbiter_infra.config.sections import (
    BACKUP_COPY_REGIONS,
    BackupConfig,
    CacheConfig,
    DatabaseConfig,
    DeliveryConfig,
    MonitoringConfig,
    NetworkConfig,
    SecretsConfig,
)
from arbiter_infra.config.services import (
    MAX_TASKS,
    DeploymentConfig,
    RedisAccessConfig,
    ServiceConfig,
    ServicesConfig,
    WafConfig,
)
from arbiter_infra.config.stack import AccountConfig, AccountSettings, StackConfig

__all__ = [
    "AWS_KEYS",
    "BACKUP_COPY_REGIONS",
    "ENVIRONMENTS",
    "EXAMPLE_ACCOUNT_ID",
    "EXCHANGE_SECRET_KEYS",
    "MAX_TASKS",
    "MOVING_TAGS",
    "PROJECT",
    "RELEASE_TAG",
    "SECRET_FIELDS",
    "SECRET_SETS",
    "SERVICE_NAMES",
    "STACK_NAME",
    "ZERO_CERTIFICATE",
    "AccountConfig",
    "AccountSettings",
    "BackupConfig",
    "CacheConfig",
    "Cidr",
    "ConfigError",
    "DatabaseConfig",
    "DeliveryConfig",
    "DeploymentConfig",
    "MaintenanceWindow",
    "MonitoringConfig",
    "NetworkConfig",
    "RedisAccessConfig",
    "RetentionDays",
    "SecretsConfig",
    "ServiceConfig",
    "ServicesConfig",
    "StackConfig",
    "WafConfig",
    "Window",
    "account_id_of",
    "advisories",
    "check_deployable",
    "check_keys",
    "check_stack_name",
    "deployability_problems",
    "example_account_problem",
    "known_keys",
    "load_config",
    "load_stack_config",
    "parse_account_values",
    "parse_stack_config",
    "parse_stack_values",
    "refuse_secret_config",
    "shown",
    "state_backend",
    "state_bucket_name",
    "state_kms_alias",
]
