"""The admin API under `/__mock/`: health, config, journal, reset and scenario presets.

| method | path | does |
|---|---|---|
| GET | `health` | `{"status": "ok", "jobs": n, ...}` |
| GET | `config` | the settings (accepted keys by count only) |
| PUT, POST, PATCH | `config` | change settings: a JSON object of name -> value |
| GET, DELETE | `journal` | the recorded requests and webhooks (keys redacted), or clear them |
| POST | `reset` | forget jobs, journal, rate counts, images; restore the starting settings |
| GET | `scenarios` | the presets and what each changes |
| POST | `scenarios/{name}` (or `scenario/{name}`) | apply a preset over the starting settings |

Admin answers always use real HTTP statuses, whatever the error mode.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from mockserver.config import SCENARIOS, MockConfig
from mockserver.response import MockResponse, json_response
from mockserver.scopes import JournalView


class Control(Protocol):
    """What the admin API needs of the mock (the engine is one; admin never imports it)."""

    @property
    def config(self) -> MockConfig: ...

    @property
    def journal(self) -> JournalView: ...

    def configure(self, **changes: Any) -> MockConfig: ...

    def scenario(self, name: str) -> MockConfig: ...

    def reset(self) -> None: ...

    def health(self) -> dict[str, int]:
        """Counts worth watching: jobs, journal entries, images cached."""
        ...


def admin(engine: Control, method: str, path: str, body: bytes) -> MockResponse:
    """Answer `method /__mock/{path}`."""
    name, _, rest = path.partition("/")
    if name == "health" and method in ("GET", "HEAD"):
        return json_response(200, {"status": "ok", **engine.health()})
    if name == "config":
        if method == "GET":
            return json_response(200, engine.config.to_json())
        if method in ("PUT", "POST", "PATCH"):
            return _configure(engine, body)
    if name == "journal":
        if method == "GET":
            return json_response(200, {"entries": engine.journal.entries()})
        if method == "DELETE":
            engine.journal.clear()
            return json_response(200, {"status": "ok"})
    if name == "reset" and method == "POST":
        engine.reset()
        return json_response(200, {"status": "ok"})
    if name in ("scenarios", "scenario"):
        if not rest and method == "GET":
            return json_response(200, {"scenarios": {k: dict(v) for k, v in SCENARIOS.items()}})
        if rest and method in ("POST", "PUT"):
            if rest not in SCENARIOS:
                return _problem(404, f"no scenario {rest!r}; see GET /__mock/scenarios")
            return json_response(200, {"scenario": rest,
                                       "config": engine.scenario(rest).to_json()})
    return _problem(404, f"no admin endpoint {method} /__mock/{path}")


def _configure(engine: Control, body: bytes) -> MockResponse:
    try:
        changes: Any = json.loads(body or b"{}")
    except ValueError:
        return _problem(422, "the body must be a JSON object of setting -> value")
    if not isinstance(changes, dict):
        return _problem(422, "the body must be a JSON object of setting -> value")
    try:
        config = engine.configure(**changes)
    except (TypeError, ValueError) as exc:
        return _problem(422, str(exc))
    return json_response(200, config.to_json())


def _problem(status: int, message: str) -> MockResponse:
    return json_response(status, {"status": "error", "message": message})
