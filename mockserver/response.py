"""What the engine answers: status, headers, body, and a simulated delay for the adapter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import orjson

JSON_HEADERS = {"content-type": "application/json"}


@dataclass(slots=True)
class MockResponse:
    """Adapters wait `delay` seconds (simulated latency), then send the rest as is. Not
    `frozen` only because that makes building one (once per request) slower."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


#: Built once: `json.dumps` with non-default arguments builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
#: The C encoder behind `_ENCODER.encode`, built once too (`encode` builds it on every call).
#: Without the circular-reference check (whose state would be shared between threads): what
#: the mock encodes is built fresh or decoded from JSON, so never circular.
_ENCODE = None if c_make_encoder is None else c_make_encoder(
    None, _ENCODER.default, encode_basestring, None, ":", ",", False, False, True)


def _dump_stdlib(value: Any) -> bytes:
    try:
        if _ENCODE is None or isinstance(value, str):
            return _ENCODER.encode(value).encode()
        return "".join(_ENCODE(value, 0)).encode()
    except UnicodeEncodeError:  # a lone surrogate (sent as "\ud800"): sent back escaped
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()


def dump(value: Any) -> bytes:
    """Compact UTF-8 JSON. orjson first (the mock's largest in-process cost was encoding);
    what it refuses (integers beyond 64 bits, non-str keys) goes to the stdlib encoder."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _dump_stdlib(value)


def json_response(status: int, value: Any) -> MockResponse:
    # (A literal: `JSON_HEADERS`'s, copied, since callers add headers to it. `dump`, inline.)
    try:
        body = orjson.dumps(value)
    except TypeError:
        body = _dump_stdlib(value)
    return MockResponse(status, {"content-type": "application/json"}, body)
