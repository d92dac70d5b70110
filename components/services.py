"""The service tier: ECS cluster, public ALB, Cloud Map namespace and one Fargate service per spec.

The tier knows no service by name: each `ServiceSpec` (built by the composition from
`arbiter_infra.application.SERVICES` and the stack file) says whether the service is public,
discoverable, which discoverable services it calls, which application secrets it receives, and
(from its config) whether it uses the database or Redis. From that the tier builds each service's
environment and ECS `secrets`; nothing secret is ever placed in a container's `environment`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from arbiter_infra.application import ServiceTraits
from arbiter_infra.config import EXCHANGE_SECRET_KEYS, ServiceConfig, ServicesConfig
from arbiter_infra.naming import Naming
from components.alb import LoadBalancer, LoadBalancerArgs
from components.cache import CacheConnection, RedisUserSecret
from components.database import DatabaseConnection
from components.ecs_service import (
    DatabaseUser,
    ExecSettings,
    FargateService,
    FargateServiceArgs,
    SecretRef,
    TrafficRoute,
    TrafficShift,
)
from components.waf import WebFirewall, WebFirewallArgs

#: ECS Exec sessions are an audit trail of interactive access: kept longer than application logs.
EXEC_LOG_RETENTION_DAYS = 90


def env_name(config_key: str) -> str:
    """`polyApiKey` -> `POLY_API_KEY`: the variable name the application reads."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", config_key).upper()


def grpc_address_variable(service: str) -> str:
    """`trading-core` -> `TRADING_CORE_GRPC_ADDR`: where a caller reads a discoverable service's address."""
    return f"{service.upper().replace('-', '_')}_GRPC_ADDR"


@dataclass(frozen=True)
class ServiceSpec:
    """One application service as the tier builds it: its stack-file section and its traits."""

    #: Sizes, counts, image, port, health check; `uses_database` / `uses_redis` pick the
    #: data-tier settings (and Redis credentials) it receives.
    config: ServiceConfig
    #: What the service is (public, discoverable, calls, steady capacity, application secrets).
    traits: ServiceTraits
    #: The service's own security group (created by the security-groups tier).
    security_group_id: pulumi.Input[str]
    #: AWS provider of its resources (tags them `Service=<name>`); None: the tier's provider.
    provider: pulumi.ProviderResource | None = None
    #: Its own PostgreSQL user (IAM authentication: `rds-db:connect` on that user only); set
    #: exactly when `config.uses_database`. No service receives the master user or its secret.
    database_user: str | None = None
    #: Its own Redis user's secret (`Redis.connection.users[name]`); required with `uses_redis`.
    redis_user: RedisUserSecret | None = None


@dataclass(frozen=True)
class ServiceTierArgs:
    #: The stack file's `services` section (ALB, WAF, exec, architecture, log level, paper trade).
    config: ServicesConfig
    #: Name per service, in deploy order; exactly one must be `public` (the ALB's target).
    services: Mapping[str, ServiceSpec]
    #: Names every resource `arbiter-<env>-...` (the cluster is `arbiter-<env>`).
    naming: Naming
    #: Behaviour tier (`staging` / `prod`): the containers' `ARBITER_ENV`.
    environment: str
    #: The stack's region: log configuration, ELB log account, KMS conditions.
    region: str
    #: This AWS account: role trust, bucket names, IAM database-auth ARNs.
    account_id: pulumi.Input[str]
    #: The stack key: log groups, ECS Exec sessions, injected secrets.
    kms_key_arn: pulumi.Input[str]
    #: The VPC of the target groups and the Cloud Map namespace.
    vpc_id: pulumi.Input[str]
    #: Subnets of the ALB.
    public_subnet_ids: Sequence[pulumi.Input[str]]
    #: Subnets of the tasks (no public IP).
    private_subnet_ids: Sequence[pulumi.Input[str]]
    #: The ALB's security group (created by the security-groups tier).
    alb_security_group_id: pulumi.Input[str]
    #: Per config key (polyApiKey, ...): `<secret-arn>:<json_key>::`.
    secret_value_from: Mapping[str, pulumi.Input[str]]
    #: Per application secret (polymarket, kalshi, telegram): its ARN.
    secret_arns: Mapping[str, pulumi.Input[str]]
    #: What database users receive (the Aurora component's `connection`).
    database: DatabaseConnection
    #: What Redis users receive (the Redis component's `connection`).
    cache: CacheConnection
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries; default none.
    permissions_boundary: pulumi.Input[str] | None = None
    #: Ports no task may use as a client port: the ones the network ACLs deny inbound from outside
    #: their callers (a reply to such a port would be dropped). Default none.
    reserved_client_ports: Sequence[int] = ()
    #: Per service: the CloudWatch alarms its deployments roll back on (an Output of the alarms,
    #: e.g. `Monitoring.deployment_alarm_names`, so each service waits for its alarms). Every
    #: service needs an entry: the tier refuses one without (the default is only a placeholder).
    deployment_alarm_names: Mapping[str, pulumi.Input[Sequence[pulumi.Input[str]]]] = field(
        default_factory=dict
    )


class ServiceTier(pulumi.ComponentResource):
    """Cluster-level resources, the ALB and one FargateService per application service."""

    exec_log_group: aws.cloudwatch.LogGroup
    cluster: aws.ecs.Cluster
    capacity_providers: aws.ecs.ClusterCapacityProviders
    namespace: aws.servicediscovery.PrivateDnsNamespace
    alb: LoadBalancer
    #: The ALB's web ACL; None where `services.waf.enabled` is false (never in prod).
    waf: WebFirewall | None
    listeners: dict[str, aws.lb.Listener]
    target_groups: dict[str, aws.lb.TargetGroup]
    services: dict[str, FargateService]
    notes: list[str]
    #: Discoverable service -> `<name>.<namespace>:<port>`, the address its callers receive.
    discovery_addresses: dict[str, str]
    alb_dns_name: pulumi.Output[str]
    alb_url: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: ServiceTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:services:ServiceTier", name, None, opts)
        naming, services_cfg = args.naming, args.config
        public = [svc for svc, spec in args.services.items() if spec.traits.public]
        if len(public) != 1:
            raise ValueError(f"the ALB serves exactly one public service, not {public}")
        [public_name] = public
        child = pulumi.ResourceOptions(parent=self)

        self.exec_log_group = aws.cloudwatch.LogGroup(
            f"{name}-exec-logs",
            name=f"/ecs/{naming.prefix}/exec",
            retention_in_days=EXEC_LOG_RETENTION_DAYS,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=naming.prefix,  # `arbiter-<env>`: the runbook and CI address the cluster by it
            settings=[{"name": "containerInsights", "value": "enabled"}],
            configuration={
                "execute_command_configuration": {
                    "kms_key_id": args.kms_key_arn,
                    "logging": "OVERRIDE",
                    "log_configuration": {
                        "cloud_watch_log_group_name": self.exec_log_group.name,
                        "cloud_watch_encryption_enabled": True,
                    },
                }
            },
            opts=child,
        )
        self.capacity_providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity-providers",
            cluster_name=self.cluster.name,
            # FARGATE_SPOT is available to opt into per service; nothing uses it by default.
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            opts=child,
        )
        discoverable = [svc for svc, spec in args.services.items() if spec.traits.discoverable]
        self.namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{name}-namespace",
            name=f"{naming.prefix}.internal",
            vpc=args.vpc_id,
            description=f"Service discovery for gRPC clients of {', '.join(discoverable)}",
            opts=child,
        )
        self.discovery_addresses = {
            svc: f"{svc}.{naming.prefix}.internal:{args.services[svc].config.port}" for svc in discoverable
        }

        self.alb = LoadBalancer(
            f"{name}-lb",
            LoadBalancerArgs(
                config=services_cfg,
                naming=naming,
                region=args.region,
                account_id=args.account_id,
                vpc_id=args.vpc_id,
                subnet_ids=args.public_subnet_ids,
                security_group_id=args.alb_security_group_id,
                target_port=args.services[public_name].config.port,
                # Target-group names are 32 characters at most: the name's first word (`web`).
                target_label=public_name.split("-")[0],
                traffic_shift=args.services[public_name].config.deployment.gradual,
                permissions_boundary=args.permissions_boundary,
            ),
            opts=child,
        )
        self.waf = None
        if services_cfg.waf.enabled:
            self.waf = WebFirewall(
                f"{name}-waf",
                WebFirewallArgs(
                    config=services_cfg.waf,
                    naming=naming,
                    load_balancer_arn=self.alb.alb.arn,
                    kms_key_arn=args.kms_key_arn,
                ),
                opts=child,
            )
        self.listeners = self.alb.listeners
        self.target_groups = self.alb.target_groups
        self.notes = list(self.alb.notes)

        exec_settings = (
            ExecSettings(log_group_arn=self.exec_log_group.arn, kms_key_arn=args.kms_key_arn)
            if services_cfg.enable_exec
            else None
        )
        missing = sorted(set(args.services) - set(args.deployment_alarm_names))
        if missing:
            raise ValueError(f"no deployment alarms for {missing}: every service rolls back on its alarms")
        traffic_shift: TrafficShift | None = None
        if self.alb.traffic_shift_role is not None:
            traffic_shift = TrafficShift(
                routes=[
                    TrafficRoute(
                        target_group_arn=self.target_groups[key].arn,
                        alternate_target_group_arn=self.alb.alternate_target_groups[key].arn,
                        production_listener_rule_arn=self.alb.production_rules[key].arn,
                    )
                    for key in ("rest", "grpc")
                ],
                role_arn=self.alb.traffic_shift_role.arn,
            )
        self.services = {}
        for svc, spec in args.services.items():
            cfg, traits = spec.config, spec.traits
            after: list[pulumi.Resource] = [self.capacity_providers]
            if traits.public:
                # AWS rejects a service whose target group has no listener yet.
                after += [*self.listeners.values(), self.alb.grpc_rule, *self.alb.production_rules.values()]
                if self.alb.traffic_shift_policy is not None:
                    # The role's permissions are in place before ECS may use it.
                    after.append(self.alb.traffic_shift_policy)
            self.services[svc] = FargateService(
                f"{name}-{svc}",
                FargateServiceArgs(
                    service=svc,
                    config=cfg,
                    naming=naming,
                    region=args.region,
                    account_id=args.account_id,
                    cluster_arn=self.cluster.arn,
                    cluster_name=self.cluster.name,
                    cpu_architecture=services_cfg.cpu_architecture,
                    subnet_ids=args.private_subnet_ids,
                    security_group_id=spec.security_group_id,
                    kms_key_arn=args.kms_key_arn,
                    environment_variables=self._environment(spec, args),
                    deployment_alarm_names=args.deployment_alarm_names[svc],
                    secrets=self._secrets(spec, args),
                    database_user=(
                        DatabaseUser(args.database.cluster_resource_id, spec.database_user)
                        if spec.database_user is not None
                        else None
                    ),
                    exec_settings=exec_settings,
                    target_group_arns=(
                        [self.target_groups["rest"].arn, self.target_groups["grpc"].arn]
                        if traits.public
                        else []
                    ),
                    discovery_namespace_id=self.namespace.id if traits.discoverable else None,
                    reserved_client_ports=args.reserved_client_ports,
                    steady_capacity=traits.steady_capacity,
                    single_writer=traits.single_writer,
                    traffic_shift=traffic_shift if traits.public else None,
                    depends_on=tuple(after),
                    permissions_boundary=args.permissions_boundary,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, providers={"aws": spec.provider} if spec.provider is not None else None
                ),
            )

        self.alb_dns_name = self.alb.dns_name
        self.alb_url = self.alb.url
        self.cluster_name = self.cluster.name
        self.service_names = pulumi.Output.all(*[s.service.name for s in self.services.values()])
        self.register_outputs(
            {
                "albDnsName": self.alb_dns_name,
                "albUrl": self.alb_url,
                "clusterArn": self.cluster.arn,
                "clusterName": self.cluster_name,
                "serviceNames": self.service_names,
                "discoveryAddresses": self.discovery_addresses,
                "namespaceId": self.namespace.id,
                "webAclArn": self.waf.web_acl.arn if self.waf is not None else None,
            }
        )

    def _environment(self, spec: ServiceSpec, args: ServiceTierArgs) -> dict[str, pulumi.Input[str]]:
        """Non-secret settings only."""
        cfg, services_cfg = spec.config, args.config
        env: dict[str, pulumi.Input[str]] = {
            "RUST_LOG": services_cfg.rust_log,
            "ARBITER_ENV": args.environment,
            "ARBITER_PAPER_TRADE": "true" if services_cfg.paper_trade else "false",
        }
        if cfg.uses_database != (spec.database_user is not None):
            raise ValueError("a service that uses the database needs its own database user, and only it")
        if spec.database_user is not None:
            db = args.database
            # No password: the task signs a 15-minute IAM token for DATABASE_USER (docs/database-access.md).
            env |= {
                "DATABASE_HOST": db.endpoint,
                "DATABASE_READER_HOST": db.reader_endpoint,
                "DATABASE_PORT": pulumi.Output.from_input(db.port).apply(str),
                "DATABASE_NAME": db.database_name,
                "DATABASE_USER": spec.database_user,
                "DATABASE_SSLMODE": "verify-full",
            }
        if cfg.uses_redis:
            env |= {
                "REDIS_HOST": args.cache.primary_endpoint,
                "REDIS_PORT": pulumi.Output.from_input(args.cache.port).apply(str),
                "REDIS_TLS": "true",
            }
        for callee in spec.traits.calls:
            if callee not in self.discovery_addresses:
                raise ValueError(f"a service calls {callee!r}, which is not a discoverable service")
            env[grpc_address_variable(callee)] = self.discovery_addresses[callee]
        return env

    @staticmethod
    def _secrets(spec: ServiceSpec, args: ServiceTierArgs) -> list[SecretRef]:
        """The ECS secrets a service receives, one `valueFrom` per key."""
        cfg = spec.config
        unknown = sorted(set(spec.traits.secrets) - set(args.secret_arns))
        if unknown:
            raise ValueError(f"no application secret named {unknown}")
        refs = [
            SecretRef(env_name(key), args.secret_value_from[key], args.secret_arns[secret])
            for key, secret, _field in EXCHANGE_SECRET_KEYS
            if secret in spec.traits.secrets
        ]
        if cfg.uses_redis:
            # Its own user only: the execution role may read this secret and no other Redis one.
            user = spec.redis_user
            if user is None:
                raise ValueError(
                    "a service that uses Redis needs its own Redis user (ServiceSpec.redis_user)"
                )
            refs += [
                SecretRef("REDIS_USERNAME", user.username_value_from, user.secret_arn),
                SecretRef("REDIS_PASSWORD", user.password_value_from, user.secret_arn),
            ]
        return refs
