"""The preview role's grants, derived from the deploy role's: its reads, and the state reads of a preview."""

from __future__ import annotations

from typing import Final

from components.deploy_grants.model import _APP_SECRETS, Grant

#: Read actions the preview role must not have even though they are reads: they reveal secret
#: values or application data, or hand out registry credentials. Everything else the deploy role
#: may Describe/List/Get, the preview role may too (what `pulumi preview --refresh` reads).
PREVIEW_EXCLUDED: Final = frozenset(
    {
        "ecr:GetAuthorizationToken",
        "logs:GetLogEvents",
        "secretsmanager:GetRandomPassword",
        "secretsmanager:GetSecretValue",
    }
)
_READ_VERBS = ("Describe", "Get", "List")


def preview_grants(grants: tuple[Grant, ...]) -> tuple[Grant, ...]:
    """The deploy role's reads (outside state), then what a preview needs of the state backend."""
    out: list[Grant] = []
    for g in grants:
        if g.effect != "Allow" or g.area == "state":
            continue
        reads = tuple(
            a for a in g.actions if a.split(":")[1].startswith(_READ_VERBS) and a not in PREVIEW_EXCLUDED
        )
        if reads:
            out.append(
                Grant(
                    g.area, f"Preview{g.sid}", f"read only: {g.why}", reads, g.scope, g.resources, g.condition
                )
            )
    out += [
        Grant(
            "state",
            "PreviewCallerIdentity",
            "the provider checks the account (allowedAccountIds) and the program reads its id",
            ("sts:GetCallerIdentity",),
            "unscopable",
        ),
        Grant(
            "state",
            "PreviewStateBucketList",
            "the S3 backend lists the stack's objects; listing reveals key names only",
            ("s3:ListBucket",),
            "arns",
            ("arn:aws:s3:::{bucket}",),
        ),
        Grant(
            "state",
            "PreviewStateReadCheckpoint",
            "preview reads the backend marker and this stack's checkpoint; it takes no lock and "
            "writes no history or backup (the S3 backend's Preview skips both), so no PutObject",
            ("s3:GetObject",),
            "arns",
            (
                "arn:aws:s3:::{bucket}/.pulumi/meta.yaml",
                "arn:aws:s3:::{bucket}/.pulumi/stacks/{project}/{env}.json*",
            ),
        ),
        Grant(
            "state",
            "PreviewSecretsProviderDecrypt",
            "the awskms:// secrets provider decrypts the stack's data key; encrypting new values "
            "uses that data key locally, so no kms:Encrypt",
            ("kms:Decrypt",),
            "arns",
            ("arn:aws:kms:{region}:{account}:key/*",),
            condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": "{alias}"}},
        ),
        Grant(
            "data",
            "PreviewDenyApplicationSecretValues",
            "pull-request code runs with this role: it never reads the trading credentials",
            ("secretsmanager:GetSecretValue",),
            "arns",
            _APP_SECRETS,
            effect="Deny",
        ),
    ]
    return tuple(out)
