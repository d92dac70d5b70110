"""The drift role's grants: the preview role's reads, plus the generated secret values a refresh reads.

`pulumi preview --refresh` reads every resource back, including each `SecretVersion` the program
writes (the Redis AUTH token today; issue 20's per-service users tomorrow): the preview role may not
(pull-request code runs with it), the drift role must. It runs only in a GitHub environment of its
own whose branch rule admits `main`, from the scheduled `drift.yml`, and it writes nothing.
"""

from __future__ import annotations

from components.deploy_grants.model import _SM, Grant

#: The secrets the program writes values into live under the stack's prefix (`arbiter-<env>/...`,
#: `arbiter-<env>-...`), as the application secrets do: those stay denied by the preview grants'
#: explicit Deny, whatever name a generated secret gets.
_STACK_SECRETS = (f"{_SM}:secret:{{p}}/*", f"{_SM}:secret:{{p}}-*")


def drift_grants(preview: tuple[Grant, ...]) -> tuple[Grant, ...]:
    """The preview role's grants (reads, state reads, the Deny on application secrets), then the
    generated secret values and the stack key's Decrypt that reading them needs."""
    return (
        *preview,
        Grant(
            "data",
            "DriftReadGeneratedSecretValues",
            "refresh reads back every secret value the program writes (SecretVersion Read); the "
            "application secrets' values stay denied (PreviewDenyApplicationSecretValues)",
            ("secretsmanager:GetSecretValue",),
            "arns",
            _STACK_SECRETS,
        ),
        Grant(
            "data",
            "DriftDecryptSecretsWithTheStackKey",
            "the stack CMK encrypts those secrets: Secrets Manager decrypts them with the caller's "
            "permission, and only through Secrets Manager",
            ("kms:Decrypt",),
            "resource-tag",
            condition={"StringEquals": {"kms:ViaService": "secretsmanager.{region}.amazonaws.com"}},
        ),
    )
