"""The ASGI adapter: a Starlette app (CORS open to any origin on the API; the admin API
guarded by `mockserver.admin_guard`) over one `Engine`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import spec
from mockserver.admin_guard import ADMIN, AdminGuard
from mockserver.config import MockConfig
from mockserver.direct import JSON_TYPE, VARY, Direct, headers_of, origin_of, raw_headers
from mockserver.engine import Engine
from mockserver.images import RENDER_PROCESSES
from mockserver.request import Headers, whole_number
from mockserver.response import dump

#: Environment variable carrying a JSON `MockConfig` to `app_from_env` (used with --workers).
CONFIG_ENV = "MODELSLAB_MOCK_CONFIG"
#: Environment variable carrying the admin guard (`guard_from_json`) to `app_from_env`.
ADMIN_ENV = "MODELSLAB_MOCK_ADMIN"


class _Endpoint:
    """A raw ASGI endpoint: read the body (no further than the size limit), ask the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.serve(scope, receive, send, headers_of(scope["headers"]), ())

    async def serve(self, scope: Scope, receive: Receive, send: Send, headers: Headers,
                    extra: tuple[tuple[bytes, bytes], ...]) -> None:
        engine = self.engine
        body = await _read_body(receive, headers, engine.config.max_body_bytes)
        path: str = scope["path"]
        if scope.get("query_string"):  # the admin API reads it (`journal?since=`)
            path = f"{path}?{scope['query_string'].decode('latin-1')}"
        server = scope.get("server")
        origin = origin_of(scope.get("scheme", "http"), server, headers)
        if path.startswith(spec.IMAGES_PREFIX):  # rendering is CPU work: keep it off the loop
            response = await run_in_threadpool(engine.handle, scope["method"], path,
                                               headers, body, origin)
        elif engine.groups:  # a shared store: one commit for the requests of a loop turn
            response = await engine.grouped(scope["method"], path, headers, body, origin)
        else:
            response = engine.handle(scope["method"], path, headers, body, origin)
        if response.delay:
            await asyncio.sleep(response.delay)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": raw_headers(response, extra)})
        await send({"type": "http.response.body", "body": response.body})


class _App(Starlette):
    """Starlette, with a fast path for the hot requests.

    A request without an `Origin` header (SDKs, tests, load) goes straight to the endpoint,
    skipping four middleware layers whose only effect on it is `Vary: Origin` (about a sixth
    of a generation request's time). Browser requests (CORS), preflights, lifespan and
    anything else take the full Starlette stack.
    """

    endpoint: _Endpoint
    guard: AdminGuard
    #: What the HTTP protocol answers plain API POSTs with, without ASGI (`mockserver.direct`).
    direct: Direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(ADMIN):
            # The admin API: guarded, and never behind the open CORS (`mockserver.admin_guard`).
            headers = headers_of(scope["headers"])
            server = scope.get("server")
            refused = self.guard.refusal(scope["method"], scope["path"], headers,
                                         server[0] if server else None)
            if refused is None:
                await self.endpoint.serve(scope, receive, send, headers, ())
            else:
                await _send_json(send, refused[0], {"status": "error", "message": refused[1]})
            return
        if scope["type"] == "http" and scope["method"] != "OPTIONS":
            headers = headers_of(scope["headers"])
            if "origin" not in headers:
                scope["app"] = self
                await self.endpoint.serve(scope, receive, send, headers, VARY)
                return
        await super().__call__(scope, receive, send)


async def _send_json(send: Send, status: int, value: Any) -> None:
    body = dump(value)
    await send({"type": "http.response.start", "status": status,
                "headers": [JSON_TYPE, (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes:
    """The body, or its first `limit + 1` bytes when it is larger (the engine answers 413)."""
    declared = whole_number(headers.get("content-length", ""), 32)
    if declared is not None and declared > limit:
        return b"\0" * (limit + 1)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
        if not message.get("more_body", False):
            break
    return b"".join(chunks)[:limit + 1]


def create_app(config: MockConfig | None = None, *, engine: Engine | None = None,
               guard: AdminGuard | None = None) -> Starlette:
    """The mock as an ASGI app. Pass `engine` to share one with other adapters, and `guard`
    to allow more hosts or require a token on the admin API."""
    owned = engine is None
    core = engine or Engine(config)
    if owned:  # served: images drawn in low-priority processes, never on the API's CPU
        core.images.processes = RENDER_PROCESSES

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owned:
            engine: Engine = app.state.engine
            if engine.closed:  # run again (a test client entered twice): a restart
                engine = Engine(engine.initial_config)
                engine.images.processes = RENDER_PROCESSES
                app.state.engine = app.endpoint.engine = app.direct.engine = engine  # type: ignore[attr-defined]
            await run_in_threadpool(engine.images.start)
        yield
        if owned:
            await run_in_threadpool(app.state.engine.close)

    endpoint = _Endpoint(core)
    app = _App(
        routes=[Route("/{path:path}", endpoint,
                      methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])],
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"],
                               allow_headers=["*"],
                               expose_headers=["Retry-After", "Preference-Applied"],
                               max_age=600)],
        lifespan=lifespan,
    )
    app.state.engine = core
    app.endpoint = endpoint
    app.guard = guard or AdminGuard()
    app.direct = Direct(core)
    return app


def config_from_json(text: str) -> MockConfig:
    """A `MockConfig` from a JSON object of setting -> value."""
    data: dict[str, Any] = json.loads(text)
    return MockConfig().replace(**data)


def settle_heap() -> None:
    """For a served mock, once started: move what is alive now (modules, the spec, the
    engine) out of the cyclic collector's way (`gc.freeze`). A request that allocates many
    containers (a deeply nested body) triggers full collections; without this each one
    walked the whole heap, holding every other request for tens of milliseconds."""
    import gc

    gc.collect()
    gc.freeze()


def guard_from_json(text: str) -> AdminGuard:
    """An `AdminGuard` from {"allow_hosts": [...], "token": ...}."""
    data: dict[str, Any] = json.loads(text)
    return AdminGuard.of(data.get("allow_hosts") or (), data.get("token"))


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: the config comes in `MODELSLAB_MOCK_CONFIG`, the admin
    guard in `MODELSLAB_MOCK_ADMIN`; the worker stops when its master dies
    (`mockserver.supervise`)."""
    from mockserver.supervise import watch_parent

    watch_parent()
    text = os.environ.get(CONFIG_ENV)
    guard = os.environ.get(ADMIN_ENV)
    app = create_app(config_from_json(text) if text else None,
                     guard=guard_from_json(guard) if guard else None)
    settle_heap()
    return app
