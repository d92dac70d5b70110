"""Step Functions state machines."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, as_json, clean, handles
from policies import resource_types as rt


@handles(rt.STATE_MACHINE)
def _state_machine(req: Request) -> Result:
    i = req.inputs
    logging = i.get("loggingConfiguration") or {}
    resp = req.client("stepfunctions").create_state_machine(
        **clean(
            {
                "name": req.physical_name(max_len=80),
                "definition": as_json(i["definition"]),
                "roleArn": i["roleArn"],
                "type": i.get("type", "STANDARD"),
                "loggingConfiguration": {
                    "level": logging.get("level", "OFF"),
                    "includeExecutionData": bool(logging.get("includeExecutionData")),
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}],
                }
                if logging.get("logDestination")
                else None,
                "tracingConfiguration": {
                    "enabled": bool((i.get("tracingConfiguration") or {}).get("enabled"))
                },
                "tags": [{"key": k, "value": v} for k, v in req.tags.items()] or None,
            }
        )
    )
    arn = resp["stateMachineArn"]
    return arn, {"arn": arn, "creationDate": str(resp["creationDate"]), "name": arn.rsplit(":", 1)[-1]}
