"""Every Pulumi type token the pack inspects, in one place, so no two rule modules spell one differently.

A typo'd token silently matches nothing (the rule never runs), and an alias one module knows and
another does not (`aws:alb/...` beside `aws:lb/...`) leaves a gap; one table avoids both.
"""

from __future__ import annotations

from typing import Final

# The engine: each provider is a resource too, typed `pulumi:providers:<package>`.
PROVIDER_PREFIX: Final = "pulumi:providers:"
AWS_PROVIDER: Final = "pulumi:providers:aws"

# Network.
VPC: Final = "aws:ec2/vpc:Vpc"
SUBNET: Final = "aws:ec2/subnet:Subnet"
SECURITY_GROUP: Final = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS: Final = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG: Final = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG: Final = "aws:ec2/flowLog:FlowLog"
ROUTE: Final = "aws:ec2/route:Route"
ROUTE_TABLE: Final = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION: Final = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NETWORK_ACL: Final = "aws:ec2/networkAcl:NetworkAcl"
NETWORK_ACL_RULE: Final = "aws:ec2/networkAclRule:NetworkAclRule"
NETWORK_ACL_ASSOCIATION: Final = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
EC2_INSTANCE: Final = "aws:ec2/instance:Instance"
EIP: Final = "aws:ec2/eip:Eip"

# Edge.
LOAD_BALANCERS: Final = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS: Final = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES: Final = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
TARGET_GROUPS: Final = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
ACM_CERTIFICATES: Final = ("aws:acm/certificate:Certificate",)
SELF_SIGNED: Final = ("tls:index/selfSignedCert:SelfSignedCert",)
WAF_ASSOCIATION: Final = "aws:wafv2/webAclAssociation:WebAclAssociation"

# Containers.
ECS_CLUSTER: Final = "aws:ecs/cluster:Cluster"
ECS_SERVICE: Final = "aws:ecs/service:Service"
TASK_DEFINITION: Final = "aws:ecs/taskDefinition:TaskDefinition"
ECR_REPOSITORY: Final = "aws:ecr/repository:Repository"
ECR_REPOSITORY_POLICY: Final = "aws:ecr/repositoryPolicy:RepositoryPolicy"
ECR_LIFECYCLE_POLICY: Final = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

# Data.
RDS_CLUSTER: Final = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE: Final = "aws:rds/clusterInstance:ClusterInstance"
RDS_INSTANCE: Final = "aws:rds/instance:Instance"
REPLICATION_GROUP: Final = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_USER: Final = "aws:elasticache/user:User"
CACHE_USER_GROUP: Final = "aws:elasticache/userGroup:UserGroup"
RDS_EVENT_SUBSCRIPTION: Final = "aws:rds/eventSubscription:EventSubscription"
BACKUP_PLAN: Final = "aws:backup/plan:Plan"
BACKUP_SELECTION: Final = "aws:backup/selection:Selection"

# Keys, secrets, logs, topics, buckets.
KMS_KEY: Final = "aws:kms/key:Key"
SECRET: Final = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION: Final = "aws:secretsmanager/secretRotation:SecretRotation"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
TOPIC: Final = "aws:sns/topic:Topic"
TOPIC_POLICY: Final = "aws:sns/topicPolicy:TopicPolicy"
BUCKETS: Final = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_SSE: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_PAB: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"

# Identity.
IAM_ROLE: Final = "aws:iam/role:Role"
IAM_ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY: Final = "aws:iam/policy:Policy"
IAM_USER_POLICY: Final = "aws:iam/userPolicy:UserPolicy"
IAM_GROUP_POLICY: Final = "aws:iam/groupPolicy:GroupPolicy"
IAM_ATTACHMENTS: Final = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
)

# Types only the tooling (the moto-backed emulator and the IAM call rules) keys on: the pack has
# no rule for them, but one spelling for every consumer still holds.
INTERNET_GATEWAY: Final = "aws:ec2/internetGateway:InternetGateway"
INTERNET_GATEWAY_ATTACHMENT: Final = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
NAT_GATEWAY: Final = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT: Final = "aws:ec2/vpcEndpoint:VpcEndpoint"
ECS_CAPACITY_PROVIDERS: Final = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
RDS_CLUSTER_PARAMETER_GROUP: Final = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
RDS_SUBNET_GROUP: Final = "aws:rds/subnetGroup:SubnetGroup"
CACHE_SUBNET_GROUP: Final = "aws:elasticache/subnetGroup:SubnetGroup"
CACHE_PARAMETER_GROUP: Final = "aws:elasticache/parameterGroup:ParameterGroup"
BACKUP_VAULT: Final = "aws:backup/vault:Vault"
BACKUP_VAULT_POLICY: Final = "aws:backup/vaultPolicy:VaultPolicy"
BACKUP_VAULT_LOCK: Final = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
KMS_ALIAS: Final = "aws:kms/alias:Alias"
#: The first of IAM_ATTACHMENTS, by name (spelled once, above).
IAM_ROLE_POLICY_ATTACHMENT: Final = IAM_ATTACHMENTS[0]
IAM_SERVICE_LINKED_ROLE: Final = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
IAM_OIDC_PROVIDER: Final = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
SECRET_VERSION: Final = "aws:secretsmanager/secretVersion:SecretVersion"
SD_NAMESPACE: Final = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"
SD_SERVICE: Final = "aws:servicediscovery/service:Service"
LAMBDA_FUNCTION: Final = "aws:lambda/function:Function"
LAMBDA_INVOCATION: Final = "aws:lambda/invocation:Invocation"
LAMBDA_FUNCTION_URL: Final = "aws:lambda/functionUrl:FunctionUrl"
LAMBDA_PERMISSION: Final = "aws:lambda/permission:Permission"
TOPIC_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
METRIC_ALARM: Final = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD: Final = "aws:cloudwatch/dashboard:Dashboard"
BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_OWNERSHIP: Final = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_LIFECYCLE: Final = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
BUCKET_VERSIONING: Final = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
WEB_ACL: Final = "aws:wafv2/webAcl:WebAcl"
WAF_LOGGING: Final = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
SCALING_TARGET: Final = "aws:appautoscaling/target:Target"
SCALING_POLICY: Final = "aws:appautoscaling/policy:Policy"
RANDOM_PASSWORD: Final = "random:index/randomPassword:RandomPassword"
TLS_PRIVATE_KEY: Final = "tls:index/privateKey:PrivateKey"
