"""Exchange and bot credentials in Secrets Manager, one JSON secret per credential set.

Values come only from Pulumi secret config, so they stay Pulumi secrets end to end (encrypted in
state, masked in plans and logs). A set that is not configured yet is created without a version:
the first deploy works and `plan` lists what is missing; ECS tasks fail to start until it is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import EXCHANGE_SECRET_KEYS, ConfigError, SecretsConfig
from arbiter_infra.naming import Naming

#: Secret name -> [(stack config key, JSON key)], in EXCHANGE_SECRET_KEYS order.
SECRET_SETS: dict[str, list[tuple[str, str]]] = {}
for _key, _set, _field in EXCHANGE_SECRET_KEYS:
    SECRET_SETS.setdefault(_set, []).append((_key, _field))

_DESCRIPTIONS = {
    "polymarket": "Polymarket CLOB credentials for trading-core",
    "kalshi": "Kalshi API key id and RSA private key (PEM) for trading-core",
    "telegram": "Telegram bot token for telegram-bot",
}


def value_from(secret_arn: pulumi.Input[str], json_key: str) -> pulumi.Output[str]:
    """ECS `valueFrom` for one JSON key of a secret: `<arn>:<json_key>::` (AWSCURRENT)."""
    return pulumi.Output.concat(secret_arn, ":", json_key, "::")


def missing_keys(values: Mapping[str, pulumi.Output[str] | None]) -> list[str]:
    """Config keys without a value; a partially configured set is refused.

    Writing half a set would replace a working secret with one the application cannot use, so
    each set is written only when all its keys are configured.
    """
    missing: list[str] = []
    for secret, fields in SECRET_SETS.items():
        absent = [key for key, _ in fields if values.get(key) is None]
        if absent and len(absent) != len(fields):
            present = [key for key, _ in fields if values.get(key) is not None]
            raise ConfigError(
                f"arbiter:{present[0]} is set but {', '.join('arbiter:' + k for k in absent)} "
                f"{'is' if len(absent) == 1 else 'are'} not: the {secret} secret needs all of "
                f"{', '.join(k for k, _ in fields)} (pulumi config set --secret arbiter:<key> ...)"
            )
        missing.extend(absent)
    return missing


def _secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Mark `value` secret (typed wrapper: mypy cannot infer Output.secret's parameter)."""
    return pulumi.Output.secret(value)


@dataclass(frozen=True)
class ExchangeSecretsArgs:
    config: SecretsConfig
    naming: Naming
    kms_key_arn: pulumi.Input[str]
    #: Config key -> secret value (from `exchange_secret_values()`), None when not configured.
    values: Mapping[str, pulumi.Output[str] | None]


class ExchangeSecrets(pulumi.ComponentResource):
    """`arbiter-<env>/polymarket`, `/kalshi`, `/telegram`, encrypted with the stack CMK."""

    secrets: dict[str, aws.secretsmanager.Secret]
    versions: dict[str, aws.secretsmanager.SecretVersion]
    arns: dict[str, pulumi.Output[str]]
    value_from: dict[str, pulumi.Output[str]]
    missing: list[str]

    def __init__(
        self, name: str, args: ExchangeSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Checked before registering anything so a half-configured set fails the whole plan.
        missing = missing_keys(args.values)
        super().__init__("arbiter:secrets:ExchangeSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.missing = missing
        self.secrets = {}
        self.versions = {}
        self.arns = {}
        self.value_from = {}
        for secret_name, fields in SECRET_SETS.items():
            secret = aws.secretsmanager.Secret(
                f"{name}-{secret_name}",
                name=f"{args.naming.prefix}/{secret_name}",
                description=_DESCRIPTIONS.get(secret_name, secret_name),
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.config.recovery_window_days,
                opts=child,
            )
            self.secrets[secret_name] = secret
            self.arns[secret_name] = secret.arn
            for key, json_key in fields:
                self.value_from[key] = value_from(secret.arn, json_key)
            if any(key in missing for key, _ in fields):
                continue
            document = {json_key: args.values[key] for key, json_key in fields}
            self.versions[secret_name] = aws.secretsmanager.SecretVersion(
                f"{name}-{secret_name}-value",
                secret_id=secret.id,
                # json_dumps keeps the secret bit of its inputs; Output.secret makes sure of it.
                secret_string=_secret(pulumi.Output.json_dumps(document)),
                opts=child,
            )
        self.register_outputs({"arns": self.arns, "missing": self.missing})
