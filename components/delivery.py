"""Delivery: the environment's CI identities (deploy, preview and drift roles) and the permissions boundary.

The GitHub OIDC provider and the ECR repositories exist once per account and belong to the
account stack; this tier only names the provider by its fixed ARN.

- The deploy role is what CI assumes for `pulumi up` and the service rollout, trusted only from
  the environment's GitHub environment (e.g. `staging`, `deploy-prod`), whose branch rules admit
  only the deploy branch.
- The preview role is read-only and trusted only from a separate GitHub environment (e.g.
  `staging-preview`): pull-request jobs run there and never in an environment that holds the
  deploy role.
- The drift role reads what `pulumi preview --refresh` reads, generated secret values included
  (the preview role may not read those), and writes nothing; it is trusted only from a third
  GitHub environment (e.g. `staging-drift`) whose branch rule admits `main`, where the scheduled
  drift check (`.github/workflows/drift.yml`) runs.
- The permissions boundary caps every role the program creates; the deploy role can create or
  change a role only with it attached, and can change neither the boundary nor itself.

The permissions are data (`components.deploy_grants`); what they are scoped to (repositories,
secrets, state backend) comes in through `GrantScope`, built by the composition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import ConfigError
from arbiter_infra.naming import Naming
from components.deploy_grants import (
    GITHUB_OIDC_HOST,
    MANAGED_POLICY_MAX_CHARS,
    MAX_ATTACHED_POLICIES,
    GrantScope,
    boundary_policy_document,
    deploy_policy_documents,
    drift_policy_documents,
    minified,
    policy_size,
    preview_policy_documents,
    trust_policy,
)

__all__ = [
    "GITHUB_OIDC_HOST",
    "MANAGED_POLICY_MAX_CHARS",
    "MAX_ATTACHED_POLICIES",
    "Delivery",
    "DeliveryArgs",
    "GrantScope",
    "PermissionsBoundary",
    "PermissionsBoundaryArgs",
    "ServiceImage",
    "oidc_provider_arn",
    "policy_size",
]

#: The CI roles' maximum session (seconds): the longest job that assumes them is the 90-minute
#: deploy (deploy.yml `timeout-minutes`); an Aurora or ElastiCache change can outlast an hour, and
#: credentials that expire mid-`up` leave the stack half-applied with a held lock. The stack-access
#: action requests the same duration (a test ties the three together).
CI_SESSION_SECONDS: Final = 5400

#: Placeholder account for documents whose shape (areas) does not depend on the account.
_ANY_ACCOUNT: Final = "000000000000"


def oidc_provider_arn(account_id: str) -> str:
    """The account's GitHub OIDC provider (owned by the account stack): its ARN is fixed by its URL."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


@dataclass(frozen=True)
class ServiceImage:
    """A service's configured image and the repository it must come from."""

    #: The image URI as configured (`<registry>/<repository>:<tag>`).
    uri: str
    #: The ECR repository the URI names.
    repository: str
    #: The repository the account stack manages for the service (the deploy role may push there only).
    expected_repository: str


def _check_images(images: Mapping[str, ServiceImage]) -> None:
    """An image outside the account's repositories could neither be pulled nor pushed by CI."""
    for service, image in images.items():
        if image.repository != image.expected_repository:
            raise ConfigError(
                f"arbiter:services image {image.uri!r} of {service}: must be in ECR repository "
                f"{image.expected_repository!r} (the repository the account stack manages)"
            )


@dataclass(frozen=True)
class PermissionsBoundaryArgs:
    #: The stack's names: the policy is `<prefix>-boundary`.
    naming: Naming
    #: The account the ARNs in the policy name (an output of the caller identity).
    account_id: pulumi.Input[str]
    #: What the boundary's grants are scoped to (repositories, secrets, regions, state backend).
    scope: GrantScope


class PermissionsBoundary(pulumi.ComponentResource):
    """`arbiter-<env>-boundary`: created before any role, which all carry it."""

    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PermissionsBoundaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:delivery:PermissionsBoundary", name, None, opts)
        scope, naming = args.scope, args.naming
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=naming("boundary", kind="iam-policy"),
            description=f"{naming.prefix}: permissions boundary of every role the program creates",
            policy=pulumi.Output.from_input(args.account_id).apply(
                lambda acct: json.dumps(boundary_policy_document(scope, naming, acct), separators=(",", ":"))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.arn, "name": self.policy.name})


@dataclass(frozen=True, kw_only=True)
class DeliveryArgs:
    #: The stack's names: roles `<prefix>-deploy`/`-preview`, policies `<prefix>-<role>-<area>`.
    naming: Naming
    #: The account whose GitHub OIDC provider the roles trust and whose ARNs the policies name.
    account_id: pulumi.Input[str]
    #: What the roles' grants are scoped to (repositories, secrets, regions, state backend).
    scope: GrantScope
    #: The GitHub repository (`owner/name`) whose workflows may assume the roles.
    github_repository: str
    #: The GitHub environment the deploy role trusts (its branch rules admit the deploy branch).
    github_environment: str
    #: The GitHub environment the preview role trusts (pull requests; never `github_environment`).
    preview_environment: str
    #: The GitHub environment the drift role trusts (scheduled runs on main; neither of the above).
    drift_environment: str
    #: Service -> its image: each must be in the repository the account stack manages (default: none).
    images: Mapping[str, ServiceImage] = field(default_factory=dict)


class Delivery(pulumi.ComponentResource):
    """GitHub Actions -> AWS: the environment's deploy role and its read-only preview and drift roles."""

    oidc_provider_arn: pulumi.Output[str]
    deploy_role: aws.iam.Role
    deploy_role_arn: pulumi.Output[str]
    deploy_policies: dict[str, aws.iam.Policy]
    deploy_policy_attachments: dict[str, aws.iam.RolePolicyAttachment]
    preview_role: aws.iam.Role
    preview_role_arn: pulumi.Output[str]
    preview_policies: dict[str, aws.iam.Policy]
    preview_policy_attachments: dict[str, aws.iam.RolePolicyAttachment]
    drift_role: aws.iam.Role
    drift_role_arn: pulumi.Output[str]
    drift_policies: dict[str, aws.iam.Policy]
    drift_policy_attachments: dict[str, aws.iam.RolePolicyAttachment]

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:delivery:Delivery", name, None, opts)
        scope, naming = args.scope, args.naming
        _check_images(args.images)
        account = pulumi.Output.from_input(args.account_id)
        self.oidc_provider_arn = account.apply(oidc_provider_arn)

        self.deploy_role, self.deploy_policies, self.deploy_policy_attachments = self._role(
            name,
            "deploy",
            description=f"GitHub Actions deploys of {naming.environment} from {args.github_repository} "
            f"(environment {args.github_environment})",
            github_environment=args.github_environment,
            documents=account.apply(lambda acct: deploy_policy_documents(scope, naming, acct)),
            areas=list(deploy_policy_documents(scope, naming, _ANY_ACCOUNT)),
            args=args,
        )
        self.deploy_role_arn = self.deploy_role.arn
        self.preview_role, self.preview_policies, self.preview_policy_attachments = self._role(
            name,
            "preview",
            description=f"Read-only pulumi preview of {naming.environment} for pull requests of "
            f"{args.github_repository} (environment {args.preview_environment})",
            github_environment=args.preview_environment,
            documents=account.apply(lambda acct: preview_policy_documents(scope, naming, acct)),
            areas=list(preview_policy_documents(scope, naming, _ANY_ACCOUNT)),
            args=args,
        )
        self.preview_role_arn = self.preview_role.arn
        self.drift_role, self.drift_policies, self.drift_policy_attachments = self._role(
            name,
            "drift",
            description=f"Scheduled drift check (pulumi preview --refresh, read-only) of {naming.environment} "
            f"from {args.github_repository} (environment {args.drift_environment})",
            github_environment=args.drift_environment,
            documents=account.apply(lambda acct: drift_policy_documents(scope, naming, acct)),
            areas=list(drift_policy_documents(scope, naming, _ANY_ACCOUNT)),
            args=args,
        )
        self.drift_role_arn = self.drift_role.arn
        self.register_outputs(
            {
                "oidcProviderArn": self.oidc_provider_arn,
                "deployRoleArn": self.deploy_role_arn,
                "previewRoleArn": self.preview_role_arn,
                "driftRoleArn": self.drift_role_arn,
                "deployPolicyArns": {area: p.arn for area, p in self.deploy_policies.items()},
                "previewPolicyArns": {area: p.arn for area, p in self.preview_policies.items()},
                "driftPolicyArns": {area: p.arn for area, p in self.drift_policies.items()},
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
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        repository = args.github_repository
        role = aws.iam.Role(
            f"{name}-{kind}-role",
            name=naming(kind, kind="iam-role"),
            description=description,
            assume_role_policy=self.oidc_provider_arn.apply(
                lambda arn: json.dumps(trust_policy(arn, repository, github_environment))
            ),
            max_session_duration=CI_SESSION_SECONDS,
            opts=child,
        )
        policies: dict[str, aws.iam.Policy] = {}
        attachments: dict[str, aws.iam.RolePolicyAttachment] = {}
        for area in areas:
            policies[area] = aws.iam.Policy(
                f"{name}-{kind}-{area}",
                name=naming(kind, area, kind="iam-policy"),
                description=f"{naming.prefix} {kind} role: {area}",
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
