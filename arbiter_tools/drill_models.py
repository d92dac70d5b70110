"""What the first-deploy drill needs beyond moto, each small and named.

- ECS scheduling (`settle`): moto reports every service as running whatever its image or secrets;
  AWS starts a task only when its image can be pulled and every injected secret has a value.
- The master secret's holders (`master_secret_holders`): after a rotation, a task definition that
  injects the master password would need a redeploy; the drill asserts there is none.

In-process only: `settle` adjusts moto's ECS model directly, which a moto_server cannot offer.
"""

from __future__ import annotations

from typing import Any

_CURRENT = "AWSCURRENT"


class DrillError(Exception):
    """A step did not end as the README says it does."""


# --- ECS scheduling ---------------------------------------------------------------------------


def _image_exists(ecr: Any, image: str) -> bool:
    repo, _, tag = image.split("/", 1)[1].rpartition(":")
    try:
        return bool(ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"])
    except ecr.exceptions.ClientError:
        return False


def _secret_has_value(sm: Any, value_from: str) -> bool:
    """`<secret-arn>:<json-key>::` (or a bare ARN) has an AWSCURRENT version."""
    arn = ":".join(value_from.split(":")[:7])
    try:
        stages = sm.describe_secret(SecretId=arn).get("VersionIdsToStages") or {}
    except sm.exceptions.ClientError:
        return False
    return any(_CURRENT in s for s in stages.values())


def task_blocker(session: Any, task_definition_arn: str) -> str | None:
    """Why ECS could not start this task definition's tasks (None: it can)."""
    ecs, ecr, sm = (session.client(s) for s in ("ecs", "ecr", "secretsmanager"))
    td = ecs.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    for container in td["containerDefinitions"]:
        if not _image_exists(ecr, container["image"]):
            return f"CannotPullContainerError: {container['image']}: not found"
        for secret in container.get("secrets", []):
            if not _secret_has_value(sm, secret["valueFrom"]):
                return f"ResourceInitializationError: unable to retrieve secret {secret['name']} ({secret['valueFrom']})"
    return None


def settle(session: Any, account_id: str, region: str) -> dict[str, str | None]:
    """Bring moto's ECS services to what AWS would report after a while: service -> blocker or None."""
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[account_id][region]
    outcome: dict[str, str | None] = {}
    for key, service in backend.services.items():
        if service.status != "ACTIVE":
            continue
        blocker = task_blocker(session, str(service.task_definition)) if service.desired_count else None
        running = 0 if blocker else service.desired_count
        service.running_count, service.pending_count = running, 0
        for deployment in service.deployments:
            deployment["runningCount"], deployment["pendingCount"] = running, 0
            deployment["desiredCount"] = service.desired_count
            deployment["rolloutState"] = "IN_PROGRESS" if blocker else "COMPLETED"
            deployment["rolloutStateReason"] = blocker or "ECS deployment completed."
        outcome[key.split(":", 1)[1]] = blocker
    return outcome


# --- the master secret ------------------------------------------------------------------------


def master_secret_holders(session: Any, prefix: str, secret_arn: str) -> list[str]:
    """The stack's task definitions (latest revisions) whose containers inject the master secret."""
    ecs = session.client("ecs")
    holders = []
    for arn in ecs.list_task_definitions(familyPrefix=prefix, status="ACTIVE")["taskDefinitionArns"]:
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        for container in definition["containerDefinitions"]:
            if any(str(s.get("valueFrom", "")).startswith(secret_arn) for s in container.get("secrets", [])):
                holders.append(f"{definition['family']}:{definition['revision']} ({container['name']})")
    return holders
