"""Two AWS behaviours moto lacks, modelled for the first-deploy drill, each small and named.

- ECS scheduling (`settle`): moto reports every service as running whatever its image or secrets;
  AWS starts a task only when its image can be pulled and every injected secret has a value.
- Event delivery (`deliver`): moto matches EventBridge patterns but does not start Step Functions
  targets, nor run `aws-sdk:` task states; `deliver` does both for the state machines it finds.

In-process only: `settle` adjusts moto's ECS model directly, which a moto_server cannot offer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_SDK_TASK = "arn:aws:states:::aws-sdk:"
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


# --- EventBridge -> Step Functions -> AWS SDK ---------------------------------------------------


def _sdk_call(session: Any, resource: str, parameters: Mapping[str, Any]) -> Any:
    """`arn:aws:states:::aws-sdk:ecs:updateService` -> ecs.update_service(cluster=..., ...)."""
    service, action = resource.removeprefix(_SDK_TASK).split(":", 1)
    client = session.client(service)
    method = "".join("_" + c.lower() if c.isupper() else c for c in action)
    # SDK integrations take the API's members in PascalCase; boto3 takes their own spelling.
    shape = client.meta.service_model.operation_model(action[0].upper() + action[1:]).input_shape
    members = {m.lower(): m for m in shape.members}
    return getattr(client, method)(**{members[k.lower()]: v for k, v in parameters.items()})


def _run_states(session: Any, machine: Mapping[str, Any], calls: list[str]) -> None:
    state_name: str | None = machine["StartAt"]
    while state_name is not None:
        state = machine["States"][state_name]
        if state["Type"] == "Parallel":
            for branch in state["Branches"]:
                _run_states(session, branch, calls)
        elif state["Type"] == "Task" and state["Resource"].startswith(_SDK_TASK):
            _sdk_call(session, state["Resource"], state.get("Parameters", {}))
            calls.append(
                f"{state['Resource'].removeprefix(_SDK_TASK)} {json.dumps(state.get('Parameters', {}))}"
            )
        elif state["Type"] not in ("Pass", "Succeed"):
            raise DrillError(f"state {state_name}: type {state['Type']} is not modelled by the drill")
        state_name = None if state.get("End") or state["Type"] == "Succeed" else state.get("Next")


def deliver(session: Any, event: Mapping[str, Any]) -> list[str]:
    """Deliver one event to every matching rule; run the state machines they target. Returns calls made."""
    from moto.events.models import EventPattern

    events, sfn = session.client("events"), session.client("stepfunctions")
    calls: list[str] = []
    for rule in events.list_rules()["Rules"]:
        pattern = rule.get("EventPattern")
        if not pattern or not EventPattern.load(pattern).matches_event(dict(event)):  # type: ignore[arg-type]
            continue
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
            if ":stateMachine:" not in target["Arn"]:
                continue
            sfn.start_execution(stateMachineArn=target["Arn"], input=json.dumps(event))  # the audit trail
            definition = json.loads(sfn.describe_state_machine(stateMachineArn=target["Arn"])["definition"])
            _run_states(session, definition, calls)
    return calls


def rotation_succeeded(secret_arn: str) -> dict[str, Any]:
    """The event Secrets Manager emits after a rotation (a non-API event delivered via CloudTrail)."""
    return {
        "source": "aws.secretsmanager",
        "detail-type": "AWS Service Event via CloudTrail",
        "detail": {
            "eventSource": "secretsmanager.amazonaws.com",
            "eventName": "RotationSucceeded",
            "additionalEventData": {"SecretId": secret_arn},
        },
    }
