"""Account-level resources: what exists once per AWS account, before and for every environment in it.

They live in their own stack (`Pulumi.account.yaml`), deployed once by an administrator before
any environment: the ECR repositories must exist (and hold images) before a service can start,
the OIDC provider before a deploy role can be assumed, and the service-linked roles before ECS,
ELB, RDS or ElastiCache are first used. Deleting an environment never touches them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import PROJECT

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL: Final = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE: Final = "sts.amazonaws.com"


def lifecycle_policy(keep_images: int) -> str:
    """Expire all but the newest `keep_images` images, so storage does not grow without bound."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the last {keep_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


#: Tells whether a service-linked role (by AWS service principal) already exists in the account
#: and is not this stack's: such a role is left alone instead of failing with "has been taken".
ForeignRoleCheck = Callable[[str], bool]


@dataclass(frozen=True)
class AccountResourcesArgs:
    #: ECR repository names to create (one per service image).
    repositories: Sequence[str]
    #: Images kept per repository; older ones expire.
    keep_images: int
    #: KMS key ARN that encrypts the images.
    kms_key_arn: pulumi.Input[str]
    #: Create the GitHub Actions OIDC provider (one per account).
    github_oidc_provider: bool = True
    #: Service-linked roles to ensure: short name -> AWS service principal.
    service_linked_roles: Mapping[str, str] = field(default_factory=dict)
    #: Which roles exist already and belong to someone else (looked up by the composition).
    is_foreign_role: ForeignRoleCheck = field(default=lambda _principal: False)


class AccountResources(pulumi.ComponentResource):
    """GitHub OIDC provider, ECR repositories and service-linked roles of one account."""

    oidc_provider: aws.iam.OpenIdConnectProvider | None
    repositories: dict[str, aws.ecr.Repository]
    lifecycle_policies: dict[str, aws.ecr.LifecyclePolicy]
    repository_urls: dict[str, pulumi.Output[str]]
    service_linked_roles: dict[str, aws.iam.ServiceLinkedRole]
    #: Roles that already existed outside this stack and were left alone.
    existing_service_linked_roles: list[str]

    def __init__(
        self, name: str, args: AccountResourcesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:account:AccountResources", name, None, opts)
        # Every environment in the account depends on these: never deleted with the stack, and a
        # change that would replace one stops at `protect`.
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        child = pulumi.ResourceOptions(parent=self)

        self.oidc_provider = None
        if args.github_oidc_provider:
            self.oidc_provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                opts=kept,
            )

        self.repositories, self.lifecycle_policies, self.repository_urls = {}, {}, {}
        for repo in args.repositories:
            repository = aws.ecr.Repository(
                f"{name}-ecr-{repo}",
                name=repo,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.kms_key_arn
                    )
                ],
                force_delete=False,
                opts=kept,
            )
            self.repositories[repo] = repository
            self.lifecycle_policies[repo] = aws.ecr.LifecyclePolicy(
                f"{name}-ecr-{repo}-lifecycle",
                repository=repository.name,
                policy=lifecycle_policy(args.keep_images),
                opts=child,
            )
            self.repository_urls[repo] = repository.repository_url

        self.service_linked_roles, self.existing_service_linked_roles = {}, []
        for short, principal in args.service_linked_roles.items():
            if args.is_foreign_role(principal):
                self.existing_service_linked_roles.append(short)
                continue
            self.service_linked_roles[short] = aws.iam.ServiceLinkedRole(
                f"{name}-slr-{short}",
                aws_service_name=principal,
                description=f"{short}: created ahead of first use by the account stack",
                opts=kept,
            )

        self.register_outputs(
            {
                "oidcProviderArn": self.oidc_provider.arn if self.oidc_provider else None,
                "repositoryUrls": self.repository_urls,
                "serviceLinkedRoles": {k: r.arn for k, r in self.service_linked_roles.items()},
                "existingServiceLinkedRoles": self.existing_service_linked_roles,
            }
        )


def foreign_service_linked_role(provider: aws.Provider) -> Callable[[str], bool]:
    """Whether the account already has the service-linked role of a principal, created by someone else.

    Many accounts have some of these roles already (AWS creates them on first use); creating one
    again fails with "has been taken". A role this stack created carries its tags and stays declared.
    """
    opts = pulumi.InvokeOptions(provider=provider)

    def check(principal: str) -> bool:
        found = aws.iam.get_roles(path_prefix=f"/aws-service-role/{principal}/", opts=opts)
        if not found.names:
            return False
        tags = aws.iam.get_role(name=sorted(found.names)[0], opts=opts).tags or {}
        return not (tags.get("Project") == PROJECT and tags.get("Environment") == "shared")

    return check
