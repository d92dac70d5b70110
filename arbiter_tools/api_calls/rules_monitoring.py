"""IAM rules for SNS, EventBridge, Step Functions and CloudWatch calls."""

from __future__ import annotations

from arbiter_tools.api_calls.core import CallContext, rule


@rule("sns", "CreateTopic")
def _sns_topic(c: CallContext) -> None:
    arn = str(c.r["TopicArn"])
    c.need("sns:CreateTopic", arn, tags=c.tags)
    if c.tags:
        c.need("sns:TagResource", arn, tags=c.tags, why="tags on CreateTopic")
    c.created(arn)


@rule("sns", "SetTopicAttributes", "Subscribe")
def _sns_topic_change(c: CallContext) -> None:
    c.need(f"sns:{c.call.operation}", str(c.p["TopicArn"]))


@rule("events", "PutRule")
def _events_rule(c: CallContext) -> None:
    arn = c.arn("events", f"rule/{c.p['Name']}")
    c.need("events:PutRule", arn, tags=c.tags)
    if c.tags:
        c.need("events:TagResource", arn, tags=c.tags, why="tags on PutRule")
    c.created(arn)


@rule("events", "PutTargets")
def _events_targets(c: CallContext) -> None:
    c.need("events:PutTargets", c.arn("events", f"rule/{c.p['Rule']}"))
    for target in c.p.get("Targets", []):
        c.pass_role(target.get("RoleArn"), "events.amazonaws.com")


@rule("stepfunctions", "CreateStateMachine")
def _sfn_create(c: CallContext) -> None:
    arn = str(c.r["stateMachineArn"])
    c.need("states:CreateStateMachine", arn, tags=c.tags)
    if c.tags:
        c.need("states:TagResource", arn, tags=c.tags, why="tags on CreateStateMachine")
    c.pass_role(c.p.get("roleArn"), "states.amazonaws.com")
    if c.p.get("loggingConfiguration", {}).get("destinations"):
        # Step Functions sets up the log delivery with the caller's permissions (no resource type).
        for action in ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:DescribeResourcePolicies"):
            c.need(action, "*", why="execution logging configured at create")
    c.created(arn)


@rule("cloudwatch", "PutMetricAlarm")
def _cw_alarm(c: CallContext) -> None:
    arn = c.arn("cloudwatch", f"alarm:{c.p['AlarmName']}")
    c.need("cloudwatch:PutMetricAlarm", arn, tags=c.tags)
    if c.tags:
        c.need("cloudwatch:TagResource", arn, tags=c.tags, why="tags on PutMetricAlarm")
    c.created(arn)


@rule("cloudwatch", "PutDashboard", "GetDashboard")
def _cw_dashboard(c: CallContext) -> None:
    c.need(
        f"cloudwatch:{c.call.operation}",
        c.arn("cloudwatch", f"dashboard/{c.p['DashboardName']}", regional=False),
    )
