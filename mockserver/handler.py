"""The router: a request goes to the API (the engine), the images, or the admin API.

Routing is data: the API paths come from `spec.contract()`, so adding an endpoint to the spec
adds it here. The router knows the engine only as a `Backend` (a few methods), and the admin
API only as an `admin.Control`, so neither imports the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol

import spec
from contracts.redaction import scrub
from mockserver import bodies
from mockserver.admin import Control, admin
from mockserver.request import key_of
from mockserver.response import MockResponse, json_response

log = logging.getLogger("mockserver")

ADMIN = "/__mock/"

# -- routing: data from the spec (`spec.contract().route`), stated nowhere else -------------

#: Where a concrete path goes (`spec.Route`: template, kind, generation, path_id).
Route = spec.Route


def fetch_path(generation: str, job_id: int) -> str:
    """The by-id fetch path of a job made on `generation`."""
    return spec.contract().fetch_path(generation, job_id)


def endpoints() -> list[str]:
    """Every API path, sorted (the root listing)."""
    contract = spec.contract()
    return sorted([*contract.generation_paths, *contract.fetch_paths])

# -- dispatch ------------------------------------------------------------------------------


#: Answers a request to a generation or fetch endpoint: (route, method, headers, body,
#: origin, query string).
Api = Callable[[Route, str, Mapping[str, str], bytes, str, str], MockResponse]


class Backend(Control, Protocol):
    """What the router hands requests to (the engine)."""

    #: (An attribute, not a method: the engine binds the one its store needs once.)
    api: Api

    def image(self, method: str, name: str) -> MockResponse:
        """Answer a request for an image file."""
        ...


def dispatch(backend: Backend, method: str, path: str, headers: Mapping[str, str],
             body: bytes, origin: str) -> MockResponse:
    """Answer one HTTP request. Never raises; an unexpected failure is a 500 error body."""
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    if path.startswith(("http://", "https://")):  # an absolute-form target: route its path
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    method = method.upper()
    try:
        route = spec.contract().route(path)
        if route is not None:
            if route.kind == "image":
                return backend.image(method, route.path_id or "")
            return backend.api(route, method, headers, body, origin.rstrip("/"), query)
        if path.startswith(ADMIN) or path == ADMIN.rstrip("/"):
            return admin(backend, method, path[len(ADMIN):], body, query)
        if path == "/" and method in ("GET", "HEAD"):
            return json_response(200, {"name": "modelslab-contract mock",
                                       "endpoints": endpoints(), "admin": ADMIN + "health",
                                       "dashboard": ADMIN})
        return json_response(404, {"status": "error", "message": f"no endpoint {method} {path}"})
    except Exception as exc:
        log.error("mock failed on %s %s: %s", method, path,
                  scrub(f"{type(exc).__name__}: {exc}", (key_of(body),), keyed=True))
        return json_response(bodies.http_status("server", backend.scoped_config().error_mode),
                             bodies.error("server"))
