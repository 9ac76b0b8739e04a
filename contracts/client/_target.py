"""The target: one backend (an origin, or an in-process transport), the key to use on it, a
request budget, retries with backoff, following queued jobs and downloading their images.

Bodies may hold the key placeholder (`contracts.vocabulary.KEY`); the key is put in only on
the wire, and every text that comes back is scrubbed of it, so no report or message carries
it. httpx is imported on first use, so the pytest plugin can import this module for free.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts.client import _read
from contracts.client._budget import Backoff, Budget
from contracts.client._follow import Fetch, afollow, follow, plan_fetch
from contracts.redaction import REDACTED, hide, scrub
from contracts.reply import Reply, error_kind, is_fault, looks_like_error, retry_after
from contracts.vocabulary import KEY

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Image:
    """One downloaded output file: its pixel size, or why it could not be read."""

    url: str
    status: int
    size: tuple[int, int] | None = None
    error: str | None = None
    #: How the file was served: "png" (raw bytes) or "base64" (text), "" when unread.
    encoding: str = ""


def retryable(reply: Reply) -> bool:
    """A fault another attempt may not meet: no answer, 5xx, 429, a rate-limit body (not a
    redirect: it comes back the same)."""
    if 300 <= reply.status < 400:
        return False
    if is_fault(reply):
        return True
    return looks_like_error(reply) and error_kind(reply) in ("rate_limit", "server")


class Target:
    """Sends requests to one backend, never more than its budget allows.

    `.base_url` is the origin, `.key` the key (never in a repr), `.is_mock` whether it is a
    modelslab-contract mock, `.server` its control when the pytest plugin made it.
    """

    def __init__(self, base_url: str, key: str, budget: Budget | None = None, *,
                 transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
                 backoff: Backoff | None = None, sleep: Callable[[float], None] = time.sleep,
                 is_mock: bool = False, server: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self.budget = budget if budget is not None else Budget()
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        #: Seconds paused so far (retries and job waits).
        self.slept = 0.0
        self.is_mock = is_mock
        self.server = server
        self._transport = transport
        self._http: httpx.Client | None = None
        self._aborted = False

    @property
    def key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        kind = "mock" if self.is_mock else "real"
        return f"<ModelsLab target {self.base_url} ({kind}), key={REDACTED}>"

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for tests written against the target --------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def body(self, prompt: str = "a red fox in the snow", *, model_id: str = "midjourney",
             **fields: Any) -> dict[str, Any]:
        """A generation body for this target: the key, a model, a prompt and `fields`."""
        return {"key": self._key, "model_id": model_id, "prompt": prompt, **fields}

    def spend(self, n: int = 1, what: str = "request") -> None:
        """Count requests sent by a client the target does not see (requests, aiohttp...);
        raises `BudgetExhausted` past the budget."""
        self.budget.spend(n, what)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on `base_url` whose every request counts against the budget."""
        import httpx

        def count(request: httpx.Request) -> None:
            self.spend()

        hooks = kwargs.pop("event_hooks", {})
        hooks = {**hooks, "request": [*hooks.get("request", ()), count]}
        kwargs.setdefault("timeout", 60.0)
        if isinstance(self._transport, httpx.BaseTransport):
            kwargs.setdefault("transport", self._transport)
        return httpx.Client(base_url=self.base_url, event_hooks=hooks, **kwargs)

    # -- the gate's requests: placeholder key, retries, scrubbed replies -----------------------

    def scrub(self, text: str) -> str:
        """`text` with the key replaced (used on everything that came back)."""
        return scrub(text, (self._key,))

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
        """The reply as judged: decoded from the raw bytes, the key hidden where it is the
        key (`redaction.hide`) and nowhere else; a redirect is a fault (a wrong base URL),
        not a verdict."""
        shown = {k: self.scrub(v) for k, v in headers.items()}
        if 300 <= status < 400:
            where = shown.get("location", "")[:200]
            return Reply(status, shown, error=f"HTTP {status} redirect to {where or '?'}: "
                                              "a wrong base URL?")
        try:
            reply = Reply.of(raw, status, shown)
        except RecursionError:
            reply = Reply(status, shown, None, "(JSON nested too deeply to read)")
        return Reply(reply.status, reply.headers, hide(reply.body, self._key),
                     self.scrub(reply.text), reply.error)

    def _failed(self, exc: Exception) -> Reply:
        if self._aborted:
            self._aborted = False
            return Reply(0, error="the answer did not arrive before the deadline")
        return Reply(0, error=self.scrub(f"{type(exc).__name__}: {exc}")[:300])

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
        """`post` through an async client: the same budget, retries and scrubbing."""
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

    def follow(self, first: Reply, generation: str, *, via: str | None = None,
               interval: float | None = None) -> tuple[Fetch, ...]:
        """Fetch a queued job until it leaves `processing`, within the backoff's wait and
        fetch caps and the budget (stopping, not raising, once it is spent)."""
        plan = plan_fetch(first.body, generation, KEY, via=via)
        return tuple(follow(lambda p: self.post(p.path, p.body), plan, first.body,
                            self.backoff, interval=interval, sleep=self.pause,
                            budget=self.budget))

    async def afollow(self, first: Reply, generation: str, *, via: str | None = None,
                      interval: float | None = None,
                      client: httpx.AsyncClient | None = None) -> tuple[Fetch, ...]:
        """`follow` with an httpx.AsyncClient (by default one on the target's transport)."""
        import httpx

        plan = plan_fetch(first.body, generation, KEY, via=via)
        own = client is None
        if client is None:
            transport = self._transport if isinstance(self._transport, httpx.AsyncBaseTransport) \
                else None
            client = httpx.AsyncClient(transport=transport, timeout=self.backoff.timeout)
        http = client
        try:
            return tuple([f async for f in afollow(
                lambda p: self.apost(http, p.path, p.body), plan, first.body, self.backoff,
                interval=interval, budget=self.budget)])
        finally:
            if own:
                await client.aclose()

    def download(self, url: str) -> Image:
        """GET an output file (no key is sent) and read its pixel size."""
        import httpx

        self.budget.take()
        try:
            status, headers, content = self._exchange(
                "GET", url, _read.MAX_DOWNLOAD_BYTES,
                headers={"Accept-Encoding": _read.ACCEPT_ENCODING})
        except (httpx.HTTPError, _read.ReadRefused, RuntimeError, OSError) as exc:
            return Image(url, 0, None, self._failed(exc).error)
        if status != 200:
            return Image(url, status, None, f"HTTP {status}")
        return _image(url, content, headers.get("content-type", ""))


def _image(url: str, content: bytes, content_type: str) -> Image:
    try:
        from PIL import Image as PILImage

        encoding = "png"
        if not content.startswith(b"\x89PNG") and ("text" in content_type
                                                   or url.endswith(".base64")):
            content = base64.b64decode(content.strip())
            encoding = "base64"
        with PILImage.open(io.BytesIO(content)) as img:
            return Image(url, 200, (img.width, img.height), encoding=encoding)
    except Exception as exc:
        return Image(url, 200, None, f"not an image: {type(exc).__name__}")
