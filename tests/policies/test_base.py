"""`policies/base.py`: the policy model, unknown-safe props, and the environment each rule sees.

The environment comes from the provider's default tags (`Tier`, else `Environment`) or the policy
config's `environment`, never from resource names; an undeterminable one is prod (fail closed).
"""

from __future__ import annotations

import json

import pytest
from pulumi_policy import Severity
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    unknown_checking_proxy,
)

from policies.base import (
    UNKNOWN,
    ArbiterPolicy,
    dig,
    has_unknown,
    is_blank,
    is_set,
    json_value,
    number,
    plain,
)
from policies.resource_types import VPC
from tests.policies.cases import run
from tests.policies.compliant import compliant_stack


def test_plain_replaces_sentinels_read_through_the_proxy() -> None:
    props = unknown_checking_proxy(
        {"a": UNKNOWN_BOOLEAN_VALUE, "b": [1, UNKNOWN_NUMBER_VALUE], "c": {"d": UNKNOWN_OBJECT_VALUE}}
    )
    assert plain(props) == {"a": UNKNOWN, "b": [1, UNKNOWN], "c": {"d": UNKNOWN}}


def test_dig_tells_absent_from_unknown() -> None:
    props = {"a": {"b": [UNKNOWN, {"c": 1}]}, "u": UNKNOWN}
    assert dig(props, "a", "b", 1, "c") == 1
    assert dig(props, "a", "b", 0, "c") is UNKNOWN
    assert dig(props, "u", "x") is UNKNOWN
    assert dig(props, "a", "missing", "c") is None
    assert dig(props, "a", "b", 5) is None


def test_known_value_helpers_never_judge_an_unknown() -> None:
    assert is_blank(None) and is_blank("") and is_blank([]) and not is_blank(UNKNOWN)
    assert is_set("x") and not is_set(UNKNOWN) and not is_set({})
    assert has_unknown({"a": [1, UNKNOWN]}) and not has_unknown({"a": [1]})
    assert number("7") == 7.0 and number(3) == 3.0
    assert number(True) is None and number(UNKNOWN) is None and number("x") is None
    assert (
        json_value('{"a": 1}') == {"a": 1} and json_value("{bad") is None and json_value(UNKNOWN) is UNKNOWN
    )


def test_a_policy_has_exactly_one_rule() -> None:
    fields = {
        "name": "x",
        "description": "d",
        "severity": Severity.LOW,
        "controls": ("T",),
        "remediation": "r",
        "resource_types": (VPC,),
    }
    with pytest.raises(TypeError, match="exactly one of check or stack_check"):
        ArbiterPolicy(**fields)
    with pytest.raises(TypeError, match="exactly one of check or stack_check"):
        ArbiterPolicy(**fields, check=lambda res: iter(()), stack_check=lambda view: iter(()))


def test_the_tier_tag_decides_over_the_environment_tag() -> None:
    """A stack named dev-alice may behave as staging: `Tier` says how, `Environment` names it."""
    b = compliant_stack("prod")
    b.provider.inputs["defaultTags"] = json.dumps({"tags": {"Environment": "dev-alice", "Tier": "staging"}})
    b.set("db", deletionProtection=False)
    assert run(b) == []


# Environment: read from provider default tags or policy config, never from names.


def test_prod_only_rules_do_not_fire_in_staging() -> None:
    b = compliant_stack("staging")
    b.set("db", deletionProtection=False)
    b.set("redis", automaticFailoverEnabled=False, multiAzEnabled=False)
    b.drop("alb", "enableDeletionProtection")
    b.remove("db-2")
    for name in ("key", "db", "db-1", "redis", "trading-secret", "db-secret"):
        b.get(name).protect = False
    assert run(b) == []


def test_config_environment_overrides_provider_tags() -> None:
    b = compliant_stack("staging")
    b.set("db", deletionProtection=False)
    assert run(b) == []
    fired = run(b, {"environment": "prod"})
    assert {v.policy for v in fired} == {"aurora-deletion-protection-prod"}


def test_environment_is_not_read_from_names() -> None:
    b = compliant_stack("staging")
    b.set("db", deletionProtection=False, clusterIdentifier="arbiter-prod-db")
    b.resources["db"].name = "prod-db"
    assert run(b) == []


def test_missing_environment_fails_closed_as_prod() -> None:
    b = compliant_stack("prod")
    b.provider.inputs["defaultTags"] = json.dumps({"tags": {"Project": "arbiter"}})
    b.set("db", deletionProtection=False)
    assert {v.policy for v in run(b)} == {"aurora-deletion-protection-prod"}
