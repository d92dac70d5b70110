"""IAM rules for SNS, Lambda and CloudWatch calls."""

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


@rule("lambda", "CreateFunction")
def _lambda_create(c: CallContext) -> None:
    arn = str(c.r["FunctionArn"])
    c.need("lambda:CreateFunction", arn, tags=c.tags)
    if c.tags:
        c.need("lambda:TagResource", arn, tags=c.tags, why="tags on CreateFunction")
    c.pass_role(c.p.get("Role"), "lambda.amazonaws.com")
    if c.p.get("VpcConfig", {}).get("SubnetIds"):
        # Lambda checks the VPC configuration with the caller's permissions (AWS's Lambda VPC guide).
        for action in ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"):
            c.need(action, "*", why="a function in a VPC")
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
