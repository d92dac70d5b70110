"""Redeploy on rotation: every service that injects the RDS-managed master secret is restarted by
AWS's own parts (EventBridge -> Step Functions -> ecs:UpdateService) after each rotation.

Every ARN compared here is read from the mocked outputs of the resource that owns it, so the
definitions and policies built in `apply` callbacks are what is checked.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter_infra import iam
from arbiter_tools.iam_eval import Request, evaluate
from arbiter_tools.runtime import DeclaredResource, Deployment, run_program
from components import rotation_redeploy
from tests.conftest import stack_sections
from tests.program.delivery_support import boundary_of

MACHINE = "aws:sfn/stateMachine:StateMachine"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _master_secret_arn(d: Deployment) -> str:
    return str(d.one("aws:rds/cluster:Cluster").outputs["masterUserSecrets"][0]["secretArn"])


def _injectors(d: Deployment) -> set[str]:
    """ECS service ids whose task definition injects any key of the master secret."""
    master = _master_secret_arn(d)
    by_task_def = {}
    for td in d.of_type(TASK_DEF):
        containers = json.loads(td.inputs["containerDefinitions"])
        injected = {s["valueFrom"] for c in containers for s in c.get("secrets", [])}
        by_task_def[td.outputs["arn"]] = any(v.startswith(f"{master}:") for v in injected)
    return {s.id for s in d.of_type(ECS_SERVICE) if by_task_def[s.inputs["taskDefinition"]]}


def _definition(d: Deployment) -> dict[str, Any]:
    return json.loads(d.one(MACHINE).inputs["definition"])


def _redeployed(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Service ARN -> its task state, from the parallel branches."""
    [parallel] = definition["States"].values()
    assert parallel["Type"] == "Parallel"
    out = {}
    for branch in parallel["Branches"]:
        [task] = branch["States"].values()
        out[task["Parameters"]["Service"]] = task
    return out


def _role_policy(d: Deployment, role: DeclaredResource) -> dict[str, Any]:
    [policy] = [p for p in d.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def _role(d: Deployment, name: str) -> DeclaredResource:
    [role] = [r for r in d.of_type(ROLE) if r.inputs["name"] == name]
    return role


def test_every_service_that_injects_the_master_secret_is_redeployed(deployment: Deployment) -> None:
    injectors = _injectors(deployment)
    assert len(injectors) == 2  # trading-core and web-api in both stack files
    tasks = _redeployed(_definition(deployment))
    assert set(tasks) == injectors
    cluster = deployment.one("aws:ecs/cluster:Cluster").outputs["arn"]
    for task in tasks.values():
        assert task["Resource"] == "arn:aws:states:::aws-sdk:ecs:updateService"
        assert task["Parameters"]["Cluster"] == cluster
        assert task["Parameters"]["ForceNewDeployment"] is True
        assert task["Retry"][0]["ErrorEquals"] == ["States.ALL"] and task["Retry"][0]["MaxAttempts"] >= 2


def test_the_consumers_follow_the_database_setting() -> None:
    """A service that stops using the database stops injecting the secret and is no longer redeployed."""
    services = stack_sections("staging")["services"]
    services["webApi"] = {**services["webApi"], "usesDatabase": False}
    d = run_program("staging", config_overrides={"services": services})
    injectors = _injectors(d)
    assert len(injectors) == 1
    assert set(_redeployed(_definition(d))) == injectors


def test_no_database_user_no_redeploy() -> None:
    services = stack_sections("staging")["services"]
    for key in ("tradingCore", "webApi"):
        services[key] = {**services[key], "usesDatabase": False}
    d = run_program("staging", config_overrides={"services": services})
    assert d.of_type(MACHINE) == [] and d.of_type(RULE) == []
    assert "rotationRedeployStateMachineArn" not in d.outputs


def test_the_rule_matches_only_a_successful_rotation_of_the_master_secret(deployment: Deployment) -> None:
    rule = deployment.one(RULE)
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.secretsmanager"],
        "detail-type": ["AWS Service Event via CloudTrail"],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": ["RotationSucceeded"],
            "additionalEventData": {"SecretId": [_master_secret_arn(deployment)]},
        },
    }
    target = deployment.one(TARGET)
    machine = deployment.one(MACHINE)
    assert target.inputs["rule"] == rule.outputs["name"]
    assert target.inputs["arn"] == machine.outputs["arn"]


def test_state_machine_role_may_only_update_those_services(deployment: Deployment) -> None:
    machine = deployment.one(MACHINE)
    role = _role(deployment, f"arbiter-{deployment.stack}-db-rotation-sfn")
    assert machine.inputs["roleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    statements = _role_policy(deployment, role)
    assert set(statements) == {"RedeployConsumers", "DeliverExecutionLogs", "SendTraces"}
    assert statements["RedeployConsumers"]["Action"] == ["ecs:UpdateService"]
    assert set(statements["RedeployConsumers"]["Resource"]) == _injectors(deployment)
    # Log and trace delivery have no resource type; nothing else is granted on "*".
    assert all(a.startswith("logs:") for a in statements["DeliverExecutionLogs"]["Action"])
    assert sorted(statements["SendTraces"]["Action"]) == sorted(iam.XRAY_WRITE_ACTIONS)


def test_state_machine_is_traced_and_its_role_may_send_traces_within_the_boundary(
    deployment: Deployment,
) -> None:
    """checkov CKV_AWS_284: X-Ray tracing on; the role and the boundary that caps it allow the writes."""
    machine = deployment.one(MACHINE)
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    boundary = boundary_of(deployment)
    for action in iam.XRAY_WRITE_ACTIONS:
        assert evaluate([boundary], Request(action, "*")).verdict == "allowed", action


def test_eventbridge_role_may_only_start_this_machine(deployment: Deployment) -> None:
    target, rule, machine = deployment.one(TARGET), deployment.one(RULE), deployment.one(MACHINE)
    role = _role(deployment, f"arbiter-{deployment.stack}-db-rotated-events")
    assert target.inputs["roleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"]["ArnEquals"] == {"aws:SourceArn": rule.outputs["arn"]}
    statements = _role_policy(deployment, role)
    assert statements == {
        "StartRedeploy": {
            "Sid": "StartRedeploy",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [machine.outputs["arn"]],
        }
    }


def test_state_machine_logs_everything_to_an_encrypted_retained_group(deployment: Deployment) -> None:
    machine = deployment.one(MACHINE)
    assert machine.inputs["type"] == "STANDARD"
    logging = machine.inputs["loggingConfiguration"]
    [group] = [
        g for g in deployment.of_type(LOG_GROUP) if g.inputs["name"].startswith("/aws/vendedlogs/states/")
    ]
    assert logging == {
        "logDestination": f"{group.outputs['arn']}:*",
        "includeExecutionData": True,
        "level": "ALL",
    }
    assert (
        group.inputs["kmsKeyId"]
        == deployment.one("aws:kms/key:Key", f"arbiter-{deployment.stack}-key-key").outputs["arn"]
    )
    assert group.inputs["retentionInDays"] == rotation_redeploy.LOG_RETENTION_DAYS


def test_the_machine_is_created_after_its_role_may_deliver_logs(deployment: Deployment) -> None:
    machine = deployment.one(MACHINE)
    role = _role(deployment, f"arbiter-{deployment.stack}-db-rotation-sfn")
    [policy] = [p for p in deployment.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
    assert policy.urn in machine.dependencies


def test_the_state_machine_arn_is_a_stack_output(deployment: Deployment) -> None:
    assert deployment.outputs["rotationRedeployStateMachineArn"] == deployment.one(MACHINE).outputs["arn"]
