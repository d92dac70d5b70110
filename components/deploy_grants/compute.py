"""The deploy role's grants for compute and ingress (areas `compute`, `ingress`): ECS, autoscaling,
Cloud Map; the ALB, its access-log bucket and WAF.

A data table (one `Grant` per statement, in policy order); `components.deploy_grants` joins the
areas into the deploy role's policies.
"""

from __future__ import annotations

from typing import Final

from components.deploy_grants.model import (
    _ECS,
    _ELB,
    Grant,
)

#: This region's scalable targets (their ids are generated: tags decide).
_SCALABLE_TARGETS = "arn:aws:application-autoscaling:{region}:{account}:scalable-target/*"

#: Statements of this area, in the order the policy lists them.
GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "compute",
        "EcsTaskDefinitionsAndCluster",
        "task definitions (describe/list, also for rollbacks to an older revision, and deregister) "
        "and cluster listing cannot be scoped (no resource type in the SAR)",
        (
            "ecs:DeregisterTaskDefinition",
            "ecs:DescribeTaskDefinition",
            "ecs:ListClusters",
            "ecs:ListTaskDefinitions",
        ),
        "unscopable",
    ),
    Grant(
        "compute",
        "EcsOwnClusterServicesTasks",
        "the stack's cluster, task definitions, services and tasks: pulumi up, the rollout wait "
        "(DescribeServices, DescribeTasks) and rollbacks (UpdateService). The SAR scopes "
        "CreateCluster and RegisterTaskDefinition to the new cluster's and revision's ARN",
        (
            "ecs:CreateCluster",
            "ecs:CreateService",
            "ecs:DeleteCluster",
            "ecs:DeleteService",
            "ecs:DescribeClusters",
            "ecs:DescribeServices",
            "ecs:DescribeTasks",
            "ecs:ListTagsForResource",
            "ecs:PutClusterCapacityProviders",
            "ecs:RegisterTaskDefinition",
            "ecs:TagResource",
            "ecs:UntagResource",
            "ecs:UpdateCluster",
            "ecs:UpdateClusterSettings",
            "ecs:UpdateService",
        ),
        "arns",
        (
            f"{_ECS}:cluster/{{p}}",
            f"{_ECS}:cluster/{{p}}-*",
            f"{_ECS}:service/{{p}}/*",
            f"{_ECS}:service/{{p}}-*/*",
            f"{_ECS}:task/{{p}}/*",
            f"{_ECS}:task/{{p}}-*/*",
            f"{_ECS}:task-definition/{{p}}-*:*",
        ),
    ),
    Grant(
        "ingress",
        "ElbReads",
        "load balancer, listener, rule, target-group and capacity-reservation descriptions cannot "
        "be scoped (no resource type in the SAR)",
        (
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeSSLPolicies",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        ),
        "unscopable",
    ),
    Grant(
        "ingress",
        "WafOwnWebAcl",
        "the ALB's web ACL (arbiter-<env>-*), its association with the stack's ALB and its "
        "logging; the AWS managed rule groups it references",
        (
            "wafv2:AssociateWebACL",
            "wafv2:CreateWebACL",
            "wafv2:DeleteLoggingConfiguration",
            "wafv2:DeleteWebACL",
            "wafv2:DisassociateWebACL",
            "wafv2:GetLoggingConfiguration",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:ListTagsForResource",
            "wafv2:PutLoggingConfiguration",
            "wafv2:TagResource",
            "wafv2:UntagResource",
            "wafv2:UpdateWebACL",
        ),
        "arns",
        (
            "arn:aws:wafv2:{region}:{account}:regional/webacl/{p}-*/*",
            "arn:aws:wafv2:{region}:{account}:regional/managedruleset/AWSManagedRules*/*",
            f"{_ELB}:loadbalancer/app/{{s}}-*/*",
        ),
    ),
    Grant(
        "ingress",
        "ElbSetWebAcl",
        "associating the web ACL sets it on the ALB; SetWebAcl has no resource type, and "
        "wafv2:AssociateWebACL (scoped to this stack's web ACL and ALB below) bounds what it attaches",
        ("elasticloadbalancing:SetWebAcl",),
        "unscopable",
    ),
    Grant(
        "ingress",
        "ElbOwnAlb",
        "the ALB, its listeners, rules and target groups; ALB and target-group names are limited "
        "to 32 characters so they use the compact prefix arb-<stg|prd>-*",
        (
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:DeleteRule",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:RemoveTags",
            "elasticloadbalancing:SetRulePriorities",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
        ),
        "arns",
        tuple(
            f"{_ELB}:{kind}/{prefix}-*{suffix}"
            for kind, suffix in (
                ("loadbalancer/app", "/*"),
                ("targetgroup", "/*"),
                ("listener/app", "/*/*"),
                ("listener-rule/app", "/*/*/*"),
            )
            for prefix in ("{s}", "{p}")
        ),
    ),
    Grant(
        "compute",
        "AutoscalingReads",
        "scalable-target and policy descriptions cannot be scoped",
        (
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies",
        ),
        "unscopable",
    ),
    Grant(
        "compute",
        "AutoscalingRegisterTagged",
        "an autoscaled service's scalable target; its ARN is generated, so it is scoped by the request tags",
        ("application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"),
        "request-tag",
        (_SCALABLE_TARGETS,),
    ),
    Grant(
        "compute",
        "AutoscalingChangeOwn",
        "policies and deregistration only on scalable targets tagged as this stack's",
        (
            "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:ListTagsForResource",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:TagResource",
            "application-autoscaling:UntagResource",
        ),
        "resource-tag",
        (_SCALABLE_TARGETS,),
    ),
    Grant(
        "compute",
        "CloudMapReads",
        "namespace/service listing, operations and the hosted zone Cloud Map creates have no ARN "
        "known in advance",
        (
            "route53:CreateHostedZone",
            "route53:ListHostedZonesByName",
            "servicediscovery:GetOperation",
            "servicediscovery:ListNamespaces",
            "servicediscovery:ListServices",
        ),
        "unscopable",
    ),
    Grant(
        "compute",
        "CloudMapCreateTagged",
        "the private DNS namespace and the service-discovery services, created with this stack's tags",
        (
            "servicediscovery:CreatePrivateDnsNamespace",
            "servicediscovery:CreateService",
            "servicediscovery:TagResource",
        ),
        "request-tag",
    ),
    Grant(
        "compute",
        "CloudMapChangeOwn",
        "read, update and delete only namespaces and services tagged as this stack's",
        (
            "servicediscovery:DeleteNamespace",
            "servicediscovery:DeleteService",
            "servicediscovery:GetNamespace",
            "servicediscovery:GetService",
            "servicediscovery:UpdatePrivateDnsNamespace",
            "servicediscovery:UpdateService",
        ),
        "resource-tag",
        ("arn:aws:servicediscovery:{region}:{account}:*",),
    ),
    Grant(
        "compute",
        "CloudMapTagOwn",
        "tags of namespaces and services tagged as this stack's: the SAR lists no resource type "
        "for Cloud Map's tag actions, so Resource is * and the tags confine it",
        (
            "servicediscovery:ListTagsForResource",
            "servicediscovery:TagResource",
            "servicediscovery:UntagResource",
        ),
        "resource-tag",
    ),
    Grant(
        "compute",
        "CloudMapHostedZone",
        "Cloud Map creates and deletes the namespace's hosted zone with the caller's permissions; "
        "Route 53 zones support neither tag conditions nor predictable ids, and a zone with records "
        "cannot be deleted; it waits on the zone's change (GetChange, resource type change)",
        ("route53:DeleteHostedZone", "route53:GetChange", "route53:GetHostedZone"),
        "arns",
        ("arn:aws:route53:::hostedzone/*", "arn:aws:route53:::change/*"),
    ),
    Grant(
        "ingress",
        "AccessLogBucket",
        "the ALB access-log bucket (arbiter-<env>-*): what the S3 bucket resources read on refresh "
        "and set on create",
        (
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:DeleteBucketPolicy",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketLogging",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketOwnershipControls",
            "s3:GetBucketPolicy",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketTagging",
            "s3:GetBucketVersioning",
            "s3:GetBucketWebsite",
            "s3:GetEncryptionConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:ListBucket",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketTagging",
            "s3:PutBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:PutLifecycleConfiguration",
        ),
        "arns",
        ("arn:aws:s3:::{p}-*",),
    ),
)
