"""The mock, by stage: `request` decodes, `decide` (pure) says what to answer, `engine` applies
it (jobs, webhooks, the journal), `handler` routes; ASGI, respx and CLI adapters over it.

Names are imported on first use, so `modelslab-contract spec ...` (which loads this package to
register the `mock` subcommand) does not pay for Starlette, uvicorn, httpx or Pillow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.app import create_app as create_app
    from mockserver.config import SCENARIOS as SCENARIOS
    from mockserver.config import MockConfig as MockConfig
    from mockserver.engine import Engine as Engine
    from mockserver.inprocess import EngineTransport as EngineTransport
    from mockserver.inprocess import MockHandle as MockHandle
    from mockserver.inprocess import respx_routes as respx_routes
    from mockserver.inprocess import transport as transport
    from mockserver.jobs import Job as Job
    from mockserver.jobs import JobStore as JobStore
    from mockserver.jobs import Store as Store
    from mockserver.live import LiveServer as LiveServer
    from mockserver.memory_store import MemoryStore as MemoryStore
    from mockserver.redis_store import RedisStore as RedisStore
    from mockserver.request import Prefer as Prefer
    from mockserver.response import MockResponse as MockResponse
    from mockserver.sqlite_store import SqliteStore as SqliteStore
    from mockserver.webhooks import WebhookSender as WebhookSender

_HOME = {
    "SCENARIOS": "mockserver.config",
    "Engine": "mockserver.engine",
    "EngineTransport": "mockserver.inprocess",
    "Job": "mockserver.jobs",
    "JobStore": "mockserver.jobs",
    "LiveServer": "mockserver.live",
    "MemoryStore": "mockserver.memory_store",
    "MockConfig": "mockserver.config",
    "MockHandle": "mockserver.inprocess",
    "MockResponse": "mockserver.response",
    "Prefer": "mockserver.request",
    "RedisStore": "mockserver.redis_store",
    "SqliteStore": "mockserver.sqlite_store",
    "Store": "mockserver.jobs",
    "WebhookSender": "mockserver.webhooks",
    "create_app": "mockserver.app",
    "respx_routes": "mockserver.inprocess",
    "transport": "mockserver.inprocess",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
