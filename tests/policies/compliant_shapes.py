"""Compliant resources of the remaining types the pack inspects: aliases, V2 shapes, users, groups.

So the unknown-value test finds a resource of every type every policy reads.
"""

from __future__ import annotations

from policies.resource_types import (
    BUCKET_PAB,
    EC2_INSTANCE,
    IAM_GROUP_POLICY,
    IAM_USER_POLICY,
    LAMBDA_FUNCTION,
    LAMBDA_FUNCTION_URL,
    LAMBDA_PERMISSION,
    RDS_INSTANCE,
)
from tests.policies.builder import (
    ACCOUNT,
    ACM_CERTIFICATE,
    ALB_LB,
    ALB_LISTENER,
    ALB_LISTENER_RULE,
    ALB_TARGET_GROUP,
    BUCKET_SSE_CONFIG_V2,
    BUCKET_V2,
    GROUP_POLICY_ATTACHMENT,
    KEY_ARN,
    POLICY_ATTACHMENT,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    USER_POLICY_ATTACHMENT,
    StackBuilder,
    doc,
)


def add_other_shapes(b: StackBuilder) -> None:
    """Aliases (`aws:alb/...`), V2 buckets, IAM users and groups, an RDS and an EC2 instance, an issued certificate."""
    b.add(
        ALB_LB,
        "internal-alb",
        {
            "internal": True,
            "loadBalancerType": "application",
            "subnets": ["subnet-private-a", "subnet-private-b"],
            "dropInvalidHeaderFields": True,
            "accessLogs": {"bucket": "arbiter-alb-logs", "enabled": True},
            "enableDeletionProtection": True,
            "desyncMitigationMode": "strictest",
        },
    )
    b.add(
        ALB_LISTENER,
        "internal-https",
        {
            "protocol": "HTTPS",
            "port": 8443,
            "sslPolicy": "ELBSecurityPolicy-TLS-1-2-2017-01",
            "certificateArn": f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/c-2",
            "defaultActions": [{"type": "forward", "targetGroupArn": "tg-internal"}],
        },
    )
    b.add(
        ALB_TARGET_GROUP,
        "tg-internal-rest",
        {"protocol": "HTTP", "protocolVersion": "HTTP1", "port": 8080, "targetType": "ip"},
        arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/internal-rest/2",
    )
    b.add(
        ALB_LISTENER_RULE,
        "internal-rest-rule",
        {
            "listenerArn": "internal-https-id",
            "priority": 20,
            "actions": [
                {
                    "type": "forward",
                    "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/internal-rest/2",
                }
            ],
        },
    )
    # An ACM-issued (requested, DNS-validated) certificate.
    b.add(
        ACM_CERTIFICATE,
        "issued",
        {"domainName": "api.arbiter-bot.dev", "validationMethod": "DNS"},
    )
    b.add(RDS_INSTANCE, "reporting-db", {"publiclyAccessible": False, "port": 5433})
    b.add(
        EC2_INSTANCE,
        "worker",
        {"associatePublicIpAddress": False, "subnetId": "subnet-private-a"},
    )
    read_logs = doc(
        {
            "Sid": "ReadLogs",
            "Effect": "Allow",
            "Action": ["logs:GetLogEvents"],
            "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/arbiter/*",
        }
    )
    b.add(IAM_USER_POLICY, "operator-policy", {"user": "operator", "policy": read_logs})
    b.add(IAM_GROUP_POLICY, "operators-policy", {"group": "operators", "policy": read_logs})
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    b.add(POLICY_ATTACHMENT, "readonly", {"policyArn": readonly, "roles": ["r"]})
    b.add(
        USER_POLICY_ATTACHMENT,
        "user-ro",
        {"user": "operator", "policyArn": readonly},
    )
    b.add(
        GROUP_POLICY_ATTACHMENT,
        "group-ro",
        {"group": "operators", "policyArn": readonly},
    )
    b.add(
        ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
        "deploy-exclusive",
        {"roleName": "deploy", "policyArns": [f"arn:aws:iam::{ACCOUNT}:policy/deploy"]},
    )
    b.add(BUCKET_V2, "state", {"bucket": "arbiter-state"}, id_="arbiter-state")
    b.add(
        BUCKET_SSE_CONFIG_V2,
        "state-sse",
        {
            "bucket": "arbiter-state",
            "rules": [
                {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}}
            ],
        },
    )
    # A function in the VPC (the database-users bootstrap's shape), an IAM-authenticated URL and a
    # permission naming its principal.
    b.add(
        LAMBDA_FUNCTION,
        "db-users-fn",
        {
            "runtime": "python3.12",
            "vpcConfig": {"subnetIds": ["subnet-private-a"], "securityGroupIds": ["sg-db-users"]},
        },
        arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:arbiter-prod-database-users",
    )
    b.add(
        LAMBDA_FUNCTION_URL, "db-users-url", {"functionName": "db-users-fn", "authorizationType": "AWS_IAM"}
    )
    b.add(
        LAMBDA_PERMISSION,
        "db-users-permission",
        {"function": "db-users-fn", "action": "lambda:InvokeFunction", "principal": ACCOUNT},
    )
    b.add(
        BUCKET_PAB,
        "state-pab",
        {
            "bucket": "arbiter-state",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    )
