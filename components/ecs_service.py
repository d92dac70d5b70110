"""One Fargate service: its task definition, log group, roles, registration and scaling.

Each service gets its own execution role (what ECS needs to start the task: image, logs, the
secrets it injects) and its own task role (what the application calls at runtime), so a
compromised container holds neither ECR nor Secrets Manager access, and no service can read
another service's secrets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.application import deployment_percents
from arbiter_infra.config import DeploymentConfig, ServiceConfig
from arbiter_infra.naming import Naming
from components.ecs_task import (
    EXEC_CHANNEL_ACTIONS,
    SCRATCH_VOLUME,
    DatabaseUser,
    ExecSettings,
    SecretRef,
    container_definitions,
    ecr_repository_arn,
)

#: Re-exported: the service tier builds these values for its services.
__all__ = [
    "DatabaseUser",
    "ExecSettings",
    "FargateService",
    "FargateServiceArgs",
    "SecretRef",
    "TrafficRoute",
    "TrafficShift",
    "deployment_percents",
]

#: Seconds the ALB health checks are ignored after a task starts (image pull, warm-up).
LB_GRACE_PERIOD_SECONDS = 60
#: ECS's names of the config's strategies.
ECS_STRATEGIES = {"rolling": "ROLLING", "canary": "CANARY", "linear": "LINEAR"}


@dataclass(frozen=True)
class TrafficRoute:
    """One production target group of a gradual deployment, its alternate and the rule ECS shifts."""

    #: The target group the service registers in (production traffic).
    target_group_arn: pulumi.Input[str]
    #: The group ECS registers the new revision in, then shifts traffic to.
    alternate_target_group_arn: pulumi.Input[str]
    #: The listener rule forwarding to both groups; ECS changes its weights.
    production_listener_rule_arn: pulumi.Input[str]


@dataclass(frozen=True)
class TrafficShift:
    """What ECS needs to shift a load balancer's traffic between revisions (canary, linear)."""

    #: One per target group of the service, in the order of `target_group_arns`.
    routes: Sequence[TrafficRoute]
    #: The ECS infrastructure role for load balancers (ECS assumes it to change the rules).
    role_arn: pulumi.Input[str]


@dataclass(frozen=True)
class FargateServiceArgs:
    #: The service's name: ECS service, container, log stream prefix and `arbiter-<env>-<name>-*`.
    service: str
    #: Its stack-file section: image, sizes, counts, port, health check, autoscaling.
    config: ServiceConfig
    #: Names the log group, roles, task family `arbiter-<env>-<service>`.
    naming: Naming
    #: The stack's region: awslogs and the KMS via-service condition.
    region: str
    #: This AWS account: role trust and the `rds-db:connect` ARN.
    account_id: pulumi.Input[str]
    #: The ECS cluster the service runs in.
    cluster_arn: pulumi.Input[str]
    #: The cluster's name, for the autoscaling resource id `service/<cluster>/<service>`.
    cluster_name: pulumi.Input[str]
    #: `X86_64` or `ARM64`: what the image is built for.
    cpu_architecture: str
    #: Subnets of the tasks (private: tasks get no public IP).
    subnet_ids: Sequence[pulumi.Input[str]]
    #: The service's own security group.
    security_group_id: pulumi.Input[str]
    #: The stack key: the log group and the injected secrets are encrypted with it.
    kms_key_arn: pulumi.Input[str]
    #: Non-secret settings only; secrets go through `secrets`.
    environment_variables: Mapping[str, pulumi.Input[str]]
    #: CloudWatch alarms ECS watches during each deployment, rolling back when one fires (an
    #: Output of the alarms, so the service is created after them). At least one.
    deployment_alarm_names: pulumi.Input[Sequence[pulumi.Input[str]]]
    #: ECS secrets (one `valueFrom` per key); the execution role may read exactly these secrets.
    #: Default: none.
    secrets: Sequence[SecretRef] = ()
    #: IAM database authentication for the task role; default None (no database access).
    database_user: DatabaseUser | None = None
    #: ECS Exec on, with its session log group and key; default None (off).
    exec_settings: ExecSettings | None = None
    #: Target groups (ARNs) the service registers its tasks in, on the service port; default none.
    target_group_arns: Sequence[pulumi.Input[str]] = ()
    #: Cloud Map namespace to register an A record `<service>.<namespace>` in; default None.
    discovery_namespace_id: pulumi.Input[str] | None = None
    #: Never below its desired count during a deploy (minimum healthy 100 %, else 50 %): for a
    #: service where a gap in capacity costs money (missed trades). Default False.
    steady_capacity: bool = False
    #: At most one revision may run its work at a time: stop-before-start, no surge (see
    #: `deployment_percents`); default False.
    single_writer: bool = False
    #: Required when `config.deployment` is canary or linear: the alternate target groups, rules
    #: and role; default None (rolling).
    traffic_shift: TrafficShift | None = None
    #: Resources the ECS service must be created after (listeners of its target groups, ...).
    depends_on: Sequence[pulumi.Resource] = ()
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries; default none.
    permissions_boundary: pulumi.Input[str] | None = None
    #: Ports the task never uses as client ports (`net.ipv4.ip_local_reserved_ports`): those the
    #: network ACLs deny inbound from outside their callers. Default none.
    reserved_client_ports: Sequence[int] = ()


class FargateService(pulumi.ComponentResource):
    """A hardened Fargate service with least-privilege roles and its own log group."""

    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    execution_policy: aws.iam.RolePolicy
    task_role: aws.iam.Role
    task_policy: aws.iam.RolePolicy | None
    task_definition: aws.ecs.TaskDefinition
    discovery_service: aws.servicediscovery.Service | None
    service: aws.ecs.Service
    scaling_target: aws.appautoscaling.Target | None
    scaling_policy: aws.appautoscaling.Policy | None
    container_definitions: pulumi.Output[str]

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:services:FargateService", name, None, opts)
        svc, cfg, naming = args.service, args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{naming(svc)}",
            retention_in_days=cfg.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self._roles(name, args)
        self.container_definitions = container_definitions(
            svc,
            cfg,
            environment=args.environment_variables,
            secrets=args.secrets,
            log_group_name=self.log_group.name,
            region=args.region,
            reserved_client_ports=args.reserved_client_ports,
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=naming(svc),
            cpu=str(cfg.cpu),
            memory=str(cfg.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.cpu_architecture},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[{"name": SCRATCH_VOLUME}],
            container_definitions=self.container_definitions,
            opts=child,
        )

        self.discovery_service = None
        registries: aws.ecs.ServiceServiceRegistriesArgs | None = None
        if args.discovery_namespace_id is not None:
            self.discovery_service = aws.servicediscovery.Service(
                f"{name}-discovery",
                name=svc,
                dns_config={
                    "namespace_id": args.discovery_namespace_id,
                    "dns_records": [{"ttl": 10, "type": "A"}],
                    "routing_policy": "MULTIVALUE",
                },
                health_check_custom_config={"failure_threshold": 1},
                opts=child,
            )
            registries = aws.ecs.ServiceServiceRegistriesArgs(registry_arn=self.discovery_service.arn)

        behind_lb = bool(args.target_group_arns)
        min_healthy, max_percent = deployment_percents(
            single_writer=args.single_writer, steady_capacity=args.steady_capacity
        )
        deployment = cfg.deployment
        shift = args.traffic_shift
        if deployment.gradual and (
            shift is None or len(shift.routes) != len(args.target_group_arns) or not behind_lb
        ):
            raise ValueError(
                f"{svc}: a {deployment.strategy} deployment needs one traffic route (alternate target "
                "group and production listener rule) per target group, and a load balancer role"
            )
        if not deployment.gradual:
            shift = None
        ignore = ["desiredCount"] if cfg.autoscaled else []
        if shift is not None:
            # ECS swaps the primary and alternate groups after each deployment; sending the
            # declared pair again would point the next deployment at the wrong group.
            ignore.append("loadBalancers")
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=svc,
            cluster=args.cluster_arn,
            task_definition=self.task_definition.arn,
            desired_count=cfg.desired_count,
            capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.subnet_ids),
                security_groups=[args.security_group_id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=arn,
                    container_name=svc,
                    container_port=cfg.port,
                    advanced_configuration=(
                        aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                            alternate_target_group_arn=shift.routes[i].alternate_target_group_arn,
                            production_listener_rule=shift.routes[i].production_listener_rule_arn,
                            role_arn=shift.role_arn,
                        )
                        if shift is not None
                        else None
                    ),
                )
                for i, arn in enumerate(args.target_group_arns)
            ],
            health_check_grace_period_seconds=LB_GRACE_PERIOD_SECONDS if behind_lb else None,
            service_registries=registries,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            # Beside the circuit breaker (tasks that never become healthy): the service's own
            # alarms (5XX, latency, memory, tasks dying after start) fail and roll back a release
            # that is healthy by its health check but bad.
            alarms=aws.ecs.ServiceAlarmsArgs(
                alarm_names=args.deployment_alarm_names, enable=True, rollback=True
            ),
            deployment_configuration=self._strategy(deployment),
            deployment_minimum_healthy_percent=min_healthy,
            deployment_maximum_percent=max_percent,
            enable_execute_command=args.exec_settings is not None,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.depends_on),
                # Autoscaling owns the running count once it exists.
                ignore_changes=ignore or None,
            ),
        )
        self._autoscaling(name, args)
        self.register_outputs(
            {
                "serviceName": self.service.name,
                "serviceArn": self.service.id,
                "taskDefinitionArn": self.task_definition.arn,
                "logGroupName": self.log_group.name,
                "executionRoleArn": self.execution_role.arn,
                "taskRoleArn": self.task_role.arn,
            }
        )

    @staticmethod
    def _strategy(deployment: DeploymentConfig) -> aws.ecs.ServiceDeploymentConfigurationArgs:
        """ECS's deployment strategy: rolling, or a traffic shift with its steps and bake time."""
        strategy = ECS_STRATEGIES[deployment.strategy]
        if deployment.strategy == "rolling":
            return aws.ecs.ServiceDeploymentConfigurationArgs(strategy=strategy)
        return aws.ecs.ServiceDeploymentConfigurationArgs(
            strategy=strategy,
            bake_time_in_minutes=str(deployment.bake_minutes),
            canary_configuration=(
                aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
                    canary_percent=deployment.canary_percent,
                    canary_bake_time_in_minutes=str(deployment.canary_minutes),
                )
                if deployment.strategy == "canary"
                else None
            ),
            linear_configuration=(
                aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
                    step_percent=deployment.step_percent,
                    step_bake_time_in_minutes=str(deployment.step_minutes),
                )
                if deployment.strategy == "linear"
                else None
            ),
        )

    def _roles(self, name: str, args: FargateServiceArgs) -> None:
        svc, naming = args.service, args.naming
        child = pulumi.ResourceOptions(parent=self)
        trust = iam.assume_role_policy("ecs-tasks.amazonaws.com", source_account=args.account_id)
        self.execution_role = aws.iam.Role(
            f"{name}-exec-role",
            name=naming(svc, "exec", kind="iam-role"),
            description=f"ECS starts {svc}: pull its image, write its logs, inject its secrets",
            assume_role_policy=trust,
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        statements: list[Any] = [
            iam.statement("EcrLogin", ("ecr:GetAuthorizationToken",), ["*"]),
            iam.statement(
                "PullOwnImage",
                ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
                [ecr_repository_arn(args.config)],
            ),
            iam.statement(
                "WriteOwnLogs",
                ("logs:CreateLogStream", "logs:PutLogEvents"),
                [pulumi.Output.concat(self.log_group.arn, ":*")],
            ),
        ]
        if args.secrets:
            # One statement per distinct secret the task definition references, nothing else.
            secret_arns = pulumi.Output.all(*[s.secret_arn for s in args.secrets]).apply(
                lambda arns: sorted(set(arns))
            )
            statements.append(
                secret_arns.apply(
                    lambda arns: iam.statement(
                        "ReadInjectedSecrets", ("secretsmanager:GetSecretValue",), arns
                    )
                )
            )
            statements.append(
                iam.statement(
                    "DecryptInjectedSecrets",
                    ("kms:Decrypt",),
                    [args.kms_key_arn],
                    condition={
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}
                    },
                )
            )
        self.execution_policy = aws.iam.RolePolicy(
            f"{name}-exec-policy",
            role=self.execution_role.id,
            policy=iam.document(*statements),
            opts=child,
        )

        self.task_role = aws.iam.Role(
            f"{name}-task-role",
            name=naming(svc, "task", kind="iam-role"),
            description=f"What {svc} itself calls at runtime",
            assume_role_policy=trust,
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        task_statements: list[Any] = []
        if args.database_user is not None:
            user = args.database_user
            task_statements.append(
                iam.statement(
                    "IamDatabaseAuth",
                    ("rds-db:connect",),
                    [
                        pulumi.Output.concat(
                            "arn:aws:rds-db:",
                            args.region,
                            ":",
                            args.account_id,
                            ":dbuser:",
                            user.cluster_resource_id,
                            "/",
                            user.username,
                        )
                    ],
                )
            )
        if args.exec_settings is not None:
            ex = args.exec_settings
            task_statements += [
                iam.statement("EcsExecChannel", EXEC_CHANNEL_ACTIONS, ["*"]),
                iam.statement("EcsExecFindLogGroup", ("logs:DescribeLogGroups",), ["*"]),
                iam.statement(
                    "EcsExecSessionLogs",
                    ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
                    [pulumi.Output.concat(ex.log_group_arn, ":*")],
                ),
                iam.statement("EcsExecSessionKey", ("kms:Decrypt",), [ex.kms_key_arn]),
            ]
        self.task_policy = None
        if task_statements:
            self.task_policy = aws.iam.RolePolicy(
                f"{name}-task-policy",
                role=self.task_role.id,
                policy=iam.document(*task_statements),
                opts=child,
            )

    def _autoscaling(self, name: str, args: FargateServiceArgs) -> None:
        """CPU target tracking, for the services whose config sets min/max counts (stateless ones)."""
        cfg = args.config
        self.scaling_target = None
        self.scaling_policy = None
        if not cfg.autoscaled:
            return
        assert cfg.min_count is not None and cfg.max_count is not None
        assert cfg.cpu_target_percent is not None
        child = pulumi.ResourceOptions(parent=self)
        self.scaling_target = aws.appautoscaling.Target(
            f"{name}-scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", self.service.name),
            min_capacity=cfg.min_count,
            max_capacity=cfg.max_count,
            opts=child,
        )
        self.scaling_policy = aws.appautoscaling.Policy(
            f"{name}-cpu-scaling",
            name=args.naming(args.service, "cpu"),
            policy_type="TargetTrackingScaling",
            service_namespace=self.scaling_target.service_namespace,
            scalable_dimension=self.scaling_target.scalable_dimension,
            resource_id=self.scaling_target.resource_id,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                },
                "target_value": float(cfg.cpu_target_percent),
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=child,
        )
