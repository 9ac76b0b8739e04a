"""ARCHITECTURE.md's import rules, enforced: spec <- contracts <- mockserver."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("spec", "contracts", "mockserver")
#: Modules of `contracts` that start a mock on request and may import mockserver in a function.
LAZY_MOCK_USERS = ("contracts.gate", "contracts.plugin", "contracts.cli")


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    guarded = {id(n) for stmt in tree.body if isinstance(stmt, ast.If)
               for n in ast.walk(stmt)}  # `if TYPE_CHECKING:` blocks count as module level
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            yield name, id(node) in top or id(node) in guarded


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        yield ".".join(rel.parts).removesuffix(".__init__"), path


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(("module", "path"), list(_modules("spec")))
def test_spec_imports_no_other_layer(module: str, path: Path) -> None:
    bad = [n for n, _ in _imports(path) if _top(n) in ("contracts", "mockserver")]
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize(("module", "path"), list(_modules("contracts")))
def test_contracts_imports_mockserver_only_lazily(module: str, path: Path) -> None:
    for name, module_level in _imports(path):
        if _top(name) != "mockserver":
            continue
        assert not module_level, f"{module} imports {name} at module level"
        assert module.startswith(LAZY_MOCK_USERS), f"{module} may not import {name}"


def test_the_rule_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import mockserver\n\ndef f():\n    from mockserver import x\n")
    assert list(_imports(bad)) == [("mockserver", True), ("mockserver", False)]
