"""What a Fargate task is made of: its container definition and the references it carries.

Kept apart from the service component (`components/ecs_service.py`): these are plain values and a
pure builder, the same for every service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from arbiter_infra.config import ServiceConfig

SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"
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
#: The Linux sysctl that keeps ports out of the kernel's choice of client (ephemeral) ports. It is
#: per network namespace, and Fargate (platform 1.4.0+) accepts every `net.*` systemControl (AWS ECS
#: API reference, SystemControl); in awsvpc mode it applies to the whole task.
RESERVED_PORTS_SYSCTL = "net.ipv4.ip_local_reserved_ports"
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

    #: The variable the container reads (`POLY_API_KEY`).
    env_name: str
    #: `<secret-arn>:<json key>::`: one key of the secret.
    value_from: pulumi.Input[str]
    #: The secret holding it: the execution role may read exactly these.
    secret_arn: pulumi.Input[str]


@dataclass(frozen=True)
class DatabaseUser:
    """IAM database authentication target: `rds-db:connect` as `username` on one cluster."""

    #: `cluster-...`: the resource part of the `rds-db:connect` ARN.
    cluster_resource_id: pulumi.Input[str]
    #: The database user the task logs in as.
    username: str


@dataclass(frozen=True)
class ExecSettings:
    """ECS Exec (off by default): the session log group and key the task role must reach."""

    #: Where ECS Exec sessions are logged (the cluster's exec log group).
    log_group_arn: pulumi.Input[str]
    #: The key the session channel and its logs are encrypted with.
    kms_key_arn: pulumi.Input[str]


def container_definitions(
    service: str,
    config: ServiceConfig,
    *,
    environment: Mapping[str, pulumi.Input[str]],
    secrets: Sequence[SecretRef],
    log_group_name: pulumi.Input[str],
    region: str,
    reserved_client_ports: Sequence[int] = (),
) -> pulumi.Output[str]:
    """The task's one container: hardened (read-only root, no capabilities, non-root user).

    `reserved_client_ports` are never picked as the source port of an outbound connection (the
    network ACLs deny them inbound, so a reply to one would be dropped); listening on them is
    unaffected.
    """
    svc, cfg = service, config
    container: dict[str, Any] = {
        "name": svc,
        "image": cfg.image,
        "essential": True,
        "user": cfg.user,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}],
        "portMappings": [{"name": svc, "containerPort": cfg.port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": s.env_name, "valueFrom": s.value_from} for s in secrets],
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
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": svc,
                "mode": AWSLOGS_MODE,
                "max-buffer-size": AWSLOGS_MAX_BUFFER_SIZE,
            },
        },
    }
    if reserved_client_ports:
        ports = ",".join(str(p) for p in sorted(set(reserved_client_ports)))
        container["systemControls"] = [{"namespace": RESERVED_PORTS_SYSCTL, "value": ports}]
    return pulumi.Output.json_dumps([container])
