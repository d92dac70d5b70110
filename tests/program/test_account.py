"""The account stack: what every environment in an AWS account needs before its first deploy.

Uses the shared `account` fixture (tests/conftest.py) like the environment stacks use `staging`/`prod`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from arbiter_infra import catalog
from arbiter_infra.config import ConfigError
from arbiter_tools.emulator import MOTO_CONFIG, EmulatorMocks, deploy
from arbiter_tools.runtime import ArbiterMocks, Deployment, run_program
from tests.conftest import FAKE_ENV

REPOSITORY = "aws:ecr/repository:Repository"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def test_account_stack_owns_repositories_oidc_and_service_linked_roles(account: Deployment) -> None:
    repos = {r.inputs["name"]: r for r in account.of_type(REPOSITORY)}
    assert set(repos) == set(catalog.IMAGE_REPOSITORIES.values())
    [key] = account.of_type("aws:kms/key:Key")
    for repo in repos.values():
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["encryptionConfigurations"][0]["kmsKey"] == account.outputs["ecrKmsKeyArn"]
    assert key.protect
    assert len(account.of_type(OIDC)) == 1
    principals = {r.inputs["awsServiceName"] for r in account.of_type(SLR)}
    assert principals == {p for p, _ in catalog.SERVICE_LINKED_ROLES.values()}


def test_account_resources_survive_the_stack(account: Deployment) -> None:
    """Every environment depends on them: protected, and kept in AWS if the stack is removed."""
    for r in [*account.of_type(REPOSITORY), *account.of_type(SLR), *account.of_type(OIDC)]:
        assert r.protect, r.name
        assert r.retain_on_delete, r.name


def test_environment_stacks_hold_no_account_resources(staging: Deployment, prod: Deployment) -> None:
    """Two environments in one account would otherwise both create them (EntityAlreadyExists)."""
    for deployment in (staging, prod):
        for type_ in (SLR, OIDC, REPOSITORY):
            assert not deployment.of_type(type_), (deployment.stack, type_)


def test_account_stack_refuses_environment_settings() -> None:
    with pytest.raises(ConfigError, match=r"^arbiter:environment is set in an account stack"):
        run_program("account", config_overrides={"environment": "staging"})


def test_account_stack_setting_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        run_program(
            "account", config_overrides={"account": {"ecrKeepImages": 30, "serviceLinkedRoles": ["ec2"]}}
        )
    assert str(err.value).startswith('arbiter:account.serviceLinkedRoles[0] = "ec2": must be one of ecs,')


class _LookupOnly(ArbiterMocks):
    """A preview against a live account: data sources read the account, nothing is created."""

    def __init__(self, emulator: EmulatorMocks) -> None:
        super().__init__("account")
        self.emulator = emulator

    def call(self, args: Any) -> Any:
        return self.emulator.call(args)


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        yield boto3.Session(region_name="us-east-1")


@pytest.mark.moto
def test_existing_service_linked_role_is_left_alone_and_own_ones_stay_declared(
    moto_account: boto3.Session,
) -> None:
    """An account that already used RDS has its role: creating it again would fail ('has been taken')."""
    iam = moto_account.client("iam")
    iam.create_service_linked_role(AWSServiceName="rds.amazonaws.com")
    first = deploy("account", EmulatorMocks("account", session=moto_account))
    assert first.outputs["existingServiceLinkedRoles"] == ["rds"]
    assert "rds.amazonaws.com" not in {r.inputs["awsServiceName"] for r in first.of_type(SLR)}
    created = {r.inputs["awsServiceName"] for r in first.of_type(SLR)}
    assert len(created) == len(catalog.SERVICE_LINKED_ROLES) - 1
    # A second run against the same account: the roles this stack created carry its tags, so they
    # stay declared (no delete in the next preview); the foreign one stays foreign.
    second = run_program("account", mocks=_LookupOnly(EmulatorMocks("account", session=moto_account)))
    assert {r.inputs["awsServiceName"] for r in second.of_type(SLR)} == created
    assert second.outputs["existingServiceLinkedRoles"] == ["rds"]
