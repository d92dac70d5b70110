"""The shape every policy module's test follows: a happy path, and one mutation per violation case.

Each case starts from the fully compliant stack (`compliant.py`), breaks one thing, and asserts
that exactly the expected policies fire with the expected message: so every case also proves
that the unbroken resource complies and that no other policy fires on the broken one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from policies.base import ArbiterPolicy
from policies.catalog import by_name
from policies.offline import Violation, evaluate
from tests.policies.builder import StackBuilder
from tests.policies.compliant import compliant_stack

Mutation = Callable[[StackBuilder], None]
ENVIRONMENTS = ("prod", "staging")


@dataclass(frozen=True)
class Case:
    """One violation: the policy, how to break the compliant stack, and a part of the message."""

    policy: str
    mutate: Mutation
    message: str
    #: Other policies the same mutation rightly breaks too.
    also: tuple[str, ...] = ()
    environment: str = "prod"
    id: str = ""


def case_id(case: Case) -> str:
    return f"{case.policy}-{case.id}" if case.id else case.policy


def run(b: StackBuilder, config: dict[str, Any] | None = None) -> list[Violation]:
    """The whole pack over the builder's stack."""
    return evaluate(b.deployment(), config=config)


def only(*names: str) -> dict[str, Any]:
    """Policy config that runs just these policies (advisory ones as mandatory: any report counts)."""
    return {"all": "disabled", **{n: "mandatory" for n in names}}


def assert_happy_path(policies: Sequence[ArbiterPolicy], environment: str) -> None:
    """The compliant stack holds a resource of every type these policies inspect, and none fires."""
    b = compliant_stack(environment)
    types = {r.type for r in b.resources.values()}
    for policy in policies:
        assert set(policy.resource_types) & types, policy.name
    names = [p.name for p in policies]
    assert run(b, only(*names)) == [], environment


def assert_violation(case: Case) -> None:
    """The mutation fires exactly its policy (and `also`), with the message, on a named resource."""
    b = compliant_stack(case.environment)
    case.mutate(b)
    violations = run(b)
    assert {v.policy for v in violations} == {case.policy, *case.also}, [str(v) for v in violations]
    own = [v for v in violations if v.policy == case.policy]
    assert any(case.message in v.message for v in own), [v.message for v in own]
    assert all(v.enforcement == by_name(v.policy).enforcement.value for v in violations)
    assert all(v.severity == by_name(case.policy).severity.value for v in own)
    assert all(v.urn and v.resource_name for v in own)


def assert_cases_cover(policies: Sequence[ArbiterPolicy], cases: Sequence[Case]) -> None:
    """Every policy of the module has a violation case, and every case names one of them."""
    assert {p.name for p in policies} == {c.policy for c in cases}
