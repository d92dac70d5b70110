"""Exchange and bot credentials in Secrets Manager: Pulumi manages the containers, never the values.

The values are set by an operator directly in Secrets Manager (`arbiter-infra secrets set`), so
they never pass through CI, never sit in the Pulumi state, and `pulumi preview`/`up` need no
secret to run and show no diff on them (there is no SecretVersion resource to diff). Only the
task execution roles that inject them can read them (see the permissions boundary). Which secrets
exist, what each holds and for whom is the application's (`arbiter_infra.application`), passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra.naming import Naming

_ROTATION_REASON = "issued by the provider; operator procedure in docs/secrets-rotation.md"


def value_from(secret_arn: pulumi.Input[str], json_key: str) -> pulumi.Output[str]:
    """ECS `valueFrom` for one JSON key of a secret: `<arn>:<json_key>::` (AWSCURRENT)."""
    return pulumi.Output.concat(secret_arn, ":", json_key, "::")


def as_secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Mark `value` secret (typed wrapper: mypy cannot infer Output.secret's parameter)."""
    return pulumi.Output.secret(value)


@dataclass(frozen=True)
class SecretSpec:
    """One application secret: what it is for and the JSON keys its value holds."""

    #: What it holds and for whom: the secret's description in Secrets Manager.
    purpose: str
    #: (reference key, JSON key) per field: `value_from[reference key]` is the ECS `valueFrom` of
    #: that JSON key; the JSON keys are what an operator sets (`secrets set`).
    fields: Sequence[tuple[str, str]]


@dataclass(frozen=True, kw_only=True)
class ExchangeSecretsArgs:
    #: The stack's names: each secret is `<prefix>/<name>`.
    naming: Naming
    #: The stack CMK every secret is encrypted with.
    kms_key_arn: pulumi.Input[str]
    #: Secret name -> what it is and holds; one container each, in this order.
    secrets: Mapping[str, SecretSpec]
    #: Days a deleted secret can still be restored (Secrets Manager allows 7-30).
    recovery_window_days: int
    #: Prod: `pulumi destroy` or a rename must not schedule the trading credentials for deletion.
    protect: bool = False


class ExchangeSecrets(pulumi.ComponentResource):
    """`arbiter-<env>/<name>` per application secret, encrypted with the stack CMK, no values."""

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
        self.fields = {
            secret_name: [json_key for _ref, json_key in spec.fields]
            for secret_name, spec in args.secrets.items()
        }
        for secret_name, spec in args.secrets.items():
            secret = aws.secretsmanager.Secret(
                f"{name}-{secret_name}",
                name=f"{args.naming.prefix}/{secret_name}",
                description=spec.purpose,
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                # Issued by the exchanges and Telegram: Secrets Manager cannot rotate them.
                tags={"Rotation": "external", "RotationReason": _ROTATION_REASON},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            self.secrets[secret_name] = secret
            self.arns[secret_name] = secret.arn
            for key, json_key in spec.fields:
                self.value_from[key] = value_from(secret.arn, json_key)
        self.register_outputs({"arns": self.arns, "fields": self.fields, "valueFrom": self.value_from})
