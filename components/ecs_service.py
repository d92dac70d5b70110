"""One Fargate service: its task definition, log group, roles, registration and scaling.

Each service gets its own execution role (what ECS needs to start the task: image, logs, the
secrets it injects) and its own task role (what the application calls at runtime), so a
compromised container holds neither ECR nor Secrets Manager access, and no service can read
another service's secrets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.config import ServiceConfig
from arbiter_infra.naming import Naming

SCRATCH_VOLUME = "scratch"
#: Minimum healthy percent during a deploy: a steady-capacity service never drops below its
#: count (new tasks start first), the others may halve to deploy with fewer extra tasks.
STEADY_MIN_HEALTHY_PERCENT = 100
DEFAULT_MIN_HEALTHY_PERCENT = 50
SCRATCH_PATH = "/tmp"
#: Seconds the ALB health checks are ignored after a task starts (image pull, warm-up).
LB_GRACE_PERIOD_SECONDS = 60
#: awslogs delivery that never blocks the process: in the default blocking mode a throttled or
#: unreachable CloudWatch Logs stalls the container's stdout writes, and so trading. Lines go
#: through an in-memory buffer instead and are dropped only when it is full.
AWSLOGS_MODE = "non-blocking"
AWSLOGS_MAX_BUFFER_SIZE = "25m"
#: What an ECS Exec session needs from the task role: the SSM data channel (AWS documents no
#: resource type for these actions, so they take `*`).
EXEC_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")


def ecr_repository_arn(config: ServiceConfig) -> str:
    """The repository ARN of the service's image: the only repository its execution role may pull."""
    registry, repo, _tag = config.image_parts
    m = _REGISTRY.match(registry)
    assert m is not None  # the image URI was validated by ServiceConfig
    return f"arn:aws:ecr:{m['region']}:{m['account']}:repository/{repo}"


@dataclass(frozen=True)
class SecretRef:
    """One ECS secret: the env var, the per-key `valueFrom`, and the secret it lives in."""

    env_name: str
    value_from: pulumi.Input[str]
    secret_arn: pulumi.Input[str]


@dataclass(frozen=True)
class DatabaseUser:
    """IAM database authentication target: `rds-db:connect` as `username` on one cluster."""

    cluster_resource_id: pulumi.Input[str]
    username: str


@dataclass(frozen=True)
class ExecSettings:
    """ECS Exec (off by default): the session log group and key the task role must reach."""

    log_group_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]


@dataclass(frozen=True)
class FargateServiceArgs:
    #: The service's name: ECS service, container, log stream prefix and `arbiter-<env>-<name>-*`.
    service: str
    #: Its stack-file section: image, sizes, counts, port, health check, autoscaling.
    config: ServiceConfig
    naming: Naming
    region: str
    account_id: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    #: The cluster's name, for the autoscaling resource id `service/<cluster>/<service>`.
    cluster_name: pulumi.Input[str]
    #: `X86_64` or `ARM64`: what the image is built for.
    cpu_architecture: str
    #: Subnets of the tasks (private: tasks get no public IP).
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    #: The stack key: the log group and the injected secrets are encrypted with it.
    kms_key_arn: pulumi.Input[str]
    #: Non-secret settings only; secrets go through `secrets`.
    environment_variables: Mapping[str, pulumi.Input[str]]
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
    #: Resources the ECS service must be created after (listeners of its target groups, ...).
    depends_on: Sequence[pulumi.Resource] = ()
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries; default none.
    permissions_boundary: pulumi.Input[str] | None = None


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
        self.container_definitions = self._container_definitions(args)
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
        min_healthy = STEADY_MIN_HEALTHY_PERCENT if args.steady_capacity else DEFAULT_MIN_HEALTHY_PERCENT
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
                    target_group_arn=arn, container_name=svc, container_port=cfg.port
                )
                for arn in args.target_group_arns
            ],
            health_check_grace_period_seconds=LB_GRACE_PERIOD_SECONDS if behind_lb else None,
            service_registries=registries,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=min_healthy,
            deployment_maximum_percent=200,
            enable_execute_command=args.exec_settings is not None,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.depends_on),
                # Autoscaling owns the running count once it exists.
                ignore_changes=["desiredCount"] if cfg.autoscaled else None,
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

    def _container_definitions(self, args: FargateServiceArgs) -> pulumi.Output[str]:
        svc, cfg = args.service, args.config
        container: dict[str, Any] = {
            "name": svc,
            "image": cfg.image,
            "essential": True,
            "user": cfg.user,
            "privileged": False,
            "readonlyRootFilesystem": True,
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "mountPoints": [
                {"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}
            ],
            "portMappings": [{"name": svc, "containerPort": cfg.port, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(args.environment_variables.items())],
            "secrets": [{"name": s.env_name, "valueFrom": s.value_from} for s in args.secrets],
            "healthCheck": {
                "command": list(cfg.health_check_command),
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60,
            },
            "stopTimeout": cfg.stop_timeout_seconds,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group.name,
                    "awslogs-region": args.region,
                    "awslogs-stream-prefix": svc,
                    "mode": AWSLOGS_MODE,
                    "max-buffer-size": AWSLOGS_MAX_BUFFER_SIZE,
                },
            },
        }
        return pulumi.Output.json_dumps([container])

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
