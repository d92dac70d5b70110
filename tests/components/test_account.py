"""AccountResources alone: exactly the repositories and roles it is given, kept beyond the stack."""

from __future__ import annotations

import json

from arbiter_infra.naming import Naming
from components.account import AccountResources, AccountResourcesArgs
from tests.components.conftest import Build

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def _account(naming: Naming, *, oidc: bool = True, foreign: frozenset[str] = frozenset()) -> AccountResources:
    return AccountResources(
        naming("account"),
        AccountResourcesArgs(
            repositories=["engine", "bot"],
            keep_images=7,
            kms_key_arn="arn:ecr-key",
            github_oidc_provider=oidc,
            service_linked_roles={"ecs": "ecs.amazonaws.com", "rds": "rds.amazonaws.com"},
            is_foreign_role=lambda principal: principal in foreign,
        ),
    )


def test_exactly_the_given_repositories_immutable_encrypted_and_expiring(
    build: Build, naming: Naming
) -> None:
    d = build(lambda: _account(naming))
    repos = {r.inputs["name"]: r for r in d.of_type(REPOSITORY)}
    assert sorted(repos) == ["bot", "engine"]
    for repo in repos.values():
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["encryptionConfigurations"][0]["kmsKey"] == "arn:ecr-key"
        assert repo.protect and repo.retain_on_delete
    policies = [json.loads(p.inputs["policy"]) for p in d.of_type(LIFECYCLE)]
    assert len(policies) == 2
    assert {p["rules"][0]["selection"]["countNumber"] for p in policies} == {7}


def test_the_oidc_provider_only_when_asked(build: Build, naming: Naming) -> None:
    assert len(build(lambda: _account(naming)).of_type(OIDC)) == 1
    assert build(lambda: _account(naming, oidc=False)).of_type(OIDC) == []


def test_a_foreign_service_linked_role_is_left_alone(build: Build, naming: Naming) -> None:
    d = build(lambda: _account(naming))
    assert sorted(r.inputs["awsServiceName"] for r in d.of_type(SLR)) == [
        "ecs.amazonaws.com",
        "rds.amazonaws.com",
    ]
    d = build(lambda: _account(naming, foreign=frozenset({"rds.amazonaws.com"})))
    assert [r.inputs["awsServiceName"] for r in d.of_type(SLR)] == ["ecs.amazonaws.com"]
    assert all(r.protect and r.retain_on_delete for r in d.of_type(SLR))
