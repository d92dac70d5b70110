"""Network exposure per resource: nothing gets a public IP or endpoint, or the default VPC's subnets.

Each rule reads one resource alone; what the whole stack exposes is judged in `network_topology`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import Severity

from policies.base import UNKNOWN, ArbiterPolicy, Res, as_list, dig, is_blank, is_true
from policies.resource_types import (
    ECS_SERVICE,
    LAMBDA_FUNCTION,
    LAMBDA_FUNCTION_URL,
    LAMBDA_PERMISSION,
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
    REPLICATION_GROUP,
    SUBNET,
)


def _check_subnet(res: Res) -> Iterator[str]:
    if is_true(res.get("mapPublicIpOnLaunch")):
        yield "mapPublicIpOnLaunch is true: instances and tasks launched here get a public IP"
    if is_true(res.get("assignIpv6AddressOnCreation")):
        yield "assignIpv6AddressOnCreation is true: launched interfaces get a globally routable IPv6 address"


def _check_service_ip(res: Res) -> Iterator[str]:
    if is_true(res.get("networkConfiguration", "assignPublicIp")):
        yield "networkConfiguration.assignPublicIp is true: tasks would be reachable from the internet"


def _check_db_public(res: Res) -> Iterator[str]:
    if is_true(res.get("publiclyAccessible")):
        yield "publiclyAccessible is true: the database gets a public endpoint"


def _check_cache_subnet_group(res: Res) -> Iterator[str]:
    if is_blank(res.get("subnetGroupName")):
        yield "subnetGroupName is not set: the cache would use the default subnet group of the default VPC"


def _check_lambda_public(res: Res) -> Iterator[str]:
    if res.type == LAMBDA_FUNCTION_URL and res.get("authorizationType") == "NONE":
        yield "function URL with authorizationType NONE: anyone on the internet can invoke the function"
    if res.type == LAMBDA_PERMISSION and res.get("principal") == "*":
        yield "permission for principal '*': any AWS account (or anyone) can invoke the function"


def _check_lambda_in_vpc(res: Res) -> Iterator[str]:
    for key in ("subnetIds", "securityGroupIds"):
        value = dig(res.get("vpcConfig"), key)
        if value is not UNKNOWN and not [v for v in as_list(value) if v]:
            yield f"vpcConfig.{key} is empty: the function runs outside the VPC (on the internet side)"


POLICIES: Final = [
    ArbiterPolicy(
        name="subnet-no-public-ip-on-launch",
        description="Subnets do not auto-assign public IPs: exposure is decided per resource, never by default.",
        severity=Severity.HIGH,
        controls=("EC2.15",),
        remediation="Set map_public_ip_on_launch=False (and assign_ipv6_address_on_creation=False) on every subnet.",
        resource_types=(SUBNET,),
        check=_check_subnet,
    ),
    ArbiterPolicy(
        name="ecs-service-no-public-ip",
        description="ECS tasks get no public IP: they are reached only through the ALB.",
        severity=Severity.HIGH,
        controls=("ECS.2",),
        remediation="Set network_configuration.assign_public_ip=False and place the service in private subnets.",
        resource_types=(ECS_SERVICE,),
        check=_check_service_ip,
    ),
    ArbiterPolicy(
        name="database-not-publicly-accessible",
        description="Database instances have no public endpoint.",
        severity=Severity.CRITICAL,
        controls=("RDS.2",),
        remediation="Set publicly_accessible=False on every RDS/Aurora instance.",
        resource_types=(RDS_CLUSTER_INSTANCE, RDS_INSTANCE),
        check=_check_db_public,
    ),
    ArbiterPolicy(
        name="elasticache-custom-subnet-group",
        description="Redis runs in this VPC's database subnets, not the default subnet group.",
        severity=Severity.MEDIUM,
        controls=("ElastiCache.7",),
        remediation="Create an aws.elasticache.SubnetGroup over the database subnets and pass subnet_group_name.",
        resource_types=(REPLICATION_GROUP,),
        check=_check_cache_subnet_group,
    ),
    ArbiterPolicy(
        name="lambda-not-public",
        description="No Lambda function can be invoked by the public: no unauthenticated URL, no '*' permission.",
        severity=Severity.CRITICAL,
        controls=("Lambda.1",),
        remediation="Use authorization_type='AWS_IAM' on function URLs (or none), and name the principal in permissions.",
        resource_types=(LAMBDA_FUNCTION_URL, LAMBDA_PERMISSION),
        check=_check_lambda_public,
    ),
    ArbiterPolicy(
        name="lambda-in-vpc",
        description="Lambda functions run in this VPC's private subnets, with their own security group.",
        severity=Severity.HIGH,
        controls=("Lambda.3",),
        remediation="Set vpc_config={'subnet_ids': private subnets, 'security_group_ids': [its own group]}.",
        resource_types=(LAMBDA_FUNCTION,),
        check=_check_lambda_in_vpc,
    ),
]
