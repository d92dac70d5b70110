"""The service tier: ECS cluster, public ALB, Cloud Map namespace and the three Fargate services.

The tier turns the data tier's endpoints and secret references into each service's environment
and ECS `secrets`, and decides which service receives which secret: trading-core the exchange
credentials, the bot its Telegram token, every database or Redis user the matching credential.
Nothing secret is ever placed in a container's `environment`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import EXCHANGE_SECRET_KEYS, SERVICE_NAMES, StackConfig
from arbiter_infra.naming import Naming, Providers
from components.alb import LoadBalancer, LoadBalancerArgs
from components.ecs_service import (
    DatabaseUser,
    ExecSettings,
    FargateService,
    FargateServiceArgs,
    SecretRef,
)
from components.waf import WebFirewall, WebFirewallArgs

#: Which service receives the keys of which data-tier secret (keyed as in EXCHANGE_SECRET_KEYS).
SECRET_CONSUMERS = {"polymarket": "trading-core", "kalshi": "trading-core", "telegram": "telegram-bot"}
#: The gRPC clients of trading-core.
GRPC_CLIENTS = ("telegram-bot", "web-api")
#: ECS Exec sessions are an audit trail of interactive access: kept longer than application logs.
EXEC_LOG_RETENTION_DAYS = 90


def env_name(config_key: str) -> str:
    """`polyApiKey` -> `POLY_API_KEY`: the variable name the application reads."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", config_key).upper()


@dataclass(frozen=True)
class DatabaseConnection:
    """What services need from the data tier's Aurora cluster."""

    endpoint: pulumi.Input[str]
    reader_endpoint: pulumi.Input[str]
    port: pulumi.Input[int]
    database_name: str
    #: RDS-managed master secret (JSON `username`/`password`), encrypted with the stack key.
    master_secret_arn: pulumi.Input[str]
    cluster_resource_id: pulumi.Input[str]
    #: The database user the services log in as (password or IAM authentication).
    username: str


@dataclass(frozen=True)
class CacheConnection:
    """What services need from the data tier's Redis replication group."""

    primary_endpoint: pulumi.Input[str]
    port: pulumi.Input[int]
    auth_secret_arn: pulumi.Input[str]
    #: `<auth-secret-arn>:auth_token::`
    auth_value_from: pulumi.Input[str]


@dataclass(frozen=True)
class ServiceTierArgs:
    config: StackConfig
    naming: Naming
    #: Each FargateService gets its own provider so its resources are tagged `Service=<name>`.
    providers: Providers
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    alb_security_group_id: pulumi.Input[str]
    service_security_group_ids: Mapping[str, pulumi.Input[str]]
    #: Per config key (polyApiKey, ...): `<secret-arn>:<json_key>::`.
    secret_value_from: Mapping[str, pulumi.Input[str]]
    #: Per secret (polymarket, kalshi, telegram): its ARN.
    secret_arns: Mapping[str, pulumi.Input[str]]
    database: DatabaseConnection
    cache: CacheConnection
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries.
    permissions_boundary: pulumi.Input[str] | None = None


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
    trading_core_address: str
    alb_dns_name: pulumi.Output[str]
    alb_url: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: ServiceTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:services:ServiceTier", name, None, opts)
        config, naming = args.config, args.naming
        services_cfg = config.services
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
        self.namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{name}-namespace",
            name=f"{naming.prefix}.internal",
            vpc=args.vpc_id,
            description="Service discovery for gRPC clients of trading-core",
            opts=child,
        )
        by_name = services_cfg.by_name()
        self.trading_core_address = f"trading-core.{naming.prefix}.internal:{by_name['trading-core'].port}"

        self.alb = LoadBalancer(
            f"{name}-lb",
            LoadBalancerArgs(
                config=services_cfg,
                naming=naming,
                region=config.region,
                account_id=args.account_id,
                vpc_id=args.vpc_id,
                subnet_ids=args.public_subnet_ids,
                security_group_id=args.alb_security_group_id,
                target_port=by_name["web-api"].port,
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
        self.services = {}
        for svc in SERVICE_NAMES:
            cfg = by_name[svc]
            behind_alb = svc == "web-api"
            after: list[pulumi.Resource] = [self.capacity_providers]
            if behind_alb:
                # AWS rejects a service whose target group has no listener yet.
                after += [*self.listeners.values(), self.alb.grpc_rule]
            self.services[svc] = FargateService(
                f"{name}-{svc}",
                FargateServiceArgs(
                    service=svc,
                    config=cfg,
                    naming=naming,
                    region=config.region,
                    account_id=args.account_id,
                    cluster_arn=self.cluster.arn,
                    cluster_name=self.cluster.name,
                    cpu_architecture=services_cfg.cpu_architecture,
                    subnet_ids=args.private_subnet_ids,
                    security_group_id=args.service_security_group_ids[svc],
                    kms_key_arn=args.kms_key_arn,
                    environment_variables=self._environment(svc, args),
                    secrets=self._secrets(svc, args),
                    database_user=(
                        DatabaseUser(args.database.cluster_resource_id, args.database.username)
                        if cfg.uses_database
                        else None
                    ),
                    exec_settings=exec_settings,
                    target_group_arns=(
                        [self.target_groups["rest"].arn, self.target_groups["grpc"].arn] if behind_alb else []
                    ),
                    discovery_namespace_id=self.namespace.id if svc == "trading-core" else None,
                    depends_on=tuple(after),
                    permissions_boundary=args.permissions_boundary,
                ),
                opts=args.providers.opts(svc, parent=self),
            )

        self.alb_dns_name = self.alb.dns_name
        self.alb_url = self.alb.url
        self.cluster_name = self.cluster.name
        self.service_names = pulumi.Output.all(*[s.service.name for s in self.services.values()])
        self.register_outputs(
            {
                "albDnsName": self.alb_dns_name,
                "albUrl": self.alb_url,
                "clusterName": self.cluster_name,
                "serviceNames": self.service_names,
            }
        )

    def _environment(self, svc: str, args: ServiceTierArgs) -> dict[str, pulumi.Input[str]]:
        """Non-secret settings only."""
        config = args.config
        cfg = config.services.by_name()[svc]
        env: dict[str, pulumi.Input[str]] = {
            "RUST_LOG": config.services.rust_log,
            "ARBITER_ENV": config.environment,
            "ARBITER_PAPER_TRADE": "true" if config.services.paper_trade else "false",
        }
        if cfg.uses_database:
            db = args.database
            env |= {
                "DATABASE_HOST": db.endpoint,
                "DATABASE_READER_HOST": db.reader_endpoint,
                "DATABASE_PORT": pulumi.Output.from_input(db.port).apply(str),
                "DATABASE_NAME": db.database_name,
            }
        if cfg.uses_redis:
            env |= {
                "REDIS_HOST": args.cache.primary_endpoint,
                "REDIS_PORT": pulumi.Output.from_input(args.cache.port).apply(str),
                "REDIS_TLS": "true",
            }
        if svc in GRPC_CLIENTS:
            env["TRADING_CORE_GRPC_ADDR"] = self.trading_core_address
        return env

    @staticmethod
    def _secrets(svc: str, args: ServiceTierArgs) -> list[SecretRef]:
        """The ECS secrets `svc` receives, one `valueFrom` per key."""
        cfg = args.config.services.by_name()[svc]
        refs = [
            SecretRef(env_name(key), args.secret_value_from[key], args.secret_arns[secret])
            for key, secret, _field in EXCHANGE_SECRET_KEYS
            if SECRET_CONSUMERS[secret] == svc
        ]
        if cfg.uses_database:
            master = args.database.master_secret_arn
            refs += [
                SecretRef("DATABASE_USERNAME", pulumi.Output.concat(master, ":username::"), master),
                SecretRef("DATABASE_PASSWORD", pulumi.Output.concat(master, ":password::"), master),
            ]
        if cfg.uses_redis:
            refs.append(SecretRef("REDIS_AUTH_TOKEN", args.cache.auth_value_from, args.cache.auth_secret_arn))
        return refs
