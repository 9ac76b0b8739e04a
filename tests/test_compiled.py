"""The compiled hot path (setup.py) is the sources as they are: an editable install builds
it in place, and a compiled module shadows its source, so an edit must be rebuilt. CI must
test it compiled (a silent fallback to pure Python once hid a failed build there)."""

from __future__ import annotations

import importlib.machinery
import os
from pathlib import Path

import pytest

import mockserver.engine

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("spec", "contracts", "mockserver")


def test_no_compiled_module_is_older_than_its_source() -> None:
    # (Each module's .so is a shim: the code is in the one library mypyc builds for all.)
    library = max((p.stat().st_mtime for p in ROOT.glob("*__mypyc*.so")), default=None)
    shims = [so for package in PACKAGES for so in (ROOT / package).glob("*.so")]
    if library is None:
        assert not shims, f"compiled modules without their library: {shims}"
        return  # pure Python (no compiler, or MODELSLAB_CONTRACT_PURE=1)
    sources = [shim.with_name(shim.name.split(".", 1)[0] + ".py") for shim in shims]
    stale = [s.relative_to(ROOT).as_posix() for s in sources
             if s.exists() and s.stat().st_mtime > library]
    assert not stale, f"edited since compiled: {stale}; rebuild with `pip install -e .` " \
        "(or `python setup.py build_ext --inplace --force`)"


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI only: elsewhere pure Python is fine")
def test_ci_tests_the_compiled_engine() -> None:
    origin = mockserver.engine.__spec__.origin or ""
    assert origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), \
        f"{origin}: the install fell back to pure Python (see its warning)"
