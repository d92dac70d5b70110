"""Exchange and bot credentials in Secrets Manager: Pulumi manages the containers, never the values.

The values are set by an operator directly in Secrets Manager (`arbiter-infra secrets set`), so
they never pass through CI, never sit in the Pulumi state, and `pulumi preview`/`up` need no
secret to run and show no diff on them (there is no SecretVersion resource to diff). Only the
task execution roles that inject them can read them (see the permissions boundary).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import SECRET_FIELDS, SECRET_SETS, SecretsConfig
from arbiter_infra.naming import Naming

_ROTATION_REASON = "issued by the provider; operator procedure in docs/secrets-rotation.md"

_DESCRIPTIONS = {
    "polymarket": "Polymarket CLOB credentials for trading-core",
    "kalshi": "Kalshi API key id and RSA private key (PEM) for trading-core",
    "telegram": "Telegram bot token for telegram-bot",
}


def value_from(secret_arn: pulumi.Input[str], json_key: str) -> pulumi.Output[str]:
    """ECS `valueFrom` for one JSON key of a secret: `<arn>:<json_key>::` (AWSCURRENT)."""
    return pulumi.Output.concat(secret_arn, ":", json_key, "::")


def as_secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Mark `value` secret (typed wrapper: mypy cannot infer Output.secret's parameter)."""
    return pulumi.Output.secret(value)


@dataclass(frozen=True)
class ExchangeSecretsArgs:
    config: SecretsConfig
    naming: Naming
    kms_key_arn: pulumi.Input[str]
    #: Prod: `pulumi destroy` or a rename must not schedule the trading credentials for deletion.
    protect: bool = False


class ExchangeSecrets(pulumi.ComponentResource):
    """`arbiter-<env>/polymarket`, `/kalshi`, `/telegram`, encrypted with the stack CMK, no values."""

    secrets: dict[str, aws.secretsmanager.Secret]
    arns: dict[str, pulumi.Output[str]]
    value_from: dict[str, pulumi.Output[str]]
    #: Secret name -> the JSON keys its value must hold (what `secrets set` asks for).
    fields: dict[str, list[str]]

    def __init__(
        self, name: str, args: ExchangeSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:secrets:ExchangeSecrets", name, None, opts)
        self.secrets = {}
        self.arns = {}
        self.value_from = {}
        self.fields = {name: list(keys) for name, keys in SECRET_FIELDS.items()}
        for secret_name, fields in SECRET_SETS.items():
            secret = aws.secretsmanager.Secret(
                f"{name}-{secret_name}",
                name=f"{args.naming.prefix}/{secret_name}",
                description=_DESCRIPTIONS.get(secret_name, secret_name),
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.config.recovery_window_days,
                # Issued by the exchanges and Telegram: Secrets Manager cannot rotate them.
                tags={"Rotation": "external", "RotationReason": _ROTATION_REASON},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            self.secrets[secret_name] = secret
            self.arns[secret_name] = secret.arn
            for key, json_key in fields:
                self.value_from[key] = value_from(secret.arn, json_key)
        self.register_outputs({"arns": self.arns})
