"""The authoritative document: valid OpenAPI 3.1, loadable, and accepting the docs' examples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_spec_validator import validate

import spec
from spec.authoring import SOURCES
from tests._seeds import example_bodies, seed_texts, vendor_openapi


@pytest.fixture(scope="module")
def api() -> OpenAPI:
    return OpenAPI.from_dict(dict(spec.load_document()))


def _request(endpoint: str, body: Any) -> MockRequest:
    return MockRequest("https://modelslab.com", "post", endpoint,
                       data=json.dumps(body).encode(), content_type="application/json")


def test_validates_as_openapi_31() -> None:
    document = dict(spec.load_document())
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_covers_every_endpoint_of_the_design() -> None:
    paths = set(spec.load_document()["paths"])
    assert paths >= {
        "/api/v6/images/text2img", "/api/v6/images/fetch", "/api/v6/images/fetch/{id}",
        "/api/v4/dreambooth", "/api/v4/dreambooth/fetch", "/api/v4/dreambooth/fetch/{id}",
        "/api/v3/dreambooth/fetch/{id}", "/generations/{file}",
    }


def test_every_cited_rule_is_carried_in_x_contract() -> None:
    c = spec.contract()
    cited = {r for fields in c.generation.values() for f in fields for r in f.rules}
    assert cited <= set(c.rules)
    assert c.field("/api/v6/images/text2img", "num_inference_steps").cap == 20
    assert c.field("/api/v4/dreambooth", "num_inference_steps").cap == 50


@pytest.mark.parametrize(("source_id", "index", "body"), [
    (s.id, i, e) for s in SOURCES for i, e in enumerate(s.examples)])
def test_source_examples_are_accepted_by_the_schema(api: OpenAPI, source_id: str, index: int,
                                                    body: dict[str, Any]) -> None:
    endpoint = next(s.endpoint for s in SOURCES if s.id == source_id)
    api.validate_request(_request(endpoint, body))


def _seed_bodies() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, text in seed_texts().items():
        endpoint = "/api/v4/dreambooth" if "api/v4/dreambooth" in text else \
            "/api/v6/images/text2img"
        out += [(f"{name}#{i}:{endpoint}", body) for i, body in enumerate(example_bodies(text))]
    return out


SEED_BODIES = _seed_bodies()


@pytest.mark.skipif(not SEED_BODIES, reason="the vendor pages (../shared/seeds) are not beside "
                                           "this checkout")
def test_seed_pages_show_the_four_example_bodies() -> None:
    distinct = {json.dumps(b, sort_keys=True) for _, b in SEED_BODIES}
    assert len(distinct) >= 4


@pytest.mark.parametrize(("where", "body"), SEED_BODIES or [("none", {})])
def test_seed_example_bodies_are_accepted_by_schema_and_parse(api: OpenAPI, where: str,
                                                              body: dict[str, Any]) -> None:
    if not SEED_BODIES:
        pytest.skip("the vendor pages (../shared/seeds) are not beside this checkout")
    from contracts import parse

    endpoint = where.rsplit(":", 1)[1]
    api.validate_request(_request(endpoint, body))
    parsed = parse(endpoint, body)
    assert parsed.ok, parsed.violations


def test_the_vendor_openapi_cannot_even_be_loaded() -> None:
    """Why spec/ exists: openapi-core refuses the vendor's document (defaults that break it)."""
    vendor = vendor_openapi()
    if vendor is None:
        pytest.skip("the vendor pages (../shared/seeds) are not beside this checkout")
    with pytest.raises(Exception, match="is not of type 'boolean'"):
        OpenAPI.from_dict(vendor)
