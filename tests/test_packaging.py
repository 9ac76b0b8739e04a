"""Every package in the tree ships: a non-editable install once missed contracts.gate."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_directory_is_in_the_distribution() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = set(find_packages(where=str(ROOT), include=include))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for top in ("spec", "contracts", "mockserver")
               for p in (ROOT / top).rglob("__init__.py")}
    assert on_disk <= shipped, f"not shipped: {sorted(on_disk - shipped)}"
    assert not {p for p in shipped if p.startswith("tests")}


def test_the_dashboard_files_ship_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["mockserver"]
    static = sorted(p.relative_to(ROOT / "mockserver")
                    for p in (ROOT / "mockserver" / "static").iterdir())
    assert {"index.html", "dashboard.js", "dashboard.css"} <= {p.name for p in static}
    assert all(any(p.match(pattern) for pattern in patterns) for p in static), patterns
