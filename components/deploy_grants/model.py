"""The grant model and the ARN templates the grant tables share.

Every statement has a Sid and a written reason, and is scoped by this stack's names
(`arbiter-<env>-*`), by the `Project`/`Environment` tags the providers put on every resource, or
(only for actions AWS cannot scope) by nothing: see `arbiter_infra.iam`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
STS_AUDIENCE: Final = "sts.amazonaws.com"

#: IAM quotas the deploy role's managed policies must fit (non-whitespace characters; attachments).
MANAGED_POLICY_MAX_CHARS: Final = 6144
MAX_ATTACHED_POLICIES: Final = 10

Scope = Literal["unscopable", "request-tag", "resource-tag", "arns"]


@dataclass(frozen=True)
class Grant:
    """One statement of the deploy role: what it allows, where, and why it is needed.

    A tag-scoped statement (`request-tag`, `resource-tag`) may name `resources` too: the ARN
    patterns (account, region, resource type) the tags narrow further; without, it is `*`.
    `resources` and `condition` are `str.format` templates filled per stack: `{region}`,
    `{account}`, `{p}` (prefix `arbiter-<env>`), `{s}` (compact prefix `arb-<stg|prd>`), `{env}`,
    `{project}`, `{bucket}` (state bucket), `{alias}` (secrets-provider KMS alias) and `{boundary}`
    (the permissions boundary's ARN). A resource naming `{repository}` (the services' ECR
    repositories), `{secret}` (the application secrets) or `{database_user}` (the services' own
    database users) stands for one ARN per such name.
    """

    area: str
    sid: str
    why: str
    actions: tuple[str, ...]
    scope: Scope
    resources: tuple[str, ...] = ()
    condition: Mapping[str, Any] = field(default_factory=dict)
    effect: Literal["Allow", "Deny"] = "Allow"


_EC2 = "arn:aws:ec2:{region}:{account}"
#: Every EC2 resource of this account and region: what the tag-scoped EC2 statements narrow.
_EC2_ANY = (f"{_EC2}:*",)
_RDS = "arn:aws:rds:{region}:{account}"
_ELC = "arn:aws:elasticache:{region}:{account}"
_ECS = "arn:aws:ecs:{region}:{account}"
_ELB = "arn:aws:elasticloadbalancing:{region}:{account}"
_LOGS = "arn:aws:logs:{region}:{account}"
_SM = "arn:aws:secretsmanager:{region}:{account}"
_KMS = "arn:aws:kms:{region}:{account}"
#: This account's keys in the stack's region and the copy region (key ids are random: tags decide).
_KMS_KEYS = (f"{_KMS}:key/*", "arn:aws:kms:{copy_region}:{account}:key/*")
_BACKUP_VAULTS = tuple(
    f"arn:aws:backup:{r}:{{account}}:backup-vault:{{p}}-*" for r in ("{region}", "{copy_region}")
)
_IAM = "arn:aws:iam::{account}"
_ECR = "arn:aws:ecr:{region}:{account}"

_EC2_CREATES = (
    "ec2:AllocateAddress",
    "ec2:CreateFlowLogs",
    "ec2:CreateInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:CreateNetworkAcl",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
)
#: Security-group rules are created with TagSpecifications too (resource type security-group-rule).
_EC2_TAGGED_CREATES = (*_EC2_CREATES, "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress")
_OWN_ROLES = (f"{_IAM}:role/{{p}}-*",)
#: Execution roles inject the trading credentials: only they may read them (see the boundary).
_EXEC_ROLES = f"{_IAM}:role/{{p}}-*-exec"
_PREVIEW_ROLE = f"{_IAM}:role/{{p}}-preview"
_PREVIEW_POLICIES = f"{_IAM}:policy/{{p}}-preview-*"
_DRIFT_ROLE = f"{_IAM}:role/{{p}}-drift"
_DRIFT_POLICIES = f"{_IAM}:policy/{{p}}-drift-*"
_BOUNDARY = f"{_IAM}:policy/{{p}}-boundary"
#: The application secrets (values set by an operator, never by CI); `-*` is Secrets Manager's suffix.
_APP_SECRETS = (f"{_SM}:secret:{{p}}/{{secret}}-*",)
_DEPLOY_ROLE = f"{_IAM}:role/{{p}}-deploy"
_DEPLOY_POLICIES = f"{_IAM}:policy/{{p}}-deploy-*"
#: The services' image repositories (owned by the account stack, shared by the environments).
_REPOS = (f"{_ECR}:repository/{{repository}}",)
_STATE_OBJECTS = (
    "arn:aws:s3:::{bucket}/.pulumi/stacks/{project}/{env}.json*",
    "arn:aws:s3:::{bucket}/.pulumi/history/{project}/{env}/*",
    "arn:aws:s3:::{bucket}/.pulumi/backups/{project}/{env}/*",
    "arn:aws:s3:::{bucket}/.pulumi/locks/organization/{project}/{env}/*",
)
