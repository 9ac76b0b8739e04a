"""Webhook delivery: best effort, off the request path, short timeout, one retry."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

#: Seconds one delivery attempt may take.
TIMEOUT = 2.0
#: Attempts per webhook: the first and one retry.
ATTEMPTS = 2
#: Deliveries waiting; beyond this new ones are dropped (and reported as such).
QUEUE_SIZE = 1000

Report = Callable[[dict[str, Any]], None]


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


def deliver(client: httpx.Client, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` to `url`, retrying once; returns what happened."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    outcome: dict[str, Any] = {"kind": "webhook", "url": url, "outcome": "failed"}
    for attempt in range(1, ATTEMPTS + 1):
        outcome["attempts"] = attempt
        try:
            response = client.post(url, content=body,
                                   headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            outcome["error"] = type(exc).__name__
            continue
        outcome["status"] = response.status_code
        if response.is_success:
            outcome["outcome"] = "delivered"
            outcome.pop("error", None)
            break
    return outcome


class ThreadedSender:
    """One background thread posting webhooks in order, started on first use."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self._queue: queue.Queue[tuple[str, dict[str, Any], Report] | None] = queue.Queue(
            QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, url: str, payload: dict[str, Any], report: Report) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mock-webhooks",
                                                daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait((url, payload, report))
        except queue.Full:
            report({"kind": "webhook", "url": url, "outcome": "dropped", "attempts": 0})

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            while (item := self._queue.get()) is not None:
                url, payload, report = item
                report(deliver(client, url, payload))

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=2 * ATTEMPTS * self.timeout + 1)
