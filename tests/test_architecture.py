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


def _private_imports(path: Path) -> Iterator[str]:
    """Every module path the file imports that has a `_private` part (`a.b._c`, or `_c` taken
    from `a.b` by `from a.b import _c`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names
                                    if a.name.startswith("_") and not a.name.startswith("__"))]
        else:
            continue
        for name in names:
            if _top(name) in PACKAGES and any(p.startswith("_") and not p.startswith("__")
                                             for p in name.split(".")):
                yield name


def _owner(private: str) -> str:
    """The package a private module belongs to: everything before its first `_` part."""
    parts = private.split(".")
    first = next(i for i, p in enumerate(parts) if p.startswith("_"))
    return ".".join(parts[:first])


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize(("module", "path"),
                         [m for p in PACKAGES for m in _modules(p)])
def test_private_modules_stay_private_to_their_package(module: str, path: Path) -> None:
    """`a.b._c` may be imported from inside `a.b` only: other packages and sibling
    subpackages use what `a.b` exports."""
    bad = [name for name in _private_imports(path) if not _inside(module, _owner(name))]
    assert not bad, f"{module} imports private {bad}"


def test_the_private_rule_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from contracts.checks._guards import x\nfrom contracts import _wire\n")
    found = list(_private_imports(bad))
    assert found == ["contracts.checks._guards", "contracts._wire"]
    assert not _inside("contracts.gate._run", _owner(found[0]))
    assert _inside("contracts.checks._requests", _owner(found[0]))
    assert _inside("contracts.parse", _owner(found[1]))
    assert not _inside("mockserver.engine", _owner(found[1]))
