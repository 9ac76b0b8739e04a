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

The dashboard's endpoints (the page, `journal?since=`, `jobs`, `images`, `openapi.json`) are
answered by `mockserver.dashboard`; `mockserver.admin_openapi` documents every one.

Admin answers always use real HTTP statuses, whatever the error mode.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from mockserver import dashboard
from mockserver.config import SCENARIOS, MockConfig
from mockserver.jobview import Mock
from mockserver.response import MockResponse, json_response


class Control(Mock, Protocol):
    """What the admin API needs of the mock (the engine is one; admin never imports it):
    config, journal, jobs and clock (`jobview.Mock`, what the dashboard reads) and these."""

    def configure(self, **changes: Any) -> MockConfig: ...

    def scoped_config(self) -> MockConfig:
        """The settings of the current request's namespace (the shared ones outside one)."""
        ...

    def scenario(self, name: str) -> MockConfig: ...

    def reset(self) -> None: ...

    def health(self) -> dict[str, int]:
        """Counts worth watching: jobs, journal entries, images cached."""
        ...


def admin(engine: Control, method: str, path: str, body: bytes, query: str = "") -> MockResponse:
    """Answer `method /__mock/{path}?{query}`."""
    name, _, rest = path.partition("/")
    answer = dashboard.route(engine, method, name, rest, body, query)
    if answer is not None:
        return answer
    if name == "health" and method in ("GET", "HEAD"):
        return json_response(200, {"status": "ok", **engine.health()})
    if name == "config":
        if method == "GET":
            return json_response(200, engine.scoped_config().to_json())
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
    except (ValueError, RecursionError):
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
