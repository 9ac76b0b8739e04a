"""A loopback webhook receiver: what the `modelslab_webhooks` fixture hands out.

    with WebhookReceiver() as hooks:
        client.generate(..., webhook=hooks.url, track_id=42)
        body = hooks.wait()          # the first JSON body POSTed to hooks.url

It listens on 127.0.0.1 only (the mock posts webhooks to loopback hosts alone).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Largest webhook body kept (bytes); a longer one is answered 413 and not recorded.
MAX_BODY = 1_000_000


class WebhookReceiver:
    """Collects the JSON bodies POSTed to `.url`; `.wait()` blocks until one arrives."""

    def __init__(self, path: str = "/hook") -> None:
        self.bodies: list[Any] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_response(413)
                    self.end_headers()
                    return
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with receiver._arrived:
                    receiver.bodies.append(body)
                    receiver._arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def arrived(self, count: int, timeout: float) -> bool:
        """Whether `count` bodies have arrived, waiting up to `timeout` s for them."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.bodies) >= count, timeout)

    def wait(self, count: int = 1, timeout: float = 10.0) -> Any:
        """The `count`-th body received (the first by default), waiting up to `timeout` s."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.bodies) >= count, timeout):
                raise AssertionError(f"{len(self.bodies)} webhook(s) reached {self.url} in "
                                     f"{timeout} s, {count} expected")
            return self.bodies[count - 1]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
