"""Least-privilege IAM, the GitHub OIDC trust, and credentials kept out of task definitions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import Severity

from policies.base import UNKNOWN, ArbiterPolicy, Res, StackView, as_list, dig, json_value
from policies.iam_facts import TAG_CONDITION_KEYS, UNSCOPABLE_ACTIONS
from policies.resource_types import (
    IAM_ATTACHMENTS,
    IAM_GROUP_POLICY,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_USER_POLICY,
    RDS_CLUSTER,
    TASK_DEFINITION,
)

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
SUB_KEY: Final = f"{GITHUB_OIDC_HOST}:sub"
#: `repo:OWNER/REPO:...` with no wildcard in owner or repository.
_ONE_REPO: Final = re.compile(r"^repo:([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):.+$")
_SERVICE_WILDCARD: Final = re.compile(r"^[A-Za-z0-9-]+:\*$")
_ADMIN_POLICY: Final = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess)$"
)
_SECRETS_MANAGER_ARN: Final = re.compile(r"^arn:aws[a-z-]*:secretsmanager:")
#: Name parts that mark an environment variable as a credential.
_SECRET_WORDS: Final = frozenset(
    {
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "TOKEN",
        "KEY",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "AUTH",
        "PRIVATE",
        "DSN",
    }
)
_URL_WITH_PASSWORD: Final = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
#: RDS-managed master secrets are named `rds!cluster-<uuid>` (Aurora) or `rds!db-<uuid>` (instances).
_RDS_MANAGED_SECRET: Final = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[^:]*:\d*:secret:rds!(cluster|db)-")
#: Actions that include rds-db:connect.
_DB_CONNECT_ACTIONS: Final = frozenset({"rds-db:connect", "rds-db:*", "*"})


def _documents(res: Res) -> Iterator[tuple[str, Any]]:
    """(where, parsed document) for each identity policy document on the resource."""
    if res.type in (IAM_ROLE_POLICY, IAM_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY):
        yield "policy", json_value(res.get("policy"))
    elif res.type == IAM_ROLE:
        for i, inline in enumerate(as_list(res.get("inlinePolicies"))):
            yield f"inlinePolicies[{i}]", json_value(dig(inline, "policy"))


def statements(document: Any) -> list[dict[str, Any]]:
    """The document's statements that are known objects (unknown ones cannot be judged)."""
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def unknown_statements(document: Any) -> bool:
    """Whether the document, its statement list or one of its statements is unknown.

    A check that a document *lacks* a statement cannot conclude while any statement is unknown.
    """
    if document is UNKNOWN:
        return True
    listed = dig(document, "Statement")
    return listed is UNKNOWN or any(s is UNKNOWN for s in as_list(listed))


def _label(where: str, index: int, stmt: dict[str, Any]) -> str:
    sid = stmt.get("Sid")
    return f"{where} statement {sid or index}"


def _check_wildcard_actions(res: Res) -> Iterator[str]:
    for where, document in _documents(res):
        for i, stmt in enumerate(statements(document)):
            if stmt.get("Effect") != "Allow":
                continue
            if "NotAction" in stmt:
                yield f"{_label(where, i, stmt)}: Allow with NotAction grants every other action"
            for action in as_list(stmt.get("Action")):
                if action == "*":
                    yield f"{_label(where, i, stmt)}: Action '*' grants every action on AWS"
                elif isinstance(action, str) and _SERVICE_WILDCARD.match(action):
                    yield f"{_label(where, i, stmt)}: Action '{action}' grants every action of the service"


def _may_be_tag_scoped(stmt: dict[str, Any]) -> bool:
    """Conditioned on a tag key, or on something not known yet (which may be one)."""
    condition = stmt.get("Condition")
    if condition is UNKNOWN:
        return True
    if not isinstance(condition, dict):
        return False
    for operands in condition.values():
        if operands is UNKNOWN:
            return True
        if isinstance(operands, dict) and any(str(key).startswith(TAG_CONDITION_KEYS) for key in operands):
            return True
    return False


def _check_wildcard_resources(res: Res) -> Iterator[str]:
    for where, document in _documents(res):
        for i, stmt in enumerate(statements(document)):
            if stmt.get("Effect") != "Allow":
                continue
            if "NotResource" in stmt:
                yield f"{_label(where, i, stmt)}: Allow with NotResource applies to every other resource"
            if "*" not in as_list(stmt.get("Resource")) or _may_be_tag_scoped(stmt):
                continue
            scopable = sorted(
                str(a)
                for a in as_list(stmt.get("Action"))
                if a is not UNKNOWN and a not in UNSCOPABLE_ACTIONS
            )
            if scopable:
                yield (
                    f"{_label(where, i, stmt)}: Resource '*' for {', '.join(scopable)}; scope them to ARNs "
                    "or condition them on aws:ResourceTag/ or aws:RequestTag/"
                )


def _check_admin_policies(res: Res) -> Iterator[str]:
    arns = [res.get("policyArn"), *as_list(res.get("policyArns")), *as_list(res.get("managedPolicyArns"))]
    for arn in arns:
        if isinstance(arn, str):
            match = _ADMIN_POLICY.match(arn)
            if match:
                yield f"attaches the AWS-managed {match.group(1)} policy ({arn})"


def _federated_github(stmt: dict[str, Any]) -> bool:
    principal = stmt.get("Principal")
    federated = as_list(dig(principal, "Federated")) if isinstance(principal, dict) else []
    return any(isinstance(p, str) and GITHUB_OIDC_HOST in p for p in federated)


def _check_github_trust(res: Res) -> Iterator[str]:
    wanted = res.config.get("githubRepository")
    for i, stmt in enumerate(statements(json_value(res.get("assumeRolePolicy")))):
        if stmt.get("Effect") != "Allow" or not _federated_github(stmt):
            continue
        label = _label("assumeRolePolicy", i, stmt)
        subjects: list[Any] = []
        condition = stmt.get("Condition")
        if condition is UNKNOWN or (
            isinstance(condition, dict) and any(operands is UNKNOWN for operands in condition.values())
        ):
            continue  # the sub condition may be in what is not known yet
        for operator, operands in condition.items() if isinstance(condition, dict) else []:
            if isinstance(operands, dict) and SUB_KEY in operands:
                if str(operator).startswith("ForAllValues") or "Not" in str(operator):
                    yield f"{label}: {operator} on {SUB_KEY} does not restrict who may assume the role"
                subjects.extend(as_list(operands[SUB_KEY]))
        if not subjects:
            yield f"{label}: GitHub OIDC trust has no {SUB_KEY} condition, so any repository on GitHub can assume it"
            continue
        repos: set[str] = set()
        for subject in subjects:
            if subject is UNKNOWN:
                continue
            match = _ONE_REPO.match(str(subject))
            if not match:
                yield f"{label}: {SUB_KEY} '{subject}' does not name one repository (repo:OWNER/REPO:...)"
            else:
                repos.add(match.group(1))
        if len(repos) > 1:
            yield f"{label}: {SUB_KEY} allows several repositories: {', '.join(sorted(repos))}"
        if isinstance(wanted, str) and wanted and repos - {wanted}:
            yield f"{label}: {SUB_KEY} allows {', '.join(sorted(repos - {wanted}))}, not {wanted}"


def _containers(res: Res) -> list[dict[str, Any]]:
    parsed = json_value(res.get("containerDefinitions"))
    return [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else []


def _looks_secret(name: str) -> bool:
    parts = set(re.split(r"[^A-Z0-9]+", name.upper()))
    return bool(parts & _SECRET_WORDS)


def _check_task_secrets(res: Res) -> Iterator[str]:
    for container in _containers(res):
        cname = container.get("name", "?")
        for entry in as_list(container.get("environment")):
            name, value = dig(entry, "name"), dig(entry, "value")
            if isinstance(name, str) and _looks_secret(name):
                yield f"container {cname}: environment variable {name} looks like a credential; use `secrets`"
            elif isinstance(value, str) and _URL_WITH_PASSWORD.search(value):
                yield f"container {cname}: environment variable {name} embeds a password in a URL"
        for entry in as_list(container.get("secrets")):
            source = dig(entry, "valueFrom")
            if isinstance(source, str) and not _SECRETS_MANAGER_ARN.match(source):
                yield (
                    f"container {cname}: secret {dig(entry, 'name')} comes from {source}; "
                    "credentials live only in Secrets Manager"
                )


def _check_master_secret(res: Res) -> Iterator[str]:
    for container in _containers(res):
        for entry in as_list(container.get("secrets")):
            source = dig(entry, "valueFrom")
            if isinstance(source, str) and _RDS_MANAGED_SECRET.match(source):
                yield (
                    f"container {container.get('name', '?')}: secret {dig(entry, 'name')} is the RDS-managed "
                    "master secret; a service logs in as its own database user"
                )


def _check_db_connect(view: StackView) -> Iterator[tuple[str, str | None]]:
    """rds-db:connect on any user (`*`, `dbuser:*/*`, `dbuser:<cluster>/*`) or on the master user."""
    masters = {m for c in view.of_type(RDS_CLUSTER) if isinstance(m := c.get("masterUsername"), str)}
    types = (IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY)
    for res in view.of_type(*types):
        for where, document in _documents(res):
            for i, stmt in enumerate(statements(document)):
                actions = {a.lower() for a in as_list(stmt.get("Action")) if isinstance(a, str)}
                if stmt.get("Effect") != "Allow" or not actions & _DB_CONNECT_ACTIONS:
                    continue
                for resource in as_list(stmt.get("Resource")):
                    if not isinstance(resource, str):
                        continue  # unknown until deployed
                    user = (
                        resource.split(":dbuser:", 1)[1].split("/", 1)[-1] if ":dbuser:" in resource else None
                    )
                    if resource == "*" or (user is not None and "*" in user):
                        problem = f"{resource}: any database user"
                    elif user in masters:
                        problem = f"{resource}: the master user"
                    else:
                        continue
                    yield f"{_label(where, i, stmt)}: rds-db:connect on {problem}", res.urn


POLICIES: Final = [
    ArbiterPolicy(
        name="iam-no-wildcard-actions",
        description="IAM policies grant named actions: no '*', no service wildcards such as 'ec2:*', no NotAction.",
        severity=Severity.HIGH,
        controls=("IAM.1", "IAM.21", "IAM5"),
        remediation="List the exact actions each principal needs (arbiter_infra.iam.statement).",
        resource_types=(IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY),
        check=_check_wildcard_actions,
    ),
    ArbiterPolicy(
        name="iam-wildcard-resource-scoped",
        description=(
            "Resource '*' is used only for actions that cannot be scoped (UNSCOPABLE_ACTIONS) or in statements "
            "conditioned on aws:ResourceTag/ or aws:RequestTag/."
        ),
        severity=Severity.HIGH,
        controls=("IAM.21", "IAM5"),
        remediation=(
            "Replace '*' with the resource ARNs, move unscopable actions to their own statement, or add a "
            "tag condition (aws:ResourceTag/Project) to the statement."
        ),
        resource_types=(IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY),
        check=_check_wildcard_resources,
    ),
    ArbiterPolicy(
        name="iam-no-admin-managed-policies",
        description="No AWS-managed administrator policy (AdministratorAccess, PowerUserAccess, IAMFullAccess).",
        severity=Severity.CRITICAL,
        controls=("IAM.1", "IAM4"),
        remediation="Attach a customer-managed policy with only the actions the role needs.",
        resource_types=(IAM_ROLE, *IAM_ATTACHMENTS),
        check=_check_admin_policies,
    ),
    ArbiterPolicy(
        name="github-oidc-trust-one-repository",
        description=f"Roles trusted by GitHub OIDC restrict {SUB_KEY} to this one repository.",
        severity=Severity.CRITICAL,
        controls=("IAM5", "CKV_AWS_358"),
        remediation=(
            f"Add a StringEquals/StringLike condition on {SUB_KEY} with values "
            "repo:OWNER/REPO:environment:NAME or repo:OWNER/REPO:ref:refs/heads/BRANCH."
        ),
        resource_types=(IAM_ROLE,),
        check=_check_github_trust,
        config_properties={
            "githubRepository": {"type": "string", "description": "OWNER/REPO every GitHub trust must name."}
        },
    ),
    ArbiterPolicy(
        name="task-credentials-from-secrets-manager",
        description="Containers receive credentials only through `secrets` from Secrets Manager, never `environment`.",
        severity=Severity.CRITICAL,
        controls=("ECS.8", "ECS2"),
        remediation=(
            "Move the variable to the container's `secrets` with valueFrom "
            "'<secret-arn>:<json-key>::' and grant the execution role secretsmanager:GetSecretValue on it."
        ),
        resource_types=(TASK_DEFINITION,),
        check=_check_task_secrets,
    ),
    ArbiterPolicy(
        name="task-no-database-master-secret",
        description=(
            "No task definition injects the RDS-managed master secret (rds!cluster-...): each service "
            "logs in as its own least-privileged database user."
        ),
        severity=Severity.CRITICAL,
        controls=("ARBITER-DATA-1",),
        remediation=(
            "Give the service its own database user (services.<name>.databaseAccess) and IAM database "
            "authentication; remove the master secret from its `secrets`."
        ),
        resource_types=(TASK_DEFINITION,),
        check=_check_master_secret,
    ),
    ArbiterPolicy(
        name="iam-rds-db-connect-one-user",
        description=(
            "rds-db:connect is granted on named database users only: never on '*', on every user "
            "(dbuser:*/*) or on the cluster's master user."
        ),
        severity=Severity.CRITICAL,
        controls=("ARBITER-DATA-2",),
        remediation=(
            "Grant rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<cluster-resource-id>/<user> "
            "for the principal's own user."
        ),
        resource_types=(
            IAM_ROLE,
            IAM_ROLE_POLICY,
            IAM_POLICY,
            IAM_USER_POLICY,
            IAM_GROUP_POLICY,
            RDS_CLUSTER,
        ),
        stack_check=_check_db_connect,
    ),
]
