"""The VPC: three subnet tiers over three AZs, NAT, flow logs, endpoints."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.config import NetworkConfig
from arbiter_infra.naming import Naming

#: Interface endpoints kept for what they are worth, not for convenience: each costs an hour per AZ
#: and pays back by traffic only above `pricing.endpoint_break_even_gb` (about 626 GB a month in
#: three AZs). Secrets Manager stays for its security value: the exchange credentials are fetched
#: without leaving the VPC. ECR (image layers come through the free S3 gateway endpoint; the API
#: and manifests are kilobytes) and CloudWatch Logs (far below the break-even) use the NAT.
INTERFACE_ENDPOINTS = ("secretsmanager",)
TIERS = ("public", "private", "database")


@dataclass(frozen=True)
class NetworkArgs:
    #: The stack's `network` section: CIDRs, AZs, NAT layout, endpoints, flow-log retention.
    config: NetworkConfig
    #: The stack's names: the VPC, subnets, tables and gateways are tagged `<prefix>-...`.
    naming: Naming
    #: The stack's region: the endpoints' service names (`com.amazonaws.<region>.<service>`).
    region: str
    #: The stack CMK the flow-log group is encrypted with.
    kms_key_arn: pulumi.Input[str]
    #: The account the flow-log role's trust is confined to (confused-deputy condition).
    account_id: pulumi.Input[str]
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries; default none.
    permissions_boundary: pulumi.Input[str] | None = None


class Network(pulumi.ComponentResource):
    """VPC with public (ALB, NAT), private (tasks) and database (Aurora, Redis) subnets.

    The database tier has a route table with no default route at all, so nothing in it can reach
    or be reached from the internet, whatever its security groups say.
    """

    vpc: aws.ec2.Vpc
    default_security_group: aws.ec2.DefaultSecurityGroup
    internet_gateway: aws.ec2.InternetGateway
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    database_subnets: list[aws.ec2.Subnet]
    public_route_table: aws.ec2.RouteTable
    private_route_tables: list[aws.ec2.RouteTable]
    database_route_table: aws.ec2.RouteTable
    nat_gateways: list[aws.ec2.NatGateway]
    flow_log_group: aws.cloudwatch.LogGroup
    flow_log: aws.ec2.FlowLog
    endpoint_security_group: aws.ec2.SecurityGroup | None
    endpoints: dict[str, aws.ec2.VpcEndpoint]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:network:Network", name, None, opts)
        cfg, naming = args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(cfg.vpc_cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": naming("vpc")},
            opts=child,
        )
        # Adopting the default group with no rules locks it: nothing attached by accident gets traffic.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": naming("default-locked")},
            opts=child,
        )
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": naming("igw")}, opts=child
        )

        subnets: dict[str, list[aws.ec2.Subnet]] = {}
        for tier in TIERS:
            cidrs = getattr(cfg, f"{tier}_subnets")
            subnets[tier] = [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{az[-1]}",
                    vpc_id=self.vpc.id,
                    cidr_block=str(cidr),
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags={"Name": naming(tier, az[-1]), "Tier": tier},
                    opts=child,
                )
                for az, cidr in zip(cfg.availability_zones, cidrs, strict=True)
            ]
        self.public_subnets = subnets["public"]
        self.private_subnets = subnets["private"]
        self.database_subnets = subnets["database"]

        # Public tier: one table, default route to the internet gateway.
        self.public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=self.vpc.id, tags={"Name": naming("public")}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=self.public_route_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=child,
        )
        self._associate(name, "public", self.public_subnets, [self.public_route_table])

        # NAT: one per AZ (prod: an AZ outage leaves the others' egress intact) or one (staging).
        nat_azs = cfg.availability_zones if cfg.nat_gateways == "per-az" else cfg.availability_zones[:1]
        self.nat_gateways = []
        for az, subnet in zip(nat_azs, self.public_subnets, strict=False):
            eip = aws.ec2.Eip(
                f"{name}-nat-eip-{az[-1]}", domain="vpc", tags={"Name": naming("nat", az[-1])}, opts=child
            )
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{az[-1]}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags={"Name": naming("nat", az[-1])},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
                )
            )

        # Private tier: a table per AZ, default route to the NAT in the same AZ (or the single one).
        self.private_route_tables = []
        for i, az in enumerate(cfg.availability_zones):
            table = aws.ec2.RouteTable(
                f"{name}-private-rt-{az[-1]}",
                vpc_id=self.vpc.id,
                tags={"Name": naming("private", az[-1])},
                opts=child,
            )
            nat = self.nat_gateways[i if len(self.nat_gateways) > 1 else 0]
            aws.ec2.Route(
                f"{name}-private-default-{az[-1]}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            self.private_route_tables.append(table)
        self._associate(name, "private", self.private_subnets, self.private_route_tables)

        # Database tier: local routes only.
        self.database_route_table = aws.ec2.RouteTable(
            f"{name}-database-rt", vpc_id=self.vpc.id, tags={"Name": naming("database")}, opts=child
        )
        self._associate(name, "database", self.database_subnets, [self.database_route_table])

        self._flow_logs(name, args)
        self._endpoints(name, args)
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": [s.id for s in self.public_subnets],
                "privateSubnetIds": [s.id for s in self.private_subnets],
                "databaseSubnetIds": [s.id for s in self.database_subnets],
                "natGatewayIds": [n.id for n in self.nat_gateways],
                "flowLogGroupName": self.flow_log_group.name,
                "endpointIds": {svc: e.id for svc, e in self.endpoints.items()},
            }
        )

    def _associate(
        self, name: str, tier: str, subnets: list[aws.ec2.Subnet], tables: list[aws.ec2.RouteTable]
    ) -> None:
        for i, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-assoc-{i + 1}",
                subnet_id=subnet.id,
                route_table_id=tables[i if len(tables) > 1 else 0].id,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _flow_logs(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/aws/vpc/{args.naming.prefix}/flow-logs",
            retention_in_days=args.config.flow_log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=args.naming("vpc-flow-logs", kind="iam-role"),
            assume_role_policy=iam.assume_role_policy(
                "vpc-flow-logs.amazonaws.com", source_account=args.account_id
            ),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=iam.document(
                iam.statement(
                    "DeliverFlowLogsToItsOwnLogGroup",
                    ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
                    [self.flow_log_group.arn, pulumi.Output.concat(self.flow_log_group.arn, ":*")],
                )
            ),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=child,
        )

    def _endpoints(self, name: str, args: NetworkArgs) -> None:
        self.endpoints = {}
        self.endpoint_security_group = None
        if not args.config.vpc_endpoints:
            return
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            name=args.naming("vpc-endpoints"),
            description="Interface endpoints: HTTPS from the private subnets only",
            vpc_id=self.vpc.id,
            opts=child,
        )
        for i, cidr in enumerate(args.config.private_subnets):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-https-{i + 1}",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=str(cidr),
                description=f"HTTPS to AWS APIs from private subnet {cidr}",
                opts=child,
            )
        self.endpoint_security_group = sg
        for service in INTERFACE_ENDPOINTS:
            self.endpoints[service] = aws.ec2.VpcEndpoint(
                f"{name}-vpce-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[sg.id],
                tags={"Name": args.naming("vpce", service.replace(".", "-"))},
                opts=child,
            )
        # ECR image layers live in S3: the gateway endpoint keeps those pulls off the NAT too.
        self.endpoints["s3"] = aws.ec2.VpcEndpoint(
            f"{name}-vpce-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in self.private_route_tables],
            tags={"Name": args.naming("vpce", "s3")},
            opts=child,
        )
