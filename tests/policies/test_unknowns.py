"""Every policy, fed unknowns everywhere it looks: an unknown value is never evidence of a violation.

At `pulumi preview` any value computed by AWS (ids, ARNs, and everything derived from them) is an
unknown sentinel of its kind (pulumi_policy.proxy.UNKNOWN_*_VALUE). The pack must report only what
is known to be wrong: the same properties are known at `pulumi up`, when the pack runs again.

The cases are derived, not listed: for every policy and every resource type it inspects, each
resource of that type in the compliant stack (tests/policies/compliant.py) gets (a) each top-level
property in turn, (b) all its properties at once, and (c) each nested value (list item, object
field, field of a JSON document) replaced by the sentinel of the value's kind. And (d) for every
violation case of every policy module's test: the violating values fire, and the same values made
unknown do not.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from policies.base import ArbiterPolicy, Res, as_list
from policies.catalog import POLICIES, by_name
from policies.offline import Violation, evaluate
from policies.resource_types import DEFAULT_SG, PROVIDER_PREFIX
from tests.policies.builder import SELF_SIGNED_CERT, StackBuilder
from tests.policies.case_tables import ALL_CASES
from tests.policies.cases import Case, only
from tests.policies.compliant import compliant_stack

CASES = ALL_CASES

#: A path step that descends into a JSON-encoded string (policy documents, containerDefinitions).
JSON = "<json>"
Path = tuple[str | int, ...]


def sentinel(value: Any) -> str:
    """The unknown of the value's kind, as the engine sends it at preview."""
    if isinstance(value, bool):
        return UNKNOWN_BOOLEAN_VALUE
    if isinstance(value, int | float):
        return UNKNOWN_NUMBER_VALUE
    if isinstance(value, list):
        return UNKNOWN_ARRAY_VALUE
    if isinstance(value, dict):
        return UNKNOWN_OBJECT_VALUE
    return UNKNOWN_STRING_VALUE


def _json_container(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def nested_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every list item and object field below `value`, JSON documents included, outermost first."""
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        parsed = _json_container(value)
        if parsed is not None:
            yield from nested_paths(parsed, (*prefix, JSON))
        return
    for key, item in items:
        yield (*prefix, key)
        yield from nested_paths(item, (*prefix, key))


def replaced(value: Any, path: Path) -> Any:
    """A copy of `value` with the element at `path` replaced by its sentinel."""
    if not path:
        return sentinel(value)
    step, rest = path[0], path[1:]
    if step == JSON:
        return json.dumps(replaced(json.loads(value), rest))
    out = copy.copy(value)
    out[step] = replaced(value[step], rest)
    return out


def _props(b: StackBuilder, name: str) -> dict[str, Any]:
    res = b.get(name)
    return {**res.inputs, **res.outputs}


def make_unknown(b: StackBuilder, name: str, path: Path) -> None:
    """Replace one (top-level or nested) property of a resource, in its inputs and its outputs."""
    res = b.get(name)
    for props in (res.inputs, res.outputs):
        if path[0] in props:
            props[str(path[0])] = replaced(props[path[0]], path[1:])


def violations_of(b: StackBuilder, *names: str) -> list[Violation]:
    return evaluate(b.deployment(), config=only(*names))


#: Types whose mere presence is the violation (a self-signed certificate in prod): known at preview,
#: and no property of theirs is read, so there is no compliant instance to make unknown.
PRESENCE_VIOLATES = frozenset({SELF_SIGNED_CERT})
PAIRS = [(p.name, t) for p in POLICIES for t in p.resource_types if t not in PRESENCE_VIOLATES]


def _resources_of(b: StackBuilder, type_: str) -> list[str]:
    return [name for name, r in b.resources.items() if r.type == type_]


def test_the_compliant_stack_has_every_type_every_policy_inspects() -> None:
    b = compliant_stack()
    missing = [(policy, t) for policy, t in PAIRS if not _resources_of(b, t)]
    assert missing == []


@pytest.mark.parametrize(("policy", "type_"), PAIRS, ids=[f"{p}-{t.rsplit(':', 1)[-1]}" for p, t in PAIRS])
def test_unknown_properties_are_never_violations(policy: str, type_: str) -> None:
    base = compliant_stack()
    assert violations_of(base, policy) == []
    failures: list[str] = []
    tried = 0
    for name in _resources_of(base, type_):
        props = _props(base, name)
        paths: list[Path] = [(key,) for key in props]
        for key, value in props.items():
            paths += list(nested_paths(value, (key,)))
        for path in paths:
            b = compliant_stack()
            make_unknown(b, name, path)
            tried += 1
            if found := violations_of(b, policy):
                failures.append(f"{name}.{'.'.join(map(str, path))} unknown: {[v.message for v in found]}")
        b = compliant_stack()  # (b) every top-level property at once
        for key in props:
            make_unknown(b, name, (key,))
        if found := violations_of(b, policy):
            failures.append(f"{name}: every property unknown: {[v.message for v in found]}")
    assert tried > 0
    assert failures == []


def test_every_property_of_every_resource_unknown_at_once() -> None:
    b = compliant_stack()
    for name, res in b.resources.items():
        if not res.type.startswith(PROVIDER_PREFIX):
            for key in {**res.inputs, **res.outputs}:
                make_unknown(b, name, (key,))
    assert evaluate(b.deployment()) == []


def test_unknown_environment_tag_runs_no_prod_rule_and_no_other() -> None:
    b = compliant_stack()
    b.provider.inputs["defaultTags"] = json.dumps({"tags": {"Environment": UNKNOWN_STRING_VALUE}})
    b.set("db", deletionProtection=False)
    assert evaluate(b.deployment()) == []
    b.provider.inputs["defaultTags"] = UNKNOWN_STRING_VALUE
    assert evaluate(b.deployment()) == []


# (d) The converse, from every violation case: known fires, the same values unknown do not.


def _unknown_twin(case: Case) -> StackBuilder | None:
    """The violating stack with every value the mutation set, added or dropped made unknown.

    A dropped key comes back as an unknown of the compliant value's kind (unset is known to be
    wrong; set to something not yet known is not). None when the mutation removed a resource or
    changed `protect`: those are known at preview, no unknown can stand for them.
    """
    before, after = compliant_stack(case.environment), _mutated(case)
    if set(before.resources) - set(after.resources):
        return None
    added = {after.resources[n].type for n in set(after.resources) - set(before.resources)}
    if added & PRESENCE_VIOLATES:
        return None
    twin = _mutated(case)
    changed = 0
    for name, res in after.resources.items():
        old = before.resources.get(name)
        now = {**res.inputs, **res.outputs}
        if old is None:
            for key in now:
                if key != "id":
                    make_unknown(twin, name, (key,))
                    changed += 1
            continue
        if old.protect != res.protect or old.provider != res.provider:
            return None
        was = {**old.inputs, **old.outputs}
        for key, value in now.items():
            if was.get(key, object()) != value:
                make_unknown(twin, name, (key,))
                changed += 1
        for key in set(was) - set(now):
            twin.get(name).inputs[key] = sentinel(was[key])
            changed += 1
    return twin if changed else None


def _case_id(case: Case) -> str:
    return f"{case.policy}-{case.id or CASES.index(case)}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_violating_values_fire_and_the_same_values_unknown_do_not(case: Case) -> None:
    assert case.policy in {v.policy for v in violations_of(_mutated(case), case.policy)}
    twin = _unknown_twin(case)
    if twin is not None:
        assert violations_of(twin, case.policy) == []


def _mutated(case: Case) -> StackBuilder:
    b = compliant_stack(case.environment)
    case.mutate(b)
    return b


def test_every_value_violation_has_an_unknown_twin() -> None:
    """Guards the converse against silently degrading into its known side only.

    `protect` and a missing resource (a flow log, a reader instance, a lifecycle policy) are known
    at preview; every other violation is a value.
    """
    without = {c.policy for c in CASES} - {c.policy for c in CASES if _unknown_twin(c) is not None}
    assert without == {
        "prod-stateful-resources-protected",
        "aurora-multi-az-prod",
        "vpc-flow-logs-enabled",
        "ecr-lifecycle-policy",
    }


# The harness itself can fail: a rule that treats an unknown as evidence is caught.


def _naive_default_sg(res: Res) -> Iterator[str]:
    if as_list(res.get("ingress")):
        yield "has rules"


NAIVE = ArbiterPolicy(
    name="naive-default-sg",
    description="reads an unknown rule list as rules",
    severity=by_name("default-security-group-closed").severity,
    controls=("TEST",),
    remediation="none",
    resource_types=(DEFAULT_SG,),
    check=_naive_default_sg,
)


def test_harness_catches_a_rule_that_reads_unknown_as_a_violation() -> None:
    b = compliant_stack()
    assert evaluate(b.deployment(), policies=[NAIVE.build()]) == []
    make_unknown(b, "default-sg", ("ingress",))
    assert [v.message for v in evaluate(b.deployment(), policies=[NAIVE.build()])] == ["has rules"]
