"""Compliant services: the edge (ALB, listeners, WAF), the containers (ECS, ECR) and their identities (IAM)."""

from __future__ import annotations

import json

from policies.resource_types import (
    ECR_LIFECYCLE_POLICY,
    ECR_REPOSITORY,
    ECR_REPOSITORY_POLICY,
    ECS_CLUSTER,
    ECS_SERVICE,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    TASK_DEFINITION,
    WAF_ASSOCIATION,
)
from tests.policies.builder import (
    ACCOUNT,
    KEY_ARN,
    LB,
    LISTENER,
    LISTENER_RULE,
    OIDC_ARN,
    REPO,
    ROLE_POLICY_ATTACHMENT,
    SECRET_ARN,
    TARGET_GROUP,
    StackBuilder,
    container,
    doc,
)


def add_edge(b: StackBuilder) -> None:
    """The internet-facing ALB with its WAF, HTTPS and redirecting HTTP listeners, a gRPC target group."""
    b.add(
        LB,
        "alb",
        {
            "internal": False,
            "loadBalancerType": "application",
            "subnets": ["subnet-public-a", "subnet-public-b"],
            "dropInvalidHeaderFields": True,
            "accessLogs": {"bucket": "arbiter-alb-logs", "enabled": True},
            "enableDeletionProtection": True,
            "desyncMitigationMode": "defensive",
        },
    )
    b.add(
        WAF_ASSOCIATION,
        "alb-waf",
        {"resourceArn": "alb-id", "webAclArn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/waf/1"},
    )
    b.add(
        LISTENER,
        "https",
        {
            "protocol": "HTTPS",
            "port": 443,
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "certificateArn": f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/c-1",
            "defaultActions": [{"type": "forward", "targetGroupArn": "tg"}],
        },
    )
    b.add(
        LISTENER,
        "http",
        {
            "protocol": "HTTP",
            "port": 80,
            "defaultActions": [
                {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
                }
            ],
        },
    )

    b.add(
        TARGET_GROUP,
        "tg-grpc",
        {"protocol": "HTTP", "protocolVersion": "GRPC", "port": 8080, "targetType": "ip"},
        arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/grpc/1",
    )
    b.add(
        LISTENER_RULE,
        "grpc-rule",
        {
            "listenerArn": "https-id",
            "priority": 10,
            "actions": [
                {
                    "type": "forward",
                    "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/grpc/1",
                }
            ],
        },
    )


def add_containers(b: StackBuilder) -> None:
    """The ECS cluster, a task definition and service, an ECR repository with its policies."""
    b.add(
        ECS_CLUSTER,
        "cluster",
        {"settings": [{"name": "containerInsights", "value": "enabled"}]},
    )
    b.add(
        TASK_DEFINITION,
        "web-api-task",
        {"family": "web-api", "containerDefinitions": json.dumps([container()])},
    )
    b.add(
        ECS_SERVICE,
        "web-api",
        {
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "networkConfiguration": {
                "subnets": ["subnet-private-a", "subnet-private-b"],
                "securityGroups": ["sg-svc"],
                "assignPublicIp": False,
            },
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "alarms": {"alarmNames": ["arbiter-prod-alb-target-5xx"], "enable": True, "rollback": True},
        },
    )
    b.add(
        ECR_REPOSITORY,
        "web-api-repo",
        {
            "name": "web-api",
            "imageTagMutability": "IMMUTABLE",
            "imageScanningConfiguration": {"scanOnPush": True},
            "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
        },
        id_="web-api",
    )
    b.add(
        ECR_LIFECYCLE_POLICY,
        "web-api-lifecycle",
        {"repository": "web-api", "policy": "{}"},
    )
    b.add(
        ECR_REPOSITORY_POLICY,
        "web-api-repo-policy",
        {
            "repository": "web-api",
            "policy": doc(
                {
                    "Sid": "DeployPush",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/deploy"},
                    "Action": ["ecr:PutImage"],
                }
            ),
        },
    )


def add_identity(b: StackBuilder) -> None:
    """A task role and a GitHub-deploy role with their policies."""
    b.add(
        IAM_ROLE,
        "task-role",
        {
            "assumeRolePolicy": doc(
                {
                    "Sid": "TrustService",
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
    )
    b.add(
        IAM_ROLE_POLICY,
        "task-policy",
        {
            "role": "task-role-id",
            "policy": doc(
                {
                    "Sid": "ReadSecrets",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [SECRET_ARN],
                },
                {
                    "Sid": "PullImages",
                    "Effect": "Allow",
                    "Action": "ecr:GetAuthorizationToken",
                    "Resource": "*",
                },
                {
                    "Sid": "IamDatabaseAuth",
                    "Effect": "Allow",
                    "Action": ["rds-db:connect"],
                    "Resource": [f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:cluster-ABC123/web_api"],
                },
                {
                    "Sid": "UpdateOwnServices",
                    "Effect": "Allow",
                    "Action": ["ecs:UpdateService"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/Project": "arbiter"}},
                },
            ),
        },
    )
    b.add(
        IAM_ROLE,
        "deploy-role",
        {
            "assumeRolePolicy": doc(
                {
                    "Sid": "GitHubDeploy",
                    "Effect": "Allow",
                    "Principal": {"Federated": OIDC_ARN},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            "token.actions.githubusercontent.com:sub": f"repo:{REPO}:environment:deploy-prod",
                        }
                    },
                }
            )
        },
    )
    b.add(
        IAM_POLICY,
        "deploy-policy",
        {
            "policy": doc(
                {
                    "Sid": "PushImages",
                    "Effect": "Allow",
                    "Action": ["ecr:PutImage", "ecr:UploadLayerPart"],
                    "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/web-api",
                }
            )
        },
        arn=f"arn:aws:iam::{ACCOUNT}:policy/deploy",
    )
    b.add(
        ROLE_POLICY_ATTACHMENT,
        "deploy-attach",
        {"role": "deploy-role-id", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy"},
    )
