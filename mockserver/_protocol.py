"""One socket write per HTTP response, and bounded request heads and read times.

uvicorn writes the status line and headers, then the body, as two transport writes: two
syscalls and, under load, two wake-ups of the client. Under wrk that was a quarter of the
served mock's time (bench/README.md). This protocol gathers what one loop iteration writes
and sends it at once; it is uvicorn's own httptools protocol otherwise, passed as its `http`.

It also holds a client to what gateways promise (numbers in `mockserver.limits`): a request
target longer than `MAX_URL_BYTES` is answered 414, a head longer than `MAX_HEAD_BYTES` 431,
both before the parser buffers more than the limit (no head grows without bound, and none
costs quadratic copying); a request not received whole within `REQUEST_SECONDS` of its first
byte (or of the connection) is answered 408 if its head is incomplete, and the connection is
closed either way; a connection idle for `KEEP_ALIVE_SECONDS` after an answer is closed. One
timer per connection looks at both (none is made per request), so idle and slow sockets do
not pile up.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any, cast

from mockserver import limits
from mockserver._gathering import Gathering, default_lines
from mockserver.direct import Answer, Direct, direct_of

try:
    import httptools
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

_REASONS = {408: b"Request Timeout", 414: b"URI Too Long",
            431: b"Request Header Fields Too Large"}


class _TooLarge(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _NoWaiter:
    """A held answer's `message_event`: uvicorn sets it when the connection is lost, to wake
    an ASGI app reading the body; a held answer has read its body, so nothing waits on it
    (an `asyncio.Event` a request cost 1 us)."""

    __slots__ = ()

    def set(self) -> None:
        pass


class _Held:
    """A direct answer waiting out a latency or its commit, in the place of uvicorn's current
    cycle: the attributes uvicorn reads and sets on it (a shutdown clears `keep_alive`)."""

    __slots__ = ("disconnected", "keep_alive", "response_complete")
    message_event = _NoWaiter()

    def __init__(self) -> None:
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = True


def http_protocol() -> Any:
    """What to pass as uvicorn's `http`: this protocol, or "auto" without httptools."""
    return "auto" if HttpToolsProtocol is None else OneWriteHttpToolsProtocol


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    #: Bytes of the current request's head received so far (None: its head is complete).
    _head: int | None = 0
    _url_bytes = 0
    #: When the request being received began (loop time; None: none is being received).
    _started: float | None = None
    #: When the connection's last answer was sent, if it has been idle since (loop time).
    _idle: float | None = None
    #: One timer per connection, re-armed as it fires (not one per request: that cost a
    #: timer handle made and cancelled on the hot path).
    _deadline: asyncio.TimerHandle | None = None
    #: The mock's direct answerer (`mockserver.direct`; None: every request takes ASGI).
    _direct: Direct | None = None
    #: The request being answered directly: (target, headers, body chunks, bytes kept), or
    #: None when it takes the ASGI app.
    _fast: tuple[str, Any, list[bytes], list[int]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check.
        gathering = Gathering(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, gathering))
        self.timeout_keep_alive = limits.KEEP_ALIVE_SECONDS
        self._seconds = limits.REQUEST_SECONDS
        self._started = self.loop.time()
        # (a quarter of the shorter limit, as `_check` re-arms it: armed for the whole
        # request limit, an idle connection's first look came only then, not by the 6.25th s)
        self._deadline = self.loop.call_later(
            min(self._seconds, float(self.timeout_keep_alive)) / 4, self._check)
        self._direct = direct_of(self.app)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _check(self) -> None:
        """The connection's timer: has the request being received taken too long, or has
        the connection been idle too long since its last answer? Re-armed as it fires, at
        most a quarter of the shorter limit ahead, so a connection that goes idle between
        two looks is closed at most that late."""
        self._deadline = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        started, idle = self._started, self._idle
        if started is not None and now - started >= self._seconds:
            if self._head is not None:
                self._refuse(408)
            else:  # the body is late: the app reads a disconnect
                self.transport.close()
            return
        keep_alive = float(self.timeout_keep_alive)
        if started is None and idle is not None and now - idle >= keep_alive:
            self.transport.close()  # (uvicorn's keep-alive timeout, without a timer a request)
            return
        wait = min(self._seconds, keep_alive) / 4
        if started is not None:
            wait = min(wait, started + self._seconds - now)
        elif idle is not None:
            wait = min(wait, idle + keep_alive - now)
        self._deadline = self.loop.call_later(max(wait, 0.001), self._check)

    def on_response_complete(self) -> None:
        """uvicorn's, with the keep-alive timeout left to `_check`: uvicorn arms a timer
        after every answer and cancels it at the next request (2 us a request)."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle = self.loop.time()

    def _refuse(self, status: int) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, _REASONS[status], len(_BODIES[status]),
                                _BODIES[status]))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.parser is None:
            return
        try:
            if self._head is None:  # in a body: as uvicorn does
                self._feed(data)
                return
            if self._started is None:
                self._started = self.loop.time()  # a request's first byte
                self._idle = None
            room = limits.MAX_HEAD_BYTES - self._head
            first, rest = (data, b"") if len(data) <= room else (data[:room], data[room:])
            self._head += len(first)
            self._feed(first)
            if rest:
                if self._head is not None:  # still in the head, and no room left
                    raise _TooLarge(431)
                self._feed(rest)
        except _TooLarge as exc:
            self._refuse(exc.status)

    def _feed(self, data: bytes) -> None:
        """uvicorn's `data_received`, with a refusal raised by a callback passed on."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _TooLarge):
                raise exc.__context__ from None
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_message_begin(self) -> None:
        # uvicorn's, but the ASGI scope is built only for a request that takes the app
        # (`_scope_now`): a direct answer needs none.
        self.url = b""
        self.expect_100_continue = False
        self.headers: list[tuple[bytes, bytes]] = []
        self._url_bytes = 0

    def _scope_now(self) -> None:
        """uvicorn's scope for this request (built by uvicorn's own `on_message_begin`, so
        it has whatever keys this uvicorn gives), over the head received so far."""
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        HttpToolsProtocol.on_message_begin(self)
        self.url, self.headers, self.expect_100_continue = url, headers, expect
        self.scope["headers"] = headers

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > limits.MAX_URL_BYTES:
            raise _TooLarge(414)
        super().on_url(url)

    def on_headers_complete(self) -> None:
        self._head = None
        direct = self._direct
        if direct is not None and self.parser.get_method() == b"POST" and \
                (self.cycle is None or self.cycle.response_complete) and not self.pipeline \
                and not self.flow.write_paused and self.parser.get_http_version() == "1.1" \
                and not self.parser.should_upgrade() and self.limit_concurrency is None:
            url = httptools.parse_url(self.url)
            path = url.path.decode("ascii")
            if "%" in path:
                path = urllib.parse.unquote(path)
            path = self.root_path + path
            headers = direct.takes(path, self.headers)
            if headers is not None:
                query = url.query
                target = f"{path}?{query.decode('latin-1')}" if query else path
                self._fast = (target, headers, [], [0])
                return
        self._scope_now()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        fast = self._fast
        if fast is None:
            super().on_body(body)
            return
        kept, limit = fast[3], self._direct.limit() if self._direct else 0
        if kept[0] < limit:  # past the limit the rest is read and dropped: the answer is 413
            part = body[:limit - kept[0]]
            fast[2].append(part)
            kept[0] += len(part)

    def on_message_complete(self) -> None:
        self._idle = None  # (a previous answer may have set it after this request began)
        fast = self._fast
        if fast is None:
            super().on_message_complete()
        else:
            self._fast = None
            self._answer(*fast[:2], b"".join(fast[2]))
        self._head = 0
        self._started = None

    def _answer(self, target: str, headers: Any, body: bytes) -> None:
        """Answer a request `mockserver.direct` takes, as uvicorn would have sent it."""
        assert self._direct is not None
        keep_alive = self.parser.should_keep_alive()
        held: _Held | None = None
        answer = self._direct.answer(target, headers, body, self.scheme, self.server,
                                     lambda later: self._reply(later, target, keep_alive, held))
        if answer is None:  # (a shared store's commit comes first)
            held = self._hold()
        else:
            self._reply(answer, target, keep_alive, None)

    def _hold(self) -> _Held:
        """An answer that is not sent in this turn is held as an unfinished ASGI cycle is,
        so uvicorn queues the requests behind it, in order. Reading goes on: a request
        pipelined behind it pauses reading as uvicorn's own pipelining does, and pausing
        for every held answer cost two `epoll_ctl` calls a request on a shared store."""
        held = _Held()
        self.cycle = held  # type: ignore[assignment]
        return held

    def _reply(self, answer: Answer, target: str, keep_alive: bool, held: _Held | None) -> None:
        status, lines, payload, delay = answer
        if held is not None and not held.keep_alive:  # (a shutdown came while it waited)
            keep_alive = False
        if self.access_log:  # uvicorn's access line, as its ASGI cycle writes it
            client = self.client
            self.access_logger.info('%s - "%s %s HTTP/%s" %d',
                                    f"{client[0]}:{client[1]}" if client else "", "POST",
                                    target, "1.1", status)
        data = b"".join((STATUS_LINE[status], default_lines(self.server_state.default_headers),
                         lines, b"\r\n" if keep_alive else b"connection: close\r\n\r\n",
                         payload))
        if delay:  # (a latency set after the head came)
            self.loop.call_later(delay, self._send_held, held or self._hold(), data, keep_alive)
        elif held is not None:
            self._send_held(held, data, keep_alive)
        else:
            self._send(data, keep_alive)

    def _send_held(self, held: _Held, data: bytes, keep_alive: bool) -> None:
        held.response_complete = True
        if cast(object, self.cycle) is held:  # (else a queued request's cycle took its place)
            self.cycle = None  # type: ignore[assignment]
        self._send(data, keep_alive and held.keep_alive)

    def _send(self, data: bytes, keep_alive: bool) -> None:
        if self.transport.is_closing():
            return
        # Through the gathering transport: sent at the end of the loop turn, as uvicorn's own
        # writes are (writing at once measured 15% more CPU a request under wrk).
        self.transport.write(data)
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()



_BODIES = {status: b'{"status":"error","message":"%s"}' % reason
           for status, reason in _REASONS.items()}
