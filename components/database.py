"""Aurora PostgreSQL with the controls a trading database needs (CMK, managed password, IAM auth, PI).

Encryption, the master password and Performance Insights all use the stack CMK; the master
password is RDS-managed (stored and rotated by RDS in Secrets Manager), so no password ever
passes through Pulumi. Prod is protected twice: AWS deletion protection and Pulumi `protect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra import catalog, iam
from arbiter_infra.config import DatabaseConfig
from arbiter_infra.naming import Naming

ENGINE = "aurora-postgresql"
POSTGRES_PORT = 5432
MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
#: CA for server certificates; clients verify against the RDS global bundle.
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"


@dataclass(frozen=True)
class DatabaseConnection:
    """What the services need of the Aurora cluster (`Aurora.connection`)."""

    #: The writer endpoint.
    endpoint: pulumi.Input[str]
    #: The reader endpoint (the writer too while there is no reader).
    reader_endpoint: pulumi.Input[str]
    #: PostgreSQL port (5432).
    port: pulumi.Input[int]
    #: The database the services use.
    database_name: str
    #: RDS-managed master secret (JSON `username`/`password`), encrypted with the stack key.
    master_secret_arn: pulumi.Input[str]
    #: `cluster-...`: the resource of IAM database authentication (`rds-db:connect`).
    cluster_resource_id: pulumi.Input[str]
    #: The master user: the bootstrap function and an operator's break-glass path only; every
    #: service logs in as its own user (components/database_users.py).
    master_username: str


@dataclass(frozen=True)
class AuroraArgs:
    #: The stack file's `database` section: engine, class, count, windows, retention.
    config: DatabaseConfig
    #: Names the cluster `arbiter-<env>-aurora` and its instances, groups, role.
    naming: Naming
    #: Deletion protection, Pulumi `protect` and a final snapshot.
    is_prod: bool
    #: Instances are placed round-robin over these, so writer and first reader differ.
    availability_zones: Sequence[str]
    #: The database subnets (no route to the internet).
    subnet_ids: Sequence[pulumi.Input[str]]
    #: The database security group.
    security_group_id: pulumi.Input[str]
    #: The stack key: storage, master secret, Performance Insights, logs.
    kms_key_arn: pulumi.Input[str]
    #: This AWS account: trust of the enhanced-monitoring role.
    account_id: pulumi.Input[str]
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries.
    permissions_boundary: pulumi.Input[str] | None = None


def _first_secret_arn(secrets: Sequence[aws.rds.outputs.ClusterMasterUserSecret] | None) -> str:
    arn = secrets[0].secret_arn if secrets else None
    if not arn:
        raise ValueError("the cluster reported no managed master user secret")
    return arn


class Aurora(pulumi.ComponentResource):
    """One Aurora PostgreSQL cluster with `instance_count` instances across AZs."""

    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    subnet_group: aws.rds.SubnetGroup
    parameter_group: aws.rds.ClusterParameterGroup
    log_group: aws.cloudwatch.LogGroup
    monitoring_role: aws.iam.Role
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    master_secret_arn: pulumi.Output[str]
    database_name: str
    cluster_identifier: str
    cluster_resource_id: pulumi.Output[str]
    instance_classes: list[str]
    #: What the service tier needs to reach the cluster and log in.
    connection: DatabaseConnection

    def __init__(self, name: str, args: AuroraArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:database:Aurora", name, None, opts)
        cfg, naming, prod = args.config, args.naming, args.is_prod
        cluster_id = naming("aurora", kind="rds")
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=prod)

        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=cluster_id,
            description=f"{cluster_id}: the database subnets (no route to the internet)",
            subnet_ids=list(args.subnet_ids),
            opts=child,
        )
        family = catalog.AURORA_PARAMETER_FAMILY[cfg.major_version]
        self.parameter_group = aws.rds.ClusterParameterGroup(
            f"{name}-params",
            # The family is in the name so a major upgrade creates the new group before the old goes.
            name=naming("aurora", f"pg{cfg.major_version}", kind="rds"),
            family=family,
            description=f"{cluster_id}: TLS only, slow-query and DDL logging",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ClusterParameterGroupParameterArgs(
                    name="log_min_duration_statement", value=str(cfg.slow_query_threshold_ms)
                ),
                aws.rds.ClusterParameterGroupParameterArgs(name="log_statement", value="ddl"),
                # A major upgrade is an RDS blue/green deployment (`db-upgrade`), which replicates
                # blue to green logically: AWS refuses to create one unless the writer runs with
                # this on. Static: it takes effect at the next reboot (docs/runbook.md says when).
                aws.rds.ClusterParameterGroupParameterArgs(
                    name="rds.logical_replication", value="1", apply_method="pending-reboot"
                ),
            ],
            opts=child,
        )
        # Created before the cluster, or RDS creates the export's group without retention or CMK.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-postgresql-logs",
            name=f"/aws/rds/cluster/{cluster_id}/postgresql",
            retention_in_days=cfg.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.monitoring_role = aws.iam.Role(
            f"{name}-monitoring-role",
            name=naming("aurora-monitoring", kind="iam-role"),
            description="Enhanced monitoring: RDS publishes OS metrics to CloudWatch Logs",
            assume_role_policy=iam.assume_role_policy(
                "monitoring.rds.amazonaws.com", source_account=args.account_id
            ),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        monitoring_attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=self.monitoring_role.name,
            policy_arn=MONITORING_POLICY_ARN,
            opts=child,
        )

        self.cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=cluster_id,
            engine=ENGINE,
            engine_mode="provisioned",
            # The major only: RDS creates the major's default minor and moves the minor itself
            # (auto minor upgrade); the provider keeps "16" while the actual version is 16.x
            # (catalog.rds_state_engine_version), so a moved minor is no diff.
            engine_version=cfg.engine_version,
            # Only a changed major in config upgrades the major (with the new family's parameter group).
            allow_major_version_upgrade=True,
            database_name=cfg.database_name,
            master_username=cfg.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            iam_database_authentication_enabled=True,
            port=POSTGRES_PORT,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[args.security_group_id],
            db_cluster_parameter_group_name=self.parameter_group.name,
            backup_retention_period=cfg.backup_retention_days,
            preferred_backup_window=cfg.backup_window,
            preferred_maintenance_window=cfg.maintenance_window,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            deletion_protection=prod,
            skip_final_snapshot=not prod,
            final_snapshot_identifier=f"{cluster_id}-final" if prod else None,
            apply_immediately=False,
            opts=pulumi.ResourceOptions.merge(protected, pulumi.ResourceOptions(depends_on=[self.log_group])),
        )

        azs = list(args.availability_zones)
        self.instances = []
        for i in range(1, cfg.instance_count + 1):
            self.instances.append(
                aws.rds.ClusterInstance(
                    f"{name}-{i}",
                    identifier=naming("aurora", str(i), kind="rds"),
                    cluster_identifier=self.cluster.id,
                    engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                    # No engine_version: Aurora instances run the cluster's version, which only
                    # the cluster changes; a declared one could only lag behind AWS's upgrades.
                    instance_class=cfg.instance_class,
                    availability_zone=azs[(i - 1) % len(azs)],
                    db_subnet_group_name=self.subnet_group.name,
                    publicly_accessible=False,
                    ca_cert_identifier=CA_CERT_IDENTIFIER,
                    performance_insights_enabled=True,
                    performance_insights_kms_key_id=args.kms_key_arn,
                    performance_insights_retention_period=cfg.performance_insights_retention_days,
                    monitoring_interval=cfg.monitoring_interval_seconds,
                    monitoring_role_arn=self.monitoring_role.arn,
                    auto_minor_version_upgrade=True,
                    preferred_maintenance_window=cfg.maintenance_window,
                    copy_tags_to_snapshot=True,
                    # Failover goes to instance 2 first (it is in another AZ than the writer).
                    promotion_tier=min(i - 1, 15),
                    apply_immediately=False,
                    opts=pulumi.ResourceOptions.merge(
                        protected, pulumi.ResourceOptions(depends_on=[monitoring_attachment])
                    ),
                )
            )

        self.cluster_identifier = cluster_id
        self.database_name = cfg.database_name
        self.instance_classes = [cfg.instance_class] * cfg.instance_count
        self.endpoint = self.cluster.endpoint
        self.reader_endpoint = self.cluster.reader_endpoint
        self.port = self.cluster.port
        self.cluster_resource_id = self.cluster.cluster_resource_id
        self.master_secret_arn = self.cluster.master_user_secrets.apply(_first_secret_arn)
        self.connection = DatabaseConnection(
            endpoint=self.endpoint,
            reader_endpoint=self.reader_endpoint,
            port=self.port,
            database_name=self.database_name,
            master_secret_arn=self.master_secret_arn,
            cluster_resource_id=self.cluster_resource_id,
            master_username=cfg.master_username,
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "readerEndpoint": self.reader_endpoint,
                "port": self.port,
                "databaseName": self.database_name,
                "clusterIdentifier": self.cluster_identifier,
                "clusterResourceId": self.cluster_resource_id,
                "masterSecretArn": self.master_secret_arn,
            }
        )
