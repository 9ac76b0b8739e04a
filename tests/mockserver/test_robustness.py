"""Robustness: whatever bytes arrive, the ASGI app never answers 5xx and never raises.

A fast, in-suite version of `bench/fuzz.py` (which runs 10,000 examples): any JSON, bodies
shaped like a generation request with wrong values, wrong content types, truncated JSON,
random bytes, oversized bodies (declared or streamed), odd `Prefer` headers, with and without
an `Origin` header (the Starlette stack and the fast path), through the real ASGI app.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spec
from mockserver import MockConfig, create_app

LIMIT = int(spec.contract().limits["max_body_bytes"])
_CONTRACT = spec.contract()
API_PATHS = sorted([*_CONTRACT.generation, *(p for p in _CONTRACT.fetch if "{id}" not in p)])
ID_PATHS = sorted(p for p in _CONTRACT.fetch if "{id}" in p)
FIELDS = sorted({f.name for fields in _CONTRACT.generation.values() for f in fields})

_JSON_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", None]
_WRONG_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "text/html", "application/xml", "image/png", "application/octet-stream", ""]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
wire_values = (json_values | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
               | st.sampled_from(["yes", "no", "true", "", " 512 ", "0.5,0.7", "1e309", "NaN",
                                  "-1", "99999999999999999999", ",", "a,,b", "\x00"])
               | st.floats())


@st.composite
def generation_like(draw: st.DrawFn) -> dict[str, Any]:
    """A body with the documented fields, each with an arbitrary (often wrong) value."""
    body: dict[str, Any] = {"key": "fuzz-key", "model_id": "sdxl", "prompt": "a fox"}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=8, unique=True)):
        body[name] = draw(wire_values)
    body.pop("webhook", None)  # no outbound traffic from a fuzz run
    return body


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@dataclass
class Sent:
    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    chunks: int
    oversized: bool


@st.composite
def requests(draw: st.DrawFn) -> Sent:
    kind = draw(st.sampled_from(["json", "generation", "truncated", "bytes", "oversized",
                                 "wrong_type"]))
    if kind == "json":
        body = _dumps(draw(json_values))
    elif kind == "generation":
        body = _dumps(draw(generation_like()))
    elif kind == "truncated":
        whole = _dumps(draw(generation_like()))
        body = whole[:draw(st.integers(0, max(0, len(whole) - 1)))]
    elif kind == "bytes":
        body = draw(st.binary(max_size=64))
    elif kind == "oversized":
        filler = "x" * (LIMIT + draw(st.integers(1, 4096)))
        body = _dumps({"key": "k", "model_id": "sdxl", "prompt": filler})
    else:
        body = _dumps(draw(generation_like()))
    content_type = draw(st.sampled_from(_WRONG_TYPES if kind == "wrong_type" else _JSON_TYPES))
    if draw(st.integers(0, 9)) == 0:
        path = draw(st.sampled_from(ID_PATHS)).replace(
            "{id}", draw(st.sampled_from(["1", "0", "-1", "abc", "99999999999999999999", "%00"])))
    else:
        path = draw(st.sampled_from(API_PATHS))
    headers = [(b"host", b"mock.test")]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode("latin-1")))
    declared = draw(st.booleans())
    if declared:
        headers.append((b"content-length", str(len(body)).encode()))
    if draw(st.booleans()):
        prefer = draw(st.sampled_from(["status=processing", "eta=3", "eta=-1", "eta=1e999",
                                       "error=rate_limit", "error=invalid_key", "error=nope",
                                       "error=failed", "error=no_credits", "status=success",
                                       ";;,=", "eta=nan"]))
        headers.append((b"prefer", prefer.encode()))
    if draw(st.booleans()):
        headers.append((b"origin", b"http://localhost:5173"))
    method = draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT"]))
    return Sent(method, path, headers, body, draw(st.integers(1, 3)), kind == "oversized")


async def _call(app: Any, sent: Sent) -> tuple[int, dict[str, str], bytes]:
    size = len(sent.body)
    step = max(1, -(-size // sent.chunks))
    parts = [sent.body[i:i + step] for i in range(0, size, step)] or [b""]
    queue = iter(parts)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        part = next(queue, None)
        if part is None:
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": part, "more_body": part is not parts[-1]}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": sent.method, "scheme": "http", "path": sent.path,
             "raw_path": sent.path.encode(), "query_string": b"", "root_path": "",
             "headers": sent.headers, "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 40000), "state": {}}
    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers, body


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module", params=["legacy", "http"])
def harness(request: pytest.FixtureRequest) -> Iterator[tuple[Any, asyncio.AbstractEventLoop,
                                                             _Errors]]:
    app = create_app(MockConfig(error_mode=request.param, webhook_hosts=()))
    loop = asyncio.new_event_loop()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        yield app, loop, errors
    finally:
        logging.getLogger().removeHandler(errors)
        app.state.engine.close()
        loop.close()


def check(status: int, headers: dict[str, str], body: bytes, sent: Sent) -> None:
    """What every answer must be: below 500, JSON error shape for errors, 413 when too big."""
    assert status < 500, (status, body[:300])
    if sent.method != "POST":
        return
    data = json.loads(body)
    assert isinstance(data, dict) and isinstance(data.get("status"), str), body[:300]
    if sent.oversized:
        assert status == 413, (status, body[:300])
        assert data["status"] == "error" and isinstance(data["message"], str), data
    if data["status"] in ("error", "failed"):
        assert isinstance(data.get("message"), str | dict), data


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(sent=requests())
def test_no_5xx_and_no_unhandled_exception(harness: Any, sent: Sent) -> None:
    app, loop, errors = harness
    status, headers, body = loop.run_until_complete(_call(app, sent))
    check(status, headers, body, sent)
    assert not errors.records, [r.getMessage() for r in errors.records]


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_above_the_documented_limit_gets_413_with_the_error_shape(
        harness: Any, declared: bool) -> None:
    app, loop, _ = harness
    body = _dumps({"key": "k", "model_id": "sdxl", "prompt": "x" * LIMIT})
    headers = [(b"host", b"mock.test"), (b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", str(len(body)).encode()))
    sent = Sent("POST", API_PATHS[0], headers, body, 4, True)
    status, _, raw = loop.run_until_complete(_call(app, sent))
    assert status == 413
    data = json.loads(raw)
    assert data["status"] == "error" and isinstance(data["message"], str)


def test_a_body_at_the_limit_is_not_413(harness: Any) -> None:
    app, loop, _ = harness
    empty = _dumps({"key": "k", "model_id": "sdxl", "prompt": ""})
    body = _dumps({"key": "k", "model_id": "sdxl", "prompt": "x" * (LIMIT - len(empty))})
    assert len(body) == LIMIT
    sent = Sent("POST", API_PATHS[0], [(b"content-type", b"application/json"),
                                       (b"content-length", str(len(body)).encode())],
                body, 2, False)
    status, _, _ = loop.run_until_complete(_call(app, sent))
    assert status != 413
