"""Delivery: the environment's CI identities (deploy role, preview role) and the permissions boundary.

The GitHub OIDC provider and the ECR repositories exist once per account and belong to the
account stack; this tier only names the provider by its fixed ARN.

- The deploy role is what CI assumes for `pulumi up` and the service rollout, trusted only from
  the environment's GitHub environment (e.g. `staging`, `deploy-prod`), whose branch rules admit
  only the deploy branch.
- The preview role is read-only and trusted only from a separate GitHub environment (e.g.
  `staging-preview`): pull-request jobs run there and never in an environment that holds the
  deploy role.
- The permissions boundary caps every role the program creates; the deploy role can create or
  change a role only with it attached, and can change neither the boundary nor itself.

The permissions are data (`components.deploy_grants`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import ConfigError, StackConfig
from arbiter_infra.naming import Naming
from components.deploy_grants import (
    GITHUB_OIDC_HOST,
    IMAGE_REPOSITORIES,
    MANAGED_POLICY_MAX_CHARS,
    MAX_ATTACHED_POLICIES,
    boundary_policy_document,
    deploy_policy_documents,
    minified,
    policy_size,
    preview_policy_documents,
    trust_policy,
)

__all__ = [
    "GITHUB_OIDC_HOST",
    "IMAGE_REPOSITORIES",
    "MANAGED_POLICY_MAX_CHARS",
    "MAX_ATTACHED_POLICIES",
    "Delivery",
    "DeliveryArgs",
    "PermissionsBoundary",
    "PermissionsBoundaryArgs",
    "oidc_provider_arn",
    "policy_size",
]

#: Placeholder account for documents whose shape (areas) does not depend on the account.
_ANY_ACCOUNT: Final = "000000000000"


def oidc_provider_arn(account_id: str) -> str:
    """The account's GitHub OIDC provider (owned by the account stack): its ARN is fixed by its URL."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def _check_images(config: StackConfig) -> None:
    for service, svc in config.services.by_name().items():
        repo = svc.image_parts[1]
        expected = IMAGE_REPOSITORIES[service]
        if repo != expected:
            raise ConfigError(
                f"arbiter:services image {svc.image!r} of {service}: must be in ECR repository {expected!r} "
                "(the repository the account stack manages)"
            )


@dataclass(frozen=True)
class PermissionsBoundaryArgs:
    config: StackConfig
    naming: Naming
    account_id: pulumi.Input[str]


class PermissionsBoundary(pulumi.ComponentResource):
    """`arbiter-<env>-boundary`: created before any role, which all carry it."""

    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PermissionsBoundaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:delivery:PermissionsBoundary", name, None, opts)
        config, naming = args.config, args.naming
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=naming("boundary", kind="iam-policy"),
            description=f"{config.prefix}: permissions boundary of every role the program creates",
            policy=pulumi.Output.from_input(args.account_id).apply(
                lambda acct: json.dumps(boundary_policy_document(config, naming, acct), separators=(",", ":"))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.arn})


@dataclass(frozen=True)
class DeliveryArgs:
    config: StackConfig
    naming: Naming
    account_id: pulumi.Input[str]


class Delivery(pulumi.ComponentResource):
    """GitHub Actions -> AWS: the environment's deploy role and its read-only preview role."""

    oidc_provider_arn: pulumi.Output[str]
    deploy_role: aws.iam.Role
    deploy_role_arn: pulumi.Output[str]
    deploy_policies: dict[str, aws.iam.Policy]
    deploy_policy_attachments: dict[str, aws.iam.RolePolicyAttachment]
    preview_role: aws.iam.Role
    preview_role_arn: pulumi.Output[str]
    preview_policies: dict[str, aws.iam.Policy]
    preview_policy_attachments: dict[str, aws.iam.RolePolicyAttachment]

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:delivery:Delivery", name, None, opts)
        config, naming = args.config, args.naming
        delivery = config.delivery
        _check_images(config)
        account = pulumi.Output.from_input(args.account_id)
        self.oidc_provider_arn = account.apply(oidc_provider_arn)

        self.deploy_role, self.deploy_policies, self.deploy_policy_attachments = self._role(
            name,
            "deploy",
            description=f"GitHub Actions deploys of {config.name} from {delivery.github_repository} "
            f"(environment {delivery.github_environment})",
            github_environment=delivery.github_environment,
            documents=account.apply(lambda acct: deploy_policy_documents(config, naming, acct)),
            areas=list(deploy_policy_documents(config, naming, _ANY_ACCOUNT)),
            args=args,
        )
        self.deploy_role_arn = self.deploy_role.arn
        self.preview_role, self.preview_policies, self.preview_policy_attachments = self._role(
            name,
            "preview",
            description=f"Read-only pulumi preview of {config.name} for pull requests of "
            f"{delivery.github_repository} (environment {delivery.preview_environment})",
            github_environment=delivery.preview_environment,
            documents=account.apply(lambda acct: preview_policy_documents(config, naming, acct)),
            areas=list(preview_policy_documents(config, naming, _ANY_ACCOUNT)),
            args=args,
        )
        self.preview_role_arn = self.preview_role.arn
        self.register_outputs(
            {
                "oidcProviderArn": self.oidc_provider_arn,
                "deployRoleArn": self.deploy_role_arn,
                "previewRoleArn": self.preview_role_arn,
            }
        )

    def _role(
        self,
        name: str,
        kind: str,
        *,
        description: str,
        github_environment: str,
        documents: pulumi.Output[dict[str, dict[str, Any]]],
        areas: list[str],
        args: DeliveryArgs,
    ) -> tuple[aws.iam.Role, dict[str, aws.iam.Policy], dict[str, aws.iam.RolePolicyAttachment]]:
        """One OIDC role with one managed policy per area (IAM's size quota is per policy)."""
        config, naming = args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)
        repository = config.delivery.github_repository
        role = aws.iam.Role(
            f"{name}-{kind}-role",
            name=naming(kind, kind="iam-role"),
            description=description,
            assume_role_policy=self.oidc_provider_arn.apply(
                lambda arn: json.dumps(trust_policy(arn, repository, github_environment))
            ),
            max_session_duration=3600,
            opts=child,
        )
        policies: dict[str, aws.iam.Policy] = {}
        attachments: dict[str, aws.iam.RolePolicyAttachment] = {}
        for area in areas:
            policies[area] = aws.iam.Policy(
                f"{name}-{kind}-{area}",
                name=naming(kind, area, kind="iam-policy"),
                description=f"{config.prefix} {kind} role: {area}",
                policy=documents.apply(minified(area)),
                opts=child,
            )
            attachments[area] = aws.iam.RolePolicyAttachment(
                f"{name}-{kind}-{area}",
                role=role.name,
                policy_arn=policies[area].arn,
                opts=child,
            )
        return role, policies, attachments
