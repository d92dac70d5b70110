"""`policies/containers.py`: ECS (privileges, logs, insights, rollback, platform) and ECR (scanning, tags, keys, access, lifecycle)."""

from __future__ import annotations

import pytest

from policies import containers
from tests.policies.builder import container, doc, with_container
from tests.policies.cases import (
    ENVIRONMENTS,
    Case,
    assert_cases_cover,
    assert_happy_path,
    assert_violation,
    case_id,
    run,
)
from tests.policies.compliant import compliant_stack

#: A load-balancer attachment of the compliant service (the gradual-shift rule's precondition).
LB = {
    "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1",
    "containerPort": 8080,
}

CASES: list[Case] = [
    Case(
        "ecs-no-privileged-containers",
        lambda b: with_container(b, privileged=True),
        "container web-api is privileged",
    ),
    Case(
        "ecs-no-privileged-containers",
        lambda b: b.set("web-api-task", pidMode="host"),
        "pidMode is 'host'",
        id="pid-host",
    ),
    Case(
        "ecs-read-only-root-filesystem",
        lambda b: with_container(b, readonlyRootFilesystem=False),
        "readonlyRootFilesystem is not true",
    ),
    Case("ecs-awslogs-logging", lambda b: with_container(b, logConfiguration=None), "no logConfiguration"),
    Case(
        "ecs-awslogs-non-blocking",
        lambda b: with_container(
            b, logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "g"}}
        ),
        "awslogs mode is unset (blocking); a throttled log stream would stall the process",
        id="blocking",
    ),
    Case(
        "ecs-awslogs-non-blocking",
        lambda b: with_container(
            b,
            logConfiguration={
                "logDriver": "awslogs",
                "options": {"awslogs-group": "g", "mode": "non-blocking"},
            },
        ),
        "non-blocking awslogs without max-buffer-size",
        id="no-buffer",
        environment="staging",
    ),
    Case(
        "ecs-container-insights", lambda b: b.set("cluster", settings=[]), "Container Insights is not enabled"
    ),
    Case(
        "ecs-circuit-breaker-rollback",
        lambda b: b.set("web-api", deploymentCircuitBreaker={"enable": True, "rollback": False}),
        "rollback=true",
    ),
    Case(
        "ecs-deployment-alarms-rollback",
        lambda b: b.set("web-api", alarms={"alarmNames": ["a"], "enable": True, "rollback": False}),
        "enable=true and rollback=true",
    ),
    Case(
        "ecs-deployment-alarms-rollback",
        lambda b: b.drop("web-api", "alarms"),
        "enable=true and rollback=true",
        id="absent",
        environment="staging",
    ),
    Case(
        "ecs-deployment-alarms-rollback",
        lambda b: b.set("web-api", alarms={"alarmNames": [], "enable": True, "rollback": True}),
        "names no CloudWatch alarm",
        id="no-alarm",
    ),
    Case(
        "ecs-prod-gradual-traffic-shift",
        lambda b: b.set("web-api", loadBalancers=[LB], deploymentConfiguration={"strategy": "ROLLING"}),
        "deploys ROLLING: a bad release takes all traffic at once",
    ),
    Case(
        "ecs-prod-gradual-traffic-shift",
        lambda b: b.set("web-api", loadBalancers=[LB]),
        "deploys ROLLING",
        id="default-strategy",
    ),
    Case(
        "ecs-prod-gradual-traffic-shift",
        lambda b: b.set(
            "web-api",
            loadBalancers=[LB],
            deploymentConfiguration={"strategy": "CANARY", "bakeTimeInMinutes": "0"},
        ),
        "CANARY without a bake time",
        id="no-bake",
    ),
    Case(
        "ecs-fargate-latest-platform", lambda b: b.set("web-api", platformVersion="1.3.0"), "pinned to 1.3.0"
    ),
    Case(
        "ecr-scan-on-push",
        lambda b: b.set("web-api-repo", imageScanningConfiguration={"scanOnPush": False}),
        "scanOnPush is not true",
    ),
    Case("ecr-immutable-tags", lambda b: b.drop("web-api-repo", "imageTagMutability"), "MUTABLE (default)"),
    Case(
        "ecr-encrypted-with-cmk",
        lambda b: b.set("web-api-repo", encryptionConfigurations=[{"encryptionType": "AES256"}]),
        "is not KMS",
    ),
    Case(
        "ecr-repository-not-public",
        lambda b: b.set(
            "web-api-repo-policy",
            policy=doc({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}),
        ),
        "statement Open allows any principal",
    ),
    Case(
        "ecr-lifecycle-policy", lambda b: b.remove("web-api-lifecycle"), "repository has no lifecycle policy"
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(containers.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(containers.POLICIES, CASES)


def test_multiple_containers_each_checked() -> None:
    b = compliant_stack()
    b.containers("web-api-task", container(), container(name="sidecar", readonlyRootFilesystem=False))
    fired = run(b)
    assert [v.message for v in fired] == ["container sidecar: readonlyRootFilesystem is not true"]


def test_a_canary_with_a_bake_time_passes_and_staging_may_roll() -> None:
    """The gradual-shift rule judges prod services behind a load balancer only."""
    b = compliant_stack("prod")
    canary = {"strategy": "CANARY", "bakeTimeInMinutes": "15", "canaryConfiguration": {"canaryPercent": 10}}
    b.set("web-api", loadBalancers=[LB], deploymentConfiguration=canary)
    assert [v for v in run(b) if v.policy == "ecs-prod-gradual-traffic-shift"] == []
    staging = compliant_stack("staging")
    staging.set("web-api", loadBalancers=[LB], deploymentConfiguration={"strategy": "ROLLING"})
    assert [v for v in run(staging) if v.policy == "ecs-prod-gradual-traffic-shift"] == []
