"""The target: an origin (or an in-process transport), a request budget, retries with backoff.

Bodies arrive holding the key placeholder; the key is put in only on the wire, and every text
that comes back is scrubbed of it, so no report or message can carry it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.checks import Reply
from contracts.checks._classify import FAULT_KINDS, error_kind, looks_like_error, retry_after
from contracts.vocabulary import KEY

REDACTED = "<redacted>"


class BudgetExhausted(Exception):
    """No request may be sent any more."""


@dataclass
class Budget:
    """Counts every request sent (generations, fetches, retries, image downloads)."""

    limit: int
    used: int = 0

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    def take(self) -> None:
        if self.used >= self.limit:
            raise BudgetExhausted
        self.used += 1


@dataclass(frozen=True)
class Backoff:
    """How faults are retried and how long queued jobs are waited for."""

    #: Extra attempts after a fault (timeout, 5xx, 429, rate-limit body).
    retries: int = 2
    #: First pause between attempts, doubled each time.
    base: float = 0.5
    #: Longest single pause (a Retry-After or an eta above it is cut to it).
    cap: float = 8.0
    #: Longest total wait for one queued job before it counts as a fault.
    job_wait: float = 60.0
    #: Most fetches of one queued job.
    fetches: int = 6
    #: Seconds before a request times out.
    timeout: float = 30.0


def _transient(reply: Reply) -> bool:
    if reply.error is not None or reply.status >= 500 or reply.status == 429:
        return True
    if looks_like_error(reply.status, reply.body):
        kind = error_kind(reply.status, reply.body)
        return kind in FAULT_KINDS and kind not in ("no_credits", "failed")
    return False


class Target:
    """Sends requests to one backend, never more than `budget` allows."""

    def __init__(self, base_url: str, key: str, budget: Budget, *,
                 transport: httpx.BaseTransport | None = None, backoff: Backoff | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self.budget = budget
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.slept = 0.0
        self.client = httpx.Client(transport=transport, timeout=self.backoff.timeout,
                                   follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        """`text` with the key replaced (used on everything that came back)."""
        return text.replace(self._key, REDACTED) if self._key else text

    def _wire_body(self, body: Any) -> bytes:
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode("utf-8")
        if isinstance(body, Mapping):
            body = {k: (self._key if v == KEY else v) for k, v in body.items()}
        return json.dumps(body).encode("utf-8")

    def pause(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.backoff.cap))
        if seconds:
            self.sleep(seconds)
            self.slept += seconds

    def _reply(self, response: httpx.Response) -> Reply:
        text = self.scrub(response.text)
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        headers = {k: self.scrub(v) for k, v in response.headers.items()}
        return Reply(response.status_code, headers, body, "" if body is not None else text[:200])

    def post(self, path: str, body: Any, *, prefer: tuple[str, ...] = ()) -> Reply:
        """POST `body` to `path` (retrying faults); raises BudgetExhausted when spent."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if prefer:
            headers["Prefer"] = ", ".join(prefer)
        content = self._wire_body(body)
        reply = Reply(0, error="not sent")
        for attempt in range(self.backoff.retries + 1):
            if attempt:
                if self.budget.left == 0:
                    return reply
                wait = retry_after(reply.headers)
                self.pause(wait if wait is not None else self.backoff.base * 2 ** (attempt - 1))
            self.budget.take()
            try:
                reply = self._reply(self.client.post(self.base_url + path, content=content,
                                                     headers=headers))
            except httpx.HTTPError as exc:
                reply = Reply(0, error=self.scrub(f"{type(exc).__name__}: {exc}")[:300])
            if not _transient(reply):
                break
        return reply

    def get(self, url: str) -> tuple[int, bytes, str, str | None]:
        """GET an output file (no key is sent): (status, content, content type, error)."""
        self.budget.take()
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            return 0, b"", "", self.scrub(f"{type(exc).__name__}: {exc}")[:300]
        return response.status_code, response.content, response.headers.get(
            "content-type", ""), None
