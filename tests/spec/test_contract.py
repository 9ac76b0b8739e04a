"""The runtime reader: routes, fetch paths and fields, as read from the committed document."""

from __future__ import annotations

from dataclasses import replace

import pytest

import spec
from spec import Route
from spec.endpoints import FETCH_FORMS, IMAGE_TEMPLATE

V6, V4 = spec.V6, spec.V4
V6_FETCH, V6_BY_ID = "/api/v6/images/fetch", "/api/v6/images/fetch/{id}"
V4_FETCH, V4_BY_ID = "/api/v4/dreambooth/fetch", "/api/v4/dreambooth/fetch/{id}"
V3_BY_ID = "/api/v3/dreambooth/fetch/{id}"


@pytest.fixture(scope="module")
def c() -> spec.Contract:
    return spec.contract()


def test_the_document_routes_what_spec_endpoints_states(c: spec.Contract) -> None:
    assert c.generation_paths == spec.GENERATION_PATHS == (V6, V4, spec.V7, spec.REALTIME,
                                                           spec.V3, spec.V3_DREAMBOOTH)
    assert c.fetch_paths == spec.FETCH_PATHS == (
        V6_FETCH, V6_BY_ID, V4_FETCH, V4_BY_ID, "/api/v7/images/fetch/{id}",
        "/api/v6/realtime/fetch/{id}", "/api/v3/fetch/{id}", V3_BY_ID)
    assert dict(c.fetch) == dict(FETCH_FORMS)
    assert tuple(c.generation) == c.generation_paths
    assert c.images == IMAGE_TEMPLATE and c.images_prefix == spec.IMAGES_PREFIX == "/generations/"
    paths = set(spec.load_document()["paths"])
    assert paths == {*c.generation_paths, *c.fetch_paths, c.images}


@pytest.mark.parametrize(("path", "expected"), [
    (V6, Route(V6, "generation", V6)),
    (V4, Route(V4, "generation", V4)),
    (V6_FETCH, Route(V6_FETCH, "fetch", V6)),
    (V4_FETCH, Route(V4_FETCH, "fetch", V4)),
    ("/api/v6/images/fetch/123", Route(V6_BY_ID, "fetch", V6, "123")),
    ("/api/v4/dreambooth/fetch/abc-DEF_9", Route(V4_BY_ID, "fetch", V4, "abc-DEF_9")),
    ("/api/v3/dreambooth/fetch/7", Route(V3_BY_ID, "fetch", spec.V3_DREAMBOOTH, "7")),
    ("/api/v7/images/fetch/7", Route("/api/v7/images/fetch/{id}", "fetch", spec.V7, "7")),
    ("/api/v6/realtime/fetch/7", Route("/api/v6/realtime/fetch/{id}", "fetch", spec.REALTIME,
                                       "7")),
    ("/api/v3/fetch/7", Route("/api/v3/fetch/{id}", "fetch", spec.V3, "7")),
    ("/generations/12-0-0123456789.png", Route(IMAGE_TEMPLATE, "image", None,
                                               "12-0-0123456789.png")),
])
def test_every_route_form(c: spec.Contract, path: str, expected: Route) -> None:
    assert c.route(path) == expected


@pytest.mark.parametrize(("path", "expected"), [
    # trailing slashes and a query are ignored, as the mock ignores them
    ("/api/v6/images/text2img/", Route(V6, "generation", V6)),
    ("/api/v6/images/fetch/", Route(V6_FETCH, "fetch", V6)),  # empty id: the body form
    ("/api/v6/images/fetch//", Route(V6_FETCH, "fetch", V6)),
    ("/api/v6/images/fetch/123/", Route(V6_BY_ID, "fetch", V6, "123")),
    ("/api/v6/images/fetch/123?x=1", Route(V6_BY_ID, "fetch", V6, "123")),
    ("/api/v4/dreambooth?", Route(V4, "generation", V4)),
    ("/generations/a.png/", Route(IMAGE_TEMPLATE, "image", None, "a.png")),
])
def test_route_edges(c: spec.Contract, path: str, expected: Route) -> None:
    assert c.route(path) == expected


@pytest.mark.parametrize("path", [
    "", "/", "/api", "/api/v6/images", "/api/v6/images/text2img/extra",
    "/api/v6/images/fetch/a/b",          # an id holding '/'
    "/api/v3/dreambooth/fetch",          # v3 has no body form
    "/api/v3/dreambooth/fetch/",
    "/api/v5/images/fetch/1", "/API/v6/images/text2img",
    "/generations", "/generations/", "/generations/a/b.png",
    "/__mock/health", "https://modelslab.com/api/v6/images/text2img",
])
def test_unknown_paths_have_no_route(c: spec.Contract, path: str) -> None:
    assert c.route(path) is None


def test_fetch_path_is_what_fetch_result_names(c: spec.Contract) -> None:
    assert c.fetch_path(V6, 42) == "/api/v6/images/fetch/42"
    assert c.fetch_path(V4, "abc") == "/api/v4/dreambooth/fetch/abc"  # v4 before v3
    for generation in c.generation_paths:
        path = c.fetch_path(generation, 7)
        assert c.route(path) == Route(c.fetch_templates(generation, "path")[0], "fetch",
                                      generation, "7")


@pytest.mark.parametrize("job_id", ["", "a/b", "/"])
def test_fetch_path_refuses_an_id_a_path_cannot_carry(c: spec.Contract, job_id: str) -> None:
    with pytest.raises(ValueError, match="path segment"):
        c.fetch_path(V6, job_id)


def test_fetch_path_of_an_unknown_endpoint(c: spec.Contract) -> None:
    with pytest.raises(KeyError):
        c.fetch_path("/api/v9/nothing", 1)


def test_fetch_templates(c: spec.Contract) -> None:
    assert c.fetch_templates(V6) == (V6_FETCH, V6_BY_ID)
    assert c.fetch_templates(V4) == (V4_FETCH, V4_BY_ID)
    assert c.fetch_templates(V4, "path") == (V4_BY_ID,)
    # v3 dreambooth's fetch is its own, and finds v4 jobs too (one job family).
    assert c.fetch_templates(spec.V3_DREAMBOOTH) == (V3_BY_ID,)
    assert c.same_jobs(V4, spec.V3_DREAMBOOTH) and not c.same_jobs(V4, V6)
    assert c.fetch_templates(V4, "body") == (V4_FETCH,)
    assert c.fetch_templates(V6, "body") == (V6_FETCH,)
    assert c.fetch_templates("/api/v9/nothing") == ()
    for generation in c.generation_paths:
        for id_in in ("path", "body"):
            for template in c.fetch_templates(generation, id_in):
                assert c.fetch[template] == (generation, id_in)


def test_image_path(c: spec.Contract) -> None:
    path = c.image_path("3-1-abcdef0123.base64")
    assert path == "/generations/3-1-abcdef0123.base64"
    assert c.route(path) == Route(IMAGE_TEMPLATE, "image", None, "3-1-abcdef0123.base64")
    for bad in ("", "a/b"):
        with pytest.raises(ValueError, match="path segment"):
            c.image_path(bad)


def test_path_of_is_the_inverse_of_route(c: spec.Contract) -> None:
    for template in (*c.generation_paths, *c.fetch_paths, c.images):
        placeholder = "{id}" in template or "{file}" in template
        path = c.path_of(template, "7" if placeholder else None)
        route = c.route(path)
        assert route is not None and route.template == template
        assert route.path_id == ("7" if placeholder else None)
        assert c.path_of(route.template, route.path_id) == path
    assert c.path_of(V6, "ignored") == V6
    assert c.path_of(V3_BY_ID, 12) == "/api/v3/dreambooth/fetch/12"
    for bad in (None, "", "a/b"):
        with pytest.raises(ValueError, match="path segment"):
            c.path_of(V6_BY_ID, bad)
    with pytest.raises(KeyError):
        c.path_of("/api/v6/images/fetch/{request_id}", "1")


def test_routes_follow_the_document_not_the_code(c: spec.Contract) -> None:
    """A new endpoint in the document is routed with no code change (here: a v7 family)."""
    v7 = "/api/v7/images/text2img"
    other = replace(c, generation={**c.generation, v7: c.generation[V6]},
                    fetch={**c.fetch, "/api/v7/fetch/{id}/result": (v7, "path")},
                    images="/files/{file}.png")
    assert other.route(v7) == Route(v7, "generation", v7)
    assert other.route("/api/v7/fetch/9/result") == Route("/api/v7/fetch/{id}/result", "fetch",
                                                          v7, "9")
    assert other.route("/api/v7/fetch//result") is None
    assert other.fetch_path(v7, 9) == "/api/v7/fetch/9/result"
    assert other.path_of("/api/v7/fetch/{id}/result", "x") == "/api/v7/fetch/x/result"
    assert other.images_prefix == "/files/"
    assert other.image_path("x") == "/files/x.png"
    assert other.route("/files/x.png") == Route("/files/{file}.png", "image", None, "x")
    assert other.route("/generations/x.png") is None
    assert c.route(v7) is None


def test_fields_limits_and_the_rest_are_read(c: spec.Contract) -> None:
    assert c.field(V6, "num_inference_steps").cap == 20
    assert c.field(V4, "num_inference_steps").cap == 50
    assert c.field(V6, "width").kind == "integer"
    with pytest.raises(KeyError):
        c.field(V6, "no_such_field")
    assert {f.kind for fields in c.generation.values() for f in fields} <= set(spec.KINDS)
    assert "validation" in c.errors and c.limits["max_body_bytes"] > 0
    assert c.quirks["processing_message_key"] == "messege"
    assert "flux" in c.flux_models and "upscale" in c.flux_unsupported
    assert "steps.cap" in c.rules
