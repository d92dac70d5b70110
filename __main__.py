"""Pulumi entry point: validate the stack config once, then compose the tiers of the stack it describes.

Components are generic; this file is where the application meets them: it reads the validated
config, builds each tier in order, hands each the typed connections of the tiers before it, and
exports the stack outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from arbiter_infra import application, catalog
from arbiter_infra.config import SECRET_SETS, AccountConfig, StackConfig, load_config
from arbiter_infra.database_access import users_from
from arbiter_infra.naming import Naming, Providers
from components.account import AccountResources, AccountResourcesArgs, foreign_service_linked_role
from components.backup import AuroraBackup, AuroraBackupArgs
from components.cache import Redis, RedisArgs
from components.database import Aurora, AuroraArgs
from components.database_users import DatabaseUsers, DatabaseUsersArgs
from components.delivery import (
    Delivery,
    DeliveryArgs,
    GrantScope,
    PermissionsBoundary,
    PermissionsBoundaryArgs,
    ServiceImage,
)
from components.kms import StackKey, StackKeyArgs
from components.monitoring import (
    AuroraInstanceTarget,
    Monitoring,
    MonitoringArgs,
    ServiceTarget,
    member_cluster_ids,
    running_floor,
)
from components.nacl import TIERS, AclPorts, NetworkAcls, NetworkAclsArgs
from components.network import Network, NetworkArgs
from components.secrets import ExchangeSecrets, ExchangeSecretsArgs, SecretSpec
from components.security_groups import (
    ALB,
    CACHE,
    DATABASE,
    POSTGRES_PORT,
    REDIS_PORT,
    Flow,
    SecurityGroups,
    SecurityGroupsArgs,
)
from components.services import ServiceSpec, ServiceTier, ServiceTierArgs


def environment_stack(config: StackConfig) -> None:
    """An environment (staging, prod, or a personal stack): every tier, in dependency order."""
    naming = Naming(config.name)
    providers = Providers(config)
    # Each database-using service's own PostgreSQL user and its schemas (the bootstrap makes them).
    access = config.services.database_access_by_user()
    account_id = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(provider=providers("security"))
    ).account_id

    # Before any role: every role the program creates carries it (CI may create none without it).
    boundary = PermissionsBoundary(
        naming("boundary"),
        PermissionsBoundaryArgs(naming=naming, account_id=account_id, scope=grant_scope(config)),
        opts=providers.opts("delivery"),
    )
    key = StackKey(
        naming("key"),
        StackKeyArgs(naming=naming, region=config.region, account_id=account_id, protect=config.is_prod),
        opts=providers.opts("security"),
    )
    network = Network(
        naming("network"),
        NetworkArgs(
            config=config.network,
            naming=naming,
            region=config.region,
            kms_key_arn=key.arn,
            account_id=account_id,
            permissions_boundary=boundary.arn,
        ),
        opts=providers.opts("network"),
    )
    ports = {svc: svc_cfg.port for svc, svc_cfg in config.services.by_name().items()}
    NetworkAcls(
        naming("acl"),
        NetworkAclsArgs(
            naming=naming,
            vpc_id=network.vpc.id,
            subnet_ids={tier: [s.id for s in getattr(network, f"{tier}_subnets")] for tier in TIERS},
            subnet_cidrs={tier: getattr(config.network, f"{tier}_subnets") for tier in TIERS},
            ports=AclPorts(public=ports[application.public_service()], services=list(ports.values())),
            vpc_endpoints=config.network.vpc_endpoints,
        ),
        opts=providers.opts("network"),
    )
    security_groups = SecurityGroups(
        naming("sg"),
        SecurityGroupsArgs(
            naming=naming,
            vpc_id=network.vpc.id,
            services=list(config.services.by_name()),
            flows=service_flows(config),
            functions={DATABASE_USERS: "The database-users bootstrap function (Lambda)"} if access else {},
        ),
        opts=providers.opts("network"),
    )

    # data tier
    secrets = ExchangeSecrets(
        naming("secrets"),
        ExchangeSecretsArgs(
            naming=naming,
            kms_key_arn=key.arn,
            secrets={
                secret: SecretSpec(purpose=purpose, fields=SECRET_SETS[secret])
                for secret, purpose in application.SECRET_PURPOSES.items()
            },
            recovery_window_days=config.secrets.recovery_window_days,
            protect=config.is_prod,
        ),
        opts=providers.opts("secrets"),
    )
    database_subnet_ids = [s.id for s in network.database_subnets]
    database = Aurora(
        naming("database"),
        AuroraArgs(
            config=config.database,
            naming=naming,
            is_prod=config.is_prod,
            availability_zones=config.network.availability_zones,
            subnet_ids=database_subnet_ids,
            security_group_id=security_groups.database.id,
            kms_key_arn=key.arn,
            account_id=account_id,
            permissions_boundary=boundary.arn,
        ),
        opts=providers.opts("database"),
    )
    backup: AuroraBackup | None = None
    if config.database.backup.enabled:
        backup = AuroraBackup(
            naming("backup"),
            AuroraBackupArgs(
                config=config.database.backup,
                naming=naming,
                region=config.region,
                account_id=config.account_id,
                cluster_arn=database.cluster.arn,
                kms_key_arn=key.arn,
                copy_provider=providers("database", config.database.backup.copy_region),
                permissions_boundary=boundary.arn,
                protect=config.is_prod,
            ),
            opts=providers.opts("database"),
        )
    database_users: DatabaseUsers | None = None
    if access:
        database_users = DatabaseUsers(
            naming("database-users"),
            DatabaseUsersArgs(
                naming=naming,
                region=config.region,
                account_id=account_id,
                users=users_from(access),
                database_name=config.database.database_name,
                master_username=config.database.master_username,
                endpoint=database.endpoint,
                port=database.port,
                master_secret_arn=database.master_secret_arn,
                subnet_ids=[s.id for s in network.private_subnets],
                security_group_id=security_groups.functions[DATABASE_USERS].id,
                kms_key_arn=key.arn,
                log_retention_days=config.database.log_retention_days,
                # A writer to connect to, the 5432 rules, and the routes to Secrets Manager.
                invoke_after=[*database.instances, security_groups, network],
                permissions_boundary=boundary.arn,
            ),
            opts=providers.opts("database"),
        )
    cache = Redis(
        naming("cache"),
        RedisArgs(
            config=config.cache,
            naming=naming,
            is_prod=config.is_prod,
            availability_zones=config.network.availability_zones,
            subnet_ids=database_subnet_ids,
            security_group_id=security_groups.cache.id,
            kms_key_arn=key.arn,
            secret_recovery_window_days=config.secrets.recovery_window_days,
            # One Redis user per service that uses Redis, with the access its stack section gives.
            users={
                svc: svc_cfg.redis_access.access_string
                for svc, svc_cfg in config.services.by_name().items()
                if svc_cfg.redis_access is not None
            },
        ),
        opts=providers.opts("cache"),
    )

    # service tier: what each service is (SERVICES) meets how big and how many (the stack file)
    services_config = config.services.by_name()
    # Each service rolls back on alarms the monitoring tier creates later from the alarm table:
    # deferred Outputs, resolved below from the alarms, make every service wait for its alarms.
    deployment_alarms: dict[str, tuple[pulumi.Output[list[str]], Callable[[pulumi.Output[list[str]]], None]]]
    deployment_alarms = {svc: pulumi.deferred_output() for svc in application.SERVICES}
    services = ServiceTier(
        naming("services"),
        ServiceTierArgs(
            config=config.services,
            services={
                svc: ServiceSpec(
                    config=services_config[svc],
                    traits=traits,
                    security_group_id=security_groups.services[svc].id,
                    provider=providers(svc),
                    database_user=application.database_user(svc)
                    if services_config[svc].uses_database
                    else None,
                    redis_user=cache.connection.users.get(svc),
                )
                for svc, traits in application.SERVICES.items()
            },
            naming=naming,
            environment=config.environment,
            region=config.region,
            account_id=account_id,
            kms_key_arn=key.arn,
            vpc_id=network.vpc.id,
            public_subnet_ids=[s.id for s in network.public_subnets],
            private_subnet_ids=[s.id for s in network.private_subnets],
            alb_security_group_id=security_groups.alb.id,
            secret_value_from=secrets.value_from,
            secret_arns=secrets.arns,
            database=database.connection,
            cache=cache.connection,
            permissions_boundary=boundary.arn,
            # The NACLs deny the service ports from outside their callers, replies included.
            reserved_client_ports=sorted(set(ports.values())),
            deployment_alarm_names={svc: names for svc, (names, _) in deployment_alarms.items()},
        ),
        # New tasks log in as their own database users: those exist (and have their grants) first.
        opts=pulumi.ResourceOptions.merge(
            providers.opts("services"),
            pulumi.ResourceOptions(depends_on=[database_users.invocation] if database_users else []),
        ),
    )

    # monitoring tier
    monitoring = Monitoring(
        naming("monitoring"),
        MonitoringArgs(
            config=config.monitoring,
            naming=naming,
            region=config.region,
            kms_key_arn=key.arn,
            account_id=account_id,
            ecs_cluster_name=services.cluster.name,
            services={
                svc: ServiceTarget(
                    # The name, not the service's output: the service waits for these alarms.
                    service_name=svc,
                    running_floor=running_floor(services_config[svc]),
                    steady_capacity=traits.steady_capacity,
                )
                for svc, traits in application.SERVICES.items()
            },
            load_balancer_arn_suffix=services.alb.alb.arn_suffix,
            load_balancer_targets=application.public_service(),
            load_balancer_service=application.public_service(),
            target_group_arn_suffixes={k: tg.arn_suffix for k, tg in services.target_groups.items()},
            aurora_cluster_identifier=database.cluster.cluster_identifier,
            aurora_instances=[
                AuroraInstanceTarget(label=str(i), identifier=instance.identifier, instance_class=cls)
                for i, (instance, cls) in enumerate(
                    zip(database.instances, database.instance_classes, strict=True), start=1
                )
            ],
            redis_member_clusters=member_cluster_ids(
                cache.replication_group.member_clusters, config.cache.num_nodes
            ),
            backup_vaults=[backup.vault_name] if backup else [],
        ),
        opts=providers.opts("monitoring"),
    )
    for svc, (_, resolve) in deployment_alarms.items():
        resolve(monitoring.deployment_alarm_names(svc))

    # delivery tier
    delivery = Delivery(
        naming("delivery"),
        DeliveryArgs(
            naming=naming,
            account_id=account_id,
            scope=grant_scope(config),
            github_repository=config.delivery.github_repository,
            github_environment=config.delivery.github_environment,
            preview_environment=config.delivery.preview_environment,
            drift_environment=config.delivery.drift_environment,
            images={
                svc: ServiceImage(
                    uri=svc_cfg.image,
                    repository=svc_cfg.image_parts[1],
                    expected_repository=application.SERVICES[svc].image_repository,
                )
                for svc, svc_cfg in config.services.by_name().items()
            },
        ),
        opts=providers.opts("delivery"),
    )

    # outputs
    pulumi.export("environment", config.environment)
    pulumi.export("region", config.region)
    pulumi.export("kmsKeyArn", key.arn)
    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("publicSubnetIds", [s.id for s in network.public_subnets])
    pulumi.export("privateSubnetIds", [s.id for s in network.private_subnets])
    pulumi.export("databaseSubnetIds", [s.id for s in network.database_subnets])
    pulumi.export("natGatewayIds", [n.id for n in network.nat_gateways])
    pulumi.export("securityGroupIds", {k: v.id for k, v in security_groups.services.items()})
    pulumi.export("exchangeSecretArns", secrets.arns)
    # Values are set by an operator (`arbiter-infra secrets set`), never by the program.
    pulumi.export("exchangeSecretFields", secrets.fields)
    pulumi.export("databaseEndpoint", database.endpoint)
    pulumi.export("databaseReaderEndpoint", database.reader_endpoint)
    pulumi.export("databasePort", database.port)
    # Break-glass only (docs/database-access.md): no service reads it.
    pulumi.export("databaseMasterSecretArn", database.master_secret_arn)
    pulumi.export(
        "databaseUsers",
        {svc: application.database_user(svc) for svc, cfg in services_config.items() if cfg.uses_database},
    )
    if database_users is not None:
        pulumi.export("databaseUsersFunctionName", database_users.function.name)
    if backup is not None:
        pulumi.export("backupVaultName", backup.vault_name)
        pulumi.export("backupCopyVaultArn", backup.copy_vault.arn)
    pulumi.export("redisPrimaryEndpoint", cache.primary_endpoint)
    pulumi.export("redisReaderEndpoint", cache.reader_endpoint)
    pulumi.export("redisPort", cache.port)
    pulumi.export("redisUserSecretArns", {svc: secret.arn for svc, secret in cache.user_secrets.items()})
    if cache.auth_secret is not None:
        pulumi.export("redisAuthSecretArn", cache.auth_secret.arn)
    pulumi.export("albDnsName", services.alb_dns_name)
    pulumi.export("albUrl", services.alb_url)
    pulumi.export("clusterName", services.cluster_name)
    pulumi.export("serviceNames", services.service_names)
    pulumi.export("tradingCoreAddress", services.discovery_addresses["trading-core"])
    pulumi.export("alertTopicArn", monitoring.topic.arn)
    pulumi.export("dashboardName", monitoring.dashboard.dashboard_name)
    pulumi.export("deployRoleArn", delivery.deploy_role_arn)
    pulumi.export("previewRoleArn", delivery.preview_role_arn)
    pulumi.export("driftRoleArn", delivery.drift_role_arn)
    pulumi.export("permissionsBoundaryArn", boundary.arn)
    pulumi.export("oidcProviderArn", delivery.oidc_provider_arn)


def account_stack(config: AccountConfig) -> None:
    """Declare the account stack: what every environment in this AWS account needs first."""
    naming = Naming(config.name)
    providers = Providers(config)
    account_id = config.account_id
    key = StackKey(
        naming("key"),
        StackKeyArgs(
            naming=naming, region=config.region, account_id=account_id, purpose="ECR images", protect=True
        ),
        opts=providers.opts("security"),
    )
    settings = config.account
    account = AccountResources(
        naming("account"),
        AccountResourcesArgs(
            repositories=[traits.image_repository for traits in application.SERVICES.values()],
            keep_images=settings.ecr_keep_images,
            kms_key_arn=key.arn,
            github_oidc_provider=settings.github_oidc_provider,
            service_linked_roles={
                short: catalog.SERVICE_LINKED_ROLES[short][0] for short in settings.service_linked_roles
            },
            is_foreign_role=foreign_service_linked_role(providers("account")),
        ),
        opts=providers.opts("account"),
    )
    pulumi.export("accountId", account_id)
    pulumi.export("region", config.region)
    pulumi.export("ecrKmsKeyArn", key.arn)
    pulumi.export("ecrRepositoryUrls", account.repository_urls)
    pulumi.export("oidcProviderArn", account.oidc_provider.arn if account.oidc_provider else None)
    pulumi.export("serviceLinkedRoles", {k: r.arn for k, r in account.service_linked_roles.items()})
    pulumi.export("existingServiceLinkedRoles", account.existing_service_linked_roles)


# What the application needs of the network and of CI, derived from its service table.


#: The security group of the database-users bootstrap function (components/database_users.py).
DATABASE_USERS = "database-users"


def service_flows(config: StackConfig) -> list[Flow]:
    """The connections the application needs: the ALB to the public service, each service to those
    it calls, and the services that use the database or cache to them."""
    services = config.services.by_name()
    public = application.public_service()
    flows = [Flow(ALB, public, services[public].port, f"ALB to {public} (REST and gRPC target groups)")]
    flows += [
        Flow(client, server, services[server].port, f"{client} to {server} gRPC")
        for client, traits in application.SERVICES.items()
        for server in traits.calls
    ]
    for svc, cfg in services.items():
        if cfg.uses_database:
            flows.append(Flow(svc, DATABASE, POSTGRES_PORT, f"{svc} to Aurora PostgreSQL"))
        if cfg.uses_redis:
            flows.append(Flow(svc, CACHE, REDIS_PORT, f"{svc} to ElastiCache Redis (TLS)"))
    if config.services.database_access_by_user():
        flows.append(
            Flow(DATABASE_USERS, DATABASE, POSTGRES_PORT, "database-users bootstrap to Aurora (master, TLS)")
        )
    return flows


def grant_scope(config: StackConfig) -> GrantScope:
    """What the CI roles and the boundary are scoped to: this stack, its repositories and secrets."""
    return GrantScope(
        region=config.region,
        copy_region=config.database.backup.copy_region,
        state_bucket=config.delivery.state_bucket,
        secrets_kms_alias=config.delivery.secrets_kms_alias,
        image_repositories=tuple(t.image_repository for t in application.SERVICES.values()),
        app_secrets=tuple(application.SECRET_PURPOSES),
        database_users=tuple(sorted(config.services.database_access_by_user())),
    )


config = load_config()
if isinstance(config, AccountConfig):
    account_stack(config)
else:
    environment_stack(config)
