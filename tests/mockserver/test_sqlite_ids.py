"""Job ids in a SQLite store shared by workers: taken a block at a time from the shared
counter (`mockserver._sqlite_mockfile`), yet unique, about in order, and after a reset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.control import NAMESPACE_HEADER
from mockserver import Engine, MockConfig, SqliteStore
from mockserver._sqlite_mockfile import ID_WINDOW
from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, body

FETCH = "/api/v6/images/fetch/{}"


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database: two workers of one mock (their own stores, blocks and
    stamps, as in two processes)."""
    clock = FakeClock()
    made = tuple(Engine(MockConfig(max_jobs=10_000), clock=clock,
                        store=SqliteStore(tmp_path / "state.sqlite", max_jobs=10_000),
                        webhooks=RecordingSender()) for _ in range(2))
    yield made[0], made[1]
    for engine in made:
        engine.close()


def _call(engine: Engine, path: str, payload: object, **headers: str) -> dict[str, object]:
    answer = engine.handle("POST", path, {"content-type": "application/json", **headers},
                           json.dumps(payload).encode(), ORIGIN)
    result: dict[str, object] = answer.json()
    return result


def _made(engine: Engine, **headers: str) -> int:
    answer = _call(engine, V6, body(), **headers)
    assert answer["status"] == "success", answer
    job = answer["id"]
    assert isinstance(job, int)
    return job


def test_ids_from_two_workers_never_repeat(workers: tuple[Engine, Engine]) -> None:
    a, b = workers
    ids = [_made(engine) for _ in range(100) for engine in (a, b)]

    assert len(set(ids)) == len(ids)


def test_a_job_made_after_another_worker_reset_its_namespace_is_found(
        workers: tuple[Engine, Engine]) -> None:
    a, b = workers
    ns = {NAMESPACE_HEADER: "team-1"}
    _made(a, **ns)  # a's block of ids
    _made(b, **ns)  # b's, after it

    assert _call(b, "/__mock/reset", {}, **ns)["status"] == "ok"
    job = _made(a, **ns)  # the reset forgot every id taken before it: not one of a's block

    fetched = _call(b, FETCH.format(job), {"key": body()["key"]}, **ns)
    assert fetched["status"] == "success" and fetched["id"] == job, fetched


def test_a_worker_that_was_idle_takes_ids_after_the_busy_ones(
        workers: tuple[Engine, Engine]) -> None:
    a, b = workers
    first = _made(a)
    newest = max(_made(b) for _ in range(ID_WINDOW))

    assert first < newest and _made(a) > newest  # not `first + 1`, a window behind


def test_a_store_that_keeps_few_jobs_gives_ids_one_at_a_time(tmp_path: Path) -> None:
    """Ids about in order are not enough when the count bound keeps a few blocks' worth: the
    lowest ids go first, and a worker's newest job must not be among them."""
    made = [SqliteStore(tmp_path / "state.sqlite", max_jobs=100) for _ in range(2)]
    try:
        ids = [store.new_id(0.0) for _ in range(3) for store in made]
    finally:
        for store in made:
            store.close()

    assert ids == list(range(ids[0], ids[0] + 6))
