"""The first stage: one HTTP request to an API endpoint, decoded into a `Call`.

Decoding only reads what came (headers, the JSON body, the `Prefer` header); every decision
about it is `mockserver.decide`'s. A body larger than the limit is not decoded at all: it is
answered 413 whatever it holds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from mockserver import limits, preferences

#: Most seconds a `Prefer: eta=N` may ask for.
MAX_ETA = 3600.0


class Headers(dict[str, str]):
    """Request headers whose names are already lower-case (the ASGI adapter's): a header
    that is not there is looked up once, not searched for in every spelling."""


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name` (lower-case), in any spelling for a plain mapping."""
    value = headers.get(name)
    if value is None and type(headers) is not Headers:
        for k, v in headers.items():
            if k.lower() == name:
                return v
    return value


def lowered(headers: Mapping[str, str]) -> Headers:
    """`headers` with lower-case names, each holding what `header` finds for it (the value of
    the name in lower case if it is there, else of its first spelling): looked up once each."""
    out = Headers()
    for name, value in headers.items():
        low = name.lower()
        if low not in out or name == low:
            out[low] = value
    return out


def whole_number(text: str, most: int = 18) -> int | None:
    """`text` read as a whole number when it is ASCII digits only, at most `most` of them;
    else None. (`str.isdigit` takes "²", which `int` refuses, and "١", which it reads as 1.)"""
    if len(text) <= most and text.isascii() and text.isdigit():
        return int(text)
    return None


_DECODER = json.JSONDecoder()


def decode(body: bytes) -> Any:
    """The body as JSON, as `json.loads` reads it, or None when it is not JSON."""
    if not body:  # (a GET's): not JSON, and json.loads would say so by raising
        return None
    if body[:1] == b"{" and body[1:2] != b"\0":
        # orjson reads what `json.loads` reads, alike, ~3x faster; what it refuses (NaN,
        # Infinity, invalid JSON, nesting past 1024) or reads otherwise (an integer beyond 64
        # bits becomes a float) goes to the stdlib below.
        try:
            value = orjson.loads(body)
            if (type(value) is dict and _MAY_HOLD.isdisjoint(map(type, value.values()))) \
                    or not _beyond_int64(value):  # (the first test: `_beyond_int64`'s, inline)
                return value
        except (orjson.JSONDecodeError, RecursionError):
            pass
    try:
        if body[:1] == b"{" and body[1:2] != b"\0":
            # What `json.loads` does with UTF-8 bytes (it checks the first bytes for UTF-16 and
            # UTF-32), without its checks and lookups.
            return _DECODER.decode(body.decode("utf-8", "surrogatepass"))
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _beyond_int64(value: Any) -> bool:
    """Holds a float too large for a 64-bit integer (what orjson makes of a huge integer).
    A loop, not recursion: orjson nests up to 1024 deep, past the recursion limit."""
    todo = [value]
    while todo:
        container = todo.pop()
        values = container.values() if type(container) is dict else container
        if _MAY_HOLD.isdisjoint(map(type, values)):  # (one pass in C: most hold no float)
            continue
        v: Any
        for v in values:
            kind = type(v)
            if kind is float:
                if not -9.2e18 < v < 9.2e18:
                    return True
            elif kind is dict or kind is list:
                todo.append(v)
    return False


def _deeper(body: dict[str, Any], most: int) -> bool:
    """Nests objects and lists more than `most` levels deep (the object itself is one)."""
    if CONTAINERS.isdisjoint(map(type, body.values())):  # (the usual flat body, in C)
        return False
    todo: list[tuple[Any, int]] = [(body, 1)]
    while todo:
        container, depth = todo.pop()
        if depth > most:
            return True
        values = container.values() if type(container) is dict else container
        todo.extend((v, depth + 1) for v in values if type(v) is dict or type(v) is list)
    return False


#: The JSON types that nest (a body holding none is flat).
CONTAINERS = frozenset((dict, list))

#: The types of the values `_beyond_int64` looks into.
_MAY_HOLD = CONTAINERS | {float}


def key_of(body: bytes) -> object:
    """The `key` a body carries, if it is a JSON object (to scrub it from a log line)."""
    decoded = decode(body) if len(body) < 1 << 20 else None
    return decoded.get("key") if isinstance(decoded, dict) else None


@dataclass(frozen=True, slots=True)
class Prefer:
    """The scenario a request asked for in its `Prefer` header (Prism's style)."""

    status: str | None = None
    eta: float | None = None
    error: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> Prefer:
        if not text:
            return NO_PREFER
        found: dict[str, str] = {}
        for token in re.split(r"[,;]", text):
            name, _, value = token.partition("=")
            found[name.strip().lower()] = value.strip().strip('"').lower()
        eta: float | None = None
        try:
            eta = float(found["eta"])
            eta = min(eta, MAX_ETA) if math.isfinite(eta) and eta >= 0 else None
        except (KeyError, ValueError):
            pass
        status, error = found.get("status") or None, found.get("error") or None
        if status is None and eta is None and error is None:
            return NO_PREFER
        return cls(status, eta, error)

    def __bool__(self) -> bool:
        """False when it asks for nothing (no error, status or eta)."""
        return self.error is not None or self.status is not None or self.eta is not None


NO_PREFER = Prefer()


@dataclass(slots=True, init=False)
class Call:
    """A request to an API endpoint, as it came: what `decide` judges. Never changed once
    read (not `frozen` only because that makes building one, once per request, slower). Its
    `__init__` is written out, as `Job`'s is (compiled, a generated one stays interpreted)."""

    method: str
    #: The schema path it reached (e.g. "/api/v6/images/fetch/{id}").
    template: str
    #: The generation endpoint the path belongs to.
    generation: str
    #: What the path held in place of `{id}`, if anything.
    path_id: str | None
    #: The body as sent (bytes), and its size.
    body: bytes
    size: int
    #: The body decoded, when it is JSON (and within the size limit); else None.
    decoded: Any
    #: The body is a JSON object (only then are its fields, its key among them, read).
    is_object: bool
    #: The `key` field as sent (any JSON value), or None.
    key: Any
    prefer: Prefer
    #: The `Prefer` header's text, when it asked for something (or for something unknown).
    prefer_text: str | None
    #: The media type of the body, lower-case without parameters ("" when none was sent).
    content_type: str
    #: The concrete path (the template with its id filled in).
    path: str
    #: Why the `Prefer` header is refused (a value the mock does not know), or None.
    prefer_refused: str | None = None
    #: Query parameters or a `key` header joined the body's fields (`decoded` is not what
    #: the body alone decodes to).
    merged: bool = False
    #: A JSON object nested deeper than `limits.MAX_BODY_DEPTH` (then `decoded` is None).
    too_deep: bool = False

    def __init__(self, method: str, template: str, generation: str, path_id: str | None,
                 body: bytes, size: int, decoded: Any, is_object: bool, key: Any,
                 prefer: Prefer, prefer_text: str | None, content_type: str, path: str,
                 prefer_refused: str | None = None, merged: bool = False,
                 too_deep: bool = False) -> None:
        self.method, self.template, self.generation = method, template, generation
        self.path_id, self.body, self.size, self.decoded = path_id, body, size, decoded
        self.is_object, self.key, self.prefer = is_object, key, prefer
        self.prefer_text, self.content_type, self.path = prefer_text, content_type, path
        self.prefer_refused, self.merged, self.too_deep = prefer_refused, merged, too_deep


def read(method: str, template: str, generation: str, path_id: str | None,
         headers: Mapping[str, str], body: bytes, limit: int, query: str = "") -> Call:
    """Decode one request; a body over `limit` bytes is left undecoded. Parameters in the
    query string and a `key` header join the body's (`mockserver.params`)."""
    size = len(body)
    decoded: Any = decode(body) if size <= limit else None
    plain = type(headers) is not Headers
    if plain:
        headers = lowered(headers)
    # (Lowered, a plain mapping's `key` header in any spelling is found here too.)
    merged = size <= limit and (bool(query) or "key" in headers)
    if merged:
        from mockserver.params import merge  # imports this module

        decoded = merge(decoded, body, query, headers)
    is_object = type(decoded) is dict
    too_deep = is_object and _deeper(decoded, limits.MAX_BODY_DEPTH)
    if too_deep:
        decoded, is_object = None, False
    text = headers.get("prefer")  # (lower-case names now: `header` would look it up alike)
    prefer, refused = (Prefer.parse(text), preferences.unknown(text)) if text else \
        (NO_PREFER, None)
    content_type = "" if is_object else \
        (headers.get("content-type") or "").split(";")[0].strip().lower()
    return Call(method, template, generation, path_id, body, size, decoded, is_object,
                decoded.get("key") if is_object else None, prefer,
                text if text and (prefer or refused) else None, content_type,
                template if path_id is None else template.replace("{id}", path_id), refused,
                merged, too_deep)
