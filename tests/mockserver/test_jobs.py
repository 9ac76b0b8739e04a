"""The job store: bounded, expiring, and shared through SQLite by workers and restarts."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from mockserver import Engine, Job, MemoryStore, MockConfig, SqliteStore
from mockserver.jobs import open_store
from tests.mockserver._support import (
    ORIGIN,
    V6,
    FakeClock,
    RecordingSender,
    assert_init_takes_the_fields,
    body,
    make_mock,
)


def _job(job_id: int, now: float = 0.0, **fields: object) -> Job:
    values: dict[str, object] = {
        "id": job_id, "endpoint": V6, "created": now, "due": now, "samples": 1,
        "meta": {"seed": 1}, "generation_time": 1.0, "seed": 1, "prompt": "p", "width": 512,
        "height": 512, "upscale": 1}
    values.update(fields)
    return Job(**values)  # type: ignore[arg-type]


def test_the_memory_store_stays_at_max_jobs_with_100000_jobs() -> None:
    store = MemoryStore(max_jobs=1000, ttl=3600)
    tracemalloc.start()
    try:
        for _ in range(10_000):
            store.put(_job(store.new_id(0.0)), 0.0)
        after_10k = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        for _ in range(90_000):
            store.put(_job(store.new_id(0.0)), 0.0)
        elapsed = time.perf_counter() - started
        after_100k = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    assert len(store) == 1000
    assert store.get(1, 0.0) is None and store.get(100_000, 0.0) is not None
    assert after_100k < after_10k * 1.1 + 64 * 1024, (after_10k, after_100k)
    assert elapsed < 20


def test_the_engine_keeps_every_structure_bounded() -> None:
    mock = make_mock(max_jobs=300, queue="workload")
    raw = json.dumps(body(webhook="http://127.0.0.1:9/hook")).encode()
    headers = {"content-type": "application/json", "prefer": "status=processing"}

    for i in range(12_000):
        mock.engine.handle("POST", V6, headers if i % 2 else {}, raw, ORIGIN)
        mock.clock.advance(0.001)

    engine = mock.engine
    assert len(engine.store) == 300
    assert len(engine.journal) <= 1000
    assert len(engine._pending) <= 300 and len(engine._scheduled) <= 300


def test_jobs_expire_after_the_ttl() -> None:
    store = MemoryStore(max_jobs=10, ttl=60)
    store.put(_job(store.new_id(0.0), now=0.0), 0.0)

    assert store.get(1, 59.0) is not None
    assert store.get(1, 60.0) is None
    store.put(_job(store.new_id(61.0), now=61.0), 61.0)
    assert len(store) == 1


def test_finish_is_claimed_once() -> None:
    store = MemoryStore()
    store.put(_job(store.new_id(0.0)), 0.0)

    assert store.finish(1) is True
    assert store.finish(1) is False
    assert store.get(1, 0.0).finished  # type: ignore[union-attr]
    assert store.finish(99) is False


def test_a_jobs_stored_form_holds_every_field_in_order() -> None:
    """`Job.encoded` writes the fields' values without their names, spelled out (a field read
    each, compiled): each of `Job`'s fields, in order, so a field added to `Job` is stored
    too; and a job stored as an object of its fields (before) still reads."""
    import dataclasses

    import orjson

    job = dataclasses.replace(  # (values told apart: a swap of two fields shows)
        _job(7, created=1.0, due=2.0, generation_time=3.5, seed=11, height=640, upscale=2,
             base64=True, origin="http://o", expires=9.0, webhook="http://127.0.0.1/h",
             track_id="t-1", warning="w", failure="no", scope="s", owner="ab"),
        finished=True)
    stored = orjson.loads(job.encoded())
    names = [f.name for f in dataclasses.fields(Job)]

    assert stored == [orjson.loads(orjson.dumps(getattr(job, name))) for name in names]
    assert Job.from_json(job.encoded(), finished=True) == job
    assert Job.from_json(job.encoded()).finished is False  # (the store's mark wins)
    before = orjson.dumps(dict(zip(names, stored, strict=True)))
    assert Job.from_json(before) == job


def test_a_jobs_init_takes_its_fields() -> None:
    assert_init_takes_the_fields(Job, {
        "endpoint": V6, "created": 1.0, "due": 2.0, "samples": 3, "meta": {"seed": 4},
        "generation_time": 5.5, "seed": 6, "prompt": "p", "width": 512, "height": 640,
        "upscale": 2, "base64": True, "origin": "http://o", "expires": 9.0,
        "webhook": "http://127.0.0.1/h", "track_id": "t-1", "warning": "w", "queued": False,
        "failure": "no", "id": 7, "scope": "s", "owner": "ab", "finished": True})


def test_a_job_round_trips_through_json() -> None:
    job = _job(7, track_id="t-1", webhook="http://127.0.0.1/h", base64=True, expires=9.0)

    assert Job.from_json(job.to_json()) == job
    assert job.links[0].endswith(".base64") and job.links[0].startswith("/generations/7-0-")


def test_sqlite_is_shared_by_two_engines(tmp_path: Path) -> None:
    config = MockConfig(store=f"sqlite:{tmp_path / 'jobs.sqlite'}", queue="always", eta=1.0)
    clock = FakeClock()
    one = Engine(config, clock=clock, webhooks=RecordingSender())
    two = Engine(config, clock=clock, webhooks=RecordingSender())
    try:
        queued = json.loads(one.handle("POST", V6, {}, json.dumps(body(samples=2)).encode(),
                                       ORIGIN).body)
        other = json.loads(two.handle("POST", V6, {}, json.dumps(body()).encode(), ORIGIN).body)
        fetch = f"/api/v6/images/fetch/{queued['id']}"
        pending = two.handle("POST", fetch, {}, b'{"key": "test-key"}', ORIGIN).json()
        clock.advance(1.0)
        done = two.handle("POST", fetch, {}, b'{"key": "test-key"}', ORIGIN).json()
        image = two.handle("GET", done["output"][1].removeprefix(ORIGIN), {}, b"", ORIGIN)
    finally:
        one.close()
        two.close()

    assert other["id"] != queued["id"]
    assert pending["status"] == "processing"
    assert done["status"] == "success" and done["output"] == queued["future_links"]
    assert image.status == 200 and image.headers["content-type"] == "image/png"


def test_sqlite_jobs_survive_a_restart(tmp_path: Path) -> None:
    where = f"sqlite:{tmp_path / 'jobs.sqlite'}"
    first = Engine(MockConfig(store=where), clock=FakeClock(), webhooks=RecordingSender())
    answer = first.handle("POST", V6, {}, json.dumps(body()).encode(), ORIGIN).json()
    first.close()

    second = Engine(MockConfig(store=where), clock=FakeClock(), webhooks=RecordingSender())
    try:
        again = second.handle("POST", f"/api/v6/images/fetch/{answer['id']}", {},
                              b'{"key": "test-key"}', ORIGIN).json()
        newer = second.handle("POST", V6, {}, json.dumps(body()).encode(), ORIGIN).json()
    finally:
        second.close()

    assert again["status"] == "success" and again["output"] == answer["output"]
    assert newer["id"] > answer["id"]


def test_the_sqlite_store_is_bounded(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "jobs.sqlite", max_jobs=50, ttl=3600)
    try:
        for _ in range(500):
            job_id = store.new_id(0.0)
            store.put(_job(job_id), 0.0)
        assert len(store) == 50  # after every write (it was up to 64 over)
        assert store.get(1, 0.0) is None and store.get(500, 0.0) is not None
        assert store.finish(500) and not store.finish(500)
        store.clear()
        assert len(store) == 0
    finally:
        store.close()


def test_open_store_understands_the_config_forms(tmp_path: Path) -> None:
    assert isinstance(open_store("memory"), MemoryStore)
    sqlite = open_store(f"sqlite:{tmp_path / 'x.sqlite'}")
    assert isinstance(sqlite, SqliteStore)
    sqlite.close()
    with pytest.raises(ValueError, match="store"):
        open_store("nosql://x")


def test_the_memory_store_reads_its_last_id_without_copying_an_iterator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # (rev6: 9619620's last_id copied an itertools.count, which Python 3.12/3.13 warn about,
    # an error under this suite, and 3.14 refuses: a namespace's reset answered 500.)
    import copy
    import itertools

    real = copy.copy

    def copy_as_python_3_14(value: object) -> object:
        if type(value) is itertools.count:  # (3.14 removed their copy and pickle support)
            raise TypeError("cannot pickle 'itertools.count' object")
        return real(value)

    monkeypatch.setattr(copy, "copy", copy_as_python_3_14)
    store = MemoryStore()
    assert store.last_id() == 0
    assert [store.new_id(0.0), store.new_id(0.0)] == [1, 2]
    assert store.last_id() == 2
