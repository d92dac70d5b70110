"""The service tier in both stacks: each service's execution and task roles, ECS Exec, deployment behaviour."""

from __future__ import annotations

import json

import pytest

from arbiter_tools.runtime import ACCOUNT_ID, Deployment, run_program
from tests.conftest import stack_sections
from tests.program.service_helpers import (
    LISTENER,
    LISTENER_RULE,
    SCALING_POLICY,
    SCALING_TARGET,
    SERVICES,
    USES_DATABASE,
    container,
    db_cluster,
    env_of,
    log_group,
    master_secret_arn,
    policies_of,
    role,
    secret_arn,
    service,
    stack_key_arn,
    statements,
    target_group,
    task_def,
)

# --- IAM ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_task_and_execution_roles_are_distinct_and_trust_ecs_tasks(deployment: Deployment, svc: str) -> None:
    env = env_of(deployment)
    exec_role = role(deployment, f"arbiter-{env}-{svc}-exec")
    task_role = role(deployment, f"arbiter-{env}-{svc}-task")
    td = task_def(deployment, svc)
    assert td.inputs["executionRoleArn"] == exec_role.outputs["arn"]
    assert td.inputs["taskRoleArn"] == task_role.outputs["arn"]
    assert exec_role.urn != task_role.urn and td.inputs["executionRoleArn"] != td.inputs["taskRoleArn"]
    for r in (exec_role, task_role):
        assert len(r.inputs["name"]) <= 64
        [stmt] = json.loads(r.inputs["assumeRolePolicy"])["Statement"]
        assert stmt["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert stmt["Action"] == "sts:AssumeRole"
        assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
        assert not deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") or all(
            a.inputs["role"] not in (r.id, r.inputs["name"])
            for a in deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        )


@pytest.mark.parametrize("svc", SERVICES)
def test_execution_role_policy_is_exact(deployment: Deployment, svc: str) -> None:
    env = env_of(deployment)
    exec_role = role(deployment, f"arbiter-{env}-{svc}-exec")
    [policy] = policies_of(deployment, exec_role)
    stmts = statements(policy)
    repo = {"trading-core": "arbiter-engine", "telegram-bot": "telegram-bot", "web-api": "web-api"}[svc]
    assert stmts["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert stmts["EcrLogin"]["Resource"] == ["*"]
    assert stmts["PullOwnImage"]["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert stmts["PullOwnImage"]["Resource"] == [f"arn:aws:ecr:us-east-1:{ACCOUNT_ID}:repository/{repo}"]
    lg = log_group(deployment, f"/ecs/arbiter-{env}-{svc}")
    assert stmts["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert stmts["WriteOwnLogs"]["Resource"] == [f"{lg.outputs['arn']}:*"]
    # Exactly the distinct secrets its task definition references.
    referenced = {":".join(s["valueFrom"].split(":")[:7]) for s in container(deployment, svc)["secrets"]}
    assert stmts["ReadInjectedSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert set(stmts["ReadInjectedSecrets"]["Resource"]) == referenced
    assert len(stmts["ReadInjectedSecrets"]["Resource"]) == len(referenced)
    # Its own Redis user's secret only: no service can read another's Redis password.
    expected = {secret_arn(deployment, f"arbiter-{env}/redis-{svc}")}
    if svc == "trading-core":
        expected |= {
            secret_arn(deployment, f"arbiter-{env}/polymarket"),
            secret_arn(deployment, f"arbiter-{env}/kalshi"),
        }
    if svc == "telegram-bot":
        expected |= {secret_arn(deployment, f"arbiter-{env}/telegram")}
    assert master_secret_arn(deployment) not in referenced  # no service holds the master password
    assert referenced == expected
    assert stmts["DecryptInjectedSecrets"]["Action"] == ["kms:Decrypt"]
    assert stmts["DecryptInjectedSecrets"]["Resource"] == [stack_key_arn(deployment)]
    assert set(stmts) == {
        "EcrLogin",
        "PullOwnImage",
        "WriteOwnLogs",
        "ReadInjectedSecrets",
        "DecryptInjectedSecrets",
    }


def test_exec_role_policies_have_no_wildcards_beyond_unscopable(deployment: Deployment) -> None:
    from arbiter_infra.iam import UNSCOPABLE_ACTIONS

    for svc in SERVICES:
        for r in (
            role(deployment, f"arbiter-{env_of(deployment)}-{svc}-exec"),
            role(deployment, f"arbiter-{env_of(deployment)}-{svc}-task"),
        ):
            for p in policies_of(deployment, r):
                for stmt in statements(p).values():
                    assert not any(a == "*" or a.endswith(":*") for a in stmt["Action"])
                    if "*" in stmt["Resource"]:
                        assert set(stmt["Action"]) <= UNSCOPABLE_ACTIONS


@pytest.mark.parametrize("svc", USES_DATABASE)
def test_each_database_user_may_connect_as_itself_only(deployment: Deployment, svc: str) -> None:
    task_role = role(deployment, f"arbiter-{env_of(deployment)}-{svc}-task")
    [policy] = policies_of(deployment, task_role)
    stmts = statements(policy)
    resource_id = db_cluster(deployment).outputs["clusterResourceId"]
    assert resource_id.startswith("cluster-")
    assert stmts == {
        "IamDatabaseAuth": {
            "Sid": "IamDatabaseAuth",
            "Effect": "Allow",
            "Action": ["rds-db:connect"],
            "Resource": [
                f"arn:aws:rds-db:us-east-1:{ACCOUNT_ID}:dbuser:{resource_id}/{svc.replace('-', '_')}"
            ],
        }
    }


def test_bot_task_role_has_no_policy(deployment: Deployment) -> None:
    task_role = role(deployment, f"arbiter-{env_of(deployment)}-telegram-bot-task")
    assert policies_of(deployment, task_role) == []
    assert "inlinePolicies" not in task_role.inputs or not task_role.inputs["inlinePolicies"]


def test_exec_off_by_default(deployment: Deployment) -> None:
    for svc in SERVICES:
        assert service(deployment, svc).inputs["enableExecuteCommand"] is False


def test_enable_exec_turns_on_exec_and_its_task_permissions() -> None:
    """Staging with ECS Exec switched on."""
    services = stack_sections("staging")["services"]
    services["enableExec"] = True
    exec_d = run_program("staging", config_overrides={"services": services})
    exec_logs = log_group(exec_d, "/ecs/arbiter-staging/exec")
    for svc in SERVICES:
        assert service(exec_d, svc).inputs["enableExecuteCommand"] is True
        [policy] = policies_of(exec_d, role(exec_d, f"arbiter-staging-{svc}-task"))
        stmts = statements(policy)
        assert stmts["EcsExecChannel"]["Action"] == [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ]
        assert stmts["EcsExecSessionLogs"]["Resource"] == [f"{exec_logs.outputs['arn']}:*"]
        assert stmts["EcsExecSessionKey"]["Resource"] == [stack_key_arn(exec_d)]
        assert ("IamDatabaseAuth" in stmts) == (svc in USES_DATABASE)


# --- deployment behaviour --------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_deployment_settings(deployment: Deployment, svc: str) -> None:
    ecs = service(deployment, svc)
    assert ecs.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert ecs.inputs["waitForSteadyState"] is False
    assert ecs.inputs["propagateTags"] == "SERVICE"
    assert ecs.inputs["enableEcsManagedTags"] is True
    assert ecs.inputs["platformVersion"] == "LATEST"
    assert [s["capacityProvider"] for s in ecs.inputs["capacityProviderStrategies"]] == ["FARGATE"]
    # trading-core never surges past its desired count (single writer, test_deploy_safety.py).
    assert ecs.inputs["deploymentMaximumPercent"] == (100 if svc == "trading-core" else 200)
    cps = deployment.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert cps.urn in ecs.dependencies


def test_trading_core_is_replaced_stop_before_start(deployment: Deployment) -> None:
    """Two trading revisions at once cost more than a gap: its old tasks may all stop first."""
    assert service(deployment, "trading-core").inputs["deploymentMinimumHealthyPercent"] == 0


def test_web_api_is_created_after_its_listeners_and_rule(deployment: Deployment) -> None:
    web = service(deployment, "web-api")
    for listener in deployment.of_type(LISTENER):
        assert listener.urn in web.dependencies
    rules = deployment.of_type(LISTENER_RULE)
    assert rules and all(rule.urn in web.dependencies for rule in rules)
    assert web.inputs["healthCheckGracePeriodSeconds"] > 0
    lbs = {lb["targetGroupArn"]: lb for lb in web.inputs["loadBalancers"]}
    assert set(lbs) == {
        target_group(deployment, "HTTP1").outputs["arn"],
        target_group(deployment, "GRPC").outputs["arn"],
    }
    assert all(lb["containerName"] == "web-api" and lb["containerPort"] == 8080 for lb in lbs.values())
    for svc in ("trading-core", "telegram-bot"):
        assert (
            "loadBalancers" not in service(deployment, svc).inputs
            or not service(deployment, svc).inputs["loadBalancers"]
        )


def test_autoscaling_only_for_web_api(deployment: Deployment) -> None:
    [target] = deployment.of_type(SCALING_TARGET)
    [policy] = deployment.of_type(SCALING_POLICY)
    env = env_of(deployment)
    min_max = {"staging": (1, 3), "prod": (2, 6)}[env]
    assert target.inputs["resourceId"] == f"service/arbiter-{env}/web-api"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == min_max
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["resourceId"] == target.inputs["resourceId"]
    tt = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tt["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert tt["targetValue"] == 60
    assert not any("trading-core" in t.inputs["resourceId"] for t in deployment.of_type(SCALING_TARGET))
