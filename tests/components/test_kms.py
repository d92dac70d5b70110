"""StackKey alone: a rotating customer-managed key whose policy lets the account's IAM decide."""

from __future__ import annotations

import json

from arbiter_infra.naming import Naming
from components.kms import StackKey, StackKeyArgs
from tests.components.conftest import Build

ACCOUNT = "111122223333"


def _key(naming: Naming, *, protect: bool = False) -> StackKey:
    return StackKey(
        naming("key"),
        StackKeyArgs(naming=naming, region="eu-west-1", account_id=ACCOUNT, purpose="tests", protect=protect),
    )


def test_key_rotates_and_its_alias_is_the_stack_prefix(build: Build, naming: Naming) -> None:
    d = build(lambda: _key(naming))
    key = d.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    alias = d.one("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/arbiter-unit"


def test_key_policy_grants_the_account_root_and_names_the_region(build: Build, naming: Naming) -> None:
    d = build(lambda: _key(naming))
    policy = json.loads(d.one("aws:kms/key:Key").inputs["policy"])
    principals = json.dumps([s.get("Principal") for s in policy["Statement"]])
    assert f"arn:aws:iam::{ACCOUNT}:root" in principals
    assert "eu-west-1" in json.dumps(policy)


def test_protect_follows_the_argument(build: Build, naming: Naming) -> None:
    assert build(lambda: _key(naming, protect=True)).one("aws:kms/key:Key").protect is True
    assert build(lambda: _key(naming, protect=False)).one("aws:kms/key:Key").protect is False
