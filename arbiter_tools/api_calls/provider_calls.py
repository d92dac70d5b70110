"""A DATA TABLE (long by design): the Terraform AWS provider's calls per type besides the create.

Source: hashicorp/terraform-provider-aws; each entry names the Go file it was read from.
`provider.provider_authorizations` turns it into authorizations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from policies import resource_types as rt


@dataclass(frozen=True)
class ProviderCalls:
    """The Terraform AWS provider's calls for one resource type besides the emulated create.

    `reads`: its Read function (refresh; also run right after create). `writes`: the update
    path's tag and policy writes. Each entry is (IAM action, ARN template); templates use the
    declared resource's `{id}`, its outputs/inputs (`{o[arn]}`, `{i[role]}`), `{region}`, `{account}`.
    """

    source: str
    reads: tuple[tuple[str, str], ...]
    writes: tuple[tuple[str, str], ...] = ()


_EC2_TAG_WRITES: Final = (("ec2:CreateTags", "{ec2}"), ("ec2:DeleteTags", "{ec2}"))
_RDS_TAGS: Final = (("rds:AddTagsToResource", "{o[arn]}"), ("rds:RemoveTagsFromResource", "{o[arn]}"))
_ELC_TAGS: Final = (
    ("elasticache:AddTagsToResource", "{o[arn]}"),
    ("elasticache:RemoveTagsFromResource", "{o[arn]}"),
)
_ELB_TAGS: Final = (("elasticloadbalancing:AddTags", "{id}"), ("elasticloadbalancing:RemoveTags", "{id}"))
_ELB_READ_TAGS: Final = ("elasticloadbalancing:DescribeTags", "*")
_S3_BUCKET: Final = "arn:aws:s3:::{i[bucket]}"
_P = "internal/service"

#: Pulumi type -> the provider's calls for it (source: hashicorp/terraform-provider-aws).
PROVIDER_CALLS: Final[dict[str, ProviderCalls]] = {
    rt.VPC: ProviderCalls(
        f"{_P}/ec2/vpc_.go (resourceVPCRead: DescribeVpcs, DescribeVpcAttribute x3, main route "
        "table, default security group and network ACL)",
        (
            ("ec2:DescribeVpcs", "*"),
            ("ec2:DescribeVpcAttribute", "*"),
            ("ec2:DescribeRouteTables", "*"),
            ("ec2:DescribeSecurityGroups", "*"),
            ("ec2:DescribeNetworkAcls", "*"),
        ),
        (*_EC2_TAG_WRITES, ("ec2:ModifyVpcAttribute", "{ec2}")),
    ),
    rt.SUBNET: ProviderCalls(
        f"{_P}/ec2/vpc_subnet.go",
        (("ec2:DescribeSubnets", "*"),),
        (*_EC2_TAG_WRITES, ("ec2:ModifySubnetAttribute", "{ec2}")),
    ),
    rt.INTERNET_GATEWAY: ProviderCalls(
        f"{_P}/ec2/vpc_internet_gateway.go", (("ec2:DescribeInternetGateways", "*"),), _EC2_TAG_WRITES
    ),
    rt.EIP: ProviderCalls(
        f"{_P}/ec2/ec2_eip.go (DescribeAddresses; DescribeAddressesAttribute for the PTR record)",
        (("ec2:DescribeAddresses", "*"), ("ec2:DescribeAddressesAttribute", "*")),
        _EC2_TAG_WRITES,
    ),
    rt.NAT_GATEWAY: ProviderCalls(
        f"{_P}/ec2/vpc_nat_gateway.go", (("ec2:DescribeNatGateways", "*"),), _EC2_TAG_WRITES
    ),
    rt.ROUTE_TABLE: ProviderCalls(
        f"{_P}/ec2/vpc_route_table.go", (("ec2:DescribeRouteTables", "*"),), _EC2_TAG_WRITES
    ),
    rt.ROUTE: ProviderCalls(
        f"{_P}/ec2/vpc_route.go (waits for the route in DescribeRouteTables)",
        (("ec2:DescribeRouteTables", "*"),),
        (("ec2:ReplaceRoute", "arn:aws:ec2:{region}:{account}:route-table/{i[routeTableId]}"),),
    ),
    rt.ROUTE_TABLE_ASSOCIATION: ProviderCalls(
        f"{_P}/ec2/vpc_route_table_association.go",
        (("ec2:DescribeRouteTables", "*"),),
        (
            (
                "ec2:ReplaceRouteTableAssociation",
                "arn:aws:ec2:{region}:{account}:route-table/{i[routeTableId]}",
            ),
        ),
    ),
    rt.SECURITY_GROUP: ProviderCalls(
        f"{_P}/ec2/vpc_security_group.go", (("ec2:DescribeSecurityGroups", "*"),), _EC2_TAG_WRITES
    ),
    rt.DEFAULT_SG: ProviderCalls(
        f"{_P}/ec2/vpc_default_security_group.go", (("ec2:DescribeSecurityGroups", "*"),), _EC2_TAG_WRITES
    ),
    rt.SG_INGRESS: ProviderCalls(
        f"{_P}/ec2/vpc_security_group_ingress_rule.go (DescribeSecurityGroupRules; "
        "ModifySecurityGroupRules on update)",
        (("ec2:DescribeSecurityGroupRules", "*"),),
        (
            (
                "ec2:ModifySecurityGroupRules",
                "arn:aws:ec2:{region}:{account}:security-group/{i[securityGroupId]}",
            ),
            *_EC2_TAG_WRITES,
        ),
    ),
    rt.SG_EGRESS: ProviderCalls(
        f"{_P}/ec2/vpc_security_group_egress_rule.go",
        (("ec2:DescribeSecurityGroupRules", "*"),),
        (
            (
                "ec2:ModifySecurityGroupRules",
                "arn:aws:ec2:{region}:{account}:security-group/{i[securityGroupId]}",
            ),
            *_EC2_TAG_WRITES,
        ),
    ),
    rt.VPC_ENDPOINT: ProviderCalls(
        f"{_P}/ec2/vpc_endpoint.go (DescribeVpcEndpoints; DescribePrefixLists for gateway endpoints)",
        (("ec2:DescribeVpcEndpoints", "*"), ("ec2:DescribePrefixLists", "*")),
        (*_EC2_TAG_WRITES, ("ec2:ModifyVpcEndpoint", "{ec2}")),
    ),
    rt.NETWORK_ACL: ProviderCalls(
        f"{_P}/ec2/vpc_network_acl.go (DescribeNetworkAcls; on update: entries deleted and created, "
        "subnets moved with ReplaceNetworkAclAssociation)",
        (("ec2:DescribeNetworkAcls", "*"),),
        (
            *_EC2_TAG_WRITES,
            ("ec2:CreateNetworkAclEntry", "{ec2}"),
            ("ec2:DeleteNetworkAclEntry", "{ec2}"),
            ("ec2:ReplaceNetworkAclAssociation", "{ec2}"),
        ),
    ),
    rt.FLOW_LOG: ProviderCalls(
        f"{_P}/ec2/vpc_flow_log.go", (("ec2:DescribeFlowLogs", "*"),), _EC2_TAG_WRITES
    ),
    rt.KMS_KEY: ProviderCalls(
        f"{_P}/kms/key.go (findKeyInfo: DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags)",
        (
            ("kms:DescribeKey", "{o[arn]}"),
            ("kms:GetKeyPolicy", "{o[arn]}"),
            ("kms:GetKeyRotationStatus", "{o[arn]}"),
            ("kms:ListResourceTags", "{o[arn]}"),
        ),
        (
            ("kms:PutKeyPolicy", "{o[arn]}"),
            ("kms:UpdateKeyDescription", "{o[arn]}"),
            ("kms:TagResource", "{o[arn]}"),
            ("kms:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.KMS_ALIAS: ProviderCalls(
        f"{_P}/kms/alias.go (FindAliasByName pages ListAliases)",
        (("kms:ListAliases", "*"),),
        (("kms:UpdateAlias", "{o[arn]}"), ("kms:UpdateAlias", "{o[targetKeyArn]}")),
    ),
    rt.IAM_ROLE: ProviderCalls(
        f"{_P}/iam/role.go (GetRole; ListRolePolicies/GetRolePolicy and ListAttachedRolePolicies "
        "for inline_policy and managed_policy_arns)",
        (
            ("iam:GetRole", "{o[arn]}"),
            ("iam:ListRolePolicies", "{o[arn]}"),
            ("iam:ListAttachedRolePolicies", "{o[arn]}"),
        ),
        (
            ("iam:UpdateRoleDescription", "{o[arn]}"),
            ("iam:TagRole", "{o[arn]}"),
            ("iam:UntagRole", "{o[arn]}"),
        ),
    ),
    rt.IAM_ROLE_POLICY: ProviderCalls(
        f"{_P}/iam/role_policy.go", (("iam:GetRolePolicy", "arn:aws:iam::{account}:role/{i[role]}"),)
    ),
    rt.IAM_POLICY: ProviderCalls(
        f"{_P}/iam/policy.go (GetPolicy, GetPolicyVersion, ListPolicyVersions before a new version)",
        (
            ("iam:GetPolicy", "{o[arn]}"),
            ("iam:GetPolicyVersion", "{o[arn]}"),
            ("iam:ListPolicyVersions", "{o[arn]}"),
        ),
        (
            ("iam:CreatePolicyVersion", "{o[arn]}"),
            ("iam:DeletePolicyVersion", "{o[arn]}"),
            ("iam:TagPolicy", "{o[arn]}"),
        ),
    ),
    rt.IAM_ROLE_POLICY_ATTACHMENT: ProviderCalls(
        f"{_P}/iam/role_policy_attachment.go",
        (("iam:ListAttachedRolePolicies", "arn:aws:iam::{account}:role/{i[role]}"),),
    ),
    rt.LOG_GROUP: ProviderCalls(
        f"{_P}/logs/group.go (DescribeLogGroups; ListTagsForResource)",
        (("logs:DescribeLogGroups", "*"), ("logs:ListTagsForResource", "{o[arn]}")),
        (
            ("logs:PutRetentionPolicy", "{o[arn]}"),
            ("logs:AssociateKmsKey", "{o[arn]}"),
            ("logs:TagResource", "{o[arn]}"),
            ("logs:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SECRET: ProviderCalls(
        f"{_P}/secretsmanager/secret.go (DescribeSecret, GetResourcePolicy)",
        (("secretsmanager:DescribeSecret", "{o[arn]}"), ("secretsmanager:GetResourcePolicy", "{o[arn]}")),
        (
            ("secretsmanager:UpdateSecret", "{o[arn]}"),
            ("secretsmanager:TagResource", "{o[arn]}"),
            ("secretsmanager:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SECRET_VERSION: ProviderCalls(
        f"{_P}/secretsmanager/secret_version.go (GetSecretValue of the version, ListSecretVersionIds)",
        (("secretsmanager:GetSecretValue", "{o[arn]}"), ("secretsmanager:ListSecretVersionIds", "{o[arn]}")),
        (("secretsmanager:PutSecretValue", "{o[arn]}"),),
    ),
    rt.RDS_CLUSTER_PARAMETER_GROUP: ProviderCalls(
        f"{_P}/rds/cluster_parameter_group.go",
        (
            ("rds:DescribeDBClusterParameterGroups", "{o[arn]}"),
            ("rds:DescribeDBClusterParameters", "{o[arn]}"),
            ("rds:ListTagsForResource", "{o[arn]}"),
        ),
        (("rds:ModifyDBClusterParameterGroup", "{o[arn]}"), *_RDS_TAGS),
    ),
    rt.RDS_SUBNET_GROUP: ProviderCalls(
        f"{_P}/rds/subnet_group.go",
        (("rds:DescribeDBSubnetGroups", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (("rds:ModifyDBSubnetGroup", "{o[arn]}"), *_RDS_TAGS),
    ),
    rt.RDS_CLUSTER: ProviderCalls(
        f"{_P}/rds/cluster.go (DescribeDBClusters; waits on it after create and modify)",
        (("rds:DescribeDBClusters", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (("rds:ModifyDBCluster", "{o[arn]}"), *_RDS_TAGS),
    ),
    rt.RDS_CLUSTER_INSTANCE: ProviderCalls(
        f"{_P}/rds/cluster_instance.go (DescribeDBInstances, DescribeDBClusters for the writer flag)",
        (
            ("rds:DescribeDBInstances", "{o[arn]}"),
            ("rds:DescribeDBClusters", "arn:aws:rds:{region}:{account}:cluster:{i[clusterIdentifier]}"),
            ("rds:ListTagsForResource", "{o[arn]}"),
        ),
        (("rds:ModifyDBInstance", "{o[arn]}"), *_RDS_TAGS),
    ),
    rt.CACHE_SUBNET_GROUP: ProviderCalls(
        f"{_P}/elasticache/subnet_group.go",
        (
            ("elasticache:DescribeCacheSubnetGroups", "{o[arn]}"),
            ("elasticache:ListTagsForResource", "{o[arn]}"),
        ),
        (("elasticache:ModifyCacheSubnetGroup", "{o[arn]}"), *_ELC_TAGS),
    ),
    rt.CACHE_PARAMETER_GROUP: ProviderCalls(
        f"{_P}/elasticache/parameter_group.go (created by the provider; moto has no API for it)",
        (
            ("elasticache:DescribeCacheParameterGroups", "{pg}"),
            ("elasticache:DescribeCacheParameters", "{pg}"),
            ("elasticache:ListTagsForResource", "{pg}"),
        ),
        (
            ("elasticache:CreateCacheParameterGroup", "{pg}"),
            ("elasticache:ModifyCacheParameterGroup", "{pg}"),
            ("elasticache:AddTagsToResource", "{pg}"),
            ("elasticache:RemoveTagsFromResource", "{pg}"),
        ),
    ),
    rt.REPLICATION_GROUP: ProviderCalls(
        f"{_P}/elasticache/replication_group.go (DescribeReplicationGroups, DescribeCacheClusters "
        "of the members, ListTagsForResource)",
        (
            ("elasticache:DescribeReplicationGroups", "{o[arn]}"),
            ("elasticache:DescribeCacheClusters", "arn:aws:elasticache:{region}:{account}:cluster:{id}-001"),
            ("elasticache:ListTagsForResource", "{o[arn]}"),
        ),
        (("elasticache:ModifyReplicationGroup", "{o[arn]}"), *_ELC_TAGS),
    ),
    rt.ECS_CLUSTER: ProviderCalls(
        f"{_P}/ecs/cluster.go",
        (("ecs:DescribeClusters", "{o[arn]}"),),
        (
            ("ecs:UpdateCluster", "{o[arn]}"),
            ("ecs:TagResource", "{o[arn]}"),
            ("ecs:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.ECS_CAPACITY_PROVIDERS: ProviderCalls(
        f"{_P}/ecs/cluster_capacity_providers.go",
        (("ecs:DescribeClusters", "arn:aws:ecs:{region}:{account}:cluster/{id}"),),
        (("ecs:PutClusterCapacityProviders", "arn:aws:ecs:{region}:{account}:cluster/{id}"),),
    ),
    rt.TASK_DEFINITION: ProviderCalls(
        f"{_P}/ecs/task_definition.go (DescribeTaskDefinition with tags; a change registers a revision)",
        (("ecs:DescribeTaskDefinition", "*"),),
        (("ecs:RegisterTaskDefinition", "*"), ("ecs:TagResource", "{o[arn]}")),
    ),
    rt.ECS_SERVICE: ProviderCalls(
        f"{_P}/ecs/service.go (DescribeServices; waits for stability on update)",
        (("ecs:DescribeServices", "{id}"),),
        (("ecs:UpdateService", "{id}"), ("ecs:TagResource", "{id}"), ("ecs:UntagResource", "{id}")),
    ),
    rt.LOAD_BALANCERS[0]: ProviderCalls(
        f"{_P}/elbv2/load_balancer.go",
        (
            ("elasticloadbalancing:DescribeLoadBalancers", "*"),
            ("elasticloadbalancing:DescribeLoadBalancerAttributes", "*"),
            ("elasticloadbalancing:DescribeCapacityReservation", "{id}"),
            _ELB_READ_TAGS,
        ),
        (
            ("elasticloadbalancing:ModifyLoadBalancerAttributes", "{id}"),
            ("elasticloadbalancing:SetSecurityGroups", "{id}"),
            ("elasticloadbalancing:SetSubnets", "{id}"),
            *_ELB_TAGS,
        ),
    ),
    rt.TARGET_GROUPS[0]: ProviderCalls(
        f"{_P}/elbv2/target_group.go",
        (
            ("elasticloadbalancing:DescribeTargetGroups", "*"),
            ("elasticloadbalancing:DescribeTargetGroupAttributes", "*"),
            _ELB_READ_TAGS,
        ),
        (
            ("elasticloadbalancing:ModifyTargetGroup", "{id}"),
            ("elasticloadbalancing:ModifyTargetGroupAttributes", "{id}"),
            *_ELB_TAGS,
        ),
    ),
    rt.LISTENERS[0]: ProviderCalls(
        f"{_P}/elbv2/listener.go (DescribeListeners, DescribeListenerAttributes, DescribeTags)",
        (
            ("elasticloadbalancing:DescribeListeners", "*"),
            ("elasticloadbalancing:DescribeListenerAttributes", "*"),
            _ELB_READ_TAGS,
        ),
        (("elasticloadbalancing:ModifyListener", "{id}"), *_ELB_TAGS),
    ),
    rt.LISTENER_RULES[0]: ProviderCalls(
        f"{_P}/elbv2/listener_rule.go",
        (("elasticloadbalancing:DescribeRules", "*"), _ELB_READ_TAGS),
        (
            ("elasticloadbalancing:ModifyRule", "{id}"),
            ("elasticloadbalancing:SetRulePriorities", "{id}"),
            *_ELB_TAGS,
        ),
    ),
    rt.SD_NAMESPACE: ProviderCalls(
        f"{_P}/servicediscovery/private_dns_namespace.go (GetNamespace, ListTagsForResource)",
        (("servicediscovery:GetNamespace", "{o[arn]}"), ("servicediscovery:ListTagsForResource", "{o[arn]}")),
        (
            ("servicediscovery:UpdatePrivateDnsNamespace", "{o[arn]}"),
            ("servicediscovery:TagResource", "{o[arn]}"),
            ("servicediscovery:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SD_SERVICE: ProviderCalls(
        f"{_P}/servicediscovery/service.go",
        (("servicediscovery:GetService", "{o[arn]}"), ("servicediscovery:ListTagsForResource", "{o[arn]}")),
        (
            ("servicediscovery:UpdateService", "{o[arn]}"),
            ("servicediscovery:TagResource", "{o[arn]}"),
            ("servicediscovery:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.SCALING_TARGET: ProviderCalls(
        f"{_P}/appautoscaling/target.go (DescribeScalableTargets, ListTagsForResource)",
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
        f"{_P}/appautoscaling/policy.go", (("application-autoscaling:DescribeScalingPolicies", "*"),)
    ),
    rt.ACM_CERTIFICATES[0]: ProviderCalls(
        f"{_P}/acm/certificate.go (DescribeCertificate, GetCertificate, ListTagsForCertificate)",
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
    rt.EVENT_RULE: ProviderCalls(
        f"{_P}/events/rule.go (DescribeRule, ListTagsForResource)",
        (("events:DescribeRule", "{o[arn]}"), ("events:ListTagsForResource", "{o[arn]}")),
        (
            ("events:PutRule", "{o[arn]}"),
            ("events:TagResource", "{o[arn]}"),
            ("events:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.EVENT_TARGET: ProviderCalls(
        f"{_P}/events/target.go (ListTargetsByRule)",
        (("events:ListTargetsByRule", "arn:aws:events:{region}:{account}:rule/{i[rule]}"),),
        (("events:PutTargets", "arn:aws:events:{region}:{account}:rule/{i[rule]}"),),
    ),
    rt.STATE_MACHINE: ProviderCalls(
        f"{_P}/sfn/state_machine.go (DescribeStateMachine, ListTagsForResource)",
        (("states:DescribeStateMachine", "{o[arn]}"), ("states:ListTagsForResource", "{o[arn]}")),
        (
            ("states:UpdateStateMachine", "{o[arn]}"),
            ("states:TagResource", "{o[arn]}"),
            ("states:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.BACKUP_VAULT: ProviderCalls(
        f"{_P}/backup/vault.go (DescribeBackupVault, ListTags)",
        (("backup:DescribeBackupVault", "{o[arn]}"), ("backup:ListTags", "{o[arn]}")),
        (("backup:TagResource", "{o[arn]}"), ("backup:UntagResource", "{o[arn]}")),
    ),
    rt.BACKUP_VAULT_POLICY: ProviderCalls(
        f"{_P}/backup/vault_policy.go (GetBackupVaultAccessPolicy)",
        (("backup:GetBackupVaultAccessPolicy", "{vault}"),),
        (("backup:PutBackupVaultAccessPolicy", "{vault}"),),
    ),
    rt.BACKUP_PLAN: ProviderCalls(
        f"{_P}/backup/plan.go (GetBackupPlan, ListTags)",
        (("backup:GetBackupPlan", "{o[arn]}"), ("backup:ListTags", "{o[arn]}")),
        (
            ("backup:UpdateBackupPlan", "{o[arn]}"),
            ("backup:TagResource", "{o[arn]}"),
            ("backup:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.BACKUP_SELECTION: ProviderCalls(
        f"{_P}/backup/selection.go (GetBackupSelection; every change replaces it)",
        (("backup:GetBackupSelection", "arn:aws:backup:{region}:{account}:backup-plan:{i[planId]}"),),
        # moto has no selections, so the create is judged here (its iam:PassRole to
        # backup.amazonaws.com is IamPassOwnRolesToTheirServices, not evaluated here).
        (("backup:CreateBackupSelection", "arn:aws:backup:{region}:{account}:backup-plan:{i[planId]}"),),
    ),
    rt.RDS_EVENT_SUBSCRIPTION: ProviderCalls(
        f"{_P}/rds/event_subscription.go (DescribeEventSubscriptions, ListTagsForResource)",
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
        f"{_P}/sns/topic.go (GetTopicAttributes, ListTagsForResource)",
        (("sns:GetTopicAttributes", "{o[arn]}"), ("sns:ListTagsForResource", "{o[arn]}")),
        (
            ("sns:SetTopicAttributes", "{o[arn]}"),
            ("sns:TagResource", "{o[arn]}"),
            ("sns:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.TOPIC_POLICY: ProviderCalls(
        f"{_P}/sns/topic_policy.go",
        (("sns:GetTopicAttributes", "{id}"),),
        (("sns:SetTopicAttributes", "{id}"),),
    ),
    rt.TOPIC_SUBSCRIPTION: ProviderCalls(
        f"{_P}/sns/topic_subscription.go (GetSubscriptionAttributes: a subscription is no IAM resource)",
        (("sns:GetSubscriptionAttributes", "*"),),
        (("sns:SetSubscriptionAttributes", "*"),),
    ),
    rt.METRIC_ALARM: ProviderCalls(
        f"{_P}/cloudwatch/metric_alarm.go (DescribeAlarms, ListTagsForResource)",
        (("cloudwatch:DescribeAlarms", "*"), ("cloudwatch:ListTagsForResource", "{o[arn]}")),
        (
            ("cloudwatch:PutMetricAlarm", "{o[arn]}"),
            ("cloudwatch:TagResource", "{o[arn]}"),
            ("cloudwatch:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.DASHBOARD: ProviderCalls(
        f"{_P}/cloudwatch/dashboard.go",
        (("cloudwatch:GetDashboard", "{o[dashboardArn]}"),),
        (("cloudwatch:PutDashboard", "{o[dashboardArn]}"),),
    ),
    rt.WEB_ACL: ProviderCalls(
        f"{_P}/wafv2/web_acl.go (GetWebACL; ListTagsForResource)",
        (("wafv2:GetWebACL", "{o[arn]}"), ("wafv2:ListTagsForResource", "{o[arn]}")),
        (
            ("wafv2:UpdateWebACL", "{o[arn]}"),
            ("wafv2:TagResource", "{o[arn]}"),
            ("wafv2:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.WAF_ASSOCIATION: ProviderCalls(
        f"{_P}/wafv2/web_acl_association.go (GetWebACLForResource)",
        (
            ("wafv2:GetWebACLForResource", "{i[resourceArn]}"),
            ("wafv2:GetWebACLForResource", "{i[webAclArn]}"),
        ),
    ),
    rt.WAF_LOGGING: ProviderCalls(
        f"{_P}/wafv2/web_acl_logging_configuration.go (GetLoggingConfiguration; Put on update)",
        (("wafv2:GetLoggingConfiguration", "{i[resourceArn]}"),),
        (("wafv2:PutLoggingConfiguration", "{i[resourceArn]}"),),
    ),
    rt.BUCKET_VERSIONING[0]: ProviderCalls(
        f"{_P}/s3/bucket_versioning.go (GetBucketVersioning)",
        (("s3:GetBucketVersioning", _S3_BUCKET),),
        (("s3:PutBucketVersioning", _S3_BUCKET),),
    ),
    rt.BUCKETS[0]: ProviderCalls(
        f"{_P}/s3/bucket.go (resourceBucketRead: HeadBucket, then every bucket sub-configuration)",
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
        f"{_P}/s3/bucket_policy.go",
        (("s3:GetBucketPolicy", _S3_BUCKET),),
        (("s3:PutBucketPolicy", _S3_BUCKET),),
    ),
    rt.BUCKET_PAB: ProviderCalls(
        f"{_P}/s3/bucket_public_access_block.go",
        (("s3:GetBucketPublicAccessBlock", _S3_BUCKET),),
        (("s3:PutBucketPublicAccessBlock", _S3_BUCKET),),
    ),
    rt.BUCKET_OWNERSHIP: ProviderCalls(
        f"{_P}/s3/bucket_ownership_controls.go",
        (("s3:GetBucketOwnershipControls", _S3_BUCKET),),
        (("s3:PutBucketOwnershipControls", _S3_BUCKET),),
    ),
    rt.BUCKET_SSE[0]: ProviderCalls(
        f"{_P}/s3/bucket_server_side_encryption_configuration.go",
        (("s3:GetEncryptionConfiguration", _S3_BUCKET),),
        (("s3:PutEncryptionConfiguration", _S3_BUCKET),),
    ),
    rt.BUCKET_LIFECYCLE[0]: ProviderCalls(
        f"{_P}/s3/bucket_lifecycle_configuration.go",
        (("s3:GetLifecycleConfiguration", _S3_BUCKET),),
        (("s3:PutLifecycleConfiguration", _S3_BUCKET),),
    ),
}

#: Declared types that make no AWS call at all.
NO_AWS_CALLS: Final = frozenset(
    {
        rt.RANDOM_PASSWORD,
        rt.TLS_PRIVATE_KEY,
        rt.SELF_SIGNED[0],
    }
)
