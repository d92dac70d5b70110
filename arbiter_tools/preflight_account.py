"""Preflight's checks of what the account allows: the service-linked roles AWS creates on first use
(as the caller, who must be allowed to), and the Fargate vCPU quota a rolling deploy needs.
"""

from __future__ import annotations

import math
from typing import Any

from botocore.exceptions import ClientError

from arbiter_infra.config import StackConfig
from arbiter_tools import capacity
from arbiter_tools.preflight_checks import UNANSWERED, Check, api_error, denied

FARGATE_SERVICE_CODE = "fargate"
#: "Fargate On-Demand vCPU resource count", per account and region.
FARGATE_VCPU_QUOTA_CODE = "L-3032A538"
#: AWS's documented default for that quota, used when the quota API has no value to give. New
#: accounts may start lower and are raised with usage; the API value, when there is one, wins.
FARGATE_VCPU_DEFAULT = 6.0

#: (label, AWS service principal, role name) of the service-linked roles a stack needs.
ECS_SLR = ("ECS", "ecs.amazonaws.com", "AWSServiceRoleForECS")
ELASTICACHE_SLR = ("ElastiCache", "elasticache.amazonaws.com", "AWSServiceRoleForElastiCache")
RDS_SLR = ("RDS", "rds.amazonaws.com", "AWSServiceRoleForRDS")
AUTOSCALING_SLR = (
    "Application Auto Scaling (ECS)",
    "ecs.application-autoscaling.amazonaws.com",
    "AWSServiceRoleForApplicationAutoScaling_ECSService",
)


# --- service-linked roles ---------------------------------------------------------------------


def required_service_linked_roles(config: StackConfig) -> list[tuple[str, str, str]]:
    roles = [ECS_SLR, ELASTICACHE_SLR, RDS_SLR]
    if any(cfg.autoscaled for cfg in config.services.by_name().values()):
        roles.append(AUTOSCALING_SLR)
    return roles


def _principal_arn(iam: Any, caller_arn: str) -> str | None:
    """The IAM ARN policies are attached to: the role behind an assumed-role session, or the user."""
    parts = caller_arn.split(":", 5)
    if len(parts) != 6:
        return None
    account, resource = parts[4], parts[5]
    if resource.startswith("user/"):
        return f"arn:aws:iam::{account}:{resource}"
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        try:
            return str(iam.get_role(RoleName=role)["Role"]["Arn"])  # with its path
        except ClientError:
            return f"arn:aws:iam::{account}:role/{role}"
    return None


def check_service_linked_role(
    iam: Any, identity: dict[str, str], label: str, principal: str, role: str
) -> Check:
    """The role exists, or the caller may create it (AWS creates it on first use, as the caller)."""
    name = f"service-linked role {role}"
    try:
        found = iam.list_roles(PathPrefix=f"/aws-service-role/{principal}/").get("Roles", [])
    except ClientError as err:
        return denied(name, "iam:ListRoles", err)
    if found:
        return Check(name, "ok", f"exists ({found[0]['Arn']})")
    if identity["Arn"].endswith(":root"):
        return Check(name, "ok", "absent; the account root may create it (use an IAM role, not root)")
    allowed, why = may_create_service_linked_role(iam, identity, principal, role)
    if allowed:
        return Check(name, "ok", f"absent; {why} ({label} creates it on first use)")
    return Check(
        name,
        "FAIL",
        f"absent, and {why}: the first {label} call of `pulumi up` would fail",
        f"aws iam create-service-linked-role --aws-service-name {principal} (or deploy the account stack)",
    )


def may_create_service_linked_role(
    iam: Any, identity: dict[str, str], principal: str, role: str
) -> tuple[bool, str]:
    """Whether the caller's policies allow iam:CreateServiceLinkedRole for `principal`, and why."""
    source = _principal_arn(iam, identity["Arn"])
    if source is None:
        return False, f"{identity['Arn']} cannot be simulated (not an IAM user or role session)"
    try:
        result = iam.simulate_principal_policy(
            PolicySourceArn=source,
            ActionNames=["iam:CreateServiceLinkedRole"],
            ResourceArns=[f"arn:aws:iam::{identity['Account']}:role/aws-service-role/{principal}/{role}"],
            ContextEntries=[
                {
                    "ContextKeyName": "iam:AWSServiceName",
                    "ContextKeyValues": [principal],
                    "ContextKeyType": "string",
                }
            ],
        )["EvaluationResults"]
    except (ClientError, *UNANSWERED) as err:
        code = api_error(err)[0] if isinstance(err, ClientError) else "not answered by this API"
        return False, f"whether {source} may create it is unknown (iam:SimulatePrincipalPolicy: {code})"
    decision = str(result[0]["EvalDecision"]) if result else "implicitDeny"
    if decision == "allowed":
        return True, f"{source} may create it"
    return False, f"{source} may not create it (iam:CreateServiceLinkedRole: {decision})"


# --- Fargate quota ----------------------------------------------------------------------------


def fargate_vcpu_quota(quotas: Any) -> tuple[float, str]:
    """The applied quota, else AWS's default for it, else the documented default."""
    try:
        quota = quotas.get_service_quota(ServiceCode=FARGATE_SERVICE_CODE, QuotaCode=FARGATE_VCPU_QUOTA_CODE)
        return float(quota["Quota"]["Value"]), "applied quota"
    except ClientError as err:
        if api_error(err)[0] != "NoSuchResourceException":
            raise
    try:
        quota = quotas.get_aws_default_service_quota(
            ServiceCode=FARGATE_SERVICE_CODE, QuotaCode=FARGATE_VCPU_QUOTA_CODE
        )
        return float(quota["Quota"]["Value"]), "AWS default, no applied value"
    except (ClientError, *UNANSWERED) as err:
        # Best effort: without an applied value, the documented default is the honest answer.
        why = api_error(err)[0] if isinstance(err, ClientError) else "no answer"
    return FARGATE_VCPU_DEFAULT, f"documented AWS default: no applied value, default lookup gave {why}"


def _vcpu(n: float) -> str:
    return f"{n:g}"


def check_fargate_quota(
    quotas: Any, config: StackConfig, other: StackConfig | None, other_note: str
) -> Check:
    """The quota must hold this stack's deploy peak plus what the other stack in the account runs."""
    name = "Fargate vCPU quota"
    try:
        quota, source = fargate_vcpu_quota(quotas)
    except ClientError as err:
        return denied(name, "servicequotas:GetServiceQuota", err)
    peak = capacity.peak_vcpu(config.services)
    parts = [f"{config.name} deploy peak {_vcpu(peak)}"]
    need = peak
    if other is not None:
        running = capacity.steady_vcpu(other.services)
        need += running
        parts.append(f"{other.name} running {_vcpu(running)} (same account)")
    parts_text = " + ".join(parts) + (f"; {other_note}" if other_note else "")
    if need > quota:
        return Check(
            name,
            "FAIL",
            f"needs {_vcpu(need)} vCPU ({parts_text}) but the quota is {_vcpu(quota)} ({source}): "
            "a rolling deploy would stall with 'reached the limit on the number of vCPUs'",
            "aws service-quotas request-service-quota-increase --service-code fargate --quota-code "
            f"{FARGATE_VCPU_QUOTA_CODE} --desired-value {math.ceil(need)} --region {config.region}",
        )
    return Check(name, "ok", f"needs {_vcpu(need)} vCPU ({parts_text}) of {_vcpu(quota)} ({source})")
