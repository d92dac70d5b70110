"""ServiceTier alone, with made-up services: what a service is comes from its traits, not its name."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_infra.application import ServiceTraits
from arbiter_infra.naming import Naming
from arbiter_tools.runtime import DeclaredResource, Deployment
from components.services import ServiceSpec, ServiceTier, ServiceTierArgs, env_name, grpc_address_variable
from tests.components.conftest import Build
from tests.components.service_fixtures import (
    ACCOUNT,
    CACHE,
    DATABASE,
    KEY_ARN,
    REGION,
    container,
    redis_secret,
    service_config,
    services_config,
)

TELEGRAM = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:arbiter-unit/telegram"
ECS_SERVICE = "aws:ecs/service:Service"
TRAITS = {
    "engine": ServiceTraits(image_repository="engine", discoverable=True, steady_capacity=True),
    "chat": ServiceTraits(image_repository="chat", calls=("engine",), secrets=("telegram",)),
    "front": ServiceTraits(image_repository="front", public=True, calls=("engine",)),
}
CONFIGS = {
    "engine": service_config(
        port=7000, usesDatabase=True, databaseAccess={"ledger": "owner"}, usesRedis=True
    ),
    "chat": service_config(usesRedis=True),
    "front": service_config(port=8081, usesDatabase=True, databaseAccess={"web": "owner"}),
}


def _tier(naming: Naming, traits: dict[str, ServiceTraits] = TRAITS, **overrides: Any) -> ServiceTier:
    args: dict[str, Any] = {
        "config": services_config(CONFIGS, **overrides.pop("services", {})),
        "services": overrides.pop(
            "specs",
            {
                svc: ServiceSpec(
                    config=CONFIGS[svc],
                    traits=t,
                    security_group_id=f"sg-{svc}",
                    database_user=f"{svc}_user" if CONFIGS[svc].uses_database else None,
                    redis_user=CACHE.users.get(svc),
                )
                for svc, t in traits.items()
            },
        ),
        "naming": naming,
        "environment": "staging",
        "region": REGION,
        "account_id": ACCOUNT,
        "kms_key_arn": KEY_ARN,
        "vpc_id": "vpc-unit",
        "public_subnet_ids": ["subnet-pub"],
        "private_subnet_ids": ["subnet-priv"],
        "alb_security_group_id": "sg-alb",
        "secret_value_from": {"telegramBotToken": f"{TELEGRAM}:bot_token::"},
        "secret_arns": {"telegram": TELEGRAM},
        "database": DATABASE,
        "cache": CACHE,
        "deployment_alarm_names": {svc: [f"arbiter-unit-ecs-memory-{svc}"] for svc in traits},
    }
    args.update(overrides)
    return ServiceTier("unit-services", ServiceTierArgs(**args))


@pytest.fixture
def tier(build: Build, naming: Naming) -> Deployment:
    return build(lambda: _tier(naming))


def _service(d: Deployment, svc: str) -> DeclaredResource:
    [found] = [r for r in d.of_type(ECS_SERVICE) if r.inputs["name"] == svc]
    return found


def _env(d: Deployment, svc: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(d, f"arbiter-unit-{svc}")["environment"]}


def _secrets(d: Deployment, svc: str) -> dict[str, str]:
    return {s["name"]: s["valueFrom"] for s in container(d, f"arbiter-unit-{svc}")["secrets"]}


def test_names_of_variables() -> None:
    assert env_name("telegramBotToken") == "TELEGRAM_BOT_TOKEN"
    assert grpc_address_variable("trading-core") == "TRADING_CORE_GRPC_ADDR"


def test_steady_capacity_follows_the_trait(tier: Deployment) -> None:
    percent = {svc: _service(tier, svc).inputs["deploymentMinimumHealthyPercent"] for svc in TRAITS}
    assert percent == {"engine": 100, "chat": 50, "front": 50}


def test_only_the_public_service_gets_the_target_groups(tier: Deployment, naming: Naming) -> None:
    tgs = tier.of_type("aws:lb/targetGroup:TargetGroup")
    assert sorted(tg.inputs["name"] for tg in tgs) == [
        f"{naming.short}-front-grpc",
        f"{naming.short}-front-rest",
    ]
    assert all(tg.inputs["port"] == 8081 for tg in tgs)
    front = _service(tier, "front")
    assert {lb["targetGroupArn"] for lb in front.inputs["loadBalancers"]} == {tg.outputs["arn"] for tg in tgs}
    for listener in tier.of_type("aws:lb/listener:Listener"):
        assert listener.urn in front.dependencies
    for svc in ("engine", "chat"):
        assert not _service(tier, svc).inputs.get("loadBalancers")


def test_a_canary_front_shifts_through_alternate_groups_and_rules_others_roll(
    build: Build, naming: Naming
) -> None:
    canary = {"strategy": "canary", "canaryPercent": 5, "canaryMinutes": 5, "bakeMinutes": 10}
    front_config = service_config(
        port=8081, usesDatabase=True, databaseAccess={"web": "owner"}, deployment=canary
    )
    configs = {**CONFIGS, "front": front_config}
    specs = {
        svc: ServiceSpec(
            config=configs[svc],
            traits=t,
            security_group_id=f"sg-{svc}",
            database_user=f"{svc}_user" if configs[svc].uses_database else None,
            redis_user=CACHE.users.get(svc),
        )
        for svc, t in TRAITS.items()
    }
    d = build(lambda: _tier(naming, specs=specs, config=services_config(configs)))
    front = _service(d, "front")
    assert front.inputs["deploymentConfiguration"]["strategy"] == "CANARY"
    rules = {r.outputs["arn"]: r for r in d.of_type("aws:lb/listenerRule:ListenerRule")}
    [role] = [r for r in d.of_type("aws:iam/role:Role") if r.name.endswith("traffic-shift-role")]
    [role_policy] = [
        p for p in d.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("traffic-shift-policy")
    ]
    for lb in front.inputs["loadBalancers"]:
        advanced = lb["advancedConfiguration"]
        rule = rules[advanced["productionListenerRule"]]
        forwarded = {t["arn"] for t in rule.inputs["actions"][0]["forward"]["targetGroups"]}
        assert forwarded == {lb["targetGroupArn"], advanced["alternateTargetGroupArn"]}
        assert advanced["roleArn"] == role.outputs["arn"]
        assert rule.urn in front.dependencies
    # ECS checks the role's permissions when it creates the service.
    assert role_policy.urn in front.dependencies
    for svc in ("engine", "chat"):
        assert _service(d, svc).inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}


def test_a_single_writer_is_replaced_stop_before_start(build: Build, naming: Naming) -> None:
    traits = {
        **TRAITS,
        "engine": ServiceTraits(image_repository="engine", discoverable=True, single_writer=True),
    }
    d = build(lambda: _tier(naming, traits))
    engine = _service(d, "engine")
    assert (engine.inputs["deploymentMinimumHealthyPercent"], engine.inputs["deploymentMaximumPercent"]) == (
        0,
        100,
    )
    assert _service(d, "chat").inputs["deploymentMaximumPercent"] == 200


def test_every_service_rolls_back_on_its_own_alarms(tier: Deployment, build: Build, naming: Naming) -> None:
    for svc in TRAITS:
        alarms = _service(tier, svc).inputs["alarms"]
        assert alarms == {"alarmNames": [f"arbiter-unit-ecs-memory-{svc}"], "enable": True, "rollback": True}
    partial = {"engine": ["arbiter-unit-ecs-memory-engine"]}
    with pytest.raises(ValueError, match=r"no deployment alarms for \['chat', 'front'\]"):
        build(lambda: _tier(naming, deployment_alarm_names=partial))


def test_discoverable_services_are_registered_and_their_callers_get_the_address(tier: Deployment) -> None:
    disc = tier.one("aws:servicediscovery/service:Service")
    assert disc.inputs["name"] == "engine"
    ns = tier.one("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
    assert ns.inputs["description"] == "Service discovery for gRPC clients of engine"
    for svc in ("chat", "front"):
        assert _env(tier, svc)["ENGINE_GRPC_ADDR"] == "engine.arbiter-unit.internal:7000"
    assert "ENGINE_GRPC_ADDR" not in _env(tier, "engine")


def test_secrets_reach_only_their_service_and_never_the_environment(tier: Deployment) -> None:
    assert _secrets(tier, "chat") == {
        "TELEGRAM_BOT_TOKEN": f"{TELEGRAM}:bot_token::",
        "REDIS_USERNAME": f"{redis_secret('chat')}:username::",
        "REDIS_PASSWORD": f"{redis_secret('chat')}:password::",
    }
    # The database is reached with IAM tokens of each service's own user: no password is injected.
    assert _secrets(tier, "front") == {}
    engine = _secrets(tier, "engine")
    assert set(engine) == {"REDIS_USERNAME", "REDIS_PASSWORD"}
    # Each Redis user's secret reaches its own service only.
    assert engine["REDIS_PASSWORD"] == f"{redis_secret('engine')}:password::"
    for svc in TRAITS:
        env = _env(tier, svc)
        assert not set(env) & set(_secrets(tier, svc))
        assert not any("secretsmanager" in v for v in env.values())


def test_data_tier_settings_follow_the_config(tier: Deployment) -> None:
    engine, chat, front = (_env(tier, svc) for svc in TRAITS)
    assert engine["DATABASE_HOST"] == front["DATABASE_HOST"] == "db.unit"
    assert engine["DATABASE_READER_HOST"] == "db-ro.unit"
    assert (engine["DATABASE_PORT"], engine["DATABASE_NAME"]) == ("5432", "appdb")
    assert (engine["DATABASE_USER"], front["DATABASE_USER"]) == ("engine_user", "front_user")
    assert engine["DATABASE_SSLMODE"] == "verify-full"
    assert (chat["REDIS_HOST"], chat["REDIS_PORT"], chat["REDIS_TLS"]) == ("redis.unit", "6379", "true")
    assert "DATABASE_HOST" not in chat and "REDIS_HOST" not in front
    assert engine["ARBITER_ENV"] == "staging" and engine["ARBITER_PAPER_TRADE"] == "true"


def test_exec_is_configured_tier_wide(build: Build, naming: Naming) -> None:
    d = build(lambda: _tier(naming, services={"enableExec": True}))
    assert all(s.inputs["enableExecuteCommand"] is True for s in d.of_type(ECS_SERVICE))


def test_waf_follows_its_section(build: Build, naming: Naming) -> None:
    on = build(lambda: _tier(naming))
    off = build(lambda: _tier(naming, services={"waf": {"enabled": False}}))
    assert len(on.of_type("aws:wafv2/webAcl:WebAcl")) == 1
    assert off.of_type("aws:wafv2/webAcl:WebAcl") == []


def test_exactly_one_public_service(build: Build, naming: Naming) -> None:
    private = {**TRAITS, "front": ServiceTraits(image_repository="front")}
    with pytest.raises(ValueError, match="exactly one public service"):
        build(lambda: _tier(naming, traits=private))


def test_a_call_to_an_undiscoverable_service_is_refused(build: Build, naming: Naming) -> None:
    bad = {**TRAITS, "chat": ServiceTraits(image_repository="chat", calls=("front",))}
    with pytest.raises(ValueError, match="not a discoverable service"):
        build(lambda: _tier(naming, traits=bad))


def test_an_unknown_secret_is_refused(build: Build, naming: Naming) -> None:
    bad = {**TRAITS, "chat": ServiceTraits(image_repository="chat", secrets=("nope",))}
    with pytest.raises(ValueError, match="no application secret"):
        build(lambda: _tier(naming, traits=bad))
