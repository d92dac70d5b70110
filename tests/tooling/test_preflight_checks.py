"""Preflight against moto: the state backend, the certificate and the secrets."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from arbiter_tools import (
    bootstrap,
    preflight_checks,
    stacks,
)
from arbiter_tools.emulator import _self_signed
from arbiter_tools.stacks import load_stack
from tests.tooling.preflight_support import ACCOUNT, with_services

pytestmark = pytest.mark.moto


# --- state backend (moto) ---------------------------------------------------------------------


def test_state_backend_checks(aws: boto3.Session) -> None:
    stack = load_stack("staging")
    config = stack.config
    s3, kms = aws.client("s3"), aws.client("kms")
    assert preflight_checks.check_state_bucket(s3, config).status == "FAIL"
    assert preflight_checks.check_state_key(kms, config).status == "FAIL"
    bootstrap.bootstrap(aws, stacks.Backend.of(stack.name, stack.config), io.StringIO())
    assert preflight_checks.check_state_bucket(s3, config).status == "ok"
    assert preflight_checks.check_state_key(kms, config).status == "ok"

    s3.put_bucket_versioning(
        Bucket=config.delivery.state_bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    check = preflight_checks.check_state_bucket(s3, config)
    assert (check.status, check.detail) == (
        "FAIL",
        "versioning is Suspended: a bad write could not be undone",
    )
    kms.disable_key(KeyId=kms.describe_key(KeyId=config.delivery.secrets_kms_alias)["KeyMetadata"]["KeyId"])
    check = preflight_checks.check_state_key(kms, config)
    assert check.status == "FAIL" and "is Disabled" in check.detail


# --- certificate (moto) -----------------------------------------------------------------------


class _NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected API call {name}")


def test_certificate(aws: boto3.Session) -> None:
    config = load_stack("prod").config
    acm = aws.client("acm")
    cert, key = _self_signed("api.arbiter-bot.dev")
    issued = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    check = preflight_checks.check_certificate(acm, with_services(config, certificate_arn=issued))
    assert (check.status, check.detail) == ("ok", "api.arbiter-bot.dev ISSUED in us-east-1")

    pending = acm.request_certificate(DomainName="api.arbiter-bot.dev", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    check = preflight_checks.check_certificate(acm, with_services(config, certificate_arn=pending))
    assert check.status == "FAIL" and "is PENDING_VALIDATION, not ISSUED" in check.detail
    assert check.fix is not None and "DNS validation records" in check.fix

    # The stack file's placeholder: the all-zero certificate does not exist.
    check = preflight_checks.check_certificate(acm, config)
    assert check.status == "FAIL" and check.detail.endswith("does not exist")

    elsewhere = issued.replace(":us-east-1:", ":eu-west-1:")
    check = preflight_checks.check_certificate(_NoCalls(), with_services(config, certificate_arn=elsewhere))
    assert check.status == "FAIL" and "is in eu-west-1, the ALB in us-east-1" in check.detail
    foreign = issued.replace(f":{ACCOUNT}:", ":111122223333:")
    check = preflight_checks.check_certificate(_NoCalls(), with_services(config, certificate_arn=foreign))
    assert check.status == "FAIL" and "belongs to account 111122223333" in check.detail

    check = preflight_checks.check_certificate(_NoCalls(), load_stack("staging").config)
    assert check.status == "skip" and "self-signed" in check.detail


# --- secrets (moto) ---------------------------------------------------------------------------


def test_secrets_need_a_current_value_set_by_an_operator(aws: boto3.Session) -> None:
    sm = aws.client("secretsmanager")

    def refuse(**_: Any) -> None:
        raise AssertionError("preflight must not read secret values")

    sm.meta.events.register("before-call.secrets-manager.GetSecretValue", refuse)
    set_cmd = "arbiter-infra secrets set --stack staging --secret kalshi"
    check = preflight_checks.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert check.status == "FAIL" and "does not exist yet and the services are not paused" in check.detail
    assert check.fix == f"set arbiter:services.paused: true for the first `pulumi up`, then {set_cmd}"
    # The first, paused `up` creates the container; its tasks need no value yet.
    check = preflight_checks.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=True)
    assert check.status == "skip" and set_cmd in check.detail

    sm.create_secret(Name="arbiter-staging/kalshi")  # created by the paused up, never given a value
    check = preflight_checks.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert check.status == "FAIL" and "has no current value" in check.detail
    assert check.fix == set_cmd
    assert (
        preflight_checks.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=True).status
        == "skip"
    )

    sm.put_secret_value(SecretId="arbiter-staging/kalshi", SecretString='{"key_id": "k", "private_key": "p"}')
    check = preflight_checks.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert (check.status, check.detail) == ("ok", "arbiter-staging/kalshi has a current value")

    sm.delete_secret(SecretId="arbiter-staging/kalshi", RecoveryWindowInDays=7)
    check = preflight_checks.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert check.status == "FAIL" and "scheduled for deletion" in check.detail
    assert check.fix == "aws secretsmanager restore-secret --secret-id arbiter-staging/kalshi"


def test_a_version_without_awscurrent_is_no_value() -> None:
    """Stub-tested: AWS (and moto) label a secret's first version AWSCURRENT, so only a secret whose
    current version was moved away (an unfinished rotation) has versions but no current one."""
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    stub = Stubber(sm)
    stub.add_response(
        "describe_secret",
        {
            "Name": "arbiter-staging/telegram",
            "VersionIdsToStages": {"2" * 36: ["AWSPENDING"], "1" * 36: ["AWSPREVIOUS"]},
        },
        {"SecretId": "arbiter-staging/telegram"},
    )
    stub.activate()
    check = preflight_checks.check_secret(sm, "staging", "arbiter-staging", "telegram", paused=False)
    assert check.status == "FAIL" and "has no current value" in check.detail


# --- Redis authentication (moto) --------------------------------------------------------------


def test_redis_group_with_its_auth_token_needs_the_migration_step_first(aws: boto3.Session) -> None:
    config = load_stack("staging").config
    cache = aws.client("elasticache")
    check = preflight_checks.check_redis_auth(cache, config)
    assert check.status == "ok" and "does not exist yet" in check.detail  # a new stack: RBAC from the start
    cache.create_replication_group(
        ReplicationGroupId="arbiter-staging-redis",
        ReplicationGroupDescription="deployed before RBAC",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken="a" * 64,
    )
    # The end state (default user off) onto a token-protected group would cut off running tasks.
    check = preflight_checks.check_redis_auth(cache, config)
    assert check.status == "FAIL" and "still has its AUTH token" in check.detail
    assert check.fix is not None and "legacyAuthToken: true" in check.fix
    migrating = config.model_copy(
        update={"cache": config.cache.model_copy(update={"legacy_auth_token": True})}
    )
    assert preflight_checks.check_redis_auth(cache, migrating).status == "ok"


# --- cache engine (moto) ----------------------------------------------------------------------


def test_cache_engine_must_match_the_live_group(aws: boto3.Session) -> None:
    """redis -> valkey is done in AWS first; valkey -> redis would replace the group (empty)."""
    config = load_stack("staging").config
    assert config.cache.engine == "valkey"
    elasticache = aws.client("elasticache")
    check = preflight_checks.check_cache_engine(elasticache, config)
    assert (check.status, check.detail) == ("ok", "not created yet: pulumi up creates it with valkey")
    group = {
        "ReplicationGroupId": "arbiter-staging-redis",
        "ReplicationGroupDescription": "d",
        "CacheNodeType": "cache.t4g.micro",
        "NumCacheClusters": 1,
    }
    elasticache.create_replication_group(**group, Engine="redis", EngineVersion="7.1")
    check = preflight_checks.check_cache_engine(elasticache, config)
    assert check.status == "FAIL" and "runs redis and cache.engine is valkey" in check.detail
    assert check.fix is not None and (
        "modify-replication-group --replication-group-id arbiter-staging-redis --engine valkey "
        "--engine-version 8.0 --cache-parameter-group-name default.valkey8" in check.fix
    )
    as_redis = config.model_copy(update={"cache": config.cache.model_copy(update={"engine": "redis"})})
    assert preflight_checks.check_cache_engine(elasticache, as_redis).status == "ok"
    prod = load_stack("prod").config
    elasticache.create_replication_group(
        **{**group, "ReplicationGroupId": "arbiter-prod-redis"}, Engine="valkey", EngineVersion="8.0"
    )
    assert (
        preflight_checks.check_cache_engine(elasticache, prod).detail == "runs valkey, as cache.engine says"
    )
    prod_on_redis = prod.model_copy(update={"cache": prod.cache.model_copy(update={"engine": "redis"})})
    check = preflight_checks.check_cache_engine(elasticache, prod_on_redis)
    assert check.status == "FAIL" and "replace the group with an empty one" in check.detail
    assert (
        check.fix
        == "set arbiter:cache.engine: valkey (AWS has no in-place change back; docs/cache-engine.md)"
    )
