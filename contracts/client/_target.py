"""The target: one backend (an origin, or an in-process transport), the key to use on it, a
request budget, retries with backoff, following queued jobs and downloading their images.

Bodies may hold the key placeholder (`contracts.vocabulary.KEY`); the key is put in only on
the wire. Replies come back raw (judged as the backend sent them); whatever shows them (the
gate's reports, the checker's messages, the plugin's failure output) scrubs the key with
`.scrubber`, so no report or message carries it. httpx is imported on first use, so the
pytest plugin can import this module for free.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts.client import _read
from contracts.client._budget import Backoff, Budget
from contracts.client._follow import Fetch, afollow, follow, plan_fetch
from contracts.client._send import Sender
from contracts.redaction import REDACTED
from contracts.reply import Reply
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


class Target(Sender):
    """Sends requests to one backend, never more than its budget allows.

    `.base_url` is the origin, `.key` the key (never in a repr), `.is_mock` whether it is a
    modelslab-contract mock, `.server` its control when the pytest plugin made it. Its replies
    are raw; `.scrubber` hides the key in any text about to be shown.
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
