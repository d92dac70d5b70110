"""Every security group of the stack and the only flows between them, in one place.

Groups are created before the tiers that use them, so the data tier can admit exactly the task
groups of the services that use it and the ALB can reach exactly the public service, with no
cycles. The component knows no service: the composition names the services and the flows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from arbiter_infra.naming import Naming

POSTGRES_PORT = 5432
REDIS_PORT = 6379
HTTPS_PORT = 443
HTTP_PORT = 80
#: The fixed groups a flow may name besides the services.
ALB, DATABASE, CACHE = "alb", "database", "cache"
ANYWHERE_V4 = "0.0.0.0/0"
ANYWHERE_V6 = "::/0"


@dataclass(frozen=True)
class Flow:
    """One allowed connection between two groups."""

    #: The client: a service, or `alb`.
    source: str
    #: The server: a service, `database` or `cache`.
    target: str
    #: The server's TCP port.
    port: int
    #: Why it is open: the description of both rules.
    description: str


@dataclass(frozen=True, kw_only=True)
class SecurityGroupsArgs:
    #: The stack's names: each group is `<prefix>-<key>`.
    naming: Naming
    #: The VPC the groups belong to.
    vpc_id: pulumi.Input[str]
    #: The services, one task group each (and HTTPS out to the internet).
    services: Sequence[str]
    #: The only connections opened between groups, each as an egress and an ingress rule.
    flows: Sequence[Flow]
    #: Functions in the private subnets (key -> description), a group each, HTTPS out like the
    #: tasks (Secrets Manager, AWS's published files); flows may name them. Default none.
    functions: Mapping[str, str] = field(default_factory=dict)


class SecurityGroups(pulumi.ComponentResource):
    """ALB, per-service task, database and cache groups, with rules for the given flows only."""

    alb: aws.ec2.SecurityGroup
    services: dict[str, aws.ec2.SecurityGroup]
    functions: dict[str, aws.ec2.SecurityGroup]
    database: aws.ec2.SecurityGroup
    cache: aws.ec2.SecurityGroup
    flows: list[Flow]

    def __init__(
        self, name: str, args: SecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:network:SecurityGroups", name, None, opts)
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)

        def group(key: str, description: str) -> aws.ec2.SecurityGroup:
            return aws.ec2.SecurityGroup(
                f"{name}-{key}",
                name=naming(key),
                description=description,
                vpc_id=args.vpc_id,
                tags={"Name": naming(key)},
                opts=child,
            )

        self.alb = group("alb", "Public ALB: HTTPS (and HTTP for the redirect) from the internet")
        self.services = {svc: group(svc, f"{svc} Fargate tasks") for svc in args.services}
        self.database = group("database", "Aurora PostgreSQL: 5432 from the services that use it")
        self.cache = group("cache", "ElastiCache Redis: 6379 from the services that use it")
        self.functions = {key: group(key, description) for key, description in args.functions.items()}
        by_key = {
            ALB: self.alb,
            **self.services,
            **self.functions,
            DATABASE: self.database,
            CACHE: self.cache,
        }

        for port, label in ((HTTPS_PORT, "HTTPS"), (HTTP_PORT, "HTTP (redirected to HTTPS)")):
            for family, cidr in (("v4", ANYWHERE_V4), ("v6", ANYWHERE_V6)):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-in-{port}-{family}",
                    security_group_id=self.alb.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr if family == "v4" else None,
                    cidr_ipv6=cidr if family == "v6" else None,
                    description=f"{label} from the internet",
                    opts=child,
                )

        self.flows = list(args.flows)
        unknown = {end for f in self.flows for end in (f.source, f.target)} - by_key.keys()
        if unknown:
            raise ValueError(f"flows name groups that do not exist: {sorted(unknown)}")
        for flow in self.flows:
            src, dst = by_key[flow.source], by_key[flow.target]
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{flow.source}-to-{flow.target}",
                security_group_id=src.id,
                referenced_security_group_id=dst.id,
                ip_protocol="tcp",
                from_port=flow.port,
                to_port=flow.port,
                description=flow.description,
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{flow.target}-from-{flow.source}",
                security_group_id=dst.id,
                referenced_security_group_id=src.id,
                ip_protocol="tcp",
                from_port=flow.port,
                to_port=flow.port,
                description=flow.description,
                opts=child,
            )

        # Tasks call the exchanges, Telegram and AWS APIs over HTTPS (through the NAT or endpoints).
        for svc, sg in self.services.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{svc}-https-out",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                cidr_ipv4=ANYWHERE_V4,
                description=f"{svc} to HTTPS APIs (exchanges, Telegram, AWS)",
                opts=child,
            )
        for key, sg in self.functions.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{key}-https-out",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                cidr_ipv4=ANYWHERE_V4,
                description=f"{key} to HTTPS APIs (AWS)",
                opts=child,
            )
        self.register_outputs(
            {
                "albSecurityGroupId": self.alb.id,
                "serviceSecurityGroupIds": {svc: sg.id for svc, sg in self.services.items()},
                "databaseSecurityGroupId": self.database.id,
                "cacheSecurityGroupId": self.cache.id,
            }
        )
