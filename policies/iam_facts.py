"""IAM facts least privilege is judged by, kept inside the pack so the pack imports nothing else.

`arbiter_infra.iam` imports them from here: one copy, so a new unscopable action cannot be allowed
by the program and refused by the pack.
"""

from __future__ import annotations

from typing import Final

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
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcEndpointServices",
        "ec2:DescribeVpcs",
        "ec2:DescribeAddressesAttribute",
        "ec2:DescribeInstances",
        "rds:DescribeDBEngineVersions",
        "rds:DescribeEngineDefaultClusterParameters",
        "rds:DescribeEvents",
        "backup-storage:MountCapsule",
        # In AWS's CloudFormation handler for AWS::Backup::BackupVault, not (yet) in the SAR.
        "backup-storage:Mount",
        "tag:GetResources",
        "rds:DescribeOrderableDBInstanceOptions",
        "elasticache:DescribeCacheEngineVersions",
        "elasticache:DescribeEngineDefaultParameters",
        "ecs:DeregisterTaskDefinition",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:ListClusters",
        "elasticloadbalancing:DescribeCapacityReservation",
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
        # No resource type (Service Authorization Reference): what it may attach is bounded by
        # wafv2:AssociateWebACL, which is checked on both the web ACL and the load balancer.
        "elasticloadbalancing:SetWebAcl",
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
        "sns:ListTopics",
        # A subscription ARN is not an IAM resource type: these take Resource "*".
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:Unsubscribe",
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

#: Condition keys that scope a `Resource: "*"` statement to this project's tagged resources.
TAG_CONDITION_KEYS: Final = ("aws:ResourceTag/", "aws:RequestTag/")
