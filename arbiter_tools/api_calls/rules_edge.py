"""IAM rules for ACM, WAF and S3 calls."""

from __future__ import annotations

from typing import Final

from arbiter_tools.api_calls.core import RULES, CallContext, rule


@rule("acm", "ImportCertificate")
def _acm_import(c: CallContext) -> None:
    arn = str(c.r["CertificateArn"])
    c.need("acm:ImportCertificate", arn, tags=c.tags)
    if c.tags:
        c.need("acm:AddTagsToCertificate", arn, tags=c.tags, why="tags on ImportCertificate")
    c.created(arn)


@rule("acm", "DescribeCertificate", "ListTagsForCertificate", "AddTagsToCertificate")
def _acm_read(c: CallContext) -> None:
    c.need(f"acm:{c.call.operation}", str(c.p["CertificateArn"]))


@rule("wafv2", "CreateWebACL")
def _waf_create(c: CallContext) -> None:
    arn = str(c.r["Summary"]["ARN"])
    c.need("wafv2:CreateWebACL", arn, tags=c.tags)
    if c.tags:
        c.need("wafv2:TagResource", arn, tags=c.tags, why="tags on CreateWebACL")
    c.created(arn)


@rule("wafv2", "AssociateWebACL")
def _waf_associate(c: CallContext) -> None:
    # AssociateWebACL is checked on the web ACL and on the protected resource; ELB checks SetWebAcl.
    acl, target = str(c.p["WebACLArn"]), str(c.p["ResourceArn"])
    c.need("wafv2:AssociateWebACL", acl)
    c.need("wafv2:AssociateWebACL", target)
    if ":elasticloadbalancing:" in target:
        # SetWebAcl has no resource type: IAM evaluates it against "*".
        c.need("elasticloadbalancing:SetWebAcl", "*", why="the ALB side of the association")


@rule("wafv2", "PutLoggingConfiguration")
def _waf_logging(c: CallContext) -> None:
    c.need("wafv2:PutLoggingConfiguration", str(c.p["LoggingConfiguration"]["ResourceArn"]))
    # WAF sets up CloudWatch Logs delivery (and the Logs resource policy) with the caller's permissions.
    for action in (
        "logs:CreateLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:PutResourcePolicy",
    ):
        c.need(action, "*", why="WAF log delivery to CloudWatch Logs (vended logs)")


#: S3 operation -> IAM action (S3's names differ).
S3_ACTIONS: Final = {
    "CreateBucket": "s3:CreateBucket",
    "PutBucketTagging": "s3:PutBucketTagging",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "PutBucketVersioning": "s3:PutBucketVersioning",
}


def _s3(c: CallContext) -> None:
    c.need(S3_ACTIONS[c.call.operation], f"arn:aws:s3:::{c.p['Bucket']}")


for _op in S3_ACTIONS:
    RULES[("s3", _op)] = _s3
