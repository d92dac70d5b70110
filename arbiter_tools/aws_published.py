"""What AWS itself publishes about permissions, kept as data: the yardstick of the IAM proof.

Three sources, none typed by hand:

- the CloudFormation registry schemas' handler permissions (`handlers.<create|read|update|delete|list>
  .permissions`) of the CloudFormation equivalent of every pulumi-aws type the stacks declare, in
  `data/aws_handler_permissions.json` (from pulumi/pulumi-aws-native's `aws-cloudformation-schema/`);
- the AWS managed policies of the service roles the program creates (or the policy AWS documents
  for that role when it publishes no managed one), in `data/aws_managed_policies.json` (from
  zoph-io/MAMIP, which tracks every AWS managed policy version);
- the Service Authorization Reference (which actions take which resource types), as shipped by the
  `parliament` package (`parliament/iam_definition.json`).

`scripts/refresh_aws_permissions.py` regenerates both JSON files; what is ours is only the mapping
below (pulumi type -> CloudFormation type, and service role -> AWS policy), with its reasons.
Tooling only: the program never imports this.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

DATA_DIR: Final = Path(__file__).parent / "data"
HANDLER_PERMISSIONS_FILE: Final = DATA_DIR / "aws_handler_permissions.json"
MANAGED_POLICIES_FILE: Final = DATA_DIR / "aws_managed_policies.json"

#: The handlers whose actions change something (what a deploy needs) and the read-only ones.
WRITE_HANDLERS: Final = ("create", "update", "delete")
READ_HANDLERS: Final = ("read", "list")


@dataclass(frozen=True)
class CfnEquivalent:
    """The CloudFormation type(s) a pulumi type corresponds to.

    `types`: every CloudFormation type whose handlers do what the pulumi resource does (an
    `aws.ec2.NetworkAcl` with inline rules and subnets is an ACL, its entries and its
    associations). `property`: set when the pulumi type is one property of another CloudFormation
    type rather than a type of its own (`aws.iam.RolePolicyAttachment` is `ManagedPolicyArns` of
    `AWS::IAM::Role`): its permissions are that type's. Empty `types`: CloudFormation has none.
    """

    types: tuple[str, ...]
    note: str = ""
    property: str = ""


def _own(cfn_type: str, note: str = "") -> CfnEquivalent:
    return CfnEquivalent((cfn_type,), note)


def _prop(cfn_type: str, prop: str) -> CfnEquivalent:
    return CfnEquivalent((cfn_type,), f"the {prop} property of {cfn_type}", prop)


#: pulumi-aws type -> its CloudFormation equivalent. A declared type missing here makes the refresh
#: script (and a test) fail naming it.
CFN_EQUIVALENTS: Final[dict[str, CfnEquivalent]] = {
    "aws:acm/certificate:Certificate": _own(
        "AWS::CertificateManager::Certificate",
        "the stack imports a certificate (acm:ImportCertificate); CloudFormation's type only requests one",
    ),
    "aws:appautoscaling/policy:Policy": _own("AWS::ApplicationAutoScaling::ScalingPolicy"),
    "aws:appautoscaling/target:Target": _own("AWS::ApplicationAutoScaling::ScalableTarget"),
    "aws:backup/plan:Plan": _own("AWS::Backup::BackupPlan"),
    "aws:backup/selection:Selection": _own("AWS::Backup::BackupSelection"),
    "aws:backup/vault:Vault": _own("AWS::Backup::BackupVault"),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _prop(
        "AWS::Backup::BackupVault", "LockConfiguration"
    ),
    "aws:backup/vaultPolicy:VaultPolicy": _prop("AWS::Backup::BackupVault", "AccessPolicy"),
    "aws:cloudwatch/dashboard:Dashboard": _own("AWS::CloudWatch::Dashboard"),
    "aws:cloudwatch/logGroup:LogGroup": _own("AWS::Logs::LogGroup"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _own("AWS::CloudWatch::Alarm"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": CfnEquivalent(
        (),
        "adopts the security group AWS creates with every VPC; CloudFormation cannot manage it "
        "(only read its id, DefaultSecurityGroup of AWS::EC2::VPC)",
    ),
    "aws:ec2/eip:Eip": _own("AWS::EC2::EIP"),
    "aws:ec2/flowLog:FlowLog": _own("AWS::EC2::FlowLog"),
    "aws:ec2/internetGateway:InternetGateway": CfnEquivalent(
        ("AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment"),
        "with vpc_id the gateway is also attached (a type of its own in CloudFormation)",
    ),
    "aws:ec2/natGateway:NatGateway": _own("AWS::EC2::NatGateway"),
    "aws:ec2/networkAcl:NetworkAcl": CfnEquivalent(
        ("AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "AWS::EC2::SubnetNetworkAclAssociation"),
        "inline ingress/egress rules and subnet_ids are types of their own in CloudFormation",
    ),
    "aws:ec2/route:Route": _own("AWS::EC2::Route"),
    "aws:ec2/routeTable:RouteTable": _own("AWS::EC2::RouteTable"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _own("AWS::EC2::SubnetRouteTableAssociation"),
    "aws:ec2/securityGroup:SecurityGroup": _own("AWS::EC2::SecurityGroup"),
    "aws:ec2/subnet:Subnet": _own("AWS::EC2::Subnet"),
    "aws:ec2/vpc:Vpc": _own("AWS::EC2::VPC"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _own("AWS::EC2::VPCEndpoint"),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _prop("AWS::ECR::Repository", "LifecyclePolicy"),
    "aws:ecr/repository:Repository": _own("AWS::ECR::Repository"),
    "aws:ecs/cluster:Cluster": _own("AWS::ECS::Cluster"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _own(
        "AWS::ECS::ClusterCapacityProviderAssociations"
    ),
    "aws:ecs/service:Service": _own("AWS::ECS::Service"),
    "aws:ecs/taskDefinition:TaskDefinition": _own("AWS::ECS::TaskDefinition"),
    "aws:elasticache/parameterGroup:ParameterGroup": _own("AWS::ElastiCache::ParameterGroup"),
    "aws:elasticache/replicationGroup:ReplicationGroup": _own("AWS::ElastiCache::ReplicationGroup"),
    "aws:elasticache/subnetGroup:SubnetGroup": _own("AWS::ElastiCache::SubnetGroup"),
    "aws:elasticache/user:User": _own("AWS::ElastiCache::User"),
    "aws:elasticache/userGroup:UserGroup": _own("AWS::ElastiCache::UserGroup"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _own("AWS::IAM::OIDCProvider"),
    "aws:iam/policy:Policy": _own("AWS::IAM::ManagedPolicy"),
    "aws:iam/role:Role": _own("AWS::IAM::Role"),
    "aws:iam/rolePolicy:RolePolicy": _own("AWS::IAM::RolePolicy"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _prop("AWS::IAM::Role", "ManagedPolicyArns"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _own("AWS::IAM::ServiceLinkedRole"),
    "aws:kms/alias:Alias": _own("AWS::KMS::Alias"),
    "aws:kms/key:Key": _own("AWS::KMS::Key"),
    "aws:lambda/function:Function": _own("AWS::Lambda::Function"),
    "aws:lambda/invocation:Invocation": CfnEquivalent(
        (),
        "invokes a function on create and on each change of its input; CloudFormation has no type "
        "of its own for that (a custom resource's provider is a Lambda invocation: lambda:InvokeFunction)",
    ),
    "aws:lb/listener:Listener": _own("AWS::ElasticLoadBalancingV2::Listener"),
    "aws:lb/listenerRule:ListenerRule": _own("AWS::ElasticLoadBalancingV2::ListenerRule"),
    "aws:lb/loadBalancer:LoadBalancer": _own("AWS::ElasticLoadBalancingV2::LoadBalancer"),
    "aws:lb/targetGroup:TargetGroup": _own("AWS::ElasticLoadBalancingV2::TargetGroup"),
    "aws:rds/cluster:Cluster": _own("AWS::RDS::DBCluster"),
    "aws:rds/clusterInstance:ClusterInstance": _own(
        "AWS::RDS::DBInstance", "an Aurora instance is an AWS::RDS::DBInstance with DBClusterIdentifier"
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _own("AWS::RDS::DBClusterParameterGroup"),
    "aws:rds/eventSubscription:EventSubscription": _own("AWS::RDS::EventSubscription"),
    "aws:rds/subnetGroup:SubnetGroup": _own("AWS::RDS::DBSubnetGroup"),
    "aws:s3/bucket:Bucket": _own("AWS::S3::Bucket"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _prop(
        "AWS::S3::Bucket", "LifecycleConfiguration"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _prop("AWS::S3::Bucket", "OwnershipControls"),
    "aws:s3/bucketPolicy:BucketPolicy": _own("AWS::S3::BucketPolicy"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _prop(
        "AWS::S3::Bucket", "PublicAccessBlockConfiguration"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _prop(
        "AWS::S3::Bucket", "BucketEncryption"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _prop("AWS::S3::Bucket", "VersioningConfiguration"),
    "aws:secretsmanager/secret:Secret": _own("AWS::SecretsManager::Secret"),
    "aws:secretsmanager/secretVersion:SecretVersion": _prop("AWS::SecretsManager::Secret", "SecretString"),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": _own(
        "AWS::ServiceDiscovery::PrivateDnsNamespace"
    ),
    "aws:servicediscovery/service:Service": _own("AWS::ServiceDiscovery::Service"),
    "aws:sns/topic:Topic": _own("AWS::SNS::Topic"),
    "aws:sns/topicPolicy:TopicPolicy": _own("AWS::SNS::TopicPolicy"),
    "aws:sns/topicSubscription:TopicSubscription": _own("AWS::SNS::Subscription"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _own("AWS::EC2::SecurityGroupEgress"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _own("AWS::EC2::SecurityGroupIngress"),
    "aws:wafv2/webAcl:WebAcl": _own("AWS::WAFv2::WebACL"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": _own("AWS::WAFv2::WebACLAssociation"),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _own(
        "AWS::WAFv2::LoggingConfiguration"
    ),
}


#: CloudFormation types whose registry schema (at the recorded commit) publishes no handler
#: permissions: AWS data not available, so only the proof covers them.
SCHEMAS_WITHOUT_HANDLERS: Final = {
    "AWS::ServiceDiscovery::PrivateDnsNamespace": "its schema has no handlers section",
}


@dataclass(frozen=True)
class ServiceRolePolicy:
    """What AWS publishes for the role of one service principal the program trusts.

    `managed`: AWS managed policy names (in `data/aws_managed_policies.json`). `documented`: a
    policy AWS publishes in a user guide instead of as a managed policy (its URL and the actions),
    when there is no managed policy for that role.
    """

    managed: tuple[str, ...] = ()
    documented_url: str = ""
    documented_actions: tuple[str, ...] = ()


#: Service principal of a program-created role -> what AWS publishes for that role.
SERVICE_ROLE_POLICIES: Final[dict[str, ServiceRolePolicy]] = {
    "backup.amazonaws.com": ServiceRolePolicy(
        ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")
    ),
    "monitoring.rds.amazonaws.com": ServiceRolePolicy(("AmazonRDSEnhancedMonitoringRole",)),
    "ecs-tasks.amazonaws.com": ServiceRolePolicy(("AmazonECSTaskExecutionRolePolicy",)),
    "vpc-flow-logs.amazonaws.com": ServiceRolePolicy(
        documented_url="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
        documented_actions=(
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ),
    ),
    "lambda.amazonaws.com": ServiceRolePolicy(("AWSLambdaVPCAccessExecutionRole",)),
    "ecs.amazonaws.com": ServiceRolePolicy(("AmazonECSInfrastructureRolePolicyForLoadBalancers",)),
}


@cache
def handler_permissions() -> dict[str, Any]:
    """The stored handler permissions: `source` and `types` (pulumi type -> CloudFormation data)."""
    return dict(json.loads(HANDLER_PERMISSIONS_FILE.read_text()))


@cache
def managed_policies() -> dict[str, Any]:
    """The stored AWS managed policies: `source` and `policies` (name -> version, date, document)."""
    return dict(json.loads(MANAGED_POLICIES_FILE.read_text()))


def cfn_actions(pulumi_type: str, handlers: tuple[str, ...] = WRITE_HANDLERS) -> dict[str, str]:
    """Action -> the CloudFormation type (and handler) AWS lists it for, for one pulumi type."""
    entry = handler_permissions()["types"][pulumi_type]
    out: dict[str, str] = {}
    for cfn_type in entry["cfn_types"]:
        for handler in handlers:
            for action in handler_permissions()["cfn"][cfn_type]["handlers"].get(handler, []):
                out.setdefault(action, f"{cfn_type} {handler}")
    return out


@dataclass(frozen=True)
class SarAction:
    """One action of the Service Authorization Reference."""

    access_level: str
    #: Resource types it can be scoped to (`(name, required, arn format)`); none: only `*`.
    resources: tuple[tuple[str, bool, str], ...]


SAR_PACKAGE: Final = "parliament"


@cache
def _sar() -> dict[str, Any]:
    """The SAR as AWS publishes it, as the `parliament` package ships it (read, not imported:
    importing parliament parses the file a second time)."""
    spec = importlib.util.find_spec(SAR_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the parliament package (AWS's Service Authorization Reference) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "iam_definition.json"
    return {s["prefix"]: s for s in json.loads(path.read_text())}


def sar_action(action: str) -> SarAction | None:
    """The SAR entry of `service:Action` (case-insensitive), or None when the SAR does not list it."""
    prefix, _, name = action.partition(":")
    service = _sar().get(prefix.lower())
    if service is None:
        return None
    privilege = next((p for p in service["privileges"] if p["privilege"].lower() == name.lower()), None)
    if privilege is None:
        return None
    formats = {r["resource"]: r["arn"] for r in service["resources"]}
    resources = tuple(
        (
            r["resource_type"].rstrip("*"),
            r["resource_type"].endswith("*"),
            formats.get(r["resource_type"].rstrip("*"), ""),
        )
        for r in privilege["resource_types"]
        if r["resource_type"]
    )
    return SarAction(privilege["access_level"], resources)
