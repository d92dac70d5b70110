"""Delivery: the GitHub Actions OIDC provider, this environment's deploy role, and the ECR repositories.

The OIDC provider and the ECR repositories exist once per AWS account. With one account per
environment (recommended) each stack owns its own; with both stacks in one account exactly one
stack sets `delivery.manageAccountResources: true` and the other looks them up, so both layouts
deploy without two stacks fighting over one resource.

The deploy role is what CI assumes for `pulumi up` and the service rollout. Its permissions are a
data table (`GRANTS`): every statement has a Sid and a written reason, and is scoped by this
stack's names (`arbiter-<env>-*`), by the `Project`/`Environment` tags the providers put on every
resource, or (only for actions AWS cannot scope) by nothing: see `arbiter_infra.iam`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.config import PROJECT, ConfigError, StackConfig
from arbiter_infra.naming import Naming

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL: Final = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE: Final = "sts.amazonaws.com"

#: ECR repository per service. The names are the repositories of the image URIs in the stack
#: files (`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`), shared by both environments.
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
    `{project}`, `{bucket}` (state bucket) and `{alias}` (secrets-provider KMS alias).
    """

    area: str
    sid: str
    why: str
    actions: tuple[str, ...]
    scope: Scope
    resources: tuple[str, ...] = ()
    condition: Mapping[str, Any] = field(default_factory=dict)
    effect: Literal["Allow", "Deny"] = "Allow"
    owner_only: bool = False  # only for the stack that owns the account-level resources


_EC2 = "arn:aws:ec2:{region}:{account}"
_RDS = "arn:aws:rds:{region}:{account}"
_ELC = "arn:aws:elasticache:{region}:{account}"
_ECS = "arn:aws:ecs:{region}:{account}"
_ELB = "arn:aws:elasticloadbalancing:{region}:{account}"
_LOGS = "arn:aws:logs:{region}:{account}"
_SM = "arn:aws:secretsmanager:{region}:{account}"
_KMS = "arn:aws:kms:{region}:{account}"
_IAM = "arn:aws:iam::{account}"
_ECR = "arn:aws:ecr:{region}:{account}"

_EC2_CREATES = (
    "ec2:AllocateAddress",
    "ec2:CreateFlowLogs",
    "ec2:CreateInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
)
_OWN_ROLES = (f"{_IAM}:role/{{p}}-*",)
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
        (*_EC2_CREATES, "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress"),
        "request-tag",
    ),
    Grant(
        "network",
        "Ec2TagOnCreate",
        "tag-on-create is authorized as ec2:CreateTags; allowed only as part of the creates above",
        ("ec2:CreateTags",),
        "request-tag",
        condition={"StringEquals": {"ec2:CreateAction": [a.split(":")[1] for a in _EC2_CREATES]}},
    ),
    Grant(
        "network",
        "Ec2ChangeOwnNetwork",
        "update and delete only resources already tagged as this stack's. The VPC's default security "
        "group is untagged until the first (admin) run adopts and tags it; after that it matches too",
        (
            "ec2:AssociateRouteTable",
            "ec2:AttachInternetGateway",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateRoute",
            "ec2:CreateTags",
            "ec2:DeleteFlowLogs",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteNatGateway",
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
        "an Aurora instance is attached to the engine's default option group, which it must name",
        ("rds:CreateDBInstance", "rds:ModifyDBInstance"),
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
        "SecretsOwn",
        "the exchange, bot and Redis AUTH secrets (arbiter-<env>-* or arbiter-<env>/*); "
        "GetSecretValue because refreshing a secret version reads it back",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteResourcePolicy",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "secretsmanager:GetSecretValue",
            "secretsmanager:ListSecretVersionIds",
            "secretsmanager:PutResourcePolicy",
            "secretsmanager:PutSecretValue",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            "secretsmanager:UpdateSecret",
        ),
        "arns",
        (f"{_SM}:secret:{{p}}-*", f"{_SM}:secret:{{p}}/*"),
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
        "the stack CMK is created with this stack's tags; CreateKey has no resource ARN",
        ("kms:CreateKey",),
        "request-tag",
    ),
    Grant(
        "data",
        "KmsUseAndManageStackKey",
        "key ids are random, so the stack CMK is identified by its tags. Grants let Aurora, Redis, "
        "ECR and Secrets Manager encrypt with it. No ScheduleKeyDeletion: destroying a CMK "
        "destroys the data it protects, so that stays an admin action",
        (
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
        "IamOwnRoles",
        "the roles this program creates (task, execution, RDS monitoring, flow logs), all arbiter-<env>-*",
        (
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRolePolicies",
            "iam:PutRolePolicy",
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
        "IamAttachOwnOrAwsServicePolicies",
        "roles may only get this stack's policies or AWS service-role policies (e.g. RDS enhanced "
        "monitoring), never AdministratorAccess",
        ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
        "arns",
        _OWN_ROLES,
        condition={
            "ArnLike": {"iam:PolicyARN": [f"{_IAM}:policy/{{p}}-*", "arn:aws:iam::aws:policy/service-role/*"]}
        },
    ),
    Grant(
        "identity",
        "IamOwnPolicies",
        "customer-managed policies of this stack (arbiter-<env>-*)",
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
        "ECS tasks, RDS enhanced monitoring and VPC flow logs assume this stack's roles; PassRole "
        "only to those services",
        ("iam:PassRole",),
        "arns",
        _OWN_ROLES,
        condition={
            "StringEquals": {
                "iam:PassedToService": [
                    "ecs-tasks.amazonaws.com",
                    "monitoring.rds.amazonaws.com",
                    "vpc-flow-logs.amazonaws.com",
                ]
            }
        },
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
        "DenyChangingTheDeployRoleItself",
        "CI must not widen its own permissions: the deploy role and its policies are changed by an "
        "admin's pulumi up (see docs/delivery.md), even though they match arbiter-<env>-*",
        (
            "iam:AttachRolePolicy",
            "iam:CreatePolicyVersion",
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
        ),
        "arns",
        (_DEPLOY_ROLE, _DEPLOY_POLICIES),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyGivingTheDeployPoliciesToAnyRole",
        "the deploy policies match arbiter-<env>-*; attaching them to a task role would hand CI's "
        "permissions to whatever runs in a container",
        ("iam:AttachRolePolicy",),
        "arns",
        (f"{_IAM}:role/*",),
        condition={"ArnLike": {"iam:PolicyARN": _DEPLOY_POLICIES}},
        effect="Deny",
    ),
    # ---- observability: log groups, alarms, dashboards, SNS
    Grant(
        "observability",
        "LogsReads",
        "log-group listing, and Redis slow-log delivery (log deliveries and the Logs resource "
        "policy that lets ElastiCache write), cannot be scoped",
        (
            "logs:CreateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:GetLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:UpdateLogDelivery",
        ),
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
            "sns:GetSubscriptionAttributes",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "sns:SetSubscriptionAttributes",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
            "sns:Unsubscribe",
            "sns:UntagResource",
        ),
        "arns",
        ("arn:aws:sns:{region}:{account}:{p}-*",),
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
        "OidcProviderRead",
        "refresh (owned) or lookup (not owned) of the account's GitHub OIDC provider; changing it "
        "is an admin action",
        ("iam:GetOpenIDConnectProvider",),
        "arns",
        (f"{_IAM}:oidc-provider/{GITHUB_OIDC_HOST}",),
    ),
    Grant(
        "state",
        "OidcProviderList",
        "the provider lookup lists the account's OIDC providers",
        ("iam:ListOpenIDConnectProviders",),
        "unscopable",
    ),
    Grant(
        "state",
        "EcrReadRepositories",
        "refresh or lookup of the three image repositories (the lookup also reads recent image tags)",
        (
            "ecr:DescribeImages",
            "ecr:DescribeRepositories",
            "ecr:GetLifecyclePolicy",
            "ecr:GetRepositoryPolicy",
            "ecr:ListTagsForResource",
        ),
        "arns",
        _REPOS,
    ),
    Grant(
        "state",
        "EcrManageOwnedRepositories",
        "the owning stack keeps scan, tag-immutability, lifecycle and tag settings in line; "
        "no DeleteRepository: images are shared by both environments",
        (
            "ecr:CreateRepository",
            "ecr:DeleteLifecyclePolicy",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:PutLifecyclePolicy",
            "ecr:TagResource",
            "ecr:UntagResource",
        ),
        "arns",
        _REPOS,
        owner_only=True,
    ),
)


def _check_grants() -> None:
    """Fail at import on a table mistake, before any policy reaches AWS."""
    sids: set[str] = set()
    for g in GRANTS:
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


_check_grants()

AREAS: Final = tuple(dict.fromkeys(g.area for g in GRANTS))


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


def deploy_policy_documents(
    config: StackConfig, naming: Naming, account_id: str
) -> dict[str, dict[str, Any]]:
    """The deploy role's policy documents, one per area, for this stack in `account_id`."""
    values = {
        "region": config.region,
        "account": account_id,
        "p": naming.prefix,
        "s": naming.short,
        "env": config.environment,
        "project": PROJECT,
        "bucket": config.delivery.state_bucket,
        "alias": config.delivery.secrets_kms_alias,
    }
    docs: dict[str, dict[str, Any]] = {}
    for g in GRANTS:
        if g.owner_only and not config.delivery.manage_account_resources:
            continue
        actions = list(g.actions)
        condition: dict[str, Any] = dict(_fill(g.condition, values))
        if g.scope == "unscopable":
            resources = ["*"]
        elif g.scope in ("request-tag", "resource-tag"):
            tag_kind = "RequestTag" if g.scope == "request-tag" else "ResourceTag"
            tag = _tag_condition(tag_kind, config.environment)
            condition["StringEquals"] = {**condition.get("StringEquals", {}), **tag["StringEquals"]}
            resources = ["*"]
        else:
            resources = _fill(list(g.resources), values)
        if not actions:
            continue
        stmt = iam.statement(g.sid, actions, resources, effect=g.effect, condition=condition or None)
        docs.setdefault(g.area, {"Version": "2012-10-17", "Statement": []})["Statement"].append(stmt)
    return docs


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts against the size quota (whitespace is not counted)."""
    return len(json.dumps(document, separators=(",", ":")))


def _minified(area: str) -> Callable[[Mapping[str, Mapping[str, Any]]], str]:
    """Serialize one area's document compactly: IAM counts characters against the quota."""
    return lambda docs: json.dumps(docs[area], separators=(",", ":"))


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


def lifecycle_policy(keep_images: int) -> str:
    """Expire all but the newest `keep_images` images, so storage does not grow without bound."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the last {keep_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


def _check_images(config: StackConfig) -> None:
    for service, svc in config.services.by_name().items():
        repo = svc.image_parts[1]
        expected = IMAGE_REPOSITORIES[service]
        if repo != expected:
            raise ConfigError(
                f"arbiter:services image {svc.image!r} of {service}: must be in ECR repository {expected!r} "
                "(the repository components/delivery.py manages)"
            )


@dataclass(frozen=True)
class DeliveryArgs:
    config: StackConfig
    naming: Naming
    #: The stack CMK: ECR encrypts images with it.
    kms_key_arn: pulumi.Input[str]
    #: This account's id; looked up when not given.
    account_id: pulumi.Input[str] | None = None


class Delivery(pulumi.ComponentResource):
    """GitHub Actions → AWS: OIDC provider, the environment's deploy role, and the image repositories."""

    oidc_provider: aws.iam.OpenIdConnectProvider | None
    oidc_provider_arn: pulumi.Output[str]
    deploy_role: aws.iam.Role
    deploy_role_arn: pulumi.Output[str]
    deploy_policies: dict[str, aws.iam.Policy]
    deploy_policy_attachments: dict[str, aws.iam.RolePolicyAttachment]
    repositories: dict[str, aws.ecr.Repository]
    lifecycle_policies: dict[str, aws.ecr.LifecyclePolicy]
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:delivery:Delivery", name, None, opts)
        config, naming = args.config, args.naming
        delivery = config.delivery
        _check_images(config)
        owns = delivery.manage_account_resources
        child = pulumi.ResourceOptions(parent=self)
        # Account-level resources outlive any one stack: the other environment's role trusts the
        # provider and its services pull from the repositories.
        shared = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        lookup = pulumi.InvokeOutputOptions(parent=self)
        account_id: pulumi.Input[str] = (
            args.account_id
            if args.account_id is not None
            else aws.get_caller_identity_output(opts=lookup).account_id
        )

        self.oidc_provider = None
        if owns:
            self.oidc_provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                opts=shared,
            )
            self.oidc_provider_arn = self.oidc_provider.arn
        else:
            self.oidc_provider_arn = aws.iam.get_open_id_connect_provider_output(
                url=GITHUB_OIDC_URL, opts=lookup
            ).arn

        self.deploy_role = aws.iam.Role(
            f"{name}-deploy-role",
            name=naming("deploy", kind="iam-role"),
            description=(
                f"GitHub Actions deploys of {config.environment} from {delivery.github_repository} "
                f"(environment {delivery.github_environment})"
            ),
            assume_role_policy=self.oidc_provider_arn.apply(
                lambda arn: json.dumps(
                    trust_policy(arn, delivery.github_repository, delivery.github_environment)
                )
            ),
            max_session_duration=3600,
            opts=child,
        )
        self.deploy_role_arn = self.deploy_role.arn

        documents = pulumi.Output.from_input(account_id).apply(
            lambda acct: deploy_policy_documents(config, naming, acct)
        )
        self.deploy_policies = {}
        self.deploy_policy_attachments = {}
        # Which areas exist does not depend on the account id; the documents' ARNs do.
        for area in deploy_policy_documents(config, naming, account_id="000000000000"):
            policy = aws.iam.Policy(
                f"{name}-deploy-{area}",
                name=naming("deploy", area, kind="iam-policy"),
                description=f"{config.prefix} deploy role: {area}",
                policy=documents.apply(_minified(area)),
                opts=child,
            )
            self.deploy_policies[area] = policy
            self.deploy_policy_attachments[area] = aws.iam.RolePolicyAttachment(
                f"{name}-deploy-{area}",
                role=self.deploy_role.name,
                policy_arn=policy.arn,
                opts=child,
            )

        self.repositories = {}
        self.lifecycle_policies = {}
        self.repository_urls = {}
        for repo in IMAGE_REPOSITORIES.values():
            if owns:
                repository = aws.ecr.Repository(
                    f"{name}-ecr-{repo}",
                    name=repo,
                    image_tag_mutability="IMMUTABLE",
                    image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                        scan_on_push=True
                    ),
                    encryption_configurations=[
                        aws.ecr.RepositoryEncryptionConfigurationArgs(
                            encryption_type="KMS", kms_key=args.kms_key_arn
                        )
                    ],
                    force_delete=False,
                    opts=shared,
                )
                self.repositories[repo] = repository
                self.lifecycle_policies[repo] = aws.ecr.LifecyclePolicy(
                    f"{name}-ecr-{repo}-lifecycle",
                    repository=repository.name,
                    policy=lifecycle_policy(delivery.ecr_keep_images),
                    opts=child,
                )
                self.repository_urls[repo] = repository.repository_url
            else:
                self.repository_urls[repo] = aws.ecr.get_repository_output(
                    name=repo, opts=lookup
                ).repository_url

        self.register_outputs(
            {
                "oidcProviderArn": self.oidc_provider_arn,
                "deployRoleArn": self.deploy_role_arn,
                "repositoryUrls": self.repository_urls,
            }
        )
