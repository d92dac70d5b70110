"""EventBridge rules and targets."""

from __future__ import annotations

from botocore.exceptions import ClientError

from arbiter_tools.emulator.core import Request, Result, as_json, clean, handles, opt_int
from policies import resource_types as rt


@handles(rt.EVENT_RULE)
def _event_rule(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name(max_len=64)
    arn = req.client("events").put_rule(
        **clean(
            {
                "Name": name,
                "EventPattern": as_json(i["eventPattern"]) if i.get("eventPattern") else None,
                "ScheduleExpression": i.get("scheduleExpression"),
                "State": i.get("state", "ENABLED"),
                "Description": i.get("description"),
                "EventBusName": i.get("eventBusName"),
                "Tags": req.tag_list() or None,
            }
        )
    )["RuleArn"]
    return name, {"arn": arn, "name": name}


@handles(rt.EVENT_TARGET)
def _event_target(req: Request) -> Result:
    i = req.inputs
    retry = i.get("retryPolicy") or {}
    target = clean(
        {
            "Id": i.get("targetId") or req.physical_name(max_len=64),
            "Arn": i["arn"],
            "RoleArn": i.get("roleArn"),
            "Input": i.get("input"),
            "RetryPolicy": clean(
                {
                    "MaximumEventAgeInSeconds": opt_int(retry.get("maximumEventAgeInSeconds")),
                    "MaximumRetryAttempts": opt_int(retry.get("maximumRetryAttempts")),
                }
            )
            or None,
        }
    )
    failed = req.client("events").put_targets(Rule=i["rule"], Targets=[target])
    if failed.get("FailedEntryCount"):
        entry = failed["FailedEntries"][0]
        raise ClientError(
            {"Error": {"Code": entry["ErrorCode"], "Message": entry["ErrorMessage"]}}, "PutTargets"
        )
    return f"{i['rule']}-{target['Id']}", {"targetId": target["Id"]}
