"""SNS topics, subscriptions and topic policies."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, as_json, clean, handles
from policies import resource_types as rt


@handles(rt.TOPIC)
def _sns_topic(req: Request) -> Result:
    i = req.inputs
    attrs = {
        "KmsMasterKeyId": i.get("kmsMasterKeyId"),
        "DisplayName": i.get("displayName"),
        "Policy": i.get("policy"),
        "FifoTopic": "true" if i.get("fifoTopic") else None,
    }
    arn = req.client("sns").create_topic(
        Name=req.physical_name(max_len=256), Attributes=clean(attrs), Tags=req.tag_list()
    )["TopicArn"]
    return arn, {"arn": arn, "name": arn.rsplit(":", 1)[1], "owner": arn.split(":")[4]}


@handles(rt.TOPIC_SUBSCRIPTION)
def _sns_subscription(req: Request) -> Result:
    i = req.inputs
    arn = req.client("sns").subscribe(
        TopicArn=i["topic"], Protocol=i["protocol"], Endpoint=i["endpoint"], ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    return arn, {"arn": arn}


@handles(rt.TOPIC_POLICY)
def _sns_policy(req: Request) -> Result:
    arn = req.inputs["arn"]
    req.client("sns").set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=as_json(req.inputs["policy"])
    )
    return arn, {"owner": arn.split(":")[4]}
