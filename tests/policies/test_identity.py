"""`policies/identity.py`: IAM (wildcards, admin policies, GitHub OIDC trust) and task credentials."""

from __future__ import annotations

import pytest

from policies import identity
from tests.policies.builder import ACCOUNT, KEY_ARN, OIDC_ARN, REPO, StackBuilder, doc, with_container
from tests.policies.cases import (
    ENVIRONMENTS,
    Case,
    assert_cases_cover,
    assert_happy_path,
    assert_violation,
    case_id,
    run,
)
from tests.policies.compliant import compliant_stack


def _role_policy(b: StackBuilder, *statements: dict) -> None:
    b.set("task-policy", policy=doc(*statements))


def _trust(b: StackBuilder, condition: dict | None) -> None:
    stmt: dict = {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        stmt["Condition"] = condition
    b.set("deploy-role", assumeRolePolicy=doc(stmt))


def _connect(resource: str) -> dict:
    return {"Sid": "Db", "Effect": "Allow", "Action": ["rds-db:connect"], "Resource": [resource]}


SUB = "token.actions.githubusercontent.com:sub"
AUD = "token.actions.githubusercontent.com:aud"


CASES: list[Case] = [
    Case(
        "iam-no-wildcard-actions",
        lambda b: _role_policy(b, {"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": KEY_ARN}),
        "statement Ec2: Action 'ec2:*' grants every action of the service",
        id="service-wildcard",
    ),
    Case(
        "iam-no-wildcard-actions",
        lambda b: b.set(
            "deploy-policy",
            policy=doc({"Effect": "Allow", "Action": ["*"], "Resource": KEY_ARN}),
        ),
        "statement 0: Action '*' grants every action on AWS",
        id="star",
    ),
    Case(
        "iam-no-wildcard-actions",
        lambda b: b.set(
            "task-role",
            inlinePolicies=[
                {"name": "x", "policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": KEY_ARN})}
            ],
        ),
        "inlinePolicies[0] statement 0: Allow with NotAction",
        id="inline-notaction",
    ),
    Case(
        "iam-wildcard-resource-scoped",
        lambda b: _role_policy(
            b,
            {
                "Sid": "Mixed",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken", "secretsmanager:GetSecretValue"],
                "Resource": "*",
            },
        ),
        "statement Mixed: Resource '*' for secretsmanager:GetSecretValue",
        id="scopable",
    ),
    Case(
        "iam-wildcard-resource-scoped",
        lambda b: _role_policy(
            b,
            {
                "Sid": "WrongCondition",
                "Effect": "Allow",
                "Action": "ecs:UpdateService",
                "Resource": ["*"],
                "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "x"}},
            },
        ),
        "statement WrongCondition: Resource '*' for ecs:UpdateService",
        id="non-tag-condition",
    ),
    Case(
        "iam-no-admin-managed-policies",
        lambda b: b.set("deploy-attach", policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        "attaches the AWS-managed AdministratorAccess policy",
        id="attachment",
    ),
    Case(
        "iam-no-admin-managed-policies",
        lambda b: b.set("task-role", managedPolicyArns=["arn:aws:iam::aws:policy/IAMFullAccess"]),
        "IAMFullAccess",
        id="managed-arns",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringEquals": {AUD: "sts.amazonaws.com"}}),
        f"no {SUB} condition, so any repository",
        id="aud-only",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringLike": {SUB: "repo:*"}}),
        "'repo:*' does not name one repository",
        id="repo-star",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringLike": {SUB: "repo:arbiter-bot/*:ref:refs/heads/main"}}),
        "does not name one repository",
        id="org-wide",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, {"StringLike": {SUB: [f"repo:{REPO}:*", "repo:someone/else:*"]}}),
        "allows several repositories: arbiter-bot/arbiter-infra, someone/else",
        id="two-repos",
    ),
    Case(
        "github-oidc-trust-one-repository",
        lambda b: _trust(b, None),
        "has no token.actions.githubusercontent.com:sub condition",
        id="no-condition",
    ),
    Case(
        "task-credentials-from-secrets-manager",
        lambda b: with_container(b, environment=[{"name": "POLY_API_SECRET", "value": "abc"}]),
        "environment variable POLY_API_SECRET looks like a credential",
        id="secret-in-env",
    ),
    Case(
        "task-credentials-from-secrets-manager",
        lambda b: with_container(
            b, environment=[{"name": "DATABASE_URL", "value": "postgres://u:p@db:5432/x"}]
        ),
        "embeds a password in a URL",
        id="url-password",
    ),
    Case(
        "task-credentials-from-secrets-manager",
        lambda b: with_container(
            b,
            secrets=[{"name": "KALSHI_KEY_ID", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/k"}],
        ),
        "credentials live only in Secrets Manager",
        id="ssm-secret",
    ),
    Case(
        "task-no-database-master-secret",
        lambda b: with_container(
            b,
            secrets=[
                {
                    "name": "DATABASE_PASSWORD",
                    "valueFrom": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rds!cluster-0a1b2c-XyZ:password::",
                }
            ],
        ),
        "secret DATABASE_PASSWORD is the RDS-managed master secret",
    ),
    Case(
        "iam-rds-db-connect-one-user",
        lambda b: _role_policy(
            b, _connect(f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:cluster-ABC123/arbiter")
        ),
        "statement Db: rds-db:connect on arn:aws:rds-db:us-east-1:123456789012:dbuser:cluster-ABC123/arbiter: the master user",
        id="master",
    ),
    Case(
        "iam-rds-db-connect-one-user",
        lambda b: _role_policy(b, _connect(f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:*/*")),
        "dbuser:*/*: any database user",
        id="every-user",
    ),
    Case(
        "iam-rds-db-connect-one-user",
        lambda b: _role_policy(b, _connect("*")),
        "statement Db: rds-db:connect on *: any database user",
        also=("iam-wildcard-resource-scoped",),
        id="star",
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_happy_path_passes(environment: str) -> None:
    assert_happy_path(identity.POLICIES, environment)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_violation_fires_only_its_policy(case: Case) -> None:
    assert_violation(case)


def test_every_policy_has_a_violation_case() -> None:
    assert_cases_cover(identity.POLICIES, CASES)


# Policy config.


def test_github_repository_config_pins_the_repository() -> None:
    b = compliant_stack()
    assert run(b, {"github-oidc-trust-one-repository": {"githubRepository": REPO}}) == []
    fired = run(b, {"github-oidc-trust-one-repository": {"githubRepository": "arbiter-bot/other"}})
    assert [v.policy for v in fired] == ["github-oidc-trust-one-repository"]
    assert "not arbiter-bot/other" in fired[0].message
