"""`spec` is the runtime reader only: its exports, and the authoring pipeline kept out of it."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

import spec
import spec.authoring

ROOT = Path(__file__).resolve().parents[2]


def _public(module: types.ModuleType) -> set[str]:
    return {n for n, v in vars(module).items()
            if not n.startswith("_") and not isinstance(v, types.ModuleType)
            and n != "annotations"}


@pytest.mark.parametrize("module", [spec, spec.authoring], ids=lambda m: m.__name__)
def test_all_is_exactly_the_public_names(module: types.ModuleType) -> None:
    assert sorted(module.__all__) == sorted(set(module.__all__))
    assert set(module.__all__) == _public(module)
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_the_runtime_reader_exports() -> None:
    assert set(spec.__all__) == {
        "Contract", "Field", "Route", "WireKind", "contract", "load_document", "SCHEMA_PATH",
        "V6", "V4", "V7", "REALTIME", "V3", "V3_DREAMBOOTH", "GENERATION_PATHS", "FETCH_PATHS",
        "IMAGES_PREFIX", "KINDS", "WIRE"}


def _runtime_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "spec").rglob("*.py") if "authoring" not in p.parts)


@pytest.mark.parametrize("path", _runtime_modules(), ids=lambda p: p.name)
def test_runtime_modules_never_import_the_pipeline(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        assert not [n for n in names if n.startswith("spec.authoring")], path


@pytest.mark.parametrize("code", ["import spec; spec.contract()", "import contracts.plugin",
                                  "import mockserver"])
def test_reading_the_contract_loads_no_source_page(code: str) -> None:
    probe = ("; import sys; print(sorted(m for m in sys.modules "
             "if m.startswith(('spec.authoring', 'spec.sources'))))")
    out = subprocess.run([sys.executable, "-c", code + probe], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
