"""The layout of the IAM call rules: one registry, filled by the rules modules, keyed by shared tokens.

What the rules claim is proven in tests/test_iam_proof.py against whole deploys; these check the
package holds together: a rule registered outside a rules module, or a provider-calls entry under
a type spelling of its own, would drift from what the emulator and the policy pack key on.
"""

from __future__ import annotations

from arbiter_tools import api_calls
from arbiter_tools.api_calls import PROVIDER_CALLS, RULE_MODULES, RULES
from policies import resource_types as rt


def _shared_tokens() -> set[str]:
    tokens: set[str] = set()
    for name, value in vars(rt).items():
        if name.isupper():
            tokens.update(value if isinstance(value, tuple) else (value,))
    return tokens


def test_provider_calls_are_keyed_by_the_shared_type_tokens() -> None:
    assert PROVIDER_CALLS
    assert set(PROVIDER_CALLS) - _shared_tokens() == set()
    assert _shared_tokens() >= api_calls.NO_AWS_CALLS


def test_every_rule_is_registered_by_a_rules_module_or_the_core() -> None:
    modules = {m.__name__ for m in RULE_MODULES} | {"arbiter_tools.api_calls.core"}
    assert {fn.__module__ for fn in RULES.values()} <= modules
    # Every rules module contributes.
    assert {m.__name__ for m in RULE_MODULES} <= {fn.__module__ for fn in RULES.values()}
