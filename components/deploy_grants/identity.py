"""The deploy role's grants for identity (area `identity`): task, execution, monitoring and
flow-log roles and their policies.

A data table (one `Grant` per statement, in policy order); `components.deploy_grants` joins the
areas into the deploy role's policies.
"""

from __future__ import annotations

from typing import Final

from arbiter_infra import iam
from components.deploy_grants.model import (
    _BOUNDARY,
    _DEPLOY_POLICIES,
    _DEPLOY_ROLE,
    _DRIFT_POLICIES,
    _DRIFT_ROLE,
    _EXEC_ROLES,
    _IAM,
    _OWN_ROLES,
    _PREVIEW_POLICIES,
    _PREVIEW_ROLE,
    Grant,
)

#: Statements of this area, in the order the policy lists them.
GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "identity",
        "IamReadOwnRoles",
        "refresh of the roles this program creates (task, execution, RDS monitoring, flow logs)",
        (
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRolePolicies",
        ),
        "arns",
        _OWN_ROLES,
    ),
    Grant(
        "identity",
        "IamRolesOnlyWithTheBoundary",
        "no escalation: a role CI creates or whose permissions it changes must carry this stack's "
        "permissions boundary, so no role it makes can do more than the boundary allows",
        (
            "iam:CreateRole",
            "iam:DeleteRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
        ),
        "arns",
        _OWN_ROLES,
        condition={"StringEquals": {"iam:PermissionsBoundary": "{boundary}"}},
    ),
    Grant(
        "identity",
        "IamAttachOnlyWithTheBoundary",
        "managed policies only on bounded roles, and only this stack's policies or AWS "
        "service-role policies (e.g. RDS enhanced monitoring), never AdministratorAccess",
        ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
        "arns",
        _OWN_ROLES,
        condition={
            "StringEquals": {"iam:PermissionsBoundary": "{boundary}"},
            "ArnLike": {
                "iam:PolicyARN": [f"{_IAM}:policy/{{p}}-*", "arn:aws:iam::aws:policy/service-role/*"]
            },
        },
    ),
    Grant(
        "identity",
        "IamChangeOwnRoles",
        "trust, description, tags and deletion of this stack's roles: none of these adds "
        "permissions (the boundary caps whoever a trust policy admits)",
        (
            "iam:DeleteRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
        "arns",
        _OWN_ROLES,
    ),
    Grant(
        "identity",
        "IamOwnPolicies",
        "customer-managed policies of this stack (arbiter-<env>-*); attaching them needs the "
        "boundary on the role (above)",
        (
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListEntitiesForPolicy",
            "iam:ListPolicyVersions",
            "iam:TagPolicy",
            "iam:UntagPolicy",
        ),
        "arns",
        (f"{_IAM}:policy/{{p}}-*",),
    ),
    Grant(
        "identity",
        "IamPassOwnRolesToTheirServices",
        "ECS tasks, RDS enhanced monitoring, VPC flow logs, AWS Backup and the database-users "
        "function assume this stack's roles; PassRole only to those services",
        ("iam:PassRole",),
        "arns",
        _OWN_ROLES,
        condition={"StringEquals": {"iam:PassedToService": list(iam.PASSED_TO_SERVICES)}},
    ),
    Grant(
        "identity",
        "IamPassTrafficShiftRoleToEcs",
        "a canary or linear service names the role ECS shifts the ALB's traffic with "
        "(arbiter-<env>-ecs-traffic-shift); only that role, only to ECS itself",
        ("iam:PassRole",),
        "arns",
        (f"{_IAM}:role/{{p}}-ecs-traffic-shift",),
        condition={"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}},
    ),
    Grant(
        "identity",
        "IamServiceLinkedRoles",
        "first use of ECS, RDS, ElastiCache, ELB and ECS autoscaling in an account creates their "
        "service-linked roles",
        ("iam:CreateServiceLinkedRole",),
        "arns",
        (f"{_IAM}:role/aws-service-role/*",),
        condition={
            "StringEquals": {
                "iam:AWSServiceName": [
                    "ecs.amazonaws.com",
                    "ecs.application-autoscaling.amazonaws.com",
                    "elasticache.amazonaws.com",
                    "elasticloadbalancing.amazonaws.com",
                    "rds.amazonaws.com",
                ]
            }
        },
    ),
    Grant(
        "identity",
        "DenyChangingCiIdentityOrBoundary",
        "CI must not widen its own permissions or loosen the boundary: the deploy, preview and drift "
        "roles, their policies and the boundary policy are changed by an admin's pulumi up (see "
        "docs/delivery.md), even though they match arbiter-<env>-*",
        (
            "iam:AttachRolePolicy",
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:CreateRole",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:DeleteRole",
            "iam:DeleteRolePermissionsBoundary",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PassRole",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:SetDefaultPolicyVersion",
            "iam:TagPolicy",
            "iam:TagRole",
            "iam:UntagPolicy",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
        "arns",
        (
            _DEPLOY_ROLE,
            _DEPLOY_POLICIES,
            _PREVIEW_ROLE,
            _PREVIEW_POLICIES,
            _DRIFT_ROLE,
            _DRIFT_POLICIES,
            _BOUNDARY,
        ),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyRemovingAnyBoundary",
        "a boundary, once set, stays: removing it would lift the cap on that role",
        ("iam:DeleteRolePermissionsBoundary",),
        "arns",
        (f"{_IAM}:role/*",),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyReplacingExecutionRoles",
        "only execution roles may read the trading credentials (boundary), so who may assume one "
        "is fixed by the admin who creates it: CI cannot create, delete or re-trust them",
        ("iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"),
        "arns",
        (_EXEC_ROLES,),
        effect="Deny",
    ),
    Grant(
        "identity",
        "DenyGivingCiPoliciesToAnyRole",
        "the CI policies and the boundary match arbiter-<env>-*; attaching one to a task role "
        "would hand CI's permissions to whatever runs in a container",
        ("iam:AttachRolePolicy",),
        "arns",
        (f"{_IAM}:role/*",),
        condition={
            "ArnLike": {"iam:PolicyARN": [_DEPLOY_POLICIES, _PREVIEW_POLICIES, _DRIFT_POLICIES, _BOUNDARY]}
        },
        effect="Deny",
    ),
)
