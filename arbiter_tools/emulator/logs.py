"""CloudWatch Logs groups."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles
from policies import resource_types as rt


@handles(rt.LOG_GROUP)
def _log_group(req: Request) -> Result:
    logs = req.client("logs")
    name = req.physical_name(max_len=512)
    logs.create_log_group(
        **clean({"logGroupName": name, "kmsKeyId": req.inputs.get("kmsKeyId"), "tags": req.tags})
    )
    if req.inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(req.inputs["retentionInDays"]))
    return name, {
        "name": name,
        "arn": f"arn:aws:logs:{req.emulator.region}:{req.emulator.account_id}:log-group:{name}",
    }
