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

from arbiter_infra.config import SECRET_SETS, SecretsConfig, missing_secret_keys
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
    #: Config key -> secret value (from `exchange_secret_values()`), None when not configured.
    values: Mapping[str, pulumi.Output[str] | None]
    #: Prod: `pulumi destroy` or a rename must not schedule the trading credentials for deletion.
    protect: bool = False


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
        missing = missing_secret_keys(args.values)
        super().__init__("arbiter:secrets:ExchangeSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.missing = missing
        if missing:
            # Shown by `pulumi preview/up` and in the offline plan's notes; never the values.
            pulumi.log.warn(
                f"secret values not configured: {', '.join(missing)}; their secrets are created "
                "without a version and tasks that need them fail to start until they are set "
                "(pulumi config set --secret arbiter:<key>, see docs/secrets-rotation.md)",
                resource=self,
            )
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
                # Issued by the exchanges and Telegram: Secrets Manager cannot rotate them.
                tags={"Rotation": "external", "RotationReason": _ROTATION_REASON},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
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
                secret_string=as_secret(pulumi.Output.json_dumps(document)),
                opts=child,
            )
        self.register_outputs({"arns": self.arns, "missing": self.missing})
