"""The composition's shape: what `__main__.py` imports, and components that know no service."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from arbiter_infra import application

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_PACKAGES = {"arbiter_infra", "components", "pulumi", "pulumi_aws", "pulumi_random", "pulumi_tls"}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_program_imports_only_the_library_components_and_pulumi() -> None:
    foreign = _imported_top_levels(ROOT / "__main__.py") - PROGRAM_PACKAGES - set(sys.stdlib_module_names)
    assert not foreign, f"__main__.py imports {sorted(foreign)}: the program must not need the tooling"


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants in code, docstrings excluded (comments are not in the AST)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


SERVICE_WORDS = sorted(
    {
        *application.SERVICES,
        *(t.image_repository for t in application.SERVICES.values()),
        *application.SECRET_PURPOSES,
    }
)


@pytest.mark.parametrize("path", sorted((ROOT / "components").rglob("*.py")), ids=lambda p: p.name)
def test_components_name_no_service_and_no_application_secret(path: Path) -> None:
    """What belongs to a service comes from the composition's table, never from a component."""
    found = [
        (line, text) for line, text in _code_strings(path) if any(word in text for word in SERVICE_WORDS)
    ]
    assert not found, f"{path.relative_to(ROOT)} names application services or secrets: {found}"
