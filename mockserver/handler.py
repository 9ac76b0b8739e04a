"""The router: a request goes to the API (the engine), the images, or the admin API.

Routing is data: the API paths come from `spec.contract()`, so adding an endpoint to the spec
adds it here. The router knows the engine only as a `Backend` (a few methods), and the admin
API only as an `admin.Control`, so neither imports the other.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import spec
from mockserver import bodies
from mockserver.admin import Control, admin
from mockserver.jobs import IMAGES
from mockserver.journal import scrub
from mockserver.request import key_of
from mockserver.response import MockResponse, json_response

log = logging.getLogger("mockserver")

ADMIN = "/__mock/"

# -- routing: the one place to switch to `spec.contract().route` / `.fetch_path` (h-spec) ----


@dataclass(slots=True)
class Route:
    """Where a concrete path goes (the shape of `spec.Route`, which is to replace this).
    Not `frozen`: one is made per by-id fetch, and a frozen one is slower to make."""

    #: The schema path, e.g. "/api/v6/images/fetch/{id}" (or the images prefix + "{file}").
    template: str
    #: "generation", "fetch" or "image".
    kind: str
    #: The generation endpoint a generation or fetch belongs to.
    generation: str | None
    #: What the path held in place of `{id}` (or `{file}` for an image).
    path_id: str | None


@functools.cache
def _table() -> tuple[dict[str, Route], tuple[tuple[str, str, str], ...], dict[str, str]]:
    """Exact paths -> routes; (prefix, template, generation) of by-id fetch paths; and each
    generation's first by-id fetch template."""
    contract = spec.contract()
    exact = {path: Route(path, "generation", path, None) for path in contract.generation}
    by_id: list[tuple[str, str, str]] = []
    fetch_template: dict[str, str] = {}
    for path, (generation, id_in) in contract.fetch.items():
        if id_in == "path":
            by_id.append((path.split("{id}")[0], path, generation))
            fetch_template.setdefault(generation, path)
        else:
            exact[path] = Route(path, "fetch", generation, None)
    return exact, tuple(by_id), fetch_template


def _route(path: str) -> Route | None:
    """The route of a concrete path (no query, no trailing slash), or None."""
    exact, by_id, _ = _table()
    found = exact.get(path)
    if found is not None:
        return found
    for prefix, template, generation in by_id:
        if path.startswith(prefix):
            rest = path[len(prefix):]
            if rest and "/" not in rest:
                return Route(template, "fetch", generation, rest)
    if path.startswith(IMAGES):
        return Route(IMAGES + "{file}", "image", None, path[len(IMAGES):])
    return None


def fetch_path(generation: str, job_id: int) -> str:
    """The by-id fetch path of a job made on `generation`."""
    return _table()[2][generation].replace("{id}", str(job_id))


def endpoints() -> list[str]:
    """Every API path, sorted (the root listing)."""
    contract = spec.contract()
    return sorted([*contract.generation, *contract.fetch])

# -- dispatch ------------------------------------------------------------------------------


class Backend(Control, Protocol):
    """What the router hands requests to (the engine)."""

    def api(self, route: Route, method: str, headers: Mapping[str, str], body: bytes,
            origin: str) -> MockResponse:
        """Answer a request to a generation or fetch endpoint."""
        ...

    def image(self, method: str, name: str) -> MockResponse:
        """Answer a request for an image file."""
        ...


def dispatch(backend: Backend, method: str, path: str, headers: Mapping[str, str],
             body: bytes, origin: str) -> MockResponse:
    """Answer one HTTP request. Never raises; an unexpected failure is a 500 error body."""
    if "?" in path:
        path = path.split("?", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    method = method.upper()
    try:
        route = _route(path)
        if route is not None:
            if route.kind == "image":
                return backend.image(method, route.path_id or "")
            base = (backend.config.origin or origin).rstrip("/")
            return backend.api(route, method, headers, body, base)
        if path.startswith(ADMIN) or path == ADMIN.rstrip("/"):
            return admin(backend, method, path[len(ADMIN):], body)
        if path == "/" and method in ("GET", "HEAD"):
            return json_response(200, {"name": "modelslab-contract mock",
                                       "endpoints": endpoints(), "admin": ADMIN + "health"})
        return json_response(404, {"status": "error", "message": f"no endpoint {method} {path}"})
    except Exception as exc:
        log.error("mock failed on %s %s: %s", method, path,
                  scrub(f"{type(exc).__name__}: {exc}", key_of(body)))
        return json_response(bodies.http_status("server", backend.config.error_mode),
                             bodies.error("server"))
