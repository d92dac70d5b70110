"""Preflight's account checks: service-linked roles (moto, stubbed simulation), the Fargate quota (stubbed)
and the capacity rule it relies on.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from arbiter_tools import (
    capacity,
    preflight_account,
)
from arbiter_tools.runtime import Deployment
from arbiter_tools.stacks import load_stack
from tests.tooling.preflight_support import (
    ACCOUNT,
    IDENTITY,
    QUOTA_PARAMS,
    applied,
    quota_client,
    stubbed_iam,
    with_services,
)

pytestmark = pytest.mark.moto


# --- service-linked roles (moto for existing ones, stubbed simulation) ------------------------


def test_required_service_linked_roles_follow_the_config() -> None:
    config = load_stack("staging").config
    roles = [r[2] for r in preflight_account.required_service_linked_roles(config)]
    assert roles == [
        "AWSServiceRoleForECS",
        "AWSServiceRoleForElastiCache",
        "AWSServiceRoleForRDS",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ]
    web = config.services.web_api.model_copy(
        update={"min_count": None, "max_count": None, "cpu_target_percent": None}
    )
    roles = [
        r[2] for r in preflight_account.required_service_linked_roles(with_services(config, web_api=web))
    ]
    assert "AWSServiceRoleForApplicationAutoScaling_ECSService" not in roles


def test_existing_service_linked_role(aws: boto3.Session) -> None:
    iam = aws.client("iam")
    label, principal, role = preflight_account.ECS_SLR
    iam.create_service_linked_role(AWSServiceName=principal)
    check = preflight_account.check_service_linked_role(iam, IDENTITY, label, principal, role)
    assert check.status == "ok" and check.detail.startswith("exists (arn:aws:iam::")


def test_absent_service_linked_role_the_caller_may_or_may_not_create() -> None:
    """Stub-tested: moto does not implement iam:SimulatePrincipalPolicy."""
    label, principal, role = preflight_account.ECS_SLR
    check = preflight_account.check_service_linked_role(
        stubbed_iam(simulate="allowed"), IDENTITY, label, principal, role
    )
    assert check.status == "ok" and f"absent; {IDENTITY['Arn']} may create it" in check.detail

    check = preflight_account.check_service_linked_role(
        stubbed_iam(simulate="implicitDeny"), IDENTITY, label, principal, role
    )
    assert (
        check.status == "FAIL"
        and "may not create it (iam:CreateServiceLinkedRole: implicitDeny)" in check.detail
    )
    assert check.fix == (
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com (or deploy the account stack)"
    )

    # An assumed-role session is simulated as its role, found with its path.
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/deploy/arbiter-deployer"
    session = {"Account": ACCOUNT, "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/arbiter-deployer/gha-123"}
    iam = stubbed_iam(simulate="allowed", role_arn=role_arn)
    check = preflight_account.check_service_linked_role(iam, session, label, principal, role)
    assert check.status == "ok" and f"{role_arn} may create it" in check.detail

    root = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    iam = boto3.client("iam", region_name="us-east-1")
    stub = Stubber(iam)
    stub.add_response("list_roles", {"Roles": []}, {"PathPrefix": f"/aws-service-role/{principal}/"})
    stub.activate()
    check = preflight_account.check_service_linked_role(iam, root, label, principal, role)
    assert check.status == "ok" and "root" in check.detail


# --- Fargate quota (stubbed) and the capacity rule --------------------------------------------


def test_peak_vcpu_of_the_stack_files() -> None:
    staging, prod = load_stack("staging").config.services, load_stack("prod").config.services
    # trading-core 1 vCPU x1 (a single writer: stop-before-start, never above its count),
    # telegram-bot 0.25 x1, web-api 0.5 x maxCount 3; the last two doubled while deploying.
    assert capacity.peak_vcpu(staging) == 1 * 1 + (0.25 * 1 + 0.5 * 3) * 2 == 4.5
    assert capacity.steady_vcpu(staging) == 2.75
    assert capacity.peak_vcpu(prod) == 4 * 2 + (0.5 * 1 + 1 * 6) * 2 == 21
    assert capacity.steady_vcpu(prod) == 14.5
    stopped = staging.trading_core.model_copy(update={"desired_count": 0})
    assert capacity.peak_vcpu(staging.model_copy(update={"trading_core": stopped})) == 3.5


def test_program_deploys_with_the_percentages_preflight_assumes(deployment: Deployment) -> None:
    services = deployment.of_type("aws:ecs/service:Service")
    assert {s.inputs["name"] for s in services} == {"trading-core", "telegram-bot", "web-api"}
    for svc in services:
        declared = (svc.inputs["deploymentMinimumHealthyPercent"], svc.inputs["deploymentMaximumPercent"])
        assert declared == capacity.deployment_percents(svc.inputs["name"]), svc.name


def test_fargate_quota_covers_the_peak() -> None:
    """Stub-tested: moto has no Fargate quota in Service Quotas and no GetAWSDefaultServiceQuota."""
    staging, prod = load_stack("staging").config, load_stack("prod").config
    check = preflight_account.check_fargate_quota(quota_client(applied(19)), staging, prod, "")
    assert check.status == "ok"
    assert check.detail == (
        "needs 19 vCPU (staging deploy peak 4.5 + prod running 14.5 (same account)) of 19 (applied quota)"
    )
    check = preflight_account.check_fargate_quota(quota_client(applied(18)), staging, prod, "")
    assert check.status == "FAIL" and "but the quota is 18 (applied quota)" in check.detail
    assert check.fix == (
        "aws service-quotas request-service-quota-increase --service-code fargate --quota-code L-3032A538 "
        "--desired-value 19 --region us-east-1"
    )
    # Alone in its account, staging's 4.5 fits the documented default of 6.
    assert preflight_account.check_fargate_quota(quota_client(applied(6)), staging, None, "").status == "ok"


def test_fargate_quota_falls_back_to_the_default() -> None:
    """Stub-tested: no applied value -> AWS's default for the quota -> the documented default."""
    staging = load_stack("staging").config
    quotas = quota_client(
        ("get_service_quota", "NoSuchResourceException"),
        ("get_aws_default_service_quota", {"Quota": {**QUOTA_PARAMS, "Value": 16.0}}),
    )
    check = preflight_account.check_fargate_quota(quotas, staging, None, "")
    assert check.status == "ok" and check.detail.endswith("of 16 (AWS default, no applied value)")
    quotas = quota_client(
        ("get_service_quota", "NoSuchResourceException"),
        ("get_aws_default_service_quota", "NoSuchResourceException"),
    )
    prod = load_stack("prod").config  # staging's 4.5 vCPU would fit the documented default
    check = preflight_account.check_fargate_quota(quotas, prod, None, "")
    assert check.status == "FAIL" and "but the quota is 6 (documented AWS default" in check.detail

    check = preflight_account.check_fargate_quota(
        quota_client(("get_service_quota", "AccessDeniedException")), staging, None, ""
    )
    assert check.status == "FAIL" and check.fix == "let the caller run servicequotas:GetServiceQuota"
