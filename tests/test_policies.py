"""The policy pack: every policy fires on a violation and stays silent on its compliant twin.

Each case starts from one fully compliant hand-built stack (tests/policy_fixtures.py),
breaks one thing, and asserts that exactly the expected policies fire with the expected message.
So every case also proves the unbroken resource complies, and that no other policy fires on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.catalog import CONTROL_FLOOR, POLICIES, by_name, pulumi_policies
from policies.offline import Violation, evaluate
from tests.policy_fixtures import (
    ACCOUNT,
    BACKUP_RULE,
    KEY_ARN,
    OIDC_ARN,
    REPO,
    TOPIC_ARN,
    StackBuilder,
    compliant_stack,
    container,
    doc,
)

Mutation = Callable[[StackBuilder], None]


@dataclass(frozen=True)
class Case:
    policy: str
    mutate: Mutation
    message: str
    also: tuple[str, ...] = ()
    environment: str = "prod"
    id: str = ""


def _run(b: StackBuilder, config: dict | None = None) -> list[Violation]:
    return evaluate(b.deployment(), config=config)


def _ingress(
    b: StackBuilder, name: str, port: int | None, *, cidr: str = "0.0.0.0/0", proto: str = "tcp"
) -> None:
    props: dict = {"securityGroupId": "sg-db", "ipProtocol": proto, "description": "test"}
    if port is not None:
        props |= {"fromPort": port, "toPort": port}
    props["cidrIpv6" if ":" in cidr else "cidrIpv4"] = cidr
    b.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, props)


def _task(b: StackBuilder, **overrides: object) -> None:
    b.containers("web-api-task", container(**overrides))


def _role_policy(b: StackBuilder, *statements: dict) -> None:
    b.set("task-policy", policy=doc(*statements))


def _trust(b: StackBuilder, condition: dict | None) -> None:
    stmt: dict = {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        stmt["Condition"] = condition
    b.set("deploy-role", assumeRolePolicy=doc(stmt))


SUB = "token.actions.githubusercontent.com:sub"
AUD = "token.actions.githubusercontent.com:aud"

CASES: list[Case] = [
    # Network.
    Case(
        "subnet-no-public-ip-on-launch",
        lambda b: b.set("public-a", mapPublicIpOnLaunch=True),
        "mapPublicIpOnLaunch is true",
    ),
    Case(
        "ecs-service-no-public-ip",
        lambda b: b.set(
            "web-api",
            networkConfiguration={
                "subnets": ["subnet-private-a"],
                "securityGroups": [],
                "assignPublicIp": True,
            },
        ),
        "assignPublicIp is true",
        also=("only-alb-faces-internet",),
    ),
    Case(
        "database-not-publicly-accessible",
        lambda b: b.set("db-1", publiclyAccessible=True),
        "publiclyAccessible is true",
        also=("only-alb-faces-internet",),
    ),
    Case(
        "elasticache-custom-subnet-group",
        lambda b: b.drop("redis", "subnetGroupName"),
        "default subnet group",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: _ingress(b, "pg-world", 5432),
        "exposes 5432 (PostgreSQL) to the internet",
        id="postgres-ipv4",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: _ingress(b, "redis-world", 6379, cidr="::/0"),
        "exposes 6379 (Redis) to the internet",
        id="redis-ipv6",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: _ingress(b, "all-world", None, proto="-1"),
        "all ports are reachable from the internet",
        id="all-ports",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: b.add(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "ssh",
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrBlocks": ["0.0.0.0/0"],
                "description": "admin",
            },
        ),
        "exposes 22 (SSH)",
        id="ssh-legacy-rule",
    ),
    Case(
        "security-group-no-world-open-ports",
        lambda b: b.set(
            "svc-sg",
            ingress=[
                {
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                    "cidrBlocks": ["0.0.0.0/0"],
                    "description": "x",
                }
            ],
        ),
        "only ports [80, 443] may be opened",
        id="inline-8080",
    ),
    Case(
        "security-group-rules-described",
        lambda b: b.drop("alb-to-svc", "description"),
        "egress rule has no description",
        id="vpc-egress",
    ),
    Case(
        "security-group-rules-described",
        lambda b: b.set(
            "svc-sg",
            ingress=[{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "securityGroups": ["sg-alb"]}],
        ),
        "ingress[0]: ingress rule has no description",
        id="inline",
    ),
    Case(
        "security-group-rules-described",
        lambda b: b.set("db-sg", description="Managed by Pulumi"),
        "security group has no description",
        id="group",
    ),
    Case(
        "services-in-private-subnets",
        lambda b: b.set(
            "web-api",
            networkConfiguration={
                "subnets": ["subnet-public-a"],
                "securityGroups": [],
                "assignPublicIp": False,
            },
        ),
        "subnet-public-a, which is not a subnet tagged Tier=private",
    ),
    Case(
        "database-subnets-no-internet-route",
        lambda b: b.add(
            "aws:ec2/route:Route",
            "db-default",
            {"routeTableId": "rtb-database", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"},
        ),
        "route table rtb-database of database subnet(s) subnet-database-a, subnet-database-b has a default route",
        id="route-resource",
    ),
    Case(
        "database-subnets-no-internet-route",
        lambda b: b.set("rt-database", routes=[{"ipv6CidrBlock": "::/0", "egressOnlyGatewayId": "eigw-1"}]),
        "has an inline default route",
        id="inline-ipv6",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.set(
            "database-acl",
            ingress=[{"ruleNo": 100, "action": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0"}],
        ),
        "network ACL of database subnets allows inbound from 0.0.0.0/0",
        id="world-inbound",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.set(
            "database-acl",
            egress=[{"ruleNo": 100, "action": "allow", "protocol": "tcp", "cidrBlock": "10.0.0.0/16"}],
        ),
        "allows outbound to 10.0.0.0/16, which covers public subnets",
        id="public-tier-outbound",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.set("database-b-in", cidrBlock="::/0", ruleAction="allow"),
        "network ACL rule of database subnets allows inbound from ::/0",
        id="rule-resource",
    ),
    Case(
        "database-subnets-acl-private-only",
        lambda b: b.remove("database-b-acl"),
        "database subnet subnet-database-b has no network ACL of its own",
        id="missing",
    ),
    Case(
        "only-alb-faces-internet",
        lambda b: b.add(
            "aws:lb/loadBalancer:LoadBalancer",
            "nlb",
            {
                "internal": False,
                "loadBalancerType": "network",
                "subnets": ["subnet-public-a", "subnet-public-b"],
                "accessLogs": {"bucket": "arbiter-alb-logs", "enabled": True},
                "enableDeletionProtection": True,
            },
        ),
        "internet-facing network load balancer",
        id="nlb",
    ),
    Case(
        "only-alb-faces-internet",
        lambda b: b.add(
            "aws:lb/loadBalancer:LoadBalancer",
            "alb2",
            {**b.get("alb").inputs, "internal": None},
        ),
        "2 internet-facing ALBs",
        also=("prod-alb-web-acl",),  # the second ALB has no web ACL either
        id="second-alb",
    ),
    Case(
        "only-alb-faces-internet",
        lambda b: b.set("nat-eip", instance="i-123"),
        "Elastic IP is attached",
        id="eip",
    ),
    Case(
        "default-security-group-closed",
        lambda b: b.set("default-sg", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "default security group has rules",
        id="rules",
    ),
    Case(
        "default-security-group-closed",
        lambda b: b.remove("default-sg"),
        "VPC has no DefaultSecurityGroup",
        id="missing",
    ),
    Case("vpc-flow-logs-enabled", lambda b: b.remove("flow-log"), "VPC has no flow log"),
    # Identity.
    Case(
        "iam-no-wildcard-actions",
        lambda b: _role_policy(b, {"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": KEY_ARN}),
        "statement Ec2: Action 'ec2:*' grants every action of the service",
        id="service-wildcard",
    ),
    Case(
        "iam-no-wildcard-actions",
        lambda b: b.set(
            "deploy-policy",
            policy=doc({"Effect": "Allow", "Action": ["*"], "Resource": KEY_ARN}),
        ),
        "statement 0: Action '*' grants every action on AWS",
        id="star",
    ),
    Case(
        "iam-no-wildcard-actions",
        lambda b: b.set(
            "task-role",
            inlinePolicies=[
                {"name": "x", "policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": KEY_ARN})}
            ],
        ),
        "inlinePolicies[0] statement 0: Allow with NotAction",
        id="inline-notaction",
    ),
    Case(
        "iam-wildcard-resource-scoped",
        lambda b: _role_policy(
            b,
            {
                "Sid": "Mixed",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken", "secretsmanager:GetSecretValue"],
                "Resource": "*",
            },
        ),
        "statement Mixed: Resource '*' for secretsmanager:GetSecretValue",
        id="scopable",
    ),
    Case(
        "iam-wildcard-resource-scoped",
        lambda b: _role_policy(
            b,
            {
                "Sid": "WrongCondition",
                "Effect": "Allow",
                "Action": "ecs:UpdateService",
                "Resource": ["*"],
                "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "x"}},
            },
        ),
        "statement WrongCondition: Resource '*' for ecs:UpdateService",
        id="non-tag-condition",
    ),
    Case(
        "iam-no-admin-managed-policies",
        lambda b: b.set("deploy-attach", policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        "attaches the AWS-managed AdministratorAccess policy",
        id="attachment",
    ),
    Case(
        "iam-no-admin-managed-policies",
        lambda b: b.set("task-role", managedPolicyArns=["arn:aws:iam::aws:policy/IAMFullAccess"]),
        "IAMFullAccess",
        id="managed-arns",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringEquals": {AUD: "sts.amazonaws.com"}}),
        f"no {SUB} condition, so any repository",
        id="aud-only",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringLike": {SUB: "repo:*"}}),
        "'repo:*' does not name one repository",
        id="repo-star",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringLike": {SUB: "repo:arbiter-bot/*:ref:refs/heads/main"}}),
        "does not name one repository",
        id="org-wide",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringLike": {SUB: [f"repo:{REPO}:*", "repo:someone/else:*"]}}),
        "allows several repositories: arbiter-bot/arbiter-infra, someone/else",
        id="two-repos",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, None),
        "has no token.actions.githubusercontent.com:sub condition",
        id="no-condition",
    ),
    Case(
        "task-credentials-from-secrets-manager",
        lambda b: _task(b, environment=[{"name": "POLY_API_SECRET", "value": "abc"}]),
        "environment variable POLY_API_SECRET looks like a credential",
        id="secret-in-env",
    ),
    Case(
        "task-credentials-from-secrets-manager",
        lambda b: _task(b, environment=[{"name": "DATABASE_URL", "value": "postgres://u:p@db:5432/x"}]),
        "embeds a password in a URL",
        id="url-password",
    ),
    Case(
        "task-credentials-from-secrets-manager",
        lambda b: _task(
            b,
            secrets=[{"name": "KALSHI_KEY_ID", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/k"}],
        ),
        "credentials live only in Secrets Manager",
        id="ssm-secret",
    ),
    # Data.
    Case(
        "aurora-encrypted-with-cmk",
        lambda b: b.set("db", storageEncrypted=False),
        "storageEncrypted is not true",
        id="storage",
    ),
    Case(
        "aurora-encrypted-with-cmk",
        lambda b: b.drop("db", "kmsKeyId"),
        "kmsKeyId is not set",
        id="cmk",
    ),
    Case(
        "aurora-encrypted-with-cmk",
        lambda b: b.drop("db-1", "performanceInsightsKmsKeyId"),
        "Performance Insights is enabled without performanceInsightsKmsKeyId",
        id="performance-insights",
    ),
    Case(
        "aurora-backup-retention",
        lambda b: b.set("db", backupRetentionPeriod=3),
        "backupRetentionPeriod is 3",
    ),
    Case(
        "aurora-backup-retention",
        lambda b: b.drop("db", "backupRetentionPeriod"),
        "unset (AWS default 1)",
        id="unset",
    ),
    Case(
        "aurora-deletion-protection-prod",
        lambda b: b.set("db", deletionProtection=False),
        "deletionProtection is not true on a prod database",
    ),
    Case(
        "aurora-cluster-hardening",
        lambda b: b.set("db", iamDatabaseAuthenticationEnabled=False, enabledCloudwatchLogsExports=[]),
        "enabledCloudwatchLogsExports does not include 'postgresql'",
    ),
    Case("data-stores-non-default-ports", lambda b: b.set("db", port=5432), "default port 5432", id="aurora"),
    Case("data-stores-non-default-ports", lambda b: b.drop("redis", "port"), "default port 6379", id="redis"),
    Case("aurora-multi-az-prod", lambda b: b.remove("db-2"), "prod Aurora cluster has 1 instance(s)"),
    Case(
        "aurora-cross-region-backup-prod",
        lambda b: b.remove("backup-selection"),
        "in no AWS Backup plan with a copy to another region",
        id="not-selected",
    ),
    Case(
        "aurora-cross-region-backup-prod",
        lambda b: b.set("backup-plan", rules=[{**BACKUP_RULE, "copyActions": []}]),
        "in no AWS Backup plan with a copy to another region",
        id="no-copy",
    ),
    Case(
        "aurora-cross-region-backup-prod",
        lambda b: b.set(
            "backup-plan",
            rules=[
                {
                    **BACKUP_RULE,
                    "copyActions": [
                        {
                            "destinationVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:same-region"
                        }
                    ],
                }
            ],
        ),
        "in no AWS Backup plan with a copy to another region",
        id="same-region-copy",
    ),
    Case(
        "rds-event-subscription-prod",
        lambda b: b.remove("db-events"),
        "no RDS event subscription for its failover and failure events",
        id="none",
    ),
    Case(
        "rds-event-subscription-prod",
        lambda b: b.set("db-events", eventCategories=["maintenance"]),
        "no RDS event subscription for its failover and failure events",
        id="no-failover",
    ),
    Case(
        "redis-encryption-and-auth",
        lambda b: b.set("redis", transitEncryptionEnabled=False),
        "transitEncryptionEnabled is not true",
        id="transit",
    ),
    Case(
        "redis-encryption-and-auth",
        lambda b: b.drop("redis", "authToken"),
        "Redis accepts unauthenticated clients",
        id="auth",
    ),
    Case(
        "redis-encryption-and-auth",
        lambda b: b.drop("redis", "atRestEncryptionEnabled"),
        "atRestEncryptionEnabled is not true",
        id="at-rest",
    ),
    Case(
        "redis-multi-az-failover-prod",
        lambda b: b.set("redis", automaticFailoverEnabled=False),
        "automaticFailoverEnabled is not true on prod Redis",
    ),
    Case(
        "redis-backups-and-patching",
        lambda b: b.set("redis", snapshotRetentionLimit=0, autoMinorVersionUpgrade=False),
        "Redis has no automatic backups",
    ),
    # Encryption.
    Case(
        "kms-key-rotation", lambda b: b.set("key", enableKeyRotation=False), "enableKeyRotation is not true"
    ),
    Case(
        "secrets-encrypted-with-cmk",
        lambda b: b.drop("db-secret", "kmsKeyId"),
        "kmsKeyId is not set",
        id="unset",
    ),
    Case(
        "secrets-encrypted-with-cmk",
        lambda b: b.set("db-secret", kmsKeyId="alias/aws/secretsmanager"),
        "AWS-managed key alias/aws/secretsmanager",
        id="aws-managed",
    ),
    Case(
        "secrets-rotated",
        lambda b: b.set("trading-secret", tags={"Rotation": "external"}),
        "secret has no SecretRotation",
        id="no-reason",
    ),
    Case(
        "secrets-rotated",
        lambda b: b.remove("db-secret-rotation"),
        "secret has no SecretRotation",
        id="removed",
    ),
    Case("log-groups-encrypted", lambda b: b.drop("web-api-logs", "kmsKeyId"), "log group is not encrypted"),
    Case("log-groups-retention", lambda b: b.drop("web-api-logs", "retentionInDays"), "logs are kept"),
    Case("sns-topics-encrypted", lambda b: b.drop("alerts", "kmsMasterKeyId"), "topic is not encrypted"),
    Case(
        "sns-topic-policy-secure",
        lambda b: b.remove("alerts-policy"),
        "no topic policy denies publishing without TLS",
        id="no-tls-deny",
    ),
    Case(
        "sns-topic-policy-secure",
        lambda b: b.set(
            "alerts",
            policy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": TOPIC_ARN}
            ),
        ),
        "allows any principal",
        id="public",
    ),
    Case(
        "s3-buckets-encrypted-and-private",
        lambda b: b.remove("alb-logs-sse"),
        "bucket has no server-side encryption configuration",
        id="sse",
    ),
    Case(
        "s3-buckets-encrypted-and-private",
        lambda b: b.set("alb-logs-pab", restrictPublicBuckets=False),
        "leaves restrictPublicBuckets off",
        id="pab-flag",
    ),
    Case(
        "s3-buckets-encrypted-and-private",
        lambda b: b.remove("alb-logs-pab"),
        "bucket has no public access block",
        id="pab-missing",
    ),
    # Edge.
    Case(
        "alb-drop-invalid-headers",
        lambda b: b.drop("alb", "dropInvalidHeaderFields"),
        "dropInvalidHeaderFields",
    ),
    Case(
        "alb-access-logs",
        lambda b: b.set("alb", accessLogs={"bucket": "arbiter-alb-logs", "enabled": False}),
        "accessLogs are not enabled",
    ),
    Case(
        "alb-deletion-protection-prod",
        lambda b: b.drop("alb", "enableDeletionProtection"),
        "prod load balancer",
    ),
    Case(
        "alb-desync-mitigation",
        lambda b: b.set("alb", desyncMitigationMode="monitor"),
        "desyncMitigationMode",
    ),
    Case("alb-multi-az", lambda b: b.set("alb", subnets=["subnet-public-a"]), "spans 1 subnet(s)"),
    Case(
        "prod-alb-web-acl",
        lambda b: b.remove("alb-waf"),
        "internet-facing prod ALB has no WAF web ACL associated",
        id="no-association",
    ),
    Case(
        "prod-alb-web-acl",
        lambda b: b.set("alb-waf", resourceArn="another-alb-id"),
        "internet-facing prod ALB has no WAF web ACL associated",
        id="other-alb",
    ),
    Case(
        "https-listener-tls12",
        lambda b: b.set("https", sslPolicy="ELBSecurityPolicy-2016-08"),
        "sslPolicy is ELBSecurityPolicy-2016-08",
        id="old-policy",
    ),
    Case(
        "https-listener-tls12",
        lambda b: b.drop("https", "sslPolicy"),
        "unset (ELBSecurityPolicy-2016-08, allows TLS 1.0)",
        id="default-policy",
    ),
    Case(
        "http-listener-redirects-to-https",
        lambda b: b.set("http", defaultActions=[{"type": "forward", "targetGroupArn": "tg"}]),
        "HTTP listener does not redirect to HTTPS",
        id="prod-forward",
    ),
    Case(
        "http-listener-redirects-to-https",
        lambda b: b.set("http", defaultActions=[{"type": "forward", "targetGroupArn": "tg"}]),
        "HTTP listener does not redirect to HTTPS",
        environment="staging",
        id="staging-forward",
    ),
    Case(
        "grpc-target-groups-behind-https",
        lambda b: b.set("grpc-rule", listenerArn="http-id"),
        "grpc-rule forwards from a HTTP listener to target group tg-grpc (GRPC)",
        environment="staging",
        id="rule-on-http",
    ),
    Case(
        "grpc-target-groups-behind-https",
        lambda b: b.set(
            "http",
            defaultActions=[
                {
                    "type": "forward",
                    "forward": {
                        "targetGroups": [
                            {"arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/grpc/1"}
                        ]
                    },
                }
            ],
        ),
        "http forwards from a HTTP listener to target group tg-grpc (GRPC)",
        also=("http-listener-redirects-to-https",),
        id="http-default-action",
    ),
    Case(
        "prod-certificates-issued-by-acm",
        lambda b: b.add(
            "aws:acm/certificate:Certificate",
            "self-signed",
            {"privateKey": "-----BEGIN PRIVATE KEY-----", "certificateBody": "-----BEGIN CERTIFICATE-----"},
        ),
        "an imported ACM certificate in prod",
        id="imported",
    ),
    Case(
        "prod-certificates-issued-by-acm",
        lambda b: b.add(
            "tls:index/selfSignedCert:SelfSignedCert",
            "tls-cert",
            {"privateKeyPem": "-----BEGIN PRIVATE KEY-----", "validityPeriodHours": 8760},
        ),
        "a self-signed certificate in prod",
        id="self-signed",
    ),
    # Containers.
    Case(
        "ecs-no-privileged-containers", lambda b: _task(b, privileged=True), "container web-api is privileged"
    ),
    Case(
        "ecs-no-privileged-containers",
        lambda b: b.set("web-api-task", pidMode="host"),
        "pidMode is 'host'",
        id="pid-host",
    ),
    Case(
        "ecs-read-only-root-filesystem",
        lambda b: _task(b, readonlyRootFilesystem=False),
        "readonlyRootFilesystem is not true",
    ),
    Case("ecs-awslogs-logging", lambda b: _task(b, logConfiguration=None), "no logConfiguration"),
    Case(
        "ecs-awslogs-non-blocking",
        lambda b: _task(b, logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "g"}}),
        "awslogs mode is unset (blocking); a throttled log stream would stall the process",
        id="blocking",
    ),
    Case(
        "ecs-awslogs-non-blocking",
        lambda b: _task(
            b,
            logConfiguration={
                "logDriver": "awslogs",
                "options": {"awslogs-group": "g", "mode": "non-blocking"},
            },
        ),
        "non-blocking awslogs without max-buffer-size",
        id="no-buffer",
        environment="staging",
    ),
    Case(
        "ecs-container-insights", lambda b: b.set("cluster", settings=[]), "Container Insights is not enabled"
    ),
    Case(
        "ecs-circuit-breaker-rollback",
        lambda b: b.set("web-api", deploymentCircuitBreaker={"enable": True, "rollback": False}),
        "rollback=true",
    ),
    Case(
        "ecs-fargate-latest-platform", lambda b: b.set("web-api", platformVersion="1.3.0"), "pinned to 1.3.0"
    ),
    Case(
        "ecr-scan-on-push",
        lambda b: b.set("web-api-repo", imageScanningConfiguration={"scanOnPush": False}),
        "scanOnPush is not true",
    ),
    Case("ecr-immutable-tags", lambda b: b.drop("web-api-repo", "imageTagMutability"), "MUTABLE (default)"),
    Case(
        "ecr-encrypted-with-cmk",
        lambda b: b.set("web-api-repo", encryptionConfigurations=[{"encryptionType": "AES256"}]),
        "is not KMS",
    ),
    Case(
        "ecr-repository-not-public",
        lambda b: b.set(
            "web-api-repo-policy",
            policy=doc({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}),
        ),
        "statement Open allows any principal",
    ),
    Case(
        "ecr-lifecycle-policy", lambda b: b.remove("web-api-lifecycle"), "repository has no lifecycle policy"
    ),
    # Prod protection.
    Case(
        "prod-stateful-resources-protected",
        lambda b: b.get("key").__setattr__("protect", False),
        "prod Key key is not protected",
        id="kms-key",
    ),
    Case(
        "prod-stateful-resources-protected",
        lambda b: b.get("db-2").__setattr__("protect", False),
        "prod ClusterInstance db-2 is not protected",
        id="cluster-instance",
    ),
]


def _case_id(case: Case) -> str:
    return f"{case.policy}-{case.id}" if case.id else case.policy


def test_compliant_stack_passes_every_policy() -> None:
    for environment in ("prod", "staging"):
        assert _run(compliant_stack(environment)) == [], environment


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    b = compliant_stack(case.environment)
    case.mutate(b)
    violations = _run(b)
    assert {v.policy for v in violations} == {case.policy, *case.also}, [str(v) for v in violations]
    own = [v for v in violations if v.policy == case.policy]
    assert any(case.message in v.message for v in own), [v.message for v in own]
    assert all(v.enforcement == by_name(v.policy).enforcement.value for v in violations)
    assert all(v.severity == by_name(case.policy).severity.value for v in own)
    assert all(v.urn and v.resource_name for v in own)


def test_every_policy_has_a_violation_case() -> None:
    assert {p.name for p in POLICIES} == {c.policy for c in CASES}


#: Issues 3 and 4 fix Aurora on 5432 and Redis on 6379, so RDS11/AEC5 can only advise.
ADVISORY_BY_DEFAULT = {"data-stores-non-default-ports"}


def test_policy_metadata_complete() -> None:
    for policy in POLICIES:
        assert policy.name and policy.description and policy.remediation, policy.name
        assert policy.controls and all(policy.controls), policy.name
        # Mandatory by default; the one advisory exception is justified where it is declared.
        expected_level = (
            EnforcementLevel.ADVISORY if policy.name in ADVISORY_BY_DEFAULT else EnforcementLevel.MANDATORY
        )
        assert policy.enforcement is expected_level, policy.name
        assert policy.resource_types, policy.name
    built = pulumi_policies()
    assert [p.name for p in built] == [p.name for p in POLICIES]
    for meta, policy in zip(POLICIES, built, strict=True):
        assert policy.enforcement_level is meta.enforcement
        assert policy.severity is meta.severity
        assert policy.remediation_steps == meta.remediation
        assert policy.tags == list(meta.controls)
        assert policy.config_schema is not None and "environment" in policy.config_schema.properties
        expected = StackValidationPolicy if meta.is_stack else ResourceValidationPolicy
        assert isinstance(policy, expected), policy.name


def test_controls_cover_the_floor() -> None:
    covered = {control for p in POLICIES for control in p.controls}
    assert CONTROL_FLOOR - covered == set()


def test_stack_policies_required_by_the_issue_are_stack_level() -> None:
    for name in (
        "only-alb-faces-internet",
        "prod-stateful-resources-protected",
        "database-subnets-no-internet-route",
        "services-in-private-subnets",
    ):
        assert by_name(name).is_stack, name


# Environment: read from provider default tags or policy config, never from names.


def test_prod_only_rules_do_not_fire_in_staging() -> None:
    b = compliant_stack("staging")
    b.set("db", deletionProtection=False)
    b.set("redis", automaticFailoverEnabled=False, multiAzEnabled=False)
    b.drop("alb", "enableDeletionProtection")
    b.remove("db-2")
    for name in ("key", "db", "db-1", "redis", "trading-secret", "db-secret"):
        b.get(name).protect = False
    assert _run(b) == []


def test_config_environment_overrides_provider_tags() -> None:
    b = compliant_stack("staging")
    b.set("db", deletionProtection=False)
    assert _run(b) == []
    fired = _run(b, {"environment": "prod"})
    assert {v.policy for v in fired} == {"aurora-deletion-protection-prod"}


def test_environment_is_not_read_from_names() -> None:
    b = compliant_stack("staging")
    b.set("db", deletionProtection=False, clusterIdentifier="arbiter-prod-db")
    b.resources["db"].name = "prod-db"
    assert _run(b) == []


def test_missing_environment_fails_closed_as_prod() -> None:
    b = compliant_stack("prod")
    b.provider.inputs["defaultTags"] = json.dumps({"tags": {"Project": "arbiter"}})
    b.set("db", deletionProtection=False)
    assert {v.policy for v in _run(b)} == {"aurora-deletion-protection-prod"}


# Certificates: staging's self-signed one is allowed there, never in prod.


def test_self_signed_and_imported_certificates_pass_in_staging_only() -> None:
    for environment, expected in (("staging", set()), ("prod", {"prod-certificates-issued-by-acm"})):
        b = compliant_stack(environment)
        b.add(
            "aws:acm/certificate:Certificate",
            "self-signed",
            {"privateKey": "-----BEGIN PRIVATE KEY-----", "certificateBody": "-----BEGIN CERTIFICATE-----"},
        )
        b.add("tls:index/selfSignedCert:SelfSignedCert", "tls-cert", {"validityPeriodHours": 8760})
        assert {v.policy for v in _run(b)} == expected, environment


def test_a_tls_resource_s_environment_comes_from_policy_config() -> None:
    """A tls provider carries no Environment tag: the self-signed rule needs the config's environment."""
    b = compliant_stack("prod")
    b.add(
        "tls:index/selfSignedCert:SelfSignedCert", "tls-cert", {"validityPeriodHours": 8760}, provider=False
    )
    assert _run(b) == []
    assert {v.policy for v in _run(b, {"environment": "prod"})} == {"prod-certificates-issued-by-acm"}


def test_an_acm_issued_certificate_passes_in_prod() -> None:
    b = compliant_stack("prod")
    b.add(
        "aws:acm/certificate:Certificate",
        "issued",
        {"domainName": "api.example.com", "validationMethod": "DNS"},
    )
    assert _run(b) == []


def test_grpc_rule_on_an_unknown_listener_is_not_a_violation() -> None:
    """At preview the rule's listener ARN is unknown: skipped, re-checked at `pulumi up`."""
    b = compliant_stack("staging")
    b.set("grpc-rule", listenerArn=UNKNOWN_STRING_VALUE)
    assert _run(b) == []


# Policy config: enforcement levels.


def _broken() -> StackBuilder:
    b = compliant_stack()
    b.set("key", enableKeyRotation=False)
    b.get("key").protect = False
    return b


def test_enforcement_advisory_via_config() -> None:
    fired = _run(_broken(), {"kms-key-rotation": "advisory"})
    levels = {v.policy: v.enforcement for v in fired}
    assert levels == {"kms-key-rotation": "advisory", "prod-stateful-resources-protected": "mandatory"}


def test_enforcement_object_form_and_disabled() -> None:
    fired = _run(_broken(), {"prod-stateful-resources-protected": {"enforcementLevel": "disabled"}})
    assert {v.policy for v in fired} == {"kms-key-rotation"}


def test_enforcement_all_then_per_policy() -> None:
    assert _run(_broken(), {"all": "disabled"}) == []
    fired = _run(_broken(), {"all": "disabled", "kms-key-rotation": "mandatory"})
    assert [(v.policy, v.enforcement) for v in fired] == [("kms-key-rotation", "mandatory")]


def test_allowed_public_ports_config() -> None:
    b = compliant_stack()
    _ingress(b, "https-alt", 8443)
    assert {v.policy for v in _run(b)} == {"security-group-no-world-open-ports"}
    assert _run(b, {"security-group-no-world-open-ports": {"allowedPublicPorts": [80, 443, 8443]}}) == []


def test_github_repository_config_pins_the_repository() -> None:
    b = compliant_stack()
    assert _run(b, {"github-oidc-trust-one-repository": {"githubRepository": REPO}}) == []
    fired = _run(b, {"github-oidc-trust-one-repository": {"githubRepository": "arbiter-bot/other"}})
    assert [v.policy for v in fired] == ["github-oidc-trust-one-repository"]
    assert "not arbiter-bot/other" in fired[0].message


def test_evaluate_skips_components_and_providers() -> None:
    b = compliant_stack()
    b.add("arbiter:network:Network", "bad-component", {"mapPublicIpOnLaunch": True}, custom=False)
    b.provider.inputs["mapPublicIpOnLaunch"] = True
    assert _run(b) == []


def test_violation_str_names_policy_and_resource() -> None:
    b = compliant_stack()
    b.set("public-a", mapPublicIpOnLaunch=True)
    (violation,) = _run(b)
    assert violation.resource_name == "public-a"
    assert violation.urn == b.get("public-a").urn
    assert str(violation).startswith("[mandatory/high] subnet-no-public-ip-on-launch (public-a):")


def test_outputs_override_inputs() -> None:
    b = compliant_stack()
    b.get("public-a").outputs["mapPublicIpOnLaunch"] = True
    assert [v.policy for v in _run(b)] == ["subnet-no-public-ip-on-launch"]


def test_multiple_containers_each_checked() -> None:
    b = compliant_stack()
    b.containers("web-api-task", container(), container(name="sidecar", readonlyRootFilesystem=False))
    fired = _run(b)
    assert [v.message for v in fired] == ["container sidecar: readonlyRootFilesystem is not true"]


def test_web_acl_is_a_prod_rule_and_internal_albs_need_none() -> None:
    """Staging may run without WAF (a config choice); an internal ALB is not the public entry point."""
    staging = compliant_stack("staging")
    staging.remove("alb-waf")
    assert [v for v in _run(staging) if v.policy == "prod-alb-web-acl"] == []
    prod = compliant_stack("prod")
    prod.remove("alb-waf")
    flagged = [v.urn for v in _run(prod) if v.policy == "prod-alb-web-acl"]
    assert flagged == [prod.get("alb").urn]
