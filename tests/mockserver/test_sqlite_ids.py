"""Job ids in a SQLite store shared by workers: taken a block at a time from the shared
counter (`mockserver._sqlite_mockfile`), yet unique, about in order, and after a reset."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.control import NAMESPACE_HEADER
from mockserver import Engine, MockConfig, SqliteStore
from mockserver._sqlite_mockfile import BLOCK_JOBS, ID_BLOCK, ID_WINDOW
from mockserver.jobs import GROUP_COMMIT
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


def test_a_workers_newest_job_outlives_settings_changes_of_another_worker(
        tmp_path: Path) -> None:
    """The count bound drops ids at least `max_jobs` below the newest: ids skipped must not
    count. Each settings change (a namespace reset, a `configure`) makes every worker give up
    the rest of its block, up to `ID_BLOCK - 1` ids; a worker's newest job must still be kept
    while fewer than `max_jobs` jobs are made after it."""
    most = BLOCK_JOBS  # (the least `max_jobs` that takes ids a block at a time)
    clock = FakeClock()
    a, b = (Engine(MockConfig(max_jobs=most), clock=clock,
                   store=SqliteStore(tmp_path / "state.sqlite", max_jobs=most),
                   webhooks=RecordingSender()) for _ in range(2))
    try:
        job = _made(a)  # a's newest job
        for n in range(most // ID_BLOCK + 8):  # 72 resets and 72 jobs: far fewer than `most`
            ns = {NAMESPACE_HEADER: f"test-{n}"}
            assert _call(b, "/__mock/reset", {}, **ns)["status"] == "ok"
            _made(b, **ns)

        fetched = _call(a, FETCH.format(job), {"key": body()["key"]})
        assert fetched["status"] == "success" and fetched["id"] == job, fetched
    finally:
        a.close()
        b.close()


def test_a_block_taken_as_max_jobs_is_lowered_is_not_used_after(
        workers: tuple[Engine, Engine]) -> None:
    """Blocks are off below `BLOCK_JOBS` jobs. A worker that takes a block while another
    lowers `max_jobs` (between the new stamp, shared first, and its commit: it reads the
    settings as they were) must not go on giving ids from it once it has the new bound."""
    a, b = workers
    db = a.store._db  # type: ignore[attr-defined]
    real = db.conn
    answered = []

    class BumpThenBAnswers:
        """a's connection: once a's new stamp is shared and written (uncommitted), b
        answers a request."""

        def execute(self, sql: str, *args: Any) -> Any:
            done = real.execute(sql, *args)
            if sql.startswith("UPDATE state SET settings"):  # (`Db.bump`'s write)
                db.conn = real
                token = GROUP_COMMIT.set(True)  # (b's writes wait for a's lock: committed
                try:                            # below)
                    answered.append(_made(b))
                finally:
                    GROUP_COMMIT.reset(token)
            return done

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    db.conn = BumpThenBAnswers()
    try:
        a.configure(max_jobs=100)
    finally:
        db.conn = real
    assert len(answered) == 1
    b.store.commit()  # type: ignore[attr-defined]
    _made(b)  # (b reads the committed settings)
    assert b.store.max_jobs == 100

    for _ in range(100):  # a's jobs: 100 ids past b's block
        _made(a)
    job = _made(b)  # b's newest: the bound keeps it while fewer than 100 jobs follow it
    _made(a)

    fetched = _call(b, FETCH.format(job), {"key": body()["key"]})
    assert fetched["status"] == "success" and fetched["id"] == job, fetched


def test_a_job_made_after_a_reset_is_found_after_a_restart_beside_a_new_mock_file(
        tmp_path: Path) -> None:
    """A restart whose `-mock` file is new (the database kept) takes the id counter from the
    database: it must be past every id a reset forgot (`jobs_after`), the unused rest of the
    blocks taken before it included."""
    path = tmp_path / "state.sqlite"
    ns = {NAMESPACE_HEADER: "team-1"}

    def engine() -> Engine:
        return Engine(MockConfig(max_jobs=10_000), clock=FakeClock(),
                      store=SqliteStore(path, max_jobs=10_000), webhooks=RecordingSender())

    first = engine()
    try:
        _made(first, **ns)  # (a block of ids taken, one used)
        assert _call(first, "/__mock/reset", {}, **ns)["status"] == "ok"
    finally:
        first.close()
    Path(f"{path}-mock").unlink()
    again = engine()
    try:
        job = _made(again, **ns)
        fetched = _call(again, FETCH.format(job), {"key": body()["key"]}, **ns)
        assert fetched["status"] == "success" and fetched["id"] == job, fetched
    finally:
        again.close()


#: Exits 3 when another process holds the id counter's lock (bytes 8-15 of the `-mock` file).
_PROBE = """import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 8)
except OSError:
    sys.exit(3)
"""


def _counter_taken(path: Path) -> bool:
    """Another process would wait for the id counter's lock."""
    return subprocess.run([sys.executable, "-c", _PROBE, f"{path}-mock"],
                          check=False).returncode == 3


@pytest.mark.skipif(not hasattr(fcntl, "F_OFD_SETLKW"),
                    reason="POSIX locks: closes wait for the stores' `_ids` instead")
def test_a_store_closed_in_the_process_leaves_another_stores_counter_lock_held(
        tmp_path: Path) -> None:
    """A POSIX record lock is the process's, and closing any descriptor of the file drops it:
    a store closed (its `-mock` file's descriptors) while another store on the same file, in
    the same process, was taking a block of ids let another process take the same block."""
    path = tmp_path / "state.sqlite"
    giving, closed = SqliteStore(path), SqliteStore(path)
    try:
        with giving._db.mock._counter():  # (as `new_id` holds it while it takes a block)
            assert _counter_taken(path)
            closed.close()
            assert _counter_taken(path)
        assert not _counter_taken(path)
    finally:
        closed.close()
        giving.close()
