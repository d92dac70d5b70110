"""Secrets Manager secrets and versions."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles
from policies import resource_types as rt


@handles(rt.SECRET)
def _secret(req: Request) -> Result:
    secret = req.client("secretsmanager").create_secret(
        **clean(
            {
                "Name": req.physical_name(max_len=512),
                "Description": req.inputs.get("description"),
                "KmsKeyId": req.inputs.get("kmsKeyId"),
                "Tags": req.tag_list(),
            }
        )
    )
    return secret["ARN"], {"arn": secret["ARN"], "name": secret["Name"]}


@handles(rt.SECRET_VERSION)
def _secret_version(req: Request) -> Result:
    i = req.inputs
    resp = req.client("secretsmanager").put_secret_value(
        **clean(
            {
                "SecretId": i["secretId"],
                "SecretString": i.get("secretString"),
                "SecretBinary": i.get("secretBinary"),
                "VersionStages": i.get("versionStages"),
            }
        )
    )
    return f"{resp['ARN']}|{resp['VersionId']}", {"arn": resp["ARN"], "versionId": resp["VersionId"]}
