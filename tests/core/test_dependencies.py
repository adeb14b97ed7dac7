"""Every third-party module the product imports is installed by ``pip install .`` (what ``make demo`` runs).

The test extras pull in more packages than the product declares, so a missing runtime dependency passes every
other test and only fails on a fresh ``make demo``. This reads the imports of ``src/`` and checks each against
the runtime dependencies of pyproject.toml and what those require in turn.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _runtime_closure() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(spec) for spec in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            children = requires(requirement.name) or []
        except PackageNotFoundError:
            continue
        for spec in children:
            child = Requirement(spec)
            # Only what is installed without asking for an extra (the extras the project names count).
            if child.marker is None or child.marker.evaluate({"extra": ""}):
                todo.append(child)
            elif any(child.marker.evaluate({"extra": extra}) for extra in requirement.extras):
                todo.append(child)
    return seen


def _imported_top_level_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in (ROOT / "src" / "cityops").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def test_every_imported_package_is_a_runtime_dependency():
    closure = _runtime_closure()
    distributions = packages_distributions()
    undeclared = []
    for module, path in sorted(_imported_top_level_modules().items()):
        if module == "cityops" or module in sys.stdlib_module_names:
            continue
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers & closure:
            undeclared.append(f"{module} (imported in {path.relative_to(ROOT)})")
    assert not undeclared, "not installed by `pip install .`: " + ", ".join(undeclared)
