"""The router: API paths from the spec, images, the admin API; no admin <-> engine circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import spec
from mockserver import handler
from mockserver.handler import Route, fetch_path
from tests.mockserver._support import ORIGIN, V4, V6, Mock

PACKAGE = Path(handler.__file__).parent


@pytest.mark.parametrize(("path", "route"), [
    (V6, Route(V6, "generation", V6, None)),
    (V4, Route(V4, "generation", V4, None)),
    ("/api/v6/images/fetch", Route("/api/v6/images/fetch", "fetch", V6, None)),
    ("/api/v6/images/fetch/12", Route("/api/v6/images/fetch/{id}", "fetch", V6, "12")),
    ("/api/v3/dreambooth/fetch/x", Route("/api/v3/dreambooth/fetch/{id}", "fetch",
                                         spec.V3_DREAMBOOTH, "x")),
    ("/generations/1-0-abc.png", Route("/generations/{file}", "image", None, "1-0-abc.png")),
    ("/api/v6/images/fetch/1/2", None), ("/api/v6/images/nope", None), ("/__mock/health", None),
])
def test_paths_are_routed_from_the_spec(path: str, route: Route | None) -> None:
    assert spec.contract().route(path) == route


def test_every_spec_path_has_a_route() -> None:
    contract = spec.contract()
    for path in [*contract.generation, *contract.fetch]:
        found = spec.contract().route(path.replace("{id}", "7"))
        assert found is not None and found.template == path


def test_a_job_is_fetched_by_its_generation_s_first_by_id_path() -> None:
    assert fetch_path(V6, 5) == "/api/v6/images/fetch/5"
    assert fetch_path(V4, 5) == "/api/v4/dreambooth/fetch/5"


@pytest.mark.parametrize("path", [f"{V6}/", f"{V6}?x=1", f"{V6}/?x=1"])
def test_a_trailing_slash_and_a_query_are_ignored(mock: Mock, path: str) -> None:
    assert mock.post(path, {"key": "k", "model_id": "m", "prompt": "p"}).json()["status"] == \
        "success"


def test_methods_are_matched_in_any_case(mock: Mock) -> None:
    answer = mock.engine.handle("post", V6, {}, b'{"key":"k","model_id":"m","prompt":"p"}',
                                ORIGIN)

    assert answer.json()["status"] == "success"


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_admin_and_engine_do_not_import_each_other() -> None:
    assert not {n for n in _imports("admin") if n.startswith("mockserver.engine")}
    assert not {n for n in _imports("engine") if n.startswith("mockserver.admin")}
    assert not {n for n in _imports("handler") if n.startswith("mockserver.engine")}
    for module in ("dashboard", "jobview", "admin_openapi", "preferences"):  # admin's helpers
        assert not {n for n in _imports(module) if n.startswith("mockserver.engine")}, module


def test_the_images_prefix_is_stated_by_the_spec_alone() -> None:
    stating = sorted(p.name for p in PACKAGE.glob("*.py") if '"/generations/"' in p.read_text())

    assert stating == []
    assert '"/generations/"' in Path(spec.__file__).with_name("endpoints.py").read_text()
