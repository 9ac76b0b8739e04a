"""The admin API under /__mock/: health, config, journal (keys redacted), reset, scenarios."""

from __future__ import annotations

import json
from typing import Any

from mockserver import SCENARIOS
from tests.mockserver._support import ORIGIN, V6, Mock, body

SECRET = "sk-live-0123456789abcdef"


def _admin(mock: Mock, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    raw = b"" if payload is None else json.dumps(payload).encode()
    response = mock.engine.handle(method, f"/__mock/{path}", {}, raw, ORIGIN)
    return response.status, response.json()


def test_health(mock: Mock) -> None:
    mock.generate()

    assert _admin(mock, "GET", "health") == (200, {"status": "ok", "jobs": 1, "journal": 1,
                                                   "images_cached": 0})


def test_config_is_read_and_changed(mock: Mock) -> None:
    status, changed = _admin(mock, "PUT", "config", {"queue": "always", "eta": 0.5,
                                                     "accepted_keys": [SECRET]})
    _, read = _admin(mock, "GET", "config")

    assert status == 200 and read == changed
    assert read["queue"] == "always" and read["eta"] == 0.5
    assert SECRET not in json.dumps(read) and read["accepted_keys"] == "1 key(s)"
    assert mock.generate(key=SECRET)["status"] == "processing"


def test_bad_config_is_refused_with_a_reason(mock: Mock) -> None:
    assert _admin(mock, "POST", "config", {"queue": "sometimes"})[0] == 422
    assert _admin(mock, "POST", "config", {"colour": "red"})[1]["message"].startswith("unknown")
    assert _admin(mock, "POST", "config", [1])[0] == 422
    assert _admin(mock, "POST", "config", {"store": "sqlite:/tmp/x"})[0] == 422
    assert mock.engine.config.queue == "never"


def test_the_journal_redacts_keys(mock: Mock) -> None:
    mock.post(V6, body(key=SECRET))
    mock.post(V6, body(key=SECRET, width=1))
    mock.post("/api/v6/images/fetch", {"key": SECRET, "request_id": 1})

    _, journal = _admin(mock, "GET", "journal")

    entries = journal["entries"]
    assert [e["outcome"] for e in entries] == ["success", "validation", "success"]
    assert entries[1]["rules"] == ["size.range"]
    assert SECRET not in json.dumps(journal)
    assert entries[0]["key"].startswith("***") and entries[0]["body"]["key"] == entries[0]["key"]


def test_the_journal_is_bounded_and_can_be_cleared(mock: Mock) -> None:
    for _ in range(1100):
        mock.post(V6, b"{")

    assert len(_admin(mock, "GET", "journal")[1]["entries"]) == 1000
    assert _admin(mock, "DELETE", "journal")[0] == 200
    assert _admin(mock, "GET", "journal")[1]["entries"] == []


def test_reset_forgets_everything_and_restores_the_config(mock: Mock) -> None:
    first = mock.generate()
    _admin(mock, "POST", "config", {"quirks": False})

    assert _admin(mock, "POST", "reset") == (200, {"status": "ok"})

    assert mock.engine.config.quirks is True
    assert len(mock.engine.store) == 0 and len(mock.engine.journal) == 0
    again = mock.generate()
    # Same seed, same answer, but ids never repeat in a store's life (issue 11: a reset on a
    # shared mock must not make a fetch return another client's job).
    assert again["id"] > first["id"]
    assert {k: v for k, v in again.items() if k not in ("id", "output", "proxy_links")} == \
        {k: v for k, v in first.items() if k not in ("id", "output", "proxy_links")}


def test_scenarios_are_listed_and_applied(mock: Mock) -> None:
    _, listed = _admin(mock, "GET", "scenarios")
    status, applied = _admin(mock, "POST", "scenarios/http-errors")

    assert set(listed["scenarios"]) == set(SCENARIOS)
    assert {"slow-queue", "flaky", "http-errors"} <= set(SCENARIOS)
    assert status == 200 and applied["config"]["error_mode"] == "http"
    assert mock.post(V6, body(key="")).status == 401
    _admin(mock, "POST", "scenario/slow-queue")
    assert mock.engine.config.error_mode == "legacy"  # presets apply over the start config
    assert mock.generate()["status"] == "processing"
    assert _admin(mock, "POST", "scenarios/nope")[0] == 404


def test_unknown_admin_paths_are_404(mock: Mock) -> None:
    assert _admin(mock, "GET", "nothing")[0] == 404
    assert _admin(mock, "DELETE", "config")[0] == 404


def test_the_root_lists_the_endpoints(mock: Mock) -> None:
    answer = mock.engine.handle("GET", "/", {}, b"", ORIGIN).json()

    assert V6 in answer["endpoints"] and "/api/v3/dreambooth/fetch/{id}" in answer["endpoints"]
