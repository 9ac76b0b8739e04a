"""Response bodies against spec/modelslab.yaml, with openapi-core (loaded once)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import spec


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(dict(spec.load_document()))


def _origin() -> str:
    return str(spec.load_document()["servers"][0]["url"])


def iter_errors(endpoint: str, status: int, body: Any, *, path_id: str | None = None,
                content_type: str = "application/json") -> Iterator[str]:
    """Every way a response to `endpoint` (a path of the spec) departs from the schema."""
    path = spec.contract().path_of(endpoint, path_id or "0")
    request = MockRequest(_origin(), "post", path)
    data = json.dumps(body).encode() if body is not None else b""
    response = MockResponse(data, status_code=status, content_type=content_type)
    for error in _openapi().iter_response_errors(request, response):
        causes = getattr(error, "__cause__", None)
        detail = getattr(causes, "schema_errors", None) or ()
        text = "; ".join(_explain(e) for e in detail)
        yield f"{type(error).__name__}: {text or str(error)[:300]}"


def _explain(error: Any) -> str:
    """The most telling reason: for a failed oneOf, the best match among its branches."""
    context = list(getattr(error, "context", None) or ())
    if context:
        # Drop the branches whose `status` does not match: their complaints are noise.
        wrong = {e.relative_schema_path[0] for e in context
                 if list(e.absolute_path) == ["status"] and e.validator in ("const", "enum")}
        chosen = [e for e in context if e.relative_schema_path[0] not in wrong] or context
        error = max(chosen, key=lambda e: (len(list(e.absolute_path)),
                                          e.validator not in ("oneOf", "anyOf")))
    where = "/".join(str(p) for p in getattr(error, "absolute_path", ()))
    message = str(getattr(error, "message", error))[:200]
    return f"{where}: {message}" if where else message


def validate(endpoint: str, status: int, body: Any, *, path_id: str | None = None) -> None:
    """Raise ValueError with the first departure from the schema."""
    for error in iter_errors(endpoint, status, body, path_id=path_id):
        raise ValueError(error)
