"""API requests answered straight from the HTTP protocol, without an ASGI task.

The plain case of a served mock (a POST to an API path, no CORS, no namespace, no proxy
headers, no simulated latency) needs nothing of ASGI: no task, no scope, no receive and send
messages, no middleware (on a shared store, its answer waits for the commit that stores it).
`mockserver._protocol` asks `Direct.takes` when a request's head is complete; when it says
yes, the protocol collects the body and writes `Direct.answer`'s bytes itself. Every other
request takes the ASGI app (`mockserver.app`), as before; both paths answer with the same
status, headers and body (tests/mockserver/test_direct.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

try:  # (mypyc reads the decorator at build time; installed, mypy_extensions may be absent)
    from mypy_extensions import mypyc_attr
except ImportError:  # pragma: no cover - an install without mypy
    def mypyc_attr(*_: object, **__: object) -> Any:  # type: ignore[misc]
        return lambda cls: cls

import spec
from contracts.control import NAMESPACE_HEADER, NAMESPACE_PATH
from mockserver.admin_guard import ADMIN
from mockserver.engine import Engine
from mockserver.request import Headers, whole_number
from mockserver.response import JSON_HEADERS, MockResponse

#: What CORSMiddleware (allow all origins, no credentials) adds to a response to a request
#: without an `Origin` header.
VARY = ((b"vary", b"Origin"),)
JSON_TYPE = (b"content-type", JSON_HEADERS["content-type"].encode("latin-1"))

#: Request headers that send a request the ASGI way: CORS, `Expect: 100-continue`, a
#: namespace, and what uvicorn's proxy-headers middleware reads (it may change the scheme).
_NOT_DIRECT = frozenset({"origin", "expect", NAMESPACE_HEADER.lower(), "forwarded",
                         "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"})


def headers_of(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The request headers as a plain dict (names lower-case, the first value of a repeated
    header wins, as with Starlette's `Headers.get`): one pass, and cheap lookups after."""
    out = Headers()
    for name, value in raw:
        key = name.decode("latin-1").lower()
        if key not in out:
            out[key] = value.decode("latin-1")
    return out


def origin_of(scheme: str | None, server: Sequence[Any] | None,
              headers: Mapping[str, str]) -> str:
    """The origin the request was sent to (its links are absolute on it). `server` is ASGI's
    (host, port), which servers send as a tuple or a list."""
    host = headers.get("host")
    if not host:
        where = server or ("127.0.0.1", 80)
        host = f"{where[0]}:{where[1]}"
    return f"{scheme or 'http'}://{host}"


def raw_headers(response: MockResponse,
                extra: tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    """A response's headers as sent: its own, its length, then `extra`."""
    if response.headers == JSON_HEADERS:
        out = [JSON_TYPE]
    else:
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    out.append((b"content-length", b"%d" % len(response.body)))
    out.extend(extra)
    return out


#: (status, header lines as sent (each "name: value\r\n"), body, seconds to wait before
#: sending it)
Answer = tuple[int, bytes, bytes, float]

#: The header lines of a JSON answer on the direct path, but for its length.
_JSON_LINES = b"%s: %s\r\ncontent-length: %%d\r\n%s: %s\r\n" % (*JSON_TYPE, *VARY[0])


@mypyc_attr(allow_interpreted_subclasses=True)  # (tests count and hold its answers)
class Direct:
    """Answers the plain API POSTs of one engine for the protocol (see the module)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def takes(self, path: str, raw: list[tuple[bytes, bytes]]) -> Headers | None:
        """The request's headers when a POST to `path` with them may be answered directly,
        else None (it takes the ASGI app)."""
        if path.startswith((ADMIN, spec.IMAGES_PREFIX, NAMESPACE_PATH)):
            return None
        config = self.engine.config
        if config.delay.kind != "none":
            return None  # a simulated latency: awaited in the ASGI app
        headers = headers_of(raw)
        if not _NOT_DIRECT.isdisjoint(headers):
            return None
        declared = whole_number(headers.get("content-length", ""), 32)
        if declared is not None and declared > config.max_body_bytes:
            return None  # answered 413 by the app at once, without reading the body
        return headers

    def limit(self) -> int:
        """Body bytes to keep: one more than the limit shows it was passed."""
        return self.engine.config.max_body_bytes + 1

    def answer(self, target: str, headers: Headers, body: bytes, scheme: str | None,
               server: Sequence[Any] | None,
               later: Callable[[Answer], None]) -> Answer | None:
        """(status, headers, body, seconds to wait before sending) for a POST to `target`
        (its path and query string); or None, and `later` gets it once it may be sent (a
        shared store: after the commit that stores what the request wrote)."""
        response = self.engine.handle_later(
            "POST", target, headers, body, origin_of(scheme, server, headers),
            lambda response: later(_as_sent(response)))
        return None if response is None else _as_sent(response)


def _as_sent(response: MockResponse) -> Answer:
    body = response.body
    if response.headers == JSON_HEADERS:  # (nearly all: one format, no list)
        lines = _JSON_LINES % len(body)
    else:
        lines = b"".join(b"%s: %s\r\n" % pair for pair in raw_headers(response, VARY))
    return response.status, lines, body, response.delay


def direct_of(app: Any) -> Direct | None:
    """The `Direct` of a mock app, through the middleware uvicorn wraps it in (None: the app
    is not the mock's)."""
    for _ in range(8):
        direct = getattr(app, "direct", None)
        if isinstance(direct, Direct):
            return direct
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None
