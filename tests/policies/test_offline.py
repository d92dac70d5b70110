"""`policies/offline.py`: the pack over an offline Deployment, as `pulumi preview --policy-pack` runs it.

Enforcement levels resolve as the CLI resolves them (per policy, then `all`, then the policy's
own), components and providers are not checked, outputs override inputs, and a rule that reads an
unknown without guarding it is reported the way the analyzer reports it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE

from policies.catalog import by_name
from policies.offline import PolicyConfigError, check_config_names, evaluate
from policies.resource_types import DEFAULT_SG
from tests.policies.builder import COMPONENT, StackBuilder
from tests.policies.cases import ENVIRONMENTS, run
from tests.policies.compliant import compliant_stack


def test_compliant_stack_passes_every_policy() -> None:
    for environment in ENVIRONMENTS:
        assert run(compliant_stack(environment)) == [], environment


def _broken() -> StackBuilder:
    b = compliant_stack()
    b.set("key", enableKeyRotation=False)
    b.get("key").protect = False
    return b


def test_enforcement_advisory_via_config() -> None:
    fired = run(_broken(), {"kms-key-rotation": "advisory"})
    levels = {v.policy: v.enforcement for v in fired}
    assert levels == {"kms-key-rotation": "advisory", "prod-stateful-resources-protected": "mandatory"}


def test_enforcement_object_form_and_disabled() -> None:
    fired = run(_broken(), {"prod-stateful-resources-protected": {"enforcementLevel": "disabled"}})
    assert {v.policy for v in fired} == {"kms-key-rotation"}


def test_enforcement_all_then_per_policy() -> None:
    assert run(_broken(), {"all": "disabled"}) == []
    fired = run(_broken(), {"all": "disabled", "kms-key-rotation": "mandatory"})
    assert [(v.policy, v.enforcement) for v in fired] == [("kms-key-rotation", "mandatory")]


def test_enforcement_remediate_runs_as_mandatory() -> None:
    """The offline run cannot remediate: a remediating policy blocks like a mandatory one."""
    fired = run(_broken(), {"all": "disabled", "kms-key-rotation": "remediate"})
    assert [(v.policy, v.enforcement) for v in fired] == [("kms-key-rotation", "mandatory")]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"kms-key-rotaton": "disabled"},
            "unknown policy 'kms-key-rotaton': did you mean 'kms-key-rotation'?",
        ),
        ({"Environment": "prod"}, "unknown policy 'Environment'"),
    ],
)
def test_a_config_naming_an_unknown_policy_is_refused_with_the_closest(
    config: dict[str, Any], message: str
) -> None:
    """The CLI would ignore the entry and keep the policy's default level: refused instead."""
    with pytest.raises(PolicyConfigError, match=re.escape(message)) as err:
        run(compliant_stack(), config)
    assert "\n" not in str(err.value) and "arbiter-policies" in str(err.value)
    check_config_names({"all": "advisory", "environment": "prod", "kms-key-rotation": "disabled"})


def test_evaluate_skips_components_and_providers() -> None:
    b = compliant_stack()
    b.add(COMPONENT, "bad-component", {"mapPublicIpOnLaunch": True}, custom=False)
    b.provider.inputs["mapPublicIpOnLaunch"] = True
    assert run(b) == []


def test_violation_str_names_policy_and_resource() -> None:
    b = compliant_stack()
    b.set("public-a", mapPublicIpOnLaunch=True)
    (violation,) = run(b)
    assert violation.resource_name == "public-a"
    assert violation.urn == b.get("public-a").urn
    assert str(violation).startswith("[mandatory/high] subnet-no-public-ip-on-launch (public-a):")


def test_outputs_override_inputs() -> None:
    b = compliant_stack()
    b.get("public-a").outputs["mapPublicIpOnLaunch"] = True
    assert [v.policy for v in run(b)] == ["subnet-no-public-ip-on-launch"]


def test_a_rule_reading_the_raw_proxy_is_reported_like_the_analyzer_does() -> None:
    def raw(args: Any, report: Any) -> None:
        if args.resource_type == DEFAULT_SG and args.props["ingress"]:
            report("has rules")

    b = compliant_stack()
    b.set("default-sg", ingress=UNKNOWN_ARRAY_VALUE)
    found = evaluate(b.deployment(), policies=[ResourceValidationPolicy("raw", "reads the proxy", raw)])
    assert [(v.enforcement, v.resource_name) for v in found] == [("advisory", "default-sg")]
    assert found[0].message.startswith("can't run policy 'raw' from policy pack 'arbiter-policies@v0.1.0'")


def test_the_default_is_the_whole_pack_and_a_subset_runs_alone() -> None:
    b = compliant_stack()
    b.set("public-a", mapPublicIpOnLaunch=True)
    b.set("key", enableKeyRotation=False)
    assert {v.policy for v in evaluate(b.deployment())} == {
        "subnet-no-public-ip-on-launch",
        "kms-key-rotation",
    }
    only_kms = [by_name("kms-key-rotation").build()]
    assert [v.policy for v in evaluate(b.deployment(), policies=only_kms)] == ["kms-key-rotation"]
