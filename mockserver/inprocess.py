"""The httpx adapters: the engine as an `httpx.MockTransport`, or mounted on a respx router.

Either way an httpx client (sync or async) talks to the mock with no socket. Simulated latency
is honoured with a blocking sleep (keep it off for async tests that must not block the loop).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
import respx

from mockserver.config import MockConfig
from mockserver.engine import Engine

#: Origins `respx_routes` intercepts by default: the real API's and its older domain.
DEFAULT_ORIGINS = ("https://modelslab.com", "https://stablediffusionapi.com")


def _handler(engine: Engine) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        path, _, query = url.raw_path.decode("ascii").partition("?")
        path = unquote(path) + ("?" + query if query else "")
        response = engine.handle(request.method, path, request.headers,
                                 request.read(), origin)
        if response.delay:
            time.sleep(response.delay)
        return httpx.Response(response.status, headers=response.headers,
                              content=response.body)
    return handle


class EngineTransport(httpx.MockTransport):
    """An `httpx.MockTransport` answering from an `Engine` (`.engine`)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(_handler(engine))
        self.engine = engine


def transport(config: MockConfig | None = None, *, engine: Engine | None = None
              ) -> EngineTransport:
    """A transport for `httpx.Client(transport=...)` or `httpx.AsyncClient(transport=...)`."""
    return EngineTransport(engine or Engine(config))


@dataclass
class MockHandle:
    """What `respx_routes` mounted: the engine, its journal, and controls (the in-process
    side of the mock-control interface: `configure`, `reset`, `journal`, `config`)."""

    engine: Engine
    routes: tuple[respx.Route, ...]

    @property
    def journal(self) -> list[dict[str, Any]]:
        """The recorded requests and webhooks, API keys redacted."""
        return self.engine.journal.entries()

    @property
    def config(self) -> dict[str, Any]:
        """The current settings as JSON (accepted keys by count only)."""
        return self.engine.config.to_json()

    def reset(self) -> None:
        """Forget jobs, journal, rate counts and images; restore the starting settings."""
        self.engine.reset()

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings until the next reset; returns them all as JSON (as the HTTP
        control's `POST /__mock/config` does)."""
        return self.engine.configure(**changes).to_json()


def respx_routes(router: respx.Router, config: MockConfig | None = None,
                 origins: Sequence[str] = DEFAULT_ORIGINS, *,
                 engine: Engine | None = None) -> MockHandle:
    """Mount the mock on `router` for every URL under `origins`."""
    core = engine or Engine(config)
    handle = _handler(core)
    routes = tuple(router.route(url__startswith=origin.rstrip("/")).mock(side_effect=handle)
                   for origin in origins)
    return MockHandle(core, routes)
