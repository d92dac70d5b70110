"""`policies/catalog.py`: the pack as one list, complete in its metadata, documented in its order.

Each rule module's own test (tests/policies/test_<module>.py) proves its policies fire on their
violations and stay silent on the compliant stack; this one proves the catalog holds every module,
each policy's metadata reaches the pulumi_policy object, and the controls floor is covered.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from policies.catalog import CONTROL_FLOOR, POLICIES, by_name, pulumi_policies
from tests.policies.case_tables import ALL_CASES, MODULE_CASES

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"
TEST_DIR = Path(__file__).resolve().parent


def _declares_rules(module: str) -> bool:
    policies = getattr(importlib.import_module(f"policies.{module}"), "POLICIES", ())
    return any(
        getattr(p.check or p.stack_check, "__module__", None) == f"policies.{module}" for p in policies
    )


def _rule_modules() -> list[str]:
    """The modules of the pack whose `POLICIES` hold rules they define (not the catalog's list)."""
    names = sorted(p.stem for p in POLICY_DIR.glob("*.py") if not p.stem.startswith("_"))
    return [n for n in names if _declares_rules(n)]


def test_every_rule_module_has_its_test_module_and_is_in_the_catalog() -> None:
    modules = _rule_modules()
    assert "network_topology" in modules and "catalog" not in modules
    assert [m for m in modules if not (TEST_DIR / f"test_{m}.py").is_file()] == []
    assert sorted(MODULE_CASES) == modules
    in_catalog = {p.name for m in modules for p in importlib.import_module(f"policies.{m}").POLICIES}
    assert in_catalog == {p.name for p in POLICIES}
    assert len(POLICIES) == len(in_catalog)


def test_every_policy_has_a_violation_case() -> None:
    assert {p.name for p in POLICIES} == {c.policy for c in ALL_CASES}


def test_by_name_finds_each_policy_and_names_the_known_ones_otherwise() -> None:
    assert [by_name(p.name) for p in POLICIES] == list(POLICIES)
    try:
        by_name("no-such-policy")
    except LookupError as err:
        assert "vpc-flow-logs-enabled" in str(err)
    else:
        raise AssertionError("by_name accepted an unknown policy")


def test_the_readme_table_lists_every_policy_in_catalog_order() -> None:
    """policies/README.md's table: names in the catalog's order, level, severity and controls."""
    text = (POLICY_DIR / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (resource|stack) \| (\w+) \| (.+?) \|$", text, re.M)
    assert [r[0] for r in rows] == [p.name for p in POLICIES]
    for (name, level, severity, controls), policy in zip(rows, POLICIES, strict=True):
        assert level == ("stack" if policy.is_stack else "resource"), name
        assert severity == policy.severity.value, name
        assert controls == ", ".join(policy.controls), name


#: Aurora on 5432 and Redis on 6379 are the design's choice, so RDS11/AEC5 can only advise.
ADVISORY_BY_DEFAULT = {"data-stores-non-default-ports"}


def test_policy_metadata_complete() -> None:
    for policy in POLICIES:
        assert policy.name and policy.description and policy.remediation, policy.name
        assert policy.controls and all(policy.controls), policy.name
        # Mandatory by default; the one advisory exception is justified where it is declared.
        expected_level = (
            EnforcementLevel.ADVISORY if policy.name in ADVISORY_BY_DEFAULT else EnforcementLevel.MANDATORY
        )
        assert policy.enforcement is expected_level, policy.name
        assert policy.resource_types, policy.name
    built = pulumi_policies()
    assert [p.name for p in built] == [p.name for p in POLICIES]
    for meta, policy in zip(POLICIES, built, strict=True):
        assert policy.enforcement_level is meta.enforcement
        assert policy.severity is meta.severity
        assert policy.remediation_steps == meta.remediation
        assert policy.tags == list(meta.controls)
        assert policy.config_schema is not None and "environment" in policy.config_schema.properties
        expected = StackValidationPolicy if meta.is_stack else ResourceValidationPolicy
        assert isinstance(policy, expected), policy.name


def test_controls_cover_the_floor() -> None:
    covered = {control for p in POLICIES for control in p.controls}
    assert CONTROL_FLOOR - covered == set()


def test_stack_policies_required_by_the_issue_are_stack_level() -> None:
    for name in (
        "only-alb-faces-internet",
        "prod-stateful-resources-protected",
        "database-subnets-no-internet-route",
        "services-in-private-subnets",
    ):
        assert by_name(name).is_stack, name
