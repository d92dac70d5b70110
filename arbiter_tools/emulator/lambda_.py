"""Lambda functions (created with their real code archive). Invocations are not emulated: moto runs
a function only in Docker, so `aws:lambda/invocation:Invocation` is a listed fallback."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pulumi

from arbiter_tools.emulator.core import Request, Result, aws_error, clean, handles
from policies import resource_types as rt


def _zip(archive: Any) -> bytes:
    """The deployment package AWS would get: the archive's assets as one zip."""
    if not isinstance(archive, pulumi.AssetArchive):
        raise aws_error("InvalidParameterValueException", "code must be an asset archive (a zip)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, asset in sorted(archive.assets.items()):
            if isinstance(asset, pulumi.FileAsset):
                zf.write(str(asset.path), path)
            elif isinstance(asset, pulumi.StringAsset):
                zf.writestr(path, str(asset.text))
            else:
                raise aws_error("InvalidParameterValueException", f"unsupported asset for {path}")
    return buf.getvalue()


@handles(rt.LAMBDA_FUNCTION)
def _function(req: Request) -> Result:
    i = req.inputs
    vpc = i.get("vpcConfig") or {}
    logging = i.get("loggingConfig") or {}
    resp = req.client("lambda").create_function(
        **clean(
            {
                "FunctionName": req.physical_name(max_len=64),
                "Runtime": i.get("runtime"),
                "Role": i["role"],
                "Handler": i.get("handler"),
                "Code": {"ZipFile": _zip(i.get("code"))},
                "Description": i.get("description"),
                "Timeout": int(i.get("timeout", 3)),
                "MemorySize": int(i.get("memorySize", 128)),
                "Architectures": i.get("architectures"),
                "VpcConfig": {
                    "SubnetIds": vpc.get("subnetIds"),
                    "SecurityGroupIds": vpc.get("securityGroupIds"),
                }
                if vpc
                else None,
                "LoggingConfig": clean(
                    {"LogFormat": logging.get("logFormat"), "LogGroup": logging.get("logGroup")}
                ),
                "Tags": req.tags or None,
            }
        )
    )
    name = resp["FunctionName"]
    return name, {
        "arn": resp["FunctionArn"],
        "qualifiedArn": f"{resp['FunctionArn']}:{resp.get('Version', '$LATEST')}",
        "invokeArn": f"arn:aws:apigateway:{req.emulator.region}:lambda:path/2015-03-31/functions/"
        f"{resp['FunctionArn']}/invocations",
        "version": resp.get("Version", "$LATEST"),
        "sourceCodeHash": resp["CodeSha256"],
        "codeSha256": resp["CodeSha256"],
    }
