"""IAM policy documents built from typed statements, and the facts least privilege is judged by.

Documents are assembled in Python (no `get_policy_document` invoke), so they work the same under
`pulumi up`, the offline plan and moto, and the policy pack can read them as plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi

#: Actions that AWS does not allow to be scoped to a resource ARN (the Service Authorization
#: Reference lists no resource type for them), so `Resource: "*"` is the only valid form.
UNSCOPABLE_ACTIONS: Final = frozenset(
    {
        "ecr:GetAuthorizationToken",
        "sts:GetCallerIdentity",
        "ec2:DescribeAccountAttributes",
        "ec2:DescribeAddresses",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribePrefixLists",
        "ec2:DescribeRegions",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeTags",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcEndpointServices",
        "ec2:DescribeVpcs",
        "ec2:DescribeAddressesAttribute",
        "rds:DescribeDBEngineVersions",
        "rds:DescribeOrderableDBInstanceOptions",
        "elasticache:DescribeCacheEngineVersions",
        "ecs:CreateCluster",
        "ecs:DeregisterTaskDefinition",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:RegisterTaskDefinition",
        "ecs:ListClusters",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeSSLPolicies",
        "kms:CreateKey",
        "kms:ListAliases",
        "kms:ListKeys",
        "logs:DescribeLogGroups",
        "secretsmanager:GetRandomPassword",
        "secretsmanager:ListSecrets",
        "servicediscovery:CreatePrivateDnsNamespace",
        "servicediscovery:GetOperation",
        "servicediscovery:ListNamespaces",
        "servicediscovery:ListServices",
        "route53:CreateHostedZone",
        "route53:GetChange",
        "sns:ListTopics",
        # A subscription ARN is not an IAM resource type: these take Resource "*".
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:Unsubscribe",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:ListDashboards",
        "cloudwatch:GetMetricData",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "iam:ListRoles",
        "iam:ListPolicies",
        "iam:ListOpenIDConnectProviders",
        "acm:ListCertificates",
        # Vended-log delivery (ElastiCache slow log -> CloudWatch Logs) has no resource type.
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        # Cloud Map looks up its private hosted zone by name.
        "route53:ListHostedZonesByName",
        # ECS Exec: the SSM session channels have no resource type.
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    }
)

#: The services the program passes its roles to (iam:PassedToService): ECS tasks (task and
#: execution roles), RDS enhanced monitoring, VPC flow logs.
PASSED_TO_SERVICES: Final = (
    "ecs-tasks.amazonaws.com",
    "events.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "states.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)

#: Condition keys that scope a `Resource: "*"` statement to this project's tagged resources.
TAG_CONDITION_KEYS: Final = ("aws:ResourceTag/", "aws:RequestTag/")


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    *,
    effect: str = "Allow",
    principal: Mapping[str, Any] | None = None,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One IAM statement; Sid says why it exists."""
    out: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": sorted(actions)}
    if principal is not None:
        out["Principal"] = dict(principal)
    out["Resource"] = list(resources)
    if condition:
        out["Condition"] = dict(condition)
    return out


def document(*statements: Mapping[str, Any]) -> pulumi.Output[str]:
    """A policy document as JSON, resolving any Outputs inside it."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(
    service: str, *, source_account: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy for an AWS service principal, optionally pinned to this account (confused deputy)."""
    condition = (
        {"StringEquals": {"aws:SourceAccount": source_account}} if source_account is not None else None
    )
    stmt: dict[str, Any] = {
        "Sid": "TrustService",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        stmt["Condition"] = condition
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [stmt]})
