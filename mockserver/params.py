"""Where a request's parameters come from besides its JSON body: the query string and a `key`
header (ledger `v3-transport`; `x-contract.transport`).

The body wins over the query string for every field; the key is the body's when it is a
non-empty string, else the query string's, else the `key` header's. A request with no body
(the former brand's client sends an empty one) is a request of its query parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import spec
from mockserver.request import header


def _max_query_bytes() -> int:
    return int(spec.contract().limits["max_query_bytes"])


def query_params(query: str) -> dict[str, str]:
    """The query string's parameters (the first of a repeated name wins); a query string
    longer than `max_query_bytes` is not read."""
    if not query or len(query) > _max_query_bytes():
        return {}
    out: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        out.setdefault(name, value)
    return out


def merge(decoded: Any, body: bytes, query: str, headers: Mapping[str, str]) -> Any:
    """The request's parameters as one JSON value: `decoded` itself when nothing else came."""
    params = query_params(query) if query else {}
    key = header(headers, "key")
    if not params and key is None:
        return decoded
    if type(decoded) is dict:
        merged: dict[str, Any] = {**params, **decoded}
    elif not body.strip():
        merged = dict(params)
    else:
        return decoded  # a body that is no JSON object stays what it is (a body.json error)
    if key is not None and not (isinstance(merged.get("key"), str) and merged["key"]):
        merged["key"] = key
    return merged
