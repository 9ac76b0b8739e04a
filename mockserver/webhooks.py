"""Webhook delivery: best effort, off the request path, bounded in time, space and share.

Deliveries run on one background thread's event loop (started on first use):
- each has a total deadline (`limits.WEBHOOK_DEADLINE_SECONDS`, retry included) on top of a
  per-attempt timeout, so a receiver that trickles its answer is cut off;
- at most `WEBHOOK_CONCURRENCY` run at once, at most `WEBHOOK_PER_HOST` to one receiver
  (host and port);
- waiting deliveries are kept per receiver and taken in turn, one after another, so one dead or
  slow receiver never holds the others back; past `WEBHOOK_QUEUE` waiting in all, or
  `WEBHOOK_QUEUE_PER_HOST` for one host, a new one is dropped and reported as such;
- whatever a URL makes httpx raise is that delivery's failure, never the sender's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from mockserver import limits

log = logging.getLogger("mockserver")

#: Seconds one delivery attempt may take.
TIMEOUT = limits.WEBHOOK_ATTEMPT_SECONDS
#: Attempts per webhook: the first and one retry.
ATTEMPTS = limits.WEBHOOK_ATTEMPTS
#: Deliveries waiting; beyond this new ones are dropped (and reported as such).
QUEUE_SIZE = limits.WEBHOOK_QUEUE

Report = Callable[[dict[str, Any]], None]
#: The reason a delivery is dropped by a sender that is closing (a shared store's other mocks
#: send it once its lease expires: `mockserver.leases`).
SHUTTING_DOWN = "the mock is shutting down"


class WebhookSender(Protocol):
    """Delivers a webhook without blocking the caller, then calls `report` with the outcome."""

    def send(self, url: str, payload: dict[str, Any], report: Report) -> None: ...

    def close(self) -> None: ...


def allowed(url: str, hosts: Iterable[str]) -> bool:
    """Only http(s) URLs whose host is in `hosts`: the mock is no open relay."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and host is not None and \
        host.lower() in {h.lower().strip("[]") for h in hosts}


def _receiver(url: str) -> str:
    """Who a webhook goes to (host and port): the unit of fairness and of the bounds."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode("utf-8", "surrogatepass")


_HEADERS = {"Content-Type": "application/json"}


def deliver(client: httpx.Client, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` to `url`, retrying once; returns what happened (never raises)."""
    body = _encode(payload)
    outcome: dict[str, Any] = {"kind": "webhook", "url": url, "outcome": "failed"}
    for attempt in range(1, ATTEMPTS + 1):
        outcome["attempts"] = attempt
        try:
            response = client.post(url, content=body, headers=_HEADERS)
        except Exception as exc:  # httpx.HTTPError, and InvalidURL & co. for odd URLs
            outcome["error"] = type(exc).__name__
            continue
        outcome["status"] = response.status_code
        if response.is_success:
            outcome["outcome"] = "delivered"
            outcome.pop("error", None)
            break
    return outcome


async def adeliver(client: httpx.AsyncClient, url: str, payload: dict[str, Any],
                   outcome: dict[str, Any]) -> None:
    """`deliver` on an async client, filling `outcome` as it goes (so a deadline that cuts
    it short still says how far it got)."""
    body = _encode(payload)
    for attempt in range(1, ATTEMPTS + 1):
        outcome["attempts"] = attempt
        try:
            response = await client.post(url, content=body, headers=_HEADERS)
        except Exception as exc:  # httpx.HTTPError, and InvalidURL & co. for odd URLs
            outcome["error"] = type(exc).__name__
            continue
        outcome["status"] = response.status_code
        if response.is_success:
            outcome["outcome"] = "delivered"
            outcome.pop("error", None)
            return


_Item = tuple[str, dict[str, Any], Report]


class ThreadedSender:
    """Posts webhooks from a background event loop: bounded, fair between hosts."""

    def __init__(self, timeout: float = TIMEOUT, *,
                 deadline: float = limits.WEBHOOK_DEADLINE_SECONDS,
                 concurrency: int = limits.WEBHOOK_CONCURRENCY,
                 per_host: int = limits.WEBHOOK_PER_HOST,
                 queue_size: int = QUEUE_SIZE,
                 queue_per_host: int = limits.WEBHOOK_QUEUE_PER_HOST) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.concurrency = concurrency
        self.per_host = per_host
        self.queue_size = queue_size
        self.queue_per_host = queue_per_host
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[_Item]] = {}
        #: Hosts with waiting deliveries, in the order they get their next turn.
        self._turns: deque[str] = deque()
        self._queued = 0
        self._active: dict[str, int] = {}
        self._running = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._idle: asyncio.Event | None = None
        self._closing = False

    # -- caller side ----------------------------------------------------------------------

    def send(self, url: str, payload: dict[str, Any], report: Report) -> None:
        host = _receiver(url)
        reason = SHUTTING_DOWN
        with self._lock:
            if self._closing:
                dropped = True
            else:
                reason = "webhook queue full"
                self._start()
                waiting = self._waiting.get(host)
                dropped = self._queued >= self.queue_size or (
                    waiting is not None and len(waiting) >= self.queue_per_host)
                if not dropped:
                    if waiting is None:
                        waiting = self._waiting[host] = deque()
                        self._turns.append(host)
                    waiting.append((url, payload, report))
                    self._queued += 1
            loop = self._loop
        if dropped:
            _safely(report, {"kind": "webhook", "url": url, "outcome": "dropped",
                             "attempts": 0, "reason": reason})
            return
        assert loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has just closed
            loop.call_soon_threadsafe(self._pump)

    def _start(self) -> None:
        """Start the loop thread (with the lock held)."""
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        self._thread = threading.Thread(target=self._run, args=(loop,), name="mock-webhooks",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Deliver what is waiting (within the deadlines), then stop."""
        with self._lock:
            self._closing = True
            thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._pump)
        rounds = 1 + self._queued // max(1, self.concurrency)
        thread.join(timeout=self.deadline * rounds + 1)

    # -- loop side ------------------------------------------------------------------------

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._idle = asyncio.Event()
        self._pump()
        try:
            await self._idle.wait()
        finally:
            if self._client is not None:
                await self._client.aclose()

    def _pump(self) -> None:
        """Start waiting deliveries, host after host, within the concurrency bounds."""
        loop = self._loop
        assert loop is not None
        with self._lock:
            turns = self._turns
            tried = 0
            while self._running < self.concurrency and turns and tried < len(turns):
                host = turns[0]
                turns.rotate(-1)
                if self._active.get(host, 0) >= self.per_host:
                    tried += 1
                    continue
                tried = 0
                waiting = self._waiting[host]
                item = waiting.popleft()
                if not waiting:
                    del self._waiting[host]
                    turns.remove(host)
                self._queued -= 1
                self._running += 1
                self._active[host] = self._active.get(host, 0) + 1
                loop.create_task(self._deliver(host, item))
            done = self._closing and self._running == 0 and self._queued == 0
        if done and self._idle is not None:
            self._idle.set()

    async def _deliver(self, host: str, item: _Item) -> None:
        url, payload, report = item
        outcome: dict[str, Any] = {"kind": "webhook", "url": url, "outcome": "failed"}
        try:
            assert self._client is not None
            await asyncio.wait_for(adeliver(self._client, url, payload, outcome),
                                   self.deadline)
        except TimeoutError:
            outcome["outcome"] = "failed"
            outcome["error"] = "DeadlineExceeded"
        except Exception as exc:  # never the sender's end
            outcome["outcome"] = "failed"
            outcome["error"] = type(exc).__name__
        finally:
            with self._lock:
                self._running -= 1
                left = self._active[host] - 1
                if left:
                    self._active[host] = left
                else:
                    del self._active[host]
        _safely(report, outcome)
        self._pump()


def _safely(report: Report, outcome: dict[str, Any]) -> None:
    try:
        report(outcome)
    except Exception:  # a report that fails loses its journal line, not the sender
        log.exception("webhook report failed")
