"""A DATA TABLE: the Terraform AWS provider's calls besides the create, for the services and their edge and operations (ECS, ELB, Cloud Map, scaling, ACM, Lambda, Backup, SNS, CloudWatch, WAF, S3).

Source: hashicorp/terraform-provider-aws; each entry names the Go file it was read from.
"""

from __future__ import annotations

from typing import Final

from arbiter_tools.api_calls.provider_model import ELB_READ_TAGS, ELB_TAGS, S3_BUCKET, P, ProviderCalls
from policies import resource_types as rt

SERVICE_CALLS: Final[dict[str, ProviderCalls]] = {
    rt.ECS_CLUSTER: ProviderCalls(
        f"{P}/ecs/cluster.go",
        (("ecs:DescribeClusters", "{o[arn]}"),),
        (
            ("ecs:UpdateCluster", "{o[arn]}"),
            ("ecs:TagResource", "{o[arn]}"),
            ("ecs:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.ECS_CAPACITY_PROVIDERS: ProviderCalls(
        f"{P}/ecs/cluster_capacity_providers.go",
        (("ecs:DescribeClusters", "arn:aws:ecs:{region}:{account}:cluster/{id}"),),
        (("ecs:PutClusterCapacityProviders", "arn:aws:ecs:{region}:{account}:cluster/{id}"),),
    ),
    rt.TASK_DEFINITION: ProviderCalls(
        f"{P}/ecs/task_definition.go (DescribeTaskDefinition with tags; a change registers a revision)",
        (("ecs:DescribeTaskDefinition", "*"),),
        (("ecs:RegisterTaskDefinition", "{o[arn]}"), ("ecs:TagResource", "{o[arn]}")),
    ),
    rt.ECS_SERVICE: ProviderCalls(
        f"{P}/ecs/service.go (DescribeServices; waits for stability on update)",
        (("ecs:DescribeServices", "{id}"),),
        (("ecs:UpdateService", "{id}"), ("ecs:TagResource", "{id}"), ("ecs:UntagResource", "{id}")),
    ),
    rt.LOAD_BALANCERS[0]: ProviderCalls(
        f"{P}/elbv2/load_balancer.go",
        (
            ("elasticloadbalancing:DescribeLoadBalancers", "*"),
            ("elasticloadbalancing:DescribeLoadBalancerAttributes", "*"),
            ("elasticloadbalancing:DescribeCapacityReservation", "{id}"),
            ELB_READ_TAGS,
        ),
        (
            ("elasticloadbalancing:ModifyLoadBalancerAttributes", "{id}"),
            ("elasticloadbalancing:SetSecurityGroups", "{id}"),
            ("elasticloadbalancing:SetSubnets", "{id}"),
            *ELB_TAGS,
        ),
    ),
    rt.TARGET_GROUPS[0]: ProviderCalls(
        f"{P}/elbv2/target_group.go",
        (
            ("elasticloadbalancing:DescribeTargetGroups", "*"),
            ("elasticloadbalancing:DescribeTargetGroupAttributes", "*"),
            ELB_READ_TAGS,
        ),
        (
            ("elasticloadbalancing:ModifyTargetGroup", "{id}"),
            ("elasticloadbalancing:ModifyTargetGroupAttributes", "{id}"),
            *ELB_TAGS,
        ),
    ),
    rt.LISTENERS[0]: ProviderCalls(
        f"{P}/elbv2/listener.go (DescribeListeners, DescribeListenerAttributes, DescribeTags)",
        (
            ("elasticloadbalancing:DescribeListeners", "*"),
            ("elasticloadbalancing:DescribeListenerAttributes", "*"),
            ELB_READ_TAGS,
        ),
        (("elasticloadbalancing:ModifyListener", "{id}"), *ELB_TAGS),
    ),
    rt.LISTENER_RULES[0]: ProviderCalls(
        f"{P}/elbv2/listener_rule.go",
        (("elasticloadbalancing:DescribeRules", "*"), ELB_READ_TAGS),
        (
            ("elasticloadbalancing:ModifyRule", "{id}"),
            ("elasticloadbalancing:SetRulePriorities", "{id}"),
            *ELB_TAGS,
        ),
    ),
    rt.SD_NAMESPACE: ProviderCalls(
        f"{P}/servicediscovery/private_dns_namespace.go (GetNamespace, ListTagsForResource)",
        (("servicediscovery:GetNamespace", "{o[arn]}"), ("servicediscovery:ListTagsForResource", "{o[arn]}")),
        (
            ("servicediscovery:UpdatePrivateDnsNamespace", "{o[arn]}"),
            ("servicediscovery:TagResource", "{o[arn]}"),
            ("servicediscovery:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SD_SERVICE: ProviderCalls(
        f"{P}/servicediscovery/service.go",
        (("servicediscovery:GetService", "{o[arn]}"), ("servicediscovery:ListTagsForResource", "{o[arn]}")),
        (
            ("servicediscovery:UpdateService", "{o[arn]}"),
            ("servicediscovery:TagResource", "{o[arn]}"),
            ("servicediscovery:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SCALING_TARGET: ProviderCalls(
        f"{P}/appautoscaling/target.go (DescribeScalableTargets, ListTagsForResource)",
        (
            ("application-autoscaling:DescribeScalableTargets", "*"),
            ("application-autoscaling:ListTagsForResource", "{target}"),
        ),
        (
            ("application-autoscaling:RegisterScalableTarget", "{target}"),
            ("application-autoscaling:TagResource", "{target}"),
            ("application-autoscaling:UntagResource", "{target}"),
        ),
    ),
    rt.SCALING_POLICY: ProviderCalls(
        f"{P}/appautoscaling/policy.go", (("application-autoscaling:DescribeScalingPolicies", "*"),)
    ),
    rt.ACM_CERTIFICATES[0]: ProviderCalls(
        f"{P}/acm/certificate.go (DescribeCertificate, GetCertificate, ListTagsForCertificate)",
        (
            ("acm:DescribeCertificate", "{o[arn]}"),
            ("acm:GetCertificate", "{o[arn]}"),
            ("acm:ListTagsForCertificate", "{o[arn]}"),
        ),
        (
            ("acm:ImportCertificate", "{o[arn]}"),
            ("acm:AddTagsToCertificate", "{o[arn]}"),
            ("acm:RemoveTagsFromCertificate", "{o[arn]}"),
        ),
    ),
    rt.LAMBDA_FUNCTION: ProviderCalls(
        f"{P}/lambda/function.go (GetFunction with tags, GetFunctionCodeSigningConfig; updates code and configuration)",
        (
            ("lambda:GetFunction", "{o[arn]}"),
            ("lambda:GetFunctionCodeSigningConfig", "{o[arn]}"),
            ("lambda:ListTags", "{o[arn]}"),
        ),
        (
            ("lambda:UpdateFunctionCode", "{o[arn]}"),
            ("lambda:UpdateFunctionConfiguration", "{o[arn]}"),
            ("lambda:TagResource", "{o[arn]}"),
            ("lambda:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.LAMBDA_INVOCATION: ProviderCalls(
        f"{P}/lambda/invocation.go (no read; create and each change of input or triggers invoke)",
        (),
        (("lambda:InvokeFunction", "arn:aws:lambda:{region}:{account}:function:{i[functionName]}"),),
    ),
    rt.BACKUP_VAULT: ProviderCalls(
        f"{P}/backup/vault.go (DescribeBackupVault, ListTags)",
        (("backup:DescribeBackupVault", "{o[arn]}"), ("backup:ListTags", "{o[arn]}")),
        (("backup:TagResource", "{o[arn]}"), ("backup:UntagResource", "{o[arn]}")),
    ),
    rt.BACKUP_VAULT_POLICY: ProviderCalls(
        f"{P}/backup/vault_policy.go (GetBackupVaultAccessPolicy)",
        (("backup:GetBackupVaultAccessPolicy", "{vault}"),),
        (("backup:PutBackupVaultAccessPolicy", "{vault}"),),
    ),
    rt.BACKUP_VAULT_LOCK: ProviderCalls(
        f"{P}/backup/vault_lock_configuration.go (DescribeBackupVault; every change replaces it: "
        "DeleteBackupVaultLockConfiguration, an administrator's, then the Put)",
        (("backup:DescribeBackupVault", "{o[backupVaultArn]}"),),
        (("backup:PutBackupVaultLockConfiguration", "{o[backupVaultArn]}"),),
    ),
    rt.BACKUP_PLAN: ProviderCalls(
        f"{P}/backup/plan.go (GetBackupPlan, ListTags)",
        (("backup:GetBackupPlan", "{o[arn]}"), ("backup:ListTags", "{o[arn]}")),
        (
            ("backup:UpdateBackupPlan", "{o[arn]}"),
            ("backup:TagResource", "{o[arn]}"),
            ("backup:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.BACKUP_SELECTION: ProviderCalls(
        f"{P}/backup/selection.go (GetBackupSelection; every change replaces it)",
        (("backup:GetBackupSelection", "arn:aws:backup:{region}:{account}:backup-plan:{i[planId]}"),),
        # moto has no selections, so the create is judged here (its iam:PassRole to
        # backup.amazonaws.com is IamPassOwnRolesToTheirServices, not evaluated here).
        (("backup:CreateBackupSelection", "arn:aws:backup:{region}:{account}:backup-plan:{i[planId]}"),),
    ),
    rt.RDS_EVENT_SUBSCRIPTION: ProviderCalls(
        f"{P}/rds/event_subscription.go (DescribeEventSubscriptions, ListTagsForResource)",
        (("rds:DescribeEventSubscriptions", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (
            ("rds:ModifyEventSubscription", "{o[arn]}"),
            ("rds:AddSourceIdentifierToSubscription", "{o[arn]}"),
            ("rds:RemoveSourceIdentifierFromSubscription", "{o[arn]}"),
            ("rds:AddTagsToResource", "{o[arn]}"),
            ("rds:RemoveTagsFromResource", "{o[arn]}"),
        ),
    ),
    rt.TOPIC: ProviderCalls(
        f"{P}/sns/topic.go (GetTopicAttributes, ListTagsForResource)",
        (("sns:GetTopicAttributes", "{o[arn]}"), ("sns:ListTagsForResource", "{o[arn]}")),
        (
            ("sns:SetTopicAttributes", "{o[arn]}"),
            ("sns:TagResource", "{o[arn]}"),
            ("sns:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.TOPIC_POLICY: ProviderCalls(
        f"{P}/sns/topic_policy.go",
        (("sns:GetTopicAttributes", "{id}"),),
        (("sns:SetTopicAttributes", "{id}"),),
    ),
    rt.TOPIC_SUBSCRIPTION: ProviderCalls(
        f"{P}/sns/topic_subscription.go (GetSubscriptionAttributes: a subscription is no IAM resource)",
        (("sns:GetSubscriptionAttributes", "*"),),
        (("sns:SetSubscriptionAttributes", "*"),),
    ),
    rt.METRIC_ALARM: ProviderCalls(
        f"{P}/cloudwatch/metric_alarm.go (DescribeAlarms, ListTagsForResource)",
        (("cloudwatch:DescribeAlarms", "{o[arn]}"), ("cloudwatch:ListTagsForResource", "{o[arn]}")),
        (
            ("cloudwatch:PutMetricAlarm", "{o[arn]}"),
            ("cloudwatch:TagResource", "{o[arn]}"),
            ("cloudwatch:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.DASHBOARD: ProviderCalls(
        f"{P}/cloudwatch/dashboard.go",
        (("cloudwatch:GetDashboard", "{o[dashboardArn]}"),),
        (("cloudwatch:PutDashboard", "{o[dashboardArn]}"),),
    ),
    rt.WEB_ACL: ProviderCalls(
        f"{P}/wafv2/web_acl.go (GetWebACL; ListTagsForResource)",
        (("wafv2:GetWebACL", "{o[arn]}"), ("wafv2:ListTagsForResource", "{o[arn]}")),
        (
            ("wafv2:UpdateWebACL", "{o[arn]}"),
            ("wafv2:TagResource", "{o[arn]}"),
            ("wafv2:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.WAF_ASSOCIATION: ProviderCalls(
        f"{P}/wafv2/web_acl_association.go (GetWebACLForResource)",
        (
            ("wafv2:GetWebACLForResource", "{i[resourceArn]}"),
            ("wafv2:GetWebACLForResource", "{i[webAclArn]}"),
        ),
    ),
    rt.WAF_LOGGING: ProviderCalls(
        f"{P}/wafv2/web_acl_logging_configuration.go (GetLoggingConfiguration; Put on update)",
        (("wafv2:GetLoggingConfiguration", "{i[resourceArn]}"),),
        (("wafv2:PutLoggingConfiguration", "{i[resourceArn]}"),),
    ),
    rt.BUCKET_VERSIONING[0]: ProviderCalls(
        f"{P}/s3/bucket_versioning.go (GetBucketVersioning)",
        (("s3:GetBucketVersioning", S3_BUCKET),),
        (("s3:PutBucketVersioning", S3_BUCKET),),
    ),
    rt.BUCKETS[0]: ProviderCalls(
        f"{P}/s3/bucket.go (resourceBucketRead: HeadBucket, then every bucket sub-configuration)",
        tuple(
            (a, "arn:aws:s3:::{id}")
            for a in (
                "s3:ListBucket",
                "s3:GetBucketPolicy",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketWebsite",
                "s3:GetBucketVersioning",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketLogging",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketTagging",
            )
        ),
        (("s3:PutBucketTagging", "arn:aws:s3:::{id}"),),
    ),
    rt.BUCKET_POLICY: ProviderCalls(
        f"{P}/s3/bucket_policy.go",
        (("s3:GetBucketPolicy", S3_BUCKET),),
        (("s3:PutBucketPolicy", S3_BUCKET),),
    ),
    rt.BUCKET_PAB: ProviderCalls(
        f"{P}/s3/bucket_public_access_block.go",
        (("s3:GetBucketPublicAccessBlock", S3_BUCKET),),
        (("s3:PutBucketPublicAccessBlock", S3_BUCKET),),
    ),
    rt.BUCKET_OWNERSHIP: ProviderCalls(
        f"{P}/s3/bucket_ownership_controls.go",
        (("s3:GetBucketOwnershipControls", S3_BUCKET),),
        (("s3:PutBucketOwnershipControls", S3_BUCKET),),
    ),
    rt.BUCKET_SSE[0]: ProviderCalls(
        f"{P}/s3/bucket_server_side_encryption_configuration.go",
        (("s3:GetEncryptionConfiguration", S3_BUCKET),),
        (("s3:PutEncryptionConfiguration", S3_BUCKET),),
    ),
    rt.BUCKET_LIFECYCLE[0]: ProviderCalls(
        f"{P}/s3/bucket_lifecycle_configuration.go",
        (("s3:GetLifecycleConfiguration", S3_BUCKET),),
        (("s3:PutLifecycleConfiguration", S3_BUCKET),),
    ),
}
