"""Sending one request to the target: the key put in on the wire, the reply read within its
bounds and deadline and kept exactly as the backend sent it (judged raw: the key is scrubbed
only where text is shown, `contracts.redaction.Scrubber`), faults retried with backoff (sync
and async).

`Sender` is the half of `contracts.client.Target` that talks to the backend; `Target` sets
every attribute declared here. httpx is imported on first use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from contracts.client import _read
from contracts.client._budget import Backoff, Budget
from contracts.redaction import Scrubber
from contracts.reply import Reply, error_kind, is_fault, looks_like_error, retry_after
from contracts.vocabulary import KEY

if TYPE_CHECKING:
    import httpx


def retryable(reply: Reply) -> bool:
    """A fault another attempt may not meet: no answer, 5xx, 429, a rate-limit body (not a
    redirect: it comes back the same)."""
    if 300 <= reply.status < 400:
        return False
    if is_fault(reply):
        return True
    return looks_like_error(reply) and error_kind(reply) in ("rate_limit", "server")


class Sender:
    """Posts to one backend with retries, never more than its budget allows."""

    base_url: str
    budget: Budget
    backoff: Backoff
    sleep: Callable[[float], None]
    #: Seconds paused so far (retries and job waits).
    slept: float
    _key: str
    _transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    _http: httpx.Client | None
    _aborted: bool

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    # -- the gate's requests: placeholder key, retries, raw replies ----------------------------

    @property
    def scrubber(self) -> Scrubber:
        """Hides this target's key in text about to be shown (reports, messages): the replies
        themselves stay raw, so they are judged as they came."""
        return Scrubber((self._key,))

    def pause(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.backoff.cap))
        if seconds:
            self.sleep(seconds)
            self.slept += seconds

    def _wire(self, body: Any, prefer: tuple[str, ...]) -> tuple[bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Accept-Encoding": _read.ACCEPT_ENCODING}
        if prefer:
            headers["Prefer"] = ", ".join(prefer)
        if isinstance(body, bytes):
            return body, headers
        if isinstance(body, str):
            return body.encode("utf-8"), headers
        if isinstance(body, Mapping):
            body = {k: (self._key if v == KEY else v) for k, v in body.items()}
        return json.dumps(body).encode("utf-8"), headers

    def _reply(self, status: int, headers: Any, raw: bytes) -> Reply:
        """The reply as judged: decoded from the raw bytes, exactly as sent (nothing hidden:
        a key that equals a value the reply legitimately holds must not change a verdict);
        a redirect is a fault (a wrong base URL), not a verdict."""
        if 300 <= status < 400:
            where = self.scrubber(headers.get("location", ""))[:200]  # shown, not judged
            return Reply(status, headers, error=f"HTTP {status} redirect to {where or '?'}: "
                                                "a wrong base URL?")
        try:
            return Reply.of(raw, status, headers)
        except RecursionError:
            return Reply(status, headers, None, "(JSON nested too deeply to read)")

    def _failed(self, exc: Exception) -> Reply:
        if self._aborted:
            self._aborted = False
            return Reply(0, error="the answer did not arrive before the deadline")
        # An exception's text is shown, never judged (only that there was one): scrubbed.
        return Reply(0, error=self.scrubber(f"{type(exc).__name__}: {exc}")[:300])

    def _until(self) -> float:
        """When the request being sent must be answered by: its timeout, cut to what is left
        of the budget's deadline."""
        left = self.budget.remaining
        total = self.backoff.timeout if left is None else max(0.0, min(self.backoff.timeout,
                                                                        left))
        return time.monotonic() + total

    def _abort(self) -> None:
        """The watchdog: close the connections of a request past its deadline (a backend
        that trickles bytes keeps every single read within its timeout)."""
        self._aborted = True
        http, self._http = self._http, None
        if http is not None:
            http.close()

    def _exchange(self, method: str, url: str, cap: int, **kwargs: Any
                  ) -> tuple[int, Any, bytes]:
        """Send one request; its status, headers and decoded body, read within bounds."""
        import threading

        until = self._until()
        timeout = max(0.001, until - time.monotonic())
        watchdog = None
        if self._transport is None:  # a real socket: a trickle is possible
            watchdog = threading.Timer(timeout, self._abort)
            watchdog.daemon = True
            watchdog.start()
        try:
            with self.http().stream(method, url, timeout=timeout, **kwargs) as response:
                return response.status_code, response.headers, _read.read(response, cap,
                                                                           until)
        finally:
            if watchdog is not None:
                watchdog.cancel()

    async def _aexchange(self, client: httpx.AsyncClient, method: str, url: str, cap: int,
                         **kwargs: Any) -> tuple[int, Any, bytes]:
        import asyncio

        until = self._until()
        timeout = max(0.001, until - time.monotonic())

        async def go() -> tuple[int, Any, bytes]:
            async with client.stream(method, url, timeout=timeout, **kwargs) as response:
                return (response.status_code, response.headers,
                        await _read.aread(response, cap, until))
        try:
            return await asyncio.wait_for(go(), timeout)
        except TimeoutError:
            raise _read.ReadRefused("the answer did not arrive before the deadline") from None

    def _retry_wait(self, attempt: int, reply: Reply) -> float | None:
        """The pause before `attempt` (None: give up, the budget is spent)."""
        if self.budget.exhausted:
            return None
        wait = retry_after(reply.headers)
        return wait if wait is not None else self.backoff.base * 2 ** (attempt - 1)

    def http(self) -> httpx.Client:
        """The target's own httpx client (made on first use)."""
        if self._http is None:
            import httpx

            transport = self._transport if isinstance(self._transport, httpx.BaseTransport) \
                else None
            self._http = httpx.Client(transport=transport, timeout=self.backoff.timeout,
                                      follow_redirects=False)
        return self._http

    def post(self, path: str, body: Any, *, prefer: tuple[str, ...] = ()) -> Reply:
        """POST `body` to `path`, retrying faults; raises `BudgetExhausted` when spent."""
        import httpx

        content, headers = self._wire(body, prefer)
        reply = Reply(0, error="not sent")
        for attempt in range(self.backoff.retries + 1):
            if attempt:
                wait = self._retry_wait(attempt, reply)
                if wait is None:
                    return reply
                self.pause(wait)
            self.budget.take()
            try:
                reply = self._reply(*self._exchange("POST", self.url(path),
                                                    _read.MAX_REPLY_BYTES, content=content,
                                                    headers=headers))
            except (httpx.HTTPError, _read.ReadRefused, RuntimeError, OSError) as exc:
                reply = self._failed(exc)
            if not retryable(reply):
                break
        return reply

    async def apost(self, client: httpx.AsyncClient, path: str, body: Any, *,
                    prefer: tuple[str, ...] = ()) -> Reply:
        """`post` through an async client: the same budget, retries and raw replies."""
        import asyncio

        import httpx

        content, headers = self._wire(body, prefer)
        reply = Reply(0, error="not sent")
        for attempt in range(self.backoff.retries + 1):
            if attempt:
                wait = self._retry_wait(attempt, reply)
                if wait is None:
                    return reply
                await asyncio.sleep(max(0.0, min(wait, self.backoff.cap)))
            self.budget.take()
            try:
                reply = self._reply(*await self._aexchange(
                    client, "POST", self.url(path), _read.MAX_REPLY_BYTES, content=content,
                    headers=headers))
            except (httpx.HTTPError, _read.ReadRefused, RuntimeError, OSError) as exc:
                reply = self._failed(exc)
            if not retryable(reply):
                break
        return reply
