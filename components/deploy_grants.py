"""The CI identities' permissions as data: the deploy role, the preview role, the permissions boundary.

Every statement has a Sid and a written reason, and is scoped by this stack's names
(`arbiter-<env>-*`), by the `Project`/`Environment` tags the providers put on every resource, or
(only for actions AWS cannot scope) by nothing: see `arbiter_infra.iam`. Pure data and functions:
no Pulumi resources, so the IAM evaluator (`arbiter_tools.iam_eval`) and the tests read exactly the
documents the program attaches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from arbiter_infra import iam
from arbiter_infra.config import PROJECT, StackConfig
from arbiter_infra.naming import Naming

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
STS_AUDIENCE: Final = "sts.amazonaws.com"

#: ECR repository per service. The names are the repositories of the image URIs in the stack
#: files (`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`), shared by both environments and
#: owned by the account stack.
IMAGE_REPOSITORIES: Final = {
    "trading-core": "arbiter-engine",
    "telegram-bot": "telegram-bot",
    "web-api": "web-api",
}

#: IAM quotas the deploy role's managed policies must fit (non-whitespace characters; attachments).
MANAGED_POLICY_MAX_CHARS: Final = 6144
MAX_ATTACHED_POLICIES: Final = 10

Scope = Literal["unscopable", "request-tag", "resource-tag", "arns"]


@dataclass(frozen=True)
class Grant:
    """One statement of the deploy role: what it allows, where, and why it is needed.

    `resources` and `condition` are `str.format` templates filled per stack: `{region}`,
    `{account}`, `{p}` (prefix `arbiter-<env>`), `{s}` (compact prefix `arb-<stg|prd>`), `{env}`,
    `{project}`, `{bucket}` (state bucket), `{alias}` (secrets-provider KMS alias) and `{boundary}`
    (the permissions boundary's ARN).
    """

    area: str
    sid: str
    why: str
    actions: tuple[str, ...]
    scope: Scope
    resources: tuple[str, ...] = ()
    condition: Mapping[str, Any] = field(default_factory=dict)
    effect: Literal["Allow", "Deny"] = "Allow"


_EC2 = "arn:aws:ec2:{region}:{account}"
_RDS = "arn:aws:rds:{region}:{account}"
_ELC = "arn:aws:elasticache:{region}:{account}"
_ECS = "arn:aws:ecs:{region}:{account}"
_ELB = "arn:aws:elasticloadbalancing:{region}:{account}"
_LOGS = "arn:aws:logs:{region}:{account}"
_SM = "arn:aws:secretsmanager:{region}:{account}"
_KMS = "arn:aws:kms:{region}:{account}"
_BACKUP_VAULTS = tuple(
    f"arn:aws:backup:{r}:{{account}}:backup-vault:{{p}}-*" for r in ("{region}", "{copy_region}")
)
_IAM = "arn:aws:iam::{account}"
_ECR = "arn:aws:ecr:{region}:{account}"

_EC2_CREATES = (
    "ec2:AllocateAddress",
    "ec2:CreateFlowLogs",
    "ec2:CreateInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:CreateNetworkAcl",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
)
#: Security-group rules are created with TagSpecifications too (resource type security-group-rule).
_EC2_TAGGED_CREATES = (*_EC2_CREATES, "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress")
_OWN_ROLES = (f"{_IAM}:role/{{p}}-*",)
#: Execution roles inject the trading credentials: only they may read them (see the boundary).
_EXEC_ROLES = f"{_IAM}:role/{{p}}-*-exec"
_PREVIEW_ROLE = f"{_IAM}:role/{{p}}-preview"
_PREVIEW_POLICIES = f"{_IAM}:policy/{{p}}-preview-*"
_BOUNDARY = f"{_IAM}:policy/{{p}}-boundary"
#: The application secrets (values set by an operator, never by CI); `-*` is Secrets Manager's suffix.
_APP_SECRETS = tuple(f"{_SM}:secret:{{p}}/{name}-*" for name in ("polymarket", "kalshi", "telegram"))
_DEPLOY_ROLE = f"{_IAM}:role/{{p}}-deploy"
_DEPLOY_POLICIES = f"{_IAM}:policy/{{p}}-deploy-*"
_REPOS = tuple(f"{_ECR}:repository/{repo}" for repo in IMAGE_REPOSITORIES.values())
_STATE_OBJECTS = (
    "arn:aws:s3:::{bucket}/.pulumi/stacks/{project}/{env}.json*",
    "arn:aws:s3:::{bucket}/.pulumi/history/{project}/{env}/*",
    "arn:aws:s3:::{bucket}/.pulumi/backups/{project}/{env}/*",
    "arn:aws:s3:::{bucket}/.pulumi/locks/organization/{project}/{env}/*",
)

#: The deploy role's permissions, by area (one managed policy per area).
GRANTS: Final[tuple[Grant, ...]] = (
    # ---- network: VPC, subnets, routes, NAT, endpoints, security groups, flow logs
    Grant(
        "network",
        "Ec2Reads",
        "refresh and diff of every network resource; EC2 Describe calls cannot be scoped",
        tuple(sorted(a for a in iam.UNSCOPABLE_ACTIONS if a.startswith("ec2:Describe"))),
        "unscopable",
    ),
    Grant(
        "network",
        "Ec2CreateTaggedForThisStack",
        "new network resources are created with the provider's default tags (TagSpecifications), "
        "so the request tags confine creation to resources labelled as this stack's",
        _EC2_TAGGED_CREATES,
        "request-tag",
    ),
    Grant(
        "network",
        "Ec2TagOnCreate",
        "tag-on-create is authorized as ec2:CreateTags; allowed only as part of the creates above",
        ("ec2:CreateTags",),
        "request-tag",
        condition={"StringEquals": {"ec2:CreateAction": [a.split(":")[1] for a in _EC2_TAGGED_CREATES]}},
    ),
    Grant(
        "network",
        "Ec2CreateInOwnNetwork",
        "a create is authorized on the VPC, subnet, elastic IP, security group or route table it "
        "uses as well as on the new resource, and request tags apply to the new resource only: so "
        "these creates are allowed on existing resources tagged as this stack's",
        (
            "ec2:CreateFlowLogs",
            "ec2:CreateNatGateway",
            "ec2:CreateNetworkAcl",
            "ec2:CreateRouteTable",
            "ec2:CreateSecurityGroup",
            "ec2:CreateSubnet",
            "ec2:CreateVpcEndpoint",
        ),
        "resource-tag",
    ),
    Grant(
        "network",
        "Ec2ChangeOwnNetwork",
        "update and delete only resources already tagged as this stack's (network ACL entries and "
        "subnet moves are authorized on the tagged ACL). The VPC's default security group is "
        "untagged until the first (admin) run adopts and tags it; after that it matches too",
        (
            "ec2:AssociateRouteTable",
            "ec2:AttachInternetGateway",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateNetworkAclEntry",
            "ec2:CreateRoute",
            "ec2:CreateTags",
            "ec2:DeleteFlowLogs",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteNatGateway",
            "ec2:DeleteNetworkAcl",
            "ec2:DeleteNetworkAclEntry",
            "ec2:DeleteRoute",
            "ec2:DeleteRouteTable",
            "ec2:DeleteSecurityGroup",
            "ec2:DeleteSubnet",
            "ec2:DeleteTags",
            "ec2:DeleteVpc",
            "ec2:DeleteVpcEndpoints",
            "ec2:DetachInternetGateway",
            "ec2:DisassociateAddress",
            "ec2:DisassociateRouteTable",
            "ec2:ModifySecurityGroupRules",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ModifyVpcEndpoint",
            "ec2:ReleaseAddress",
            "ec2:ReplaceNetworkAclAssociation",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:ReplaceRoute",
            "ec2:ReplaceRouteTableAssociation",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
            "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        ),
        "resource-tag",
    ),
    # ---- data: Aurora, Redis, Secrets Manager, the stack CMK
    Grant(
        "data",
        "RdsReads",
        "engine-version and instance-class lookups have no resource type",
        ("rds:DescribeDBEngineVersions", "rds:DescribeOrderableDBInstanceOptions"),
        "unscopable",
    ),
    Grant(
        "data",
        "AuroraOwnCluster",
        "the Aurora cluster, its instances, subnet and parameter groups, and the final snapshot on "
        "delete: all named arbiter-<env>-*",
        (
            "rds:AddTagsToResource",
            "rds:CreateDBCluster",
            "rds:CreateDBClusterParameterGroup",
            "rds:CreateDBClusterSnapshot",
            "rds:CreateDBInstance",
            "rds:CreateDBParameterGroup",
            "rds:CreateDBSubnetGroup",
            "rds:DeleteDBCluster",
            "rds:DeleteDBClusterParameterGroup",
            "rds:DeleteDBInstance",
            "rds:DeleteDBParameterGroup",
            "rds:DeleteDBSubnetGroup",
            "rds:DescribeDBClusterParameterGroups",
            "rds:DescribeDBClusterParameters",
            "rds:DescribeDBClusters",
            "rds:DescribeDBInstances",
            "rds:DescribeDBParameterGroups",
            "rds:DescribeDBParameters",
            "rds:DescribeDBSubnetGroups",
            "rds:ListTagsForResource",
            "rds:ModifyDBCluster",
            "rds:ModifyDBClusterParameterGroup",
            "rds:ModifyDBInstance",
            "rds:ModifyDBParameterGroup",
            "rds:ModifyDBSubnetGroup",
            "rds:RemoveTagsFromResource",
        ),
        "arns",
        (
            f"{_RDS}:cluster:{{p}}-*",
            f"{_RDS}:db:{{p}}-*",
            f"{_RDS}:subgrp:{{p}}-*",
            f"{_RDS}:cluster-pg:{{p}}-*",
            f"{_RDS}:pg:{{p}}-*",
            f"{_RDS}:cluster-snapshot:{{p}}-*",
        ),
    ),
    Grant(
        "data",
        "AuroraDefaultOptionGroup",
        "CreateDBCluster requires an option-group resource (og*) and an Aurora instance is attached "
        "to the engine's default option group: both are authorized on it",
        ("rds:CreateDBCluster", "rds:CreateDBInstance", "rds:ModifyDBInstance"),
        "arns",
        (f"{_RDS}:og:default:aurora-postgresql-*",),
    ),
    Grant(
        "data",
        "AuroraManagedMasterSecret",
        "RDS creates the managed master-password secret (rds!cluster-*) with the caller's permissions",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:RotateSecret",
            "secretsmanager:TagResource",
        ),
        "arns",
        (f"{_SM}:secret:rds!cluster-*",),
    ),
    Grant(
        "backup",
        "BackupVaultStorage",
        "CreateBackupVault mounts the vault's storage (backup-storage has no resource type)",
        ("backup-storage:MountCapsule",),
        "unscopable",
    ),
    Grant(
        "backup",
        "BackupOwnVaults",
        "the Aurora backup vault and its copy-region twin (arbiter-<env>-backup*), their tags and "
        "access policies. No DeleteBackupVault: the vault policy reserves it for an administrator",
        (
            "backup:CreateBackupVault",
            "backup:DeleteBackupVaultAccessPolicy",
            "backup:DescribeBackupVault",
            "backup:GetBackupVaultAccessPolicy",
            "backup:ListTags",
            "backup:PutBackupVaultAccessPolicy",
            "backup:TagResource",
            "backup:UntagResource",
        ),
        "arns",
        _BACKUP_VAULTS,
    ),
    Grant(
        "backup",
        "BackupCreatePlanTagged",
        "a backup plan's ARN carries a random id: it is created with this stack's tags",
        ("backup:CreateBackupPlan", "backup:TagResource"),
        "request-tag",
    ),
    Grant(
        "backup",
        "BackupOwnPlans",
        "this stack's backup plan (by its tags) and the selection of the Aurora cluster in it",
        (
            "backup:CreateBackupSelection",
            "backup:DeleteBackupPlan",
            "backup:DeleteBackupSelection",
            "backup:GetBackupPlan",
            "backup:GetBackupSelection",
            "backup:ListTags",
            "backup:TagResource",
            "backup:UntagResource",
            "backup:UpdateBackupPlan",
        ),
        "resource-tag",
    ),
    Grant(
        "backup",
        "KmsBackupCopyAlias",
        "the alias of the copy-region key of the backup copies (alias/arbiter-<env>-backup there); "
        "the key itself carries the stack's tags (KmsUseAndManageStackKey)",
        ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
        "arns",
        ("arn:aws:kms:{copy_region}:{account}:alias/{p}-backup",),
    ),
    Grant(
        "backup",
        "RdsOwnEventSubscriptions",
        "RDS event subscriptions arbiter-<env>-rds-* send the cluster's and instances' failover, "
        "failure, maintenance and low-storage events to the alert topic",
        (
            "rds:AddSourceIdentifierToSubscription",
            "rds:AddTagsToResource",
            "rds:CreateEventSubscription",
            "rds:DeleteEventSubscription",
            "rds:DescribeEventSubscriptions",
            "rds:ListTagsForResource",
            "rds:ModifyEventSubscription",
            "rds:RemoveSourceIdentifierFromSubscription",
            "rds:RemoveTagsFromResource",
        ),
        "arns",
        (f"{_RDS}:es:{{p}}-*",),
    ),
    Grant(
        "data",
        "RedisReads",
        "engine-version lookup has no resource type",
        ("elasticache:DescribeCacheEngineVersions",),
        "unscopable",
    ),
    Grant(
        "data",
        "RedisOwnReplicationGroup",
        "the Redis replication group, its member clusters, subnet and parameter groups, final "
        "snapshot; names use either prefix because ElastiCache ids are limited to 40 characters",
        (
            "elasticache:AddTagsToResource",
            "elasticache:CreateCacheParameterGroup",
            "elasticache:CreateCacheSubnetGroup",
            "elasticache:CreateReplicationGroup",
            "elasticache:CreateSnapshot",
            "elasticache:DecreaseReplicaCount",
            "elasticache:DeleteCacheParameterGroup",
            "elasticache:DeleteCacheSubnetGroup",
            "elasticache:DeleteReplicationGroup",
            "elasticache:DescribeCacheClusters",
            "elasticache:DescribeCacheParameterGroups",
            "elasticache:DescribeCacheParameters",
            "elasticache:DescribeCacheSubnetGroups",
            "elasticache:DescribeReplicationGroups",
            "elasticache:IncreaseReplicaCount",
            "elasticache:ListTagsForResource",
            "elasticache:ModifyCacheParameterGroup",
            "elasticache:ModifyCacheSubnetGroup",
            "elasticache:ModifyReplicationGroup",
            "elasticache:RemoveTagsFromResource",
        ),
        "arns",
        tuple(
            f"{_ELC}:{kind}:{prefix}-*"
            for kind in ("replicationgroup", "cluster", "subnetgroup", "parametergroup", "snapshot")
            for prefix in ("{p}", "{s}")
        ),
    ),
    Grant(
        "data",
        "SecretsOwnContainers",
        "the secret containers (arbiter-<env>-* or arbiter-<env>/*): Pulumi manages their "
        "settings, never the values of the application secrets",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteResourcePolicy",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "secretsmanager:ListSecretVersionIds",
            "secretsmanager:PutResourcePolicy",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            "secretsmanager:UpdateSecret",
        ),
        "arns",
        (f"{_SM}:secret:{{p}}-*", f"{_SM}:secret:{{p}}/*"),
    ),
    Grant(
        "data",
        "SecretsPulumiGeneratedValue",
        "the Redis AUTH token is generated by Pulumi (pulumi-random) and written as a secret "
        "version, which refresh reads back",
        ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"),
        "arns",
        (f"{_SM}:secret:{{p}}/redis-auth-*",),
    ),
    Grant(
        "data",
        "DenyApplicationSecretValues",
        "the trading and bot credentials are set by an operator and read only by the execution "
        "roles that inject them: CI never reads or writes their values",
        ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"),
        "arns",
        _APP_SECRETS,
        effect="Deny",
    ),
    Grant(
        "data",
        "SecretsReads",
        "random passwords (AUTH token) and the secret list have no resource type",
        ("secretsmanager:GetRandomPassword", "secretsmanager:ListSecrets"),
        "unscopable",
    ),
    Grant(
        "data",
        "KmsCreateStackKey",
        "the stack CMK is created with this stack's tags; CreateKey has no resource ARN, and tags "
        "on CreateKey need kms:TagResource not restricted to a key",
        ("kms:CreateKey", "kms:TagResource"),
        "request-tag",
    ),
    Grant(
        "data",
        "KmsUseAndManageStackKey",
        "key ids are random, so the stack CMK is identified by its tags. Grants let Aurora, Redis "
        "and Secrets Manager encrypt with it. Alias calls are authorized on the key as well as on "
        "the alias (the alias side is KmsStackAlias). No ScheduleKeyDeletion: destroying a CMK "
        "destroys the data it protects, so that stays an admin action",
        (
            "kms:CreateAlias",
            "kms:DeleteAlias",
            "kms:UpdateAlias",
            "kms:CreateGrant",
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:EnableKeyRotation",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
            "kms:PutKeyPolicy",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:UpdateKeyDescription",
        ),
        "resource-tag",
    ),
    Grant(
        "data",
        "KmsStackAlias",
        "the stack CMK's alias (alias/arbiter-<env>); the key side of alias calls is the statement above",
        ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
        "arns",
        (f"{_KMS}:alias/{{p}}", f"{_KMS}:alias/{{p}}-*"),
    ),
    Grant(
        "data",
        "KmsReads",
        "alias and key listing have no resource type",
        ("kms:ListAliases", "kms:ListKeys"),
        "unscopable",
    ),
    # ---- compute and ingress: ECS, autoscaling, Cloud Map; the ALB and its access-log bucket
    Grant(
        "compute",
        "EcsTaskDefinitionsAndCluster",
        "task definitions (register/describe/list, also for rollbacks to an older revision) and "
        "CreateCluster cannot be scoped",
        (
            "ecs:CreateCluster",
            "ecs:DeregisterTaskDefinition",
            "ecs:DescribeTaskDefinition",
            "ecs:ListClusters",
            "ecs:ListTaskDefinitions",
            "ecs:RegisterTaskDefinition",
        ),
        "unscopable",
    ),
    Grant(
        "compute",
        "EcsOwnClusterServicesTasks",
        "the stack's cluster and its services and tasks: pulumi up, the rollout wait "
        "(DescribeServices, DescribeTasks) and rollbacks (UpdateService)",
        (
            "ecs:CreateService",
            "ecs:DeleteCluster",
            "ecs:DeleteService",
            "ecs:DescribeClusters",
            "ecs:DescribeServices",
            "ecs:DescribeTasks",
            "ecs:ListTagsForResource",
            "ecs:PutClusterCapacityProviders",
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
        "load balancer, listener, rule and target-group descriptions cannot be scoped",
        (
            "elasticloadbalancing:DescribeListenerAttributes",
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
            "elasticloadbalancing:DescribeCapacityReservation",
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
        "web-api's scalable target; its ARN is generated, so it is scoped by the request tags",
        ("application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"),
        "request-tag",
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
    ),
    Grant(
        "compute",
        "CloudMapReads",
        "namespace/service listing, operations and the hosted zone Cloud Map creates have no ARN "
        "known in advance",
        (
            "route53:CreateHostedZone",
            "route53:GetChange",
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
            "servicediscovery:ListTagsForResource",
            "servicediscovery:TagResource",
            "servicediscovery:UntagResource",
            "servicediscovery:UpdatePrivateDnsNamespace",
            "servicediscovery:UpdateService",
        ),
        "resource-tag",
    ),
    Grant(
        "compute",
        "CloudMapHostedZone",
        "Cloud Map creates and deletes the namespace's hosted zone with the caller's permissions; "
        "Route 53 zones support neither tag conditions nor predictable ids, and a zone with records "
        "cannot be deleted",
        ("route53:DeleteHostedZone", "route53:GetHostedZone"),
        "arns",
        ("arn:aws:route53:::hostedzone/*",),
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
    # ---- identity: task/execution/monitoring/flow-log roles and their policies
    Grant(
        "identity",
        "IamReadOwnRoles",
        "refresh of the roles this program creates (task, execution, RDS monitoring, flow logs)",
        (
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRolePolicies",
        ),
        "arns",
        _OWN_ROLES,
    ),
    Grant(
        "identity",
        "IamRolesOnlyWithTheBoundary",
        "no escalation: a role CI creates or whose permissions it changes must carry this stack's "
        "permissions boundary, so no role it makes can do more than the boundary allows",
        (
            "iam:CreateRole",
            "iam:DeleteRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
        ),
        "arns",
        _OWN_ROLES,
        condition={"StringEquals": {"iam:PermissionsBoundary": "{boundary}"}},
    ),
    Grant(
        "identity",
        "IamAttachOnlyWithTheBoundary",
        "managed policies only on bounded roles, and only this stack's policies or AWS "
        "service-role policies (e.g. RDS enhanced monitoring), never AdministratorAccess",
        ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
        "arns",
        _OWN_ROLES,
        condition={
            "StringEquals": {"iam:PermissionsBoundary": "{boundary}"},
            "ArnLike": {
                "iam:PolicyARN": [f"{_IAM}:policy/{{p}}-*", "arn:aws:iam::aws:policy/service-role/*"]
            },
        },
    ),
    Grant(
        "identity",
        "IamChangeOwnRoles",
        "trust, description, tags and deletion of this stack's roles: none of these adds "
        "permissions (the boundary caps whoever a trust policy admits)",
        (
            "iam:DeleteRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
        "arns",
        _OWN_ROLES,
    ),
    Grant(
        "identity",
        "IamOwnPolicies",
        "customer-managed policies of this stack (arbiter-<env>-*); attaching them needs the "
        "boundary on the role (above)",
        (
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListEntitiesForPolicy",
            "iam:ListPolicyVersions",
            "iam:TagPolicy",
            "iam:UntagPolicy",
        ),
        "arns",
        (f"{_IAM}:policy/{{p}}-*",),
    ),
    Grant(
        "identity",
        "IamPassOwnRolesToTheirServices",
        "ECS tasks, RDS enhanced monitoring, VPC flow logs, the rotation state machine and its "
        "EventBridge target assume this stack's roles; PassRole only to those services",
        ("iam:PassRole",),
        "arns",
        _OWN_ROLES,
        condition={"StringEquals": {"iam:PassedToService": list(iam.PASSED_TO_SERVICES)}},
    ),
    Grant(
        "identity",
        "IamServiceLinkedRoles",
        "first use of ECS, RDS, ElastiCache, ELB and ECS autoscaling in an account creates their "
        "service-linked roles",
        ("iam:CreateServiceLinkedRole",),
        "arns",
        (f"{_IAM}:role/aws-service-role/*",),
        condition={
            "StringEquals": {
                "iam:AWSServiceName": [
                    "ecs.amazonaws.com",
                    "ecs.application-autoscaling.amazonaws.com",
                    "elasticache.amazonaws.com",
                    "elasticloadbalancing.amazonaws.com",
                    "rds.amazonaws.com",
                ]
            }
        },
    ),
    Grant(
        "identity",
        "DenyChangingCiIdentityOrBoundary",
        "CI must not widen its own permissions or loosen the boundary: the deploy and preview "
        "roles, their policies and the boundary policy are changed by an admin's pulumi up (see "
        "docs/delivery.md), even though they match arbiter-<env>-*",
        (
            "iam:AttachRolePolicy",
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:CreateRole",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:DeleteRole",
            "iam:DeleteRolePermissionsBoundary",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PassRole",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:SetDefaultPolicyVersion",
            "iam:TagPolicy",
            "iam:TagRole",
            "iam:UntagPolicy",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
        "arns",
        (_DEPLOY_ROLE, _DEPLOY_POLICIES, _PREVIEW_ROLE, _PREVIEW_POLICIES, _BOUNDARY),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyRemovingAnyBoundary",
        "a boundary, once set, stays: removing it would lift the cap on that role",
        ("iam:DeleteRolePermissionsBoundary",),
        "arns",
        (f"{_IAM}:role/*",),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyReplacingExecutionRoles",
        "only execution roles may read the trading credentials (boundary), so who may assume one "
        "is fixed by the admin who creates it: CI cannot create, delete or re-trust them",
        ("iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"),
        "arns",
        (_EXEC_ROLES,),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyGivingCiPoliciesToAnyRole",
        "the CI policies and the boundary match arbiter-<env>-*; attaching one to a task role "
        "would hand CI's permissions to whatever runs in a container",
        ("iam:AttachRolePolicy",),
        "arns",
        (f"{_IAM}:role/*",),
        condition={"ArnLike": {"iam:PolicyARN": [_DEPLOY_POLICIES, _PREVIEW_POLICIES, _BOUNDARY]}},
        effect="Deny",
    ),
    # ---- automation: the staging ALB's imported certificate, the rotation redeploy (rule + machine)
    Grant(
        "automation",
        "AcmImportTaggedForThisStack",
        "without a configured certificate, the stack imports its self-signed one into ACM, tagged "
        "on import, so the request tags confine it to this stack's",
        ("acm:AddTagsToCertificate", "acm:ImportCertificate"),
        "request-tag",
    ),
    Grant(
        "automation",
        "AcmOwnCertificates",
        "read, re-import (renewal) and delete only certificates tagged as this stack's",
        (
            "acm:AddTagsToCertificate",
            "acm:DeleteCertificate",
            "acm:DescribeCertificate",
            "acm:GetCertificate",
            "acm:ImportCertificate",
            "acm:ListTagsForCertificate",
            "acm:RemoveTagsFromCertificate",
        ),
        "resource-tag",
    ),
    Grant(
        "automation",
        "StatesOwnMachines",
        "the state machine that redeploys the database's consumers after a rotation",
        (
            "states:CreateStateMachine",
            "states:DeleteStateMachine",
            "states:DescribeStateMachine",
            "states:ListTagsForResource",
            "states:TagResource",
            "states:UntagResource",
            "states:UpdateStateMachine",
        ),
        "arns",
        ("arn:aws:states:{region}:{account}:stateMachine:{p}-*",),
    ),
    Grant(
        "automation",
        "EventsOwnRules",
        "the EventBridge rule on the master secret's RotationSucceeded event and its target",
        (
            "events:DeleteRule",
            "events:DescribeRule",
            "events:ListTagsForResource",
            "events:ListTargetsByRule",
            "events:PutRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:TagResource",
            "events:UntagResource",
        ),
        "arns",
        ("arn:aws:events:{region}:{account}:rule/{p}-*",),
    ),
    # ---- observability: log groups, alarms, dashboards, SNS
    Grant(
        "observability",
        "LogsReads",
        "log-group listing, and Redis slow-log delivery (log deliveries and the Logs resource "
        "policy that lets ElastiCache write), cannot be scoped",
        iam.LOG_DELIVERY_ACTIONS,
        "unscopable",
    ),
    Grant(
        "observability",
        "LogsOwnGroups",
        "the stack's log groups (/ecs/arbiter-<env>-*, /aws/vpc/arbiter-<env>/..., RDS and Redis "
        "log groups) and reading their streams to diagnose a rollout",
        (
            "logs:AssociateKmsKey",
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:DeleteRetentionPolicy",
            "logs:DescribeLogStreams",
            "logs:DisassociateKmsKey",
            "logs:FilterLogEvents",
            "logs:GetLogEvents",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
            "logs:PutRetentionPolicy",
            "logs:TagLogGroup",
            "logs:TagResource",
            "logs:UntagLogGroup",
            "logs:UntagResource",
        ),
        "arns",
        (f"{_LOGS}:log-group:*{{p}}-*", f"{_LOGS}:log-group:*{{p}}/*"),
    ),
    Grant(
        "observability",
        "CloudWatchReads",
        "alarm and dashboard listing cannot be scoped",
        ("cloudwatch:DescribeAlarms", "cloudwatch:ListDashboards"),
        "unscopable",
    ),
    Grant(
        "observability",
        "CloudWatchOwnAlarmsAndDashboards",
        "alarms named arbiter-<env>-* and the stack's dashboard (arbiter-<env>)",
        (
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DeleteDashboards",
            "cloudwatch:GetDashboard",
            "cloudwatch:ListTagsForResource",
            "cloudwatch:PutDashboard",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ),
        "arns",
        (
            "arn:aws:cloudwatch:{region}:{account}:alarm:{p}-*",
            "arn:aws:cloudwatch::{account}:dashboard/{p}",
            "arn:aws:cloudwatch::{account}:dashboard/{p}-*",
        ),
    ),
    Grant(
        "observability",
        "CloudWatchTargetTrackingAlarms",
        "web-api's target-tracking policy makes Application Auto Scaling create and delete its "
        "alarms (TargetTracking-service/<cluster>/<service>-*) with the caller's permissions",
        ("cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"),
        "arns",
        ("arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-service/{p}/*",),
    ),
    Grant(
        "observability",
        "SnsReads",
        "topic listing cannot be scoped",
        ("sns:ListTopics",),
        "unscopable",
    ),
    Grant(
        "observability",
        "SnsOwnAlertTopics",
        "alert topics arbiter-<env>-* and their e-mail subscriptions",
        (
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
            "sns:UntagResource",
        ),
        "arns",
        ("arn:aws:sns:{region}:{account}:{p}-*",),
    ),
    Grant(
        "observability",
        "SnsSubscriptionsUnscopable",
        "the e-mail subscriptions' refresh, update and delete: these actions have no resource "
        "type (a subscription ARN is not an IAM resource), so Resource must be *",
        ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
        "unscopable",
    ),
    # ---- state and delivery: Pulumi state, secrets provider, OIDC provider, ECR
    Grant(
        "state",
        "CallerIdentity",
        "the program reads the account id (get_caller_identity)",
        ("sts:GetCallerIdentity",),
        "unscopable",
    ),
    Grant(
        "state",
        "StateBucketList",
        "the S3 backend lists stacks, locks and history; listing reveals key names only",
        ("s3:ListBucket",),
        "arns",
        ("arn:aws:s3:::{bucket}",),
    ),
    Grant(
        "state",
        "StateReadBackendMeta",
        "the backend's format marker, written once by the admin's pulumi login",
        ("s3:GetObject",),
        "arns",
        ("arn:aws:s3:::{bucket}/.pulumi/meta.yaml",),
    ),
    Grant(
        "state",
        "StateThisStackOnly",
        "checkpoint, history, backups and locks of this stack only: the staging role cannot read "
        "or overwrite prod's state",
        ("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
        "arns",
        _STATE_OBJECTS,
    ),
    Grant(
        "state",
        "SecretsProviderKey",
        "the awskms:// secrets provider encrypts and decrypts the stack's data key; the key is "
        "named by its alias, so the condition is on the alias rather than a key id",
        ("kms:Decrypt", "kms:Encrypt"),
        "arns",
        (f"{_KMS}:key/*",),
        condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": "{alias}"}},
    ),
    Grant(
        "state",
        "EcrReadRepositories",
        "the deploy checks that the pinned image tags exist before pulumi up; the repositories "
        "themselves belong to the account stack",
        ("ecr:DescribeImages", "ecr:DescribeRepositories"),
        "arns",
        _REPOS,
    ),
)


#: Read actions the preview role must not have even though they are reads: they reveal secret
#: values or application data, or hand out registry credentials. Everything else the deploy role
#: may Describe/List/Get, the preview role may too (what `pulumi preview --refresh` reads).
PREVIEW_EXCLUDED: Final = frozenset(
    {
        "ecr:GetAuthorizationToken",
        "logs:GetLogEvents",
        "secretsmanager:GetRandomPassword",
        "secretsmanager:GetSecretValue",
    }
)
_READ_VERBS = ("Describe", "Get", "List")


def _preview_grants() -> tuple[Grant, ...]:
    """The deploy role's reads (outside state), then what a preview needs of the state backend."""
    out: list[Grant] = []
    for g in GRANTS:
        if g.effect != "Allow" or g.area == "state":
            continue
        reads = tuple(
            a for a in g.actions if a.split(":")[1].startswith(_READ_VERBS) and a not in PREVIEW_EXCLUDED
        )
        if reads:
            out.append(
                Grant(
                    g.area, f"Preview{g.sid}", f"read only: {g.why}", reads, g.scope, g.resources, g.condition
                )
            )
    out += [
        Grant(
            "state",
            "PreviewCallerIdentity",
            "the provider checks the account (allowedAccountIds) and the program reads its id",
            ("sts:GetCallerIdentity",),
            "unscopable",
        ),
        Grant(
            "state",
            "PreviewStateBucketList",
            "the S3 backend lists the stack's objects; listing reveals key names only",
            ("s3:ListBucket",),
            "arns",
            ("arn:aws:s3:::{bucket}",),
        ),
        Grant(
            "state",
            "PreviewStateReadCheckpoint",
            "preview reads the backend marker and this stack's checkpoint; it takes no lock and "
            "writes no history or backup (the S3 backend's Preview skips both), so no PutObject",
            ("s3:GetObject",),
            "arns",
            (
                "arn:aws:s3:::{bucket}/.pulumi/meta.yaml",
                "arn:aws:s3:::{bucket}/.pulumi/stacks/{project}/{env}.json*",
            ),
        ),
        Grant(
            "state",
            "PreviewSecretsProviderDecrypt",
            "the awskms:// secrets provider decrypts the stack's data key; encrypting new values "
            "uses that data key locally, so no kms:Encrypt",
            ("kms:Decrypt",),
            "arns",
            ("arn:aws:kms:{region}:{account}:key/*",),
            condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": "{alias}"}},
        ),
        Grant(
            "data",
            "PreviewDenyApplicationSecretValues",
            "pull-request code runs with this role: it never reads the trading credentials",
            ("secretsmanager:GetSecretValue",),
            "arns",
            _APP_SECRETS,
            effect="Deny",
        ),
    ]
    return tuple(out)


#: The permissions boundary every role the program creates carries (and CI must set): the most
#: any such role can ever do, whatever its own policies say.
BOUNDARY_GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "boundary",
        "EcrLogin",
        "execution roles log in to ECR to pull images; the token has no resource type",
        ("ecr:GetAuthorizationToken",),
        "unscopable",
    ),
    Grant(
        "boundary",
        "PullServiceImages",
        "execution roles pull the services' images, from these repositories only",
        ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
        "arns",
        _REPOS,
    ),
    Grant(
        "boundary",
        "WriteLogs",
        "container logs, VPC flow logs, RDS enhanced monitoring (RDSOSMetrics) and ECS Exec "
        "session logs go to this account's log groups",
        (
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
            "logs:PutLogEvents",
            "logs:PutRetentionPolicy",
        ),
        "arns",
        (f"{_LOGS}:log-group:*",),
    ),
    Grant(
        "boundary",
        "FindLogGroups",
        "ECS Exec looks up its session log group; listing has no resource type",
        ("logs:DescribeLogGroups",),
        "unscopable",
    ),
    Grant(
        "boundary",
        "OnlyExecutionRolesReadSecrets",
        "the trading credentials, the Redis AUTH token and the RDS master secret may be read only "
        "by an execution role (arbiter-<env>-*-exec), which CI can neither create nor re-trust: "
        "a role CI makes for itself gets nothing here",
        ("secretsmanager:GetSecretValue",),
        "arns",
        (f"{_SM}:secret:{{p}}/*", f"{_SM}:secret:rds!cluster-*"),
        condition={"ArnLike": {"aws:PrincipalArn": _EXEC_ROLES}},
    ),
    Grant(
        "boundary",
        "DecryptWithTheStackKey",
        "secrets (via Secrets Manager) and ECS Exec sessions are encrypted with the stack CMK; "
        "no other key (e.g. the state key) can be used",
        ("kms:Decrypt",),
        "resource-tag",
    ),
    Grant(
        "boundary",
        "IamDatabaseAuth",
        "services connect to Aurora with IAM authentication",
        ("rds-db:connect",),
        "arns",
        ("arn:aws:rds-db:{region}:{account}:dbuser:*/*",),
    ),
    Grant(
        "boundary",
        "RedeployOwnServices",
        "the rotation state machine forces new deployments of this stack's services",
        ("ecs:UpdateService",),
        "arns",
        (f"{_ECS}:service/{{p}}/*",),
    ),
    Grant(
        "boundary",
        "StartOwnStateMachines",
        "EventBridge starts the rotation redeploy state machine",
        ("states:StartExecution",),
        "arns",
        ("arn:aws:states:{region}:{account}:stateMachine:{p}-*",),
    ),
    Grant(
        "boundary",
        "DeliverStateMachineLogs",
        "Step Functions delivers execution logs through CloudWatch Logs log deliveries (no resource type)",
        iam.LOG_DELIVERY_ACTIONS,
        "unscopable",
    ),
    Grant(
        "boundary",
        "BackupSnapshotsOwnCluster",
        "AWS Backup (role arbiter-<env>-backup) snapshots this stack's Aurora cluster and copies "
        "the snapshot to the copy region; recovery points are cluster snapshots awsbackup:*",
        (
            "rds:AddTagsToResource",
            "rds:CopyDBClusterSnapshot",
            "rds:CreateDBClusterSnapshot",
            "rds:DeleteDBClusterSnapshot",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeDBClusters",
            "rds:ListTagsForResource",
            "rds:ModifyDBClusterSnapshotAttribute",
        ),
        "arns",
        (
            f"{_RDS}:cluster:{{p}}-*",
            f"{_RDS}:cluster-snapshot:awsbackup:*",
            "arn:aws:rds:{copy_region}:{account}:cluster-snapshot:awsbackup:*",
        ),
    ),
    Grant(
        "boundary",
        "BackupCopyIntoOwnVaults",
        "AWS Backup writes recovery points and copies only into this stack's vaults",
        ("backup:CopyIntoBackupVault", "backup:DescribeBackupVault"),
        "arns",
        _BACKUP_VAULTS,
    ),
    Grant(
        "boundary",
        "BackupUsesStackKeys",
        "the snapshot is encrypted with the stack CMK and re-encrypted with the copy-region key; "
        "both carry this stack's tags",
        (
            "kms:CreateGrant",
            "kms:DescribeKey",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
        ),
        "resource-tag",
    ),
    Grant(
        "boundary",
        "BackupFindsResources",
        "AWS Backup resolves its selection through the tagging API (no resource type)",
        ("tag:GetResources",),
        "unscopable",
    ),
    Grant(
        "boundary",
        "EcsExecChannels",
        "ECS Exec's SSM session channels have no resource type",
        (
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ),
        "unscopable",
    ),
)


def _check_grants(grants: tuple[Grant, ...]) -> None:
    """Fail at import on a table mistake, before any policy reaches AWS."""
    sids: set[str] = set()
    for g in grants:
        if g.sid in sids:
            raise ValueError(f"duplicate Sid {g.sid}")
        sids.add(g.sid)
        if g.scope == "unscopable":
            unknown = set(g.actions) - iam.UNSCOPABLE_ACTIONS
            if unknown:
                raise ValueError(f"{g.sid}: {sorted(unknown)} are not unscopable actions")
        if (g.scope == "arns") != bool(g.resources):
            raise ValueError(f"{g.sid}: resources go with scope 'arns' and only with it")
        for action in g.actions:
            service, _, name = action.partition(":")
            if not service or not name or "*" in action:
                raise ValueError(f"{g.sid}: {action!r} is not one exact action")


PREVIEW_GRANTS: Final = _preview_grants()
for _table in (GRANTS, PREVIEW_GRANTS, BOUNDARY_GRANTS):
    _check_grants(_table)

AREAS: Final = tuple(dict.fromkeys(g.area for g in GRANTS))
PREVIEW_AREAS: Final = tuple(dict.fromkeys(g.area for g in PREVIEW_GRANTS))


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list | tuple):
        return [_fill(v, values) for v in value]
    if isinstance(value, Mapping):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _tag_condition(kind: str, environment: str) -> dict[str, Any]:
    return {"StringEquals": {f"aws:{kind}/Project": PROJECT, f"aws:{kind}/Environment": environment}}


def boundary_arn(naming: Naming, account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{naming('boundary', kind='iam-policy')}"


def _values(config: StackConfig, naming: Naming, account_id: str) -> dict[str, str]:
    return {
        "region": config.region,
        "copy_region": config.database.backup.copy_region,
        "account": account_id,
        "p": naming.prefix,
        "s": naming.short,
        "env": config.name,
        "project": PROJECT,
        "bucket": config.delivery.state_bucket,
        "alias": config.delivery.secrets_kms_alias,
        "boundary": boundary_arn(naming, account_id),
    }


def documents(
    grants: tuple[Grant, ...], config: StackConfig, naming: Naming, account_id: str
) -> dict[str, dict[str, Any]]:
    """`grants` as policy documents, one per area, for this stack in `account_id`."""
    values = _values(config, naming, account_id)
    docs: dict[str, dict[str, Any]] = {}
    for g in grants:
        condition: dict[str, Any] = dict(_fill(g.condition, values))
        if g.scope == "unscopable":
            resources = ["*"]
        elif g.scope in ("request-tag", "resource-tag"):
            tag_kind = "RequestTag" if g.scope == "request-tag" else "ResourceTag"
            tag = _tag_condition(tag_kind, config.name)
            condition["StringEquals"] = {**condition.get("StringEquals", {}), **tag["StringEquals"]}
            resources = ["*"]
        else:
            resources = _fill(list(g.resources), values)
        stmt = iam.statement(g.sid, g.actions, resources, effect=g.effect, condition=condition or None)
        docs.setdefault(g.area, {"Version": "2012-10-17", "Statement": []})["Statement"].append(stmt)
    return docs


def deploy_policy_documents(
    config: StackConfig, naming: Naming, account_id: str
) -> dict[str, dict[str, Any]]:
    """The deploy role's policy documents, one per area."""
    return documents(GRANTS, config, naming, account_id)


def preview_policy_documents(
    config: StackConfig, naming: Naming, account_id: str
) -> dict[str, dict[str, Any]]:
    """The preview role's policy documents, one per area: reads only."""
    return documents(PREVIEW_GRANTS, config, naming, account_id)


def boundary_policy_document(config: StackConfig, naming: Naming, account_id: str) -> dict[str, Any]:
    """The permissions boundary of every role the program creates."""
    return documents(BOUNDARY_GRANTS, config, naming, account_id)["boundary"]


def trust_policy(oidc_provider_arn: str, repository: str, environment: str) -> dict[str, Any]:
    """Only workflow jobs of `repository` running in GitHub environment `environment` may assume."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsThisRepositoryAndEnvironmentOnly",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{environment}",
                    }
                },
            }
        ],
    }


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts against the size quota (whitespace is not counted)."""
    return len(json.dumps(document, separators=(",", ":")))


def minified(key: str) -> Callable[[Mapping[str, Mapping[str, Any]]], str]:
    """Serialize one document of a mapping compactly: IAM counts characters against the quota."""
    return lambda docs: json.dumps(docs[key], separators=(",", ":"))
