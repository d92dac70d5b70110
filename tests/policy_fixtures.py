"""A hand-built, fully compliant Deployment for the policy tests, and helpers to break it."""

from __future__ import annotations

import json
from typing import Any

from arbiter_tools.runtime import DeclaredResource, Deployment

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:arbiter/trading-AbCdEf"
DB_SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:arbiter/db-AbCdEf"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:arbiter-alerts"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
REPO = "arbiter-bot/arbiter-infra"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def container(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "web-api",
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/web-api:v1",
        "environment": [
            {"name": "RUST_LOG", "value": "info"},
            {"name": "ARBITER_PAPER_TRADE", "value": "false"},
        ],
        "secrets": [{"name": "POLY_API_KEY", "valueFrom": f"{SECRET_ARN}:api_key::"}],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/arbiter/web-api",
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
    }
    base.update(overrides)
    return base


class StackBuilder:
    """Declares resources the way the recording monitor does: inputs, plus outputs carrying id/arn."""

    def __init__(self, environment: str = "prod", stack: str | None = None) -> None:
        self.stack = stack or environment
        self.resources: dict[str, DeclaredResource] = {}
        tags = {"Project": "arbiter", "Environment": environment, "Service": "infra", "ManagedBy": "pulumi"}
        self.provider = self.add(
            "pulumi:providers:aws",
            f"aws-{environment}",
            {"region": "us-east-1", "defaultTags": json.dumps({"tags": tags})},
            custom=True,
            provider=False,
        )

    def urn(self, type_: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::arbiter::{type_}::{name}"

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        id_: str | None = None,
        arn: str | None = None,
        protect: bool = False,
        custom: bool = True,
        provider: bool = True,
        outputs: dict[str, Any] | None = None,
    ) -> DeclaredResource:
        rid = id_ or f"{name}-id"
        out = {"id": rid, **({"arn": arn} if arn else {}), **(outputs or {})}
        res = DeclaredResource(
            urn=self.urn(type_, name),
            type=type_,
            name=name,
            parent=None,
            custom=custom,
            id=rid,
            inputs=dict(inputs),
            outputs=out if custom else {},
            secret_inputs=frozenset(),
            provider=self.provider.urn if provider and custom else None,
            protect=protect,
            dependencies=(),
        )
        self.resources[name] = res
        return res

    def get(self, name: str) -> DeclaredResource:
        return self.resources[name]

    def set(self, name: str, **props: Any) -> None:
        res = self.resources[name]
        for key, value in props.items():
            res.inputs[key] = value
            if key in res.outputs:
                res.outputs[key] = value

    def drop(self, name: str, *keys: str) -> None:
        for key in keys:
            self.resources[name].inputs.pop(key, None)

    def remove(self, name: str) -> None:
        del self.resources[name]

    def containers(self, name: str, *defs: dict[str, Any]) -> None:
        self.set(name, containerDefinitions=json.dumps(list(defs)))

    def deployment(self) -> Deployment:
        return Deployment(self.stack, list(self.resources.values()), {}, frozenset())


CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:arbiter-prod-db"
BACKUP_PLAN_ARN = "arn:aws:backup:us-east-1:123456789012:backup-plan:plan-1"
BACKUP_RULE = {
    "ruleName": "daily",
    "targetVaultName": "arbiter-prod-backup",
    "schedule": "cron(0 4 * * ? *)",
    "lifecycle": {"deleteAfter": 14},
    "copyActions": [
        {
            "destinationVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:arbiter-prod-backup-us-west-2",
            "lifecycle": {"deleteAfter": 14},
        }
    ],
}


def compliant_stack(environment: str = "prod") -> StackBuilder:
    """Every policy of the pack has at least one resource here that it inspects and accepts."""
    b = StackBuilder(environment)
    b.add("arbiter:network:Network", "network", {}, custom=False)
    b.add("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}, id_="vpc-1")
    b.add(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "default-sg",
        {"vpcId": "vpc-1", "ingress": [], "egress": []},
    )
    b.add("aws:ec2/flowLog:FlowLog", "flow-log", {"vpcId": "vpc-1", "trafficType": "ALL"})
    for t, tier in enumerate(("public", "private", "database")):
        for n, az in enumerate(("a", "b")):
            b.add(
                "aws:ec2/subnet:Subnet",
                f"{tier}-{az}",
                {
                    "vpcId": "vpc-1",
                    "cidrBlock": f"10.0.{10 * t + n + 1}.0/24",
                    "mapPublicIpOnLaunch": False,
                    "tags": {"Tier": tier},
                },
                id_=f"subnet-{tier}-{az}",
            )
    # Database tier: inline rules for a, a rule resource and an association for b.
    db_acl = {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlock": "10.0.11.0/24"}
    b.add(
        "aws:ec2/networkAcl:NetworkAcl",
        "database-acl",
        {
            "vpcId": "vpc-1",
            "subnetIds": ["subnet-database-a"],
            "ingress": [{**db_acl, "ruleNo": 100, "action": "allow"}],
            "egress": [{**db_acl, "ruleNo": 100, "action": "allow", "fromPort": 1024, "toPort": 65535}],
        },
        id_="acl-database",
    )
    b.add("aws:ec2/networkAcl:NetworkAcl", "database-acl-b", {"vpcId": "vpc-1"}, id_="acl-database-b")
    b.add(
        "aws:ec2/networkAclAssociation:NetworkAclAssociation",
        "database-b-acl",
        {"subnetId": "subnet-database-b", "networkAclId": "acl-database-b"},
    )
    b.add(
        "aws:ec2/networkAclRule:NetworkAclRule",
        "database-b-in",
        {
            **db_acl,
            "networkAclId": "acl-database-b",
            "ruleNumber": 100,
            "ruleAction": "allow",
            "egress": False,
        },
    )
    b.add("aws:ec2/routeTable:RouteTable", "rt-public", {"vpcId": "vpc-1"}, id_="rtb-public")
    b.add("aws:ec2/routeTable:RouteTable", "rt-private", {"vpcId": "vpc-1"}, id_="rtb-private")
    b.add(
        "aws:ec2/routeTable:RouteTable", "rt-database", {"vpcId": "vpc-1", "routes": []}, id_="rtb-database"
    )
    b.add(
        "aws:ec2/route:Route",
        "public-default",
        {"routeTableId": "rtb-public", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
    )
    b.add(
        "aws:ec2/route:Route",
        "private-default",
        {"routeTableId": "rtb-private", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"},
    )
    for tier in ("public", "private", "database"):
        for az in ("a", "b"):
            b.add(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                f"{tier}-{az}-rta",
                {"subnetId": f"subnet-{tier}-{az}", "routeTableId": f"rtb-{tier}"},
            )
    b.add("aws:ec2/eip:Eip", "nat-eip", {"domain": "vpc"})

    # Security groups: the three rule shapes.
    b.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "alb-sg",
        {"vpcId": "vpc-1", "description": "ALB"},
        id_="sg-alb",
    )
    b.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "svc-sg",
        {
            "vpcId": "vpc-1",
            "description": "ECS services",
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                    "securityGroups": ["sg-alb"],
                    "description": "HTTP from the ALB",
                }
            ],
            "egress": [
                {
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                    "description": "Exchanges and AWS APIs via NAT",
                }
            ],
        },
        id_="sg-svc",
    )
    b.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "db-sg",
        {"vpcId": "vpc-1", "description": "Aurora"},
        id_="sg-db",
    )
    for port, cidr in ((443, "cidrIpv4"), (80, "cidrIpv4"), (443, "cidrIpv6")):
        b.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"alb-{port}-{cidr}",
            {
                "securityGroupId": "sg-alb",
                "ipProtocol": "tcp",
                "fromPort": port,
                "toPort": port,
                cidr: "0.0.0.0/0" if cidr == "cidrIpv4" else "::/0",
                "description": f"Clients on {port}",
            },
        )
    b.add(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "alb-to-svc",
        {
            "securityGroupId": "sg-alb",
            "ipProtocol": "tcp",
            "fromPort": 8080,
            "toPort": 8080,
            "referencedSecurityGroupId": "sg-svc",
            "description": "To the services",
        },
    )
    b.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "db-from-svc",
        {
            "securityGroupId": "sg-db",
            "ipProtocol": "tcp",
            "fromPort": 5433,
            "toPort": 5433,
            "referencedSecurityGroupId": "sg-svc",
            "description": "PostgreSQL from services",
        },
    )
    b.add(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "redis-from-svc",
        {
            "type": "ingress",
            "securityGroupId": "sg-db",
            "protocol": "tcp",
            "fromPort": 6380,
            "toPort": 6380,
            "sourceSecurityGroupId": "sg-svc",
            "description": "Redis from services",
        },
    )

    # Edge.
    b.add(
        "aws:lb/loadBalancer:LoadBalancer",
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
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "alb-waf",
        {"resourceArn": "alb-id", "webAclArn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/waf/1"},
    )
    b.add(
        "aws:lb/listener:Listener",
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
        "aws:lb/listener:Listener",
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
        "aws:lb/targetGroup:TargetGroup",
        "tg-grpc",
        {"protocol": "HTTP", "protocolVersion": "GRPC", "port": 8080, "targetType": "ip"},
        arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/grpc/1",
    )
    b.add(
        "aws:lb/listenerRule:ListenerRule",
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

    # Containers.
    b.add(
        "aws:ecs/cluster:Cluster",
        "cluster",
        {"settings": [{"name": "containerInsights", "value": "enabled"}]},
    )
    b.add(
        "aws:ecs/taskDefinition:TaskDefinition",
        "web-api-task",
        {"family": "web-api", "containerDefinitions": json.dumps([container()])},
    )
    b.add(
        "aws:ecs/service:Service",
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
        },
    )
    b.add(
        "aws:ecr/repository:Repository",
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
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "web-api-lifecycle",
        {"repository": "web-api", "policy": "{}"},
    )
    b.add(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
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

    # Data.
    b.add(
        "aws:kms/key:Key",
        "key",
        {"enableKeyRotation": True, "deletionWindowInDays": 30},
        arn=KEY_ARN,
        protect=True,
    )
    b.add(
        "aws:rds/cluster:Cluster",
        "db",
        {
            "clusterIdentifier": "arbiter-prod-db",
            "engine": "aurora-postgresql",
            "port": 5433,
            "storageEncrypted": True,
            "kmsKeyId": KEY_ARN,
            "backupRetentionPeriod": 7,
            "deletionProtection": True,
            "iamDatabaseAuthenticationEnabled": True,
            "copyTagsToSnapshot": True,
            "enabledCloudwatchLogsExports": ["postgresql"],
        },
        id_="arbiter-prod-db",
        protect=True,
    )
    b.get("db").outputs["arn"] = CLUSTER_ARN
    b.add("aws:backup/plan:Plan", "backup-plan", {"rules": [BACKUP_RULE]}, id_="plan-1", arn=BACKUP_PLAN_ARN)
    b.add(
        "aws:backup/selection:Selection",
        "backup-selection",
        {
            "planId": "plan-1",
            "resources": [CLUSTER_ARN],
            "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
        },
    )
    b.add(
        "aws:rds/eventSubscription:EventSubscription",
        "db-events",
        {
            "snsTopic": TOPIC_ARN,
            "sourceType": "db-cluster",
            "sourceIds": ["arbiter-prod-db"],
            "eventCategories": ["failover", "failure", "maintenance"],
        },
    )
    for i in (1, 2):
        b.add(
            "aws:rds/clusterInstance:ClusterInstance",
            f"db-{i}",
            {
                "clusterIdentifier": "arbiter-prod-db",
                "publiclyAccessible": False,
                "performanceInsightsEnabled": True,
                "performanceInsightsKmsKeyId": KEY_ARN,
            },
            protect=True,
        )
    b.add(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "redis",
        {
            "port": 6380,
            "subnetGroupName": "arbiter-cache",
            "atRestEncryptionEnabled": True,
            "kmsKeyId": KEY_ARN,
            "transitEncryptionEnabled": True,
            "authToken": "s3cr3t-token-from-secrets-manager",
            "automaticFailoverEnabled": True,
            "multiAzEnabled": True,
            "snapshotRetentionLimit": 7,
        },
        protect=True,
    )
    b.add(
        "aws:secretsmanager/secret:Secret",
        "trading-secret",
        {"kmsKeyId": KEY_ARN, "tags": {"Rotation": "external", "RotationReason": "Exchange-issued API keys"}},
        arn=SECRET_ARN,
        protect=True,
    )
    b.add(
        "aws:secretsmanager/secret:Secret",
        "db-secret",
        {"kmsKeyId": KEY_ARN},
        arn=DB_SECRET_ARN,
        protect=True,
    )
    b.add(
        "aws:secretsmanager/secretRotation:SecretRotation",
        "db-secret-rotation",
        {"secretId": DB_SECRET_ARN, "rotationRules": {"automaticallyAfterDays": 30}},
    )
    b.add("aws:cloudwatch/logGroup:LogGroup", "web-api-logs", {"kmsKeyId": KEY_ARN, "retentionInDays": 30})
    b.add("aws:sns/topic:Topic", "alerts", {"kmsMasterKeyId": KEY_ARN}, arn=TOPIC_ARN)
    b.add(
        "aws:sns/topicPolicy:TopicPolicy",
        "alerts-policy",
        {
            "arn": TOPIC_ARN,
            "policy": doc(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": TOPIC_ARN,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "CloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": TOPIC_ARN,
                },
            ),
        },
    )
    b.add("aws:s3/bucket:Bucket", "alb-logs", {"bucket": "arbiter-alb-logs"}, id_="arbiter-alb-logs")
    b.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "alb-logs-sse",
        {
            "bucket": "arbiter-alb-logs",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        },
    )
    b.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "alb-logs-pab",
        {
            "bucket": "arbiter-alb-logs",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    )

    # Identity.
    b.add(
        "aws:iam/role:Role",
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
        "aws:iam/rolePolicy:RolePolicy",
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
        "aws:iam/role:Role",
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
        "aws:iam/policy:Policy",
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
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "deploy-attach",
        {"role": "deploy-role-id", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy"},
    )
    _add_other_shapes(b)
    return b


def _add_other_shapes(b: StackBuilder) -> None:
    """Compliant resources of the remaining types the pack inspects (aliases, V2 shapes, users, groups).

    So the unknown-value test finds a resource of every type every policy reads.
    """
    b.add(
        "aws:alb/loadBalancer:LoadBalancer",
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
        "aws:alb/listener:Listener",
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
        "aws:alb/targetGroup:TargetGroup",
        "tg-internal-rest",
        {"protocol": "HTTP", "protocolVersion": "HTTP1", "port": 8080, "targetType": "ip"},
        arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/internal-rest/2",
    )
    b.add(
        "aws:alb/listenerRule:ListenerRule",
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
        "aws:acm/certificate:Certificate",
        "issued",
        {"domainName": "api.arbiter-bot.dev", "validationMethod": "DNS"},
    )
    b.add("aws:rds/instance:Instance", "reporting-db", {"publiclyAccessible": False, "port": 5433})
    b.add(
        "aws:ec2/instance:Instance",
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
    b.add("aws:iam/userPolicy:UserPolicy", "operator-policy", {"user": "operator", "policy": read_logs})
    b.add("aws:iam/groupPolicy:GroupPolicy", "operators-policy", {"group": "operators", "policy": read_logs})
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    b.add("aws:iam/policyAttachment:PolicyAttachment", "readonly", {"policyArn": readonly, "roles": ["r"]})
    b.add(
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "user-ro",
        {"user": "operator", "policyArn": readonly},
    )
    b.add(
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "group-ro",
        {"group": "operators", "policyArn": readonly},
    )
    b.add(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "deploy-exclusive",
        {"roleName": "deploy", "policyArns": [f"arn:aws:iam::{ACCOUNT}:policy/deploy"]},
    )
    b.add("aws:s3/bucketV2:BucketV2", "state", {"bucket": "arbiter-state"}, id_="arbiter-state")
    b.add(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "state-sse",
        {
            "bucket": "arbiter-state",
            "rules": [
                {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}}
            ],
        },
    )
    b.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "state-pab",
        {
            "bucket": "arbiter-state",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    )
