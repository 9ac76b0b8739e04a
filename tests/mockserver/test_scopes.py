"""Namespace records (`mockserver.scopes.Scope`) as a shared store keeps them: a record the
mock cannot read is no settings for its namespace, never a failure of every request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.control import NAMESPACE_HEADER
from mockserver import Engine, MockConfig, SqliteStore
from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, body


def _post(engine: Engine, **headers: str) -> dict[str, object]:
    answer = engine.handle("POST", V6, {"content-type": "application/json", **headers},
                           json.dumps(body()).encode(), ORIGIN)
    result: dict[str, object] = answer.json()
    return result


@pytest.mark.parametrize("record", [
    "not json", "", "[1, 2]", "null", '"settings"', "{\"settings\": [1]}",
    '{"settings": null, "jobs_after": "soon", "journal_after": [2]}',
    '{"settings": {"queue": "always"}, "jobs_after": 1e999}',
])
def test_a_namespace_record_that_is_not_one_is_no_settings(tmp_path: Path, record: str) -> None:
    """Every request re-reads every namespace's record from a shared store (a file another
    program, or a worker cut off mid-write, may have left anything in): one that was not a
    JSON object of settings raised in each, a server error in every namespace."""
    where = tmp_path / "state.sqlite"
    engine = Engine(MockConfig(), clock=FakeClock(), store=SqliteStore(where),
                    webhooks=RecordingSender())
    other = SqliteStore(where)  # (another worker on the same file)
    try:
        other.set_settings("bad", record)
        other.set_settings("", json.dumps({"settings": {"queue": "always"},
                                           "jobs_after": 0, "journal_after": 0}))

        assert _post(engine)["status"] == "processing"
        assert _post(engine, **{NAMESPACE_HEADER: "bad"})["status"] == "processing"  # shared
        assert _post(engine, **{NAMESPACE_HEADER: "fine"})["status"] == "processing"
    finally:
        other.close()
        engine.close()
