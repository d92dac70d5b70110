"""ECS tasks and services, and the ECR repositories their images come from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import Severity

from policies.base import (
    UNKNOWN,
    ArbiterPolicy,
    Res,
    StackView,
    as_list,
    dig,
    index_by,
    is_blank,
    is_false_or_absent,
    is_true,
    json_value,
    number,
)
from policies.identity import statements
from policies.resource_types import (
    ECR_LIFECYCLE_POLICY,
    ECR_REPOSITORY,
    ECR_REPOSITORY_POLICY,
    ECS_CLUSTER,
    ECS_SERVICE,
    TASK_DEFINITION,
)


def _containers(res: Res) -> list[dict[str, Any]]:
    parsed = json_value(res.get("containerDefinitions"))
    return [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else []


def _no_privilege(res: Res) -> Iterator[str]:
    if res.get("pidMode") == "host":
        yield "pidMode is 'host': containers see every process on the host"
    for container in _containers(res):
        if is_true(container.get("privileged")):
            yield f"container {container.get('name', '?')} is privileged"


def _read_only_root(res: Res) -> Iterator[str]:
    for container in _containers(res):
        if is_false_or_absent(container.get("readonlyRootFilesystem")):
            yield f"container {container.get('name', '?')}: readonlyRootFilesystem is not true"


def _awslogs(res: Res) -> Iterator[str]:
    for container in _containers(res):
        driver = dig(container, "logConfiguration", "logDriver")
        if driver is not UNKNOWN and driver != "awslogs":
            shown = driver or "no logConfiguration"
            yield f"container {container.get('name', '?')}: {shown}; logs must go to CloudWatch (awslogs)"


def _awslogs_non_blocking(res: Res) -> Iterator[str]:
    for container in _containers(res):
        if dig(container, "logConfiguration", "logDriver") != "awslogs":
            continue  # not awslogs (or unknown): ecs-awslogs-logging judges the driver
        options = dig(container, "logConfiguration", "options")
        mode = dig(options, "mode")
        if mode is UNKNOWN or dig(options, "max-buffer-size") is UNKNOWN:
            continue
        if mode != "non-blocking":
            yield (
                f"container {container.get('name', '?')}: awslogs mode is {mode or 'unset (blocking)'}; "
                "a throttled log stream would stall the process"
            )
        elif is_blank(dig(options, "max-buffer-size")):
            yield f"container {container.get('name', '?')}: non-blocking awslogs without max-buffer-size"


def _container_insights(res: Res) -> Iterator[str]:
    settings = res.get("settings")
    if settings is UNKNOWN:
        return
    for setting in as_list(settings):
        name = dig(setting, "name")
        if name is UNKNOWN or (name == "containerInsights" and dig(setting, "value") is UNKNOWN):
            return  # an unknown setting may be the one that enables it
    values = [dig(s, "value") for s in as_list(settings) if dig(s, "name") == "containerInsights"]
    if not any(v in ("enabled", "enhanced") for v in values):
        yield "Container Insights is not enabled on the cluster (setting containerInsights)"


def _circuit_breaker(res: Res) -> Iterator[str]:
    if dig(res.get("deploymentController"), "type") in ("CODE_DEPLOY", "EXTERNAL", UNKNOWN):
        return  # another controller (possibly, when unknown) replaces the circuit breaker
    breaker = res.get("deploymentCircuitBreaker")
    if breaker is UNKNOWN:
        return
    if is_false_or_absent(dig(breaker, "enable")) or is_false_or_absent(dig(breaker, "rollback")):
        yield "deploymentCircuitBreaker must have enable=true and rollback=true: a bad image would stay deployed"


def _deployment_alarms(res: Res) -> Iterator[str]:
    if dig(res.get("deploymentController"), "type") in ("CODE_DEPLOY", "EXTERNAL", UNKNOWN):
        return  # ECS deployment alarms exist only for the ECS controller
    alarms = res.get("alarms")
    if alarms is UNKNOWN or dig(alarms, "alarmNames") is UNKNOWN:
        return
    if is_false_or_absent(dig(alarms, "enable")) or is_false_or_absent(dig(alarms, "rollback")):
        yield "alarms must have enable=true and rollback=true: a release that is healthy but failing would stay"
    elif not as_list(dig(alarms, "alarmNames")):
        yield "alarms names no CloudWatch alarm: nothing would roll a bad release back"


#: ECS strategies that move a load balancer's traffic to a new revision in steps, with a bake time.
GRADUAL_STRATEGIES: Final = ("CANARY", "LINEAR", "BLUE_GREEN")


def _gradual_in_prod(res: Res) -> Iterator[str]:
    balancers = res.get("loadBalancers")
    if not res.is_prod or balancers is UNKNOWN or not as_list(balancers):
        return
    if dig(res.get("deploymentController"), "type") in ("CODE_DEPLOY", "EXTERNAL", UNKNOWN):
        return  # CodeDeploy or an external controller shifts traffic itself
    config = res.get("deploymentConfiguration")
    strategy = dig(config, "strategy")
    if strategy is UNKNOWN or dig(config, "bakeTimeInMinutes") is UNKNOWN:
        return
    if strategy not in GRADUAL_STRATEGIES:
        yield (
            f"a prod service behind a load balancer deploys {strategy or 'ROLLING'}: a bad release takes "
            "all traffic at once; use CANARY, LINEAR or BLUE_GREEN"
        )
    elif (number(dig(config, "bakeTimeInMinutes")) or 0) <= 0:
        yield f"{strategy} without a bake time: the old revision is gone the moment traffic has moved"


def _fargate_platform(res: Res) -> Iterator[str]:
    version = res.get("platformVersion")
    if isinstance(version, str) and version != "LATEST":
        yield f"platformVersion is pinned to {version}: use LATEST to receive Fargate security fixes"


def _scan_on_push(res: Res) -> Iterator[str]:
    if is_false_or_absent(res.get("imageScanningConfiguration", "scanOnPush")):
        yield "imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned"


def _immutable_tags(res: Res) -> Iterator[str]:
    mutability = res.get("imageTagMutability")
    if mutability is not UNKNOWN and mutability not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield f"imageTagMutability is {mutability or 'MUTABLE (default)'}: a tag could be moved to another image"


def _ecr_kms(res: Res) -> Iterator[str]:
    configs = res.get("encryptionConfigurations")
    if configs is UNKNOWN:
        return
    first = as_list(configs)[0] if as_list(configs) else None
    if dig(first, "encryptionType") not in ("KMS", UNKNOWN) or is_blank(dig(first, "kmsKey")):
        yield "encryptionConfigurations is not KMS with the project's kmsKey"


def _repository_policy_public(res: Res) -> Iterator[str]:
    for stmt in statements(json_value(res.get("policy"))):
        principal = stmt.get("Principal")
        public = principal == "*" or "*" in as_list(dig(principal, "AWS"))
        if stmt.get("Effect") == "Allow" and public and not stmt.get("Condition"):
            yield f"repository policy statement {stmt.get('Sid', '')} allows any principal ('*')".replace(
                "  ", " "
            )


def _lifecycle(view: StackView) -> Iterator[tuple[str, str | None]]:
    policies, unknown = index_by(view.of_type(ECR_LIFECYCLE_POLICY), "repository")
    if unknown:
        return
    for repo in view.of_type(ECR_REPOSITORY):
        refs = {repo.get("id"), repo.get("name")} - {None}
        if UNKNOWN in refs or not refs:
            continue
        if not refs & set(policies):
            yield "repository has no lifecycle policy: untagged and old images accumulate", repo.urn


POLICIES: Final = [
    ArbiterPolicy(
        name="ecs-no-privileged-containers",
        description="No container runs privileged or shares the host's process namespace.",
        severity=Severity.HIGH,
        controls=("ECS.4", "ECS.3"),
        remediation="Remove `privileged` from container definitions and do not set pid_mode='host'.",
        resource_types=(TASK_DEFINITION,),
        check=_no_privilege,
    ),
    ArbiterPolicy(
        name="ecs-read-only-root-filesystem",
        description="Containers have a read-only root filesystem; writable paths are explicit volumes.",
        severity=Severity.MEDIUM,
        controls=("ECS.5",),
        remediation="Set readonlyRootFilesystem: true and mount a volume for any path the process writes.",
        resource_types=(TASK_DEFINITION,),
        check=_read_only_root,
    ),
    ArbiterPolicy(
        name="ecs-awslogs-logging",
        description="Every container logs to CloudWatch through the awslogs driver.",
        severity=Severity.MEDIUM,
        controls=("ECS.9", "ECS7"),
        remediation="Give each container logConfiguration {logDriver: awslogs, options: {awslogs-group, ...}}.",
        resource_types=(TASK_DEFINITION,),
        check=_awslogs,
    ),
    ArbiterPolicy(
        name="ecs-awslogs-non-blocking",
        description=(
            "awslogs delivers in non-blocking mode with a buffer: a throttled or unreachable CloudWatch "
            "Logs never stalls a container's writes (and so never stalls trading)."
        ),
        severity=Severity.MEDIUM,
        controls=("ARBITER-REL-2",),
        remediation="Add options {mode: non-blocking, max-buffer-size: 25m} to each awslogs logConfiguration.",
        resource_types=(TASK_DEFINITION,),
        check=_awslogs_non_blocking,
    ),
    ArbiterPolicy(
        name="ecs-container-insights",
        description="ECS clusters have Container Insights enabled.",
        severity=Severity.LOW,
        controls=("ECS.12", "ECS4"),
        remediation="Set settings=[{'name': 'containerInsights', 'value': 'enabled'}] on the cluster.",
        resource_types=(ECS_CLUSTER,),
        check=_container_insights,
    ),
    ArbiterPolicy(
        name="ecs-circuit-breaker-rollback",
        description="ECS deployments that cannot stabilize stop and roll back to the last working revision.",
        severity=Severity.MEDIUM,
        controls=("ARBITER-REL-1",),
        remediation="Set deployment_circuit_breaker={'enable': True, 'rollback': True} on every ECS service.",
        resource_types=(ECS_SERVICE,),
        check=_circuit_breaker,
    ),
    ArbiterPolicy(
        name="ecs-deployment-alarms-rollback",
        description="ECS deployments watch CloudWatch alarms and roll back when one fires.",
        severity=Severity.MEDIUM,
        controls=("ARBITER-REL-3",),
        remediation="Set alarms={'alarm_names': [...], 'enable': True, 'rollback': True} on every ECS service "
        "(rows marked deployment in components/alarms.py).",
        resource_types=(ECS_SERVICE,),
        check=_deployment_alarms,
    ),
    ArbiterPolicy(
        name="ecs-prod-gradual-traffic-shift",
        description="A prod ECS service behind a load balancer shifts traffic gradually, with a bake time.",
        severity=Severity.MEDIUM,
        controls=("ARBITER-REL-4",),
        remediation="Set services.<name>.deployment.strategy to canary or linear with bakeMinutes in the stack "
        "file (an alternate target group and production listener rule per group).",
        resource_types=(ECS_SERVICE,),
        check=_gradual_in_prod,
    ),
    ArbiterPolicy(
        name="ecs-fargate-latest-platform",
        description="Fargate services run on the LATEST platform version.",
        severity=Severity.LOW,
        controls=("ECS.10",),
        remediation="Remove platform_version or set it to 'LATEST'.",
        resource_types=(ECS_SERVICE,),
        check=_fargate_platform,
    ),
    ArbiterPolicy(
        name="ecr-scan-on-push",
        description="ECR repositories scan images for vulnerabilities when they are pushed.",
        severity=Severity.MEDIUM,
        controls=("ECR.1",),
        remediation="Set image_scanning_configuration={'scan_on_push': True}.",
        resource_types=(ECR_REPOSITORY,),
        check=_scan_on_push,
    ),
    ArbiterPolicy(
        name="ecr-immutable-tags",
        description="ECR image tags are immutable, so a deployed tag always means the same image.",
        severity=Severity.MEDIUM,
        controls=("ECR.2",),
        remediation="Set image_tag_mutability='IMMUTABLE'.",
        resource_types=(ECR_REPOSITORY,),
        check=_immutable_tags,
    ),
    ArbiterPolicy(
        name="ecr-encrypted-with-cmk",
        description="ECR repositories are encrypted with the project's customer-managed KMS key.",
        severity=Severity.MEDIUM,
        controls=("ECR_REPOSITORY_CMK_ENCRYPTION_ENABLED",),
        remediation="Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': key.arn}].",
        resource_types=(ECR_REPOSITORY,),
        check=_ecr_kms,
    ),
    ArbiterPolicy(
        name="ecr-repository-not-public",
        description="ECR repository policies do not grant access to any principal ('*').",
        severity=Severity.HIGH,
        controls=("ECR1",),
        remediation="Name the account or role principals in the repository policy, or add a condition.",
        resource_types=(ECR_REPOSITORY_POLICY,),
        check=_repository_policy_public,
    ),
    ArbiterPolicy(
        name="ecr-lifecycle-policy",
        description="Every ECR repository has a lifecycle policy that expires old images.",
        severity=Severity.LOW,
        controls=("ECR.3",),
        remediation="Declare aws.ecr.LifecyclePolicy(repository=repo.name, policy=...) keeping the last N images.",
        resource_types=(ECR_REPOSITORY, ECR_LIFECYCLE_POLICY),
        stack_check=_lifecycle,
    ),
]
