"""Issue 11: jobs scoped by API key, as the real API scopes them, in every store.

A job fetched with another key than the one that made it is answered exactly as an unknown id
is (same status, headers and body, on every fetch endpoint); with the same key it is the job.
The store keeps the key's fingerprint (`mockserver.scopes.owner_of`), never the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import spec
from mockserver import Engine, MockConfig
from mockserver.jobs import Store, open_store
from mockserver.response import MockResponse
from mockserver.scopes import owner_of
from tests.mockserver._support import ORIGIN, V4, V6, FakeClock, RecordingSender

MINE, THEIRS = "key-of-team-a-0123456789", "key-of-team-b-9876543210"


@pytest.fixture(params=["memory", "sqlite", "redis"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return str(request.getfixturevalue("redis_db"))
    return "memory" if request.param == "memory" else f"sqlite:{tmp_path / 'state.sqlite'}"


class Mock(NamedTuple):
    engine: Engine
    clock: FakeClock
    sender: RecordingSender


@pytest.fixture
def mock(where: str) -> Iterator[Mock]:
    store: Store = open_store(where)
    clock, sender = FakeClock(), RecordingSender()
    made = Engine(MockConfig(queue="always", eta=5.0), clock=clock, store=store, webhooks=sender)
    yield Mock(made, clock, sender)
    made.close()


def _post(engine: Engine, path: str, payload: dict[str, Any]) -> MockResponse:
    return engine.handle("POST", path, {"content-type": "application/json"},
                         json.dumps(payload).encode(), ORIGIN)


def _fetch(engine: Engine, template: str, job_id: int, key: str) -> MockResponse:
    if "{id}" in template:
        return _post(engine, template.replace("{id}", str(job_id)), {"key": key})
    return _post(engine, template, {"key": key, "request_id": job_id})


def _made(engine: Engine, generation: str, key: str) -> dict[str, Any]:
    answer = _post(engine, generation, {"key": key, "model_id": "sdxl", "prompt": "a red fox",
                                        "webhook": "http://127.0.0.1:9/hook", "track_id": 7})
    assert answer.status == 200, answer.body
    job: dict[str, Any] = answer.json()
    assert job["status"] == "processing"
    return job


@pytest.mark.parametrize("generation", [V6, V4])
def test_another_key_gets_the_unknown_id_answer_and_the_same_key_the_job(
        mock: Mock, generation: str) -> None:
    engine = mock.engine
    job = _made(engine, generation, MINE)
    never = job["id"] + 1000  # an id no job has

    for template in spec.contract().fetch_templates(generation):
        other = _fetch(engine, template, job["id"], THEIRS)
        unknown = _fetch(engine, template, never, THEIRS)
        assert (other.status, other.headers, other.body) == \
            (unknown.status, unknown.headers, unknown.body), template
        assert other.json()["status"] == "error"
        assert _fetch(engine, template, job["id"], MINE).json()["status"] == "processing"

    mock.clock.advance(5.0)
    engine.run_due()  # its webhook fires, whoever fetched it
    final = _fetch(engine, spec.contract().fetch_templates(generation)[0], job["id"], MINE)
    assert final.json()["status"] == "success"
    assert [hook["track_id"] for _, hook in mock.sender.sent] == [7]


def test_the_store_keeps_the_keys_fingerprint_never_the_key(mock: Mock, where: str) -> None:
    engine = mock.engine
    job = _made(engine, V6, MINE)
    stored = engine.store.get(job["id"], engine.clock())

    assert stored is not None and stored.owner == owner_of(MINE) != owner_of(THEIRS)
    assert MINE not in stored.to_json()
    jobs = json.loads(engine.handle("GET", "/__mock/jobs", {}, b"", ORIGIN).body)
    assert [j["id"] for j in jobs["jobs"]] == [job["id"]]  # the admin API still shows it
    journal = engine.handle("GET", "/__mock/journal", {}, b"", ORIGIN).body
    assert MINE.encode() not in journal
    if where.startswith("sqlite:"):
        assert MINE.encode() not in Path(where[len("sqlite:"):]).read_bytes()
    if where.startswith("redis://"):
        import redis

        with redis.Redis.from_url(where) as client:
            dump = b"".join(client.dump(k) or b"" for k in client.keys("*"))
        assert dump and MINE.encode() not in dump
