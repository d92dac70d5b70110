"""The CI identities' permissions as data: the deploy, preview and drift roles, the permissions boundary.

The grants are tables, one module per deploy area (`network`, `data`, `compute`, `identity`,
`operations`), the boundary's (`boundary`), the preview role's, derived from the deploy role's
(`preview`), and the drift role's, derived from the preview role's (`drift`). This module joins them and fills their templates for one stack (`GrantScope`): pure
data and functions, no Pulumi resources, so the IAM evaluator (`arbiter_tools.iam_eval`) and the
tests read exactly the documents `components.delivery` attaches. What belongs to the application
(its image repositories, its secrets) comes in through `GrantScope`, never from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from arbiter_infra import iam
from arbiter_infra.config import PROJECT
from arbiter_infra.naming import Naming
from components.deploy_grants import compute, data, identity, network, operations
from components.deploy_grants.boundary import BOUNDARY_GRANTS
from components.deploy_grants.drift import drift_grants
from components.deploy_grants.model import (
    GITHUB_OIDC_HOST,
    MANAGED_POLICY_MAX_CHARS,
    MAX_ATTACHED_POLICIES,
    STS_AUDIENCE,
    Grant,
    Scope,
)
from components.deploy_grants.preview import PREVIEW_EXCLUDED, preview_grants

__all__ = [
    "AREAS",
    "BOUNDARY_GRANTS",
    "DRIFT_AREAS",
    "DRIFT_GRANTS",
    "GITHUB_OIDC_HOST",
    "GRANTS",
    "MANAGED_POLICY_MAX_CHARS",
    "MAX_ATTACHED_POLICIES",
    "PREVIEW_AREAS",
    "PREVIEW_EXCLUDED",
    "PREVIEW_GRANTS",
    "STS_AUDIENCE",
    "Grant",
    "GrantScope",
    "Scope",
    "boundary_arn",
    "boundary_policy_document",
    "deploy_policy_documents",
    "documents",
    "drift_policy_documents",
    "minified",
    "policy_size",
    "preview_policy_documents",
    "trust_policy",
]

#: The deploy role's permissions, by area (one managed policy per area, in this order).
GRANTS: Final[tuple[Grant, ...]] = (
    *network.GRANTS,
    *data.GRANTS,
    *compute.GRANTS,
    *identity.GRANTS,
    *operations.GRANTS,
)


def _check_grants(grants: tuple[Grant, ...]) -> None:
    """Fail at import on a table mistake, before any policy reaches AWS."""
    sids: set[str] = set()
    for g in grants:
        if g.sid in sids:
            raise ValueError(f"duplicate Sid {g.sid}")
        sids.add(g.sid)
        if g.scope == "unscopable":
            unknown = set(g.actions) - iam.UNSCOPABLE_ACTIONS
            if unknown:
                raise ValueError(f"{g.sid}: {sorted(unknown)} are not unscopable actions")
        if (g.scope == "arns" and not g.resources) or (g.scope == "unscopable" and g.resources):
            raise ValueError(f"{g.sid}: scope 'arns' needs resources, scope 'unscopable' has none")
        for action in g.actions:
            service, _, name = action.partition(":")
            if not service or not name or "*" in action:
                raise ValueError(f"{g.sid}: {action!r} is not one exact action")


PREVIEW_GRANTS: Final = preview_grants(GRANTS)
DRIFT_GRANTS: Final = drift_grants(PREVIEW_GRANTS)
for _table in (GRANTS, PREVIEW_GRANTS, DRIFT_GRANTS, BOUNDARY_GRANTS):
    _check_grants(_table)

AREAS: Final = tuple(dict.fromkeys(g.area for g in GRANTS))
PREVIEW_AREAS: Final = tuple(dict.fromkeys(g.area for g in PREVIEW_GRANTS))
DRIFT_AREAS: Final = tuple(dict.fromkeys(g.area for g in DRIFT_GRANTS))


@dataclass(frozen=True, kw_only=True)
class GrantScope:
    """What one stack's grants are scoped to: the values their templates are filled with."""

    #: The stack's region (`{region}`).
    region: str
    #: The region of the backup copy (`{copy_region}`); its vaults are the stack's too.
    copy_region: str
    #: The account's Pulumi state bucket (`{bucket}`).
    state_bucket: str
    #: The KMS alias of the stack's secrets provider (`{alias}`).
    secrets_kms_alias: str
    #: The services' ECR repositories (`{repository}`: one ARN each), owned by the account stack.
    image_repositories: tuple[str, ...]
    #: The application secrets' names (`{secret}`: one ARN each), whose values CI never touches.
    app_secrets: tuple[str, ...]
    #: The services' own database users (`{database_user}`: one ARN each); default none.
    database_users: tuple[str, ...] = ()


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list | tuple):
        return [_fill(v, values) for v in value]
    if isinstance(value, Mapping):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _resources(
    templates: Iterable[str], values: Mapping[str, str], lists: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """Fill each template; one naming a list placeholder (`{repository}`) gives one ARN per item."""
    out: list[str] = []
    for template in templates:
        key = next((k for k in lists if f"{{{k}}}" in template), None)
        if key is None:
            out.append(template.format(**values))
        else:
            out += [template.format(**values, **{key: item}) for item in lists[key]]
    return out


def _tag_condition(kind: str, environment: str) -> dict[str, Any]:
    return {"StringEquals": {f"aws:{kind}/Project": PROJECT, f"aws:{kind}/Environment": environment}}


def boundary_arn(naming: Naming, account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{naming('boundary', kind='iam-policy')}"


def _values(scope: GrantScope, naming: Naming, account_id: str) -> dict[str, str]:
    return {
        "region": scope.region,
        "copy_region": scope.copy_region,
        "account": account_id,
        "p": naming.prefix,
        "s": naming.short,
        "env": naming.environment,
        "project": PROJECT,
        "bucket": scope.state_bucket,
        "alias": scope.secrets_kms_alias,
        "boundary": boundary_arn(naming, account_id),
    }


def documents(
    grants: tuple[Grant, ...], scope: GrantScope, naming: Naming, account_id: str
) -> dict[str, dict[str, Any]]:
    """`grants` as policy documents, one per area, for this stack in `account_id`."""
    values = _values(scope, naming, account_id)
    lists = {
        "repository": scope.image_repositories,
        "secret": scope.app_secrets,
        "database_user": scope.database_users,
    }
    docs: dict[str, dict[str, Any]] = {}
    for g in grants:
        condition: dict[str, Any] = dict(_fill(g.condition, values))
        if g.scope == "unscopable":
            resources = ["*"]
        elif g.scope in ("request-tag", "resource-tag"):
            tag_kind = "RequestTag" if g.scope == "request-tag" else "ResourceTag"
            tag = _tag_condition(tag_kind, naming.environment)
            condition["StringEquals"] = {**condition.get("StringEquals", {}), **tag["StringEquals"]}
            # ARN patterns (this account and region) where every action takes a resource type.
            resources = _resources(g.resources, values, lists) if g.resources else ["*"]
        else:
            resources = _resources(g.resources, values, lists)
            if not resources:
                continue  # a list placeholder with nothing in it: nothing to grant
        stmt = iam.statement(g.sid, g.actions, resources, effect=g.effect, condition=condition or None)
        docs.setdefault(g.area, {"Version": "2012-10-17", "Statement": []})["Statement"].append(stmt)
    return docs


def deploy_policy_documents(scope: GrantScope, naming: Naming, account_id: str) -> dict[str, dict[str, Any]]:
    """The deploy role's policy documents, one per area."""
    return documents(GRANTS, scope, naming, account_id)


def preview_policy_documents(scope: GrantScope, naming: Naming, account_id: str) -> dict[str, dict[str, Any]]:
    """The preview role's policy documents, one per area: reads only."""
    return documents(PREVIEW_GRANTS, scope, naming, account_id)


def drift_policy_documents(scope: GrantScope, naming: Naming, account_id: str) -> dict[str, dict[str, Any]]:
    """The drift role's policy documents, one per area: the preview's reads and generated secret values."""
    return documents(DRIFT_GRANTS, scope, naming, account_id)


def boundary_policy_document(scope: GrantScope, naming: Naming, account_id: str) -> dict[str, Any]:
    """The permissions boundary of every role the program creates."""
    return documents(BOUNDARY_GRANTS, scope, naming, account_id)["boundary"]


def trust_policy(oidc_provider_arn: str, repository: str, environment: str) -> dict[str, Any]:
    """Only workflow jobs of `repository` running in GitHub environment `environment` may assume."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsThisRepositoryAndEnvironmentOnly",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{environment}",
                    }
                },
            }
        ],
    }


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts against the size quota (whitespace is not counted)."""
    return len(json.dumps(document, separators=(",", ":")))


def minified(key: str) -> Callable[[Mapping[str, Mapping[str, Any]]], str]:
    """Serialize one document of a mapping compactly: IAM counts characters against the quota."""
    return lambda docs: json.dumps(docs[key], separators=(",", ":"))
