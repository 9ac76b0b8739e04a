"""Issue 10, High 3 and the webhook findings: a URL that makes httpx raise fails that delivery
only; each delivery has a total deadline; one dead receiver neither starves the others nor
fills the queue; dropped deliveries are reported."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver import Engine, MockConfig
from mockserver.webhooks import ThreadedSender
from tests.mockserver._support import ORIGIN, V6, body
from tests.mockserver.test_webhooks import Receiver


class Reports:
    """Collects what a sender reports; `wait(n)` until n have come."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, outcome: dict[str, Any]) -> None:
        with self._cond:
            self.items.append(outcome)
            self._cond.notify_all()

    def wait(self, n: int, timeout: float = 20) -> list[dict[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.items) >= n, timeout), self.items
            return list(self.items)


class Silent:
    """A loopback port that takes connections (into its backlog) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1000)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"


class Trickle:
    """A receiver that answers one byte at a time, forever: each read succeeds in time."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(10)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
            if self.stop.wait(0.02):
                break
            conn.sendall(bytes([byte]))
        conn.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_a_url_that_makes_httpx_raise_does_not_kill_the_sender(receiver: Receiver) -> None:
    engine = Engine(MockConfig())
    try:
        for url in ("http://127.0.0.1:9/\u0000", "http://127.0.0.1:9/\ud800",
                    "http://127.0.0.1:9/ x"):
            engine.handle("POST", V6, {}, json.dumps(body(webhook=url)).encode(), ORIGIN)
        engine.handle("POST", V6, {}, json.dumps(body(webhook=receiver.url, track_id=5))
                      .encode(), ORIGIN)
        hook = receiver.wait()
    finally:
        engine.close()

    assert hook["track_id"] == 5
    outcomes = [e["outcome"] for e in engine.journal.entries("webhook")]
    assert outcomes.count("failed") == 3 and "delivered" in outcomes


def test_a_trickling_receiver_is_cut_off_at_the_delivery_deadline() -> None:
    trickle = Trickle()
    reports = Reports()
    sender = ThreadedSender(timeout=2, deadline=0.5)
    try:
        sender.send(trickle.url, {"x": 1}, reports)
        [outcome] = reports.wait(1)
    finally:
        trickle.stop.set()
        sender.close()

    assert outcome["outcome"] == "failed" and outcome["error"] == "DeadlineExceeded"


def test_a_dead_receiver_does_not_starve_another(receiver: Receiver) -> None:
    silent = Silent()
    reports = Reports()
    sender = ThreadedSender(timeout=30, deadline=30, concurrency=4, per_host=2)
    try:
        for i in range(50):
            sender.send(silent.url, {"i": i}, reports)
        sender.send(receiver.url, {"status": "success"}, reports)
        # Delivered while every delivery to the dead one is still waiting on it.
        assert receiver.wait() == {"status": "success"}
        delivered = reports.wait(1)
        assert delivered[0]["outcome"] == "delivered"
    finally:
        sender.deadline = 0.1  # let close() cut the rest short
        silent.sock.close()
        sender.close()


def test_one_receivers_backlog_is_bounded_and_drops_are_reported(receiver: Receiver) -> None:
    silent = Silent()
    reports = Reports()
    sender = ThreadedSender(timeout=30, deadline=30, concurrency=2, per_host=1,
                            queue_per_host=10)
    try:
        for i in range(30):
            sender.send(silent.url, {"i": i}, reports)
        dropped = [r for r in reports.items if r["outcome"] == "dropped"]
        assert len(dropped) >= 19 and all(r["reason"] for r in dropped)
        sender.send(receiver.url, {"status": "success"}, reports)
        assert receiver.wait() == {"status": "success"}
    finally:
        sender.deadline = 0.1
        silent.sock.close()
        sender.close()
