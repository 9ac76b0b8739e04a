"""The SQLite store's jobs ring (`mockserver._sqlite_jobs`), through `SqliteStore` where the
store is what callers see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver import SqliteStore
from mockserver._sqlite_jobs import PROBES, UNLOCKED_READS, JobRing, home
from mockserver.jobs import StoreFull
from tests.mockserver.test_jobs import _job


def _row(job_id: int, data: bytes = b"x" * 100, finished: int = 0) -> list[object]:
    return [job_id, 0.0, finished, len(data), data]


def _stored(store: SqliteStore, ids: list[int]) -> tuple[list[int], int]:
    """Put a job for each id, in order: the ids a read still finds, and `len(store)`."""
    try:
        for job_id in ids:
            store.put(_job(job_id), 0.0)
        return [job_id for job_id in ids if store.get(job_id, 0.0) is not None], len(store)
    finally:
        store.close()


def test_the_newest_max_jobs_are_kept_and_no_more(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=50)
    ids = [store.new_id(0.0) for _ in range(80)]

    assert _stored(store, ids) == (ids[30:], 50)


@pytest.mark.parametrize("step", [1, 64, 128, 16384])
def test_a_job_is_kept_while_fewer_than_max_jobs_follow_it_however_far_apart_their_ids(
        tmp_path: Path, step: int) -> None:
    """Ids skip (a worker gives up the rest of its block at each settings change): the count
    bound is of jobs, not ids. 4,000 ids in steps up to the index's size (16,384 entries)."""
    ring = JobRing(str(tmp_path / "s.sqlite"), 4096, 10_000_000)
    try:
        ids = [1 + step * n for n in range(4000)]
        for start in range(0, len(ids), 16):
            ring.write([_row(job_id) for job_id in ids[start:start + 16]])
        missing = [job_id for job_id in ids if ring.read(job_id) is None]
        kept = ring.kept()
    finally:
        ring.close()

    assert missing == [] and kept == (4000, 400_000)


def test_when_ids_meet_beyond_the_probes_the_oldest_goes_first(tmp_path: Path) -> None:
    """Jobs whose ids hash to one index entry: past `PROBES` of them, the oldest is dropped,
    never the newest."""
    ring = JobRing(str(tmp_path / "s.sqlite"), 100, 1_000_000)  # (an index of 400 entries)
    try:
        ids = [n for n in range(1, 200_000) if home(n, 400) == 7][:PROBES + 3]
        for job_id in ids:
            ring.write([_row(job_id)])
        kept = [job_id for job_id in ids if ring.read(job_id) is not None]
    finally:
        ring.close()

    assert kept == ids[3:]


def test_rows_that_end_exactly_at_the_rings_end_are_followed_from_its_start(
        tmp_path: Path) -> None:
    """Rows that filled the ring to its last byte were copied on, in one run with the next,
    past its end: the file grew, and the next rows read another job's bytes."""
    where = tmp_path / "s.sqlite"
    ring = JobRing(str(where), 64, 1000)
    size = (tmp_path / "s.sqlite-mock-jobs").stat().st_size
    try:
        for n in range(10):  # (100 bytes a row: the ring ends between two rows of a write)
            ring.write([_row(job_id, bytes([job_id]) * 100)
                        for job_id in range(4 * n + 1, 4 * n + 5)])
        wrong = [job_id for job_id in range(31, 41)
                 if ring.read(job_id) != (bytes([job_id]) * 100, 0, 0.0)]
    finally:
        ring.close()

    assert wrong == [] and (tmp_path / "s.sqlite-mock-jobs").stat().st_size == size


def test_the_rows_are_bounded_in_bytes_oldest_first_the_newest_whole(tmp_path: Path) -> None:
    ring = JobRing(str(tmp_path / "s.sqlite"), 1000, 1000)
    try:
        rows = [_row(n, bytes([n]) * 300) for n in range(1, 8)]
        for row in rows:
            ring.write([row])
        kept = {n: ring.read(n) for n in range(1, 8)}
        jobs, size = ring.kept()
    finally:
        ring.close()

    # 300 bytes a row in 1,000: three fit; a fourth starts again at the beginning.
    assert [n for n, found in kept.items() if found is not None] == [5, 6, 7]
    assert kept[7] == (bytes([7]) * 300, 0, 0.0) and (jobs, size) == (3, 900)


def test_a_job_larger_than_the_store_is_refused_not_lost(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite", max_bytes=2000)
    try:
        with pytest.raises(StoreFull):
            store.put(_job(store.new_id(0.0), prompt="p" * 5000), 0.0)
        assert len(store) == 0
    finally:
        store.close()


def test_a_job_ends_once_and_a_new_write_of_it_keeps_the_mark(tmp_path: Path) -> None:
    ring = JobRing(str(tmp_path / "s.sqlite"), 100, 100_000)
    try:
        ring.write([_row(1)])
        first, again = ring.finish(1), ring.finish(1)
        ring.write([_row(1, b"y" * 50)])
        rewritten = ring.read(1)
        unknown = ring.finish(2)
        count = ring.kept()
    finally:
        ring.close()

    assert (first, again, unknown) == (True, False, False)
    assert rewritten == (b"y" * 50, 1, 0.0) and count == (1, 50)  # (its newest write, once)


def test_clear_drops_every_job_and_ids_go_on(tmp_path: Path) -> None:
    where = tmp_path / "s.sqlite"
    store = SqliteStore(where)
    try:
        made = store.new_id(0.0)
        store.put(_job(made), 0.0)
        store.clear()
        gone, count, after = store.get(made, 0.0), len(store), store.new_id(0.0)
    finally:
        store.close()

    assert gone is None and count == 0 and after > made


def test_jobs_outlive_a_restart_and_a_new_counter_starts_past_them(tmp_path: Path) -> None:
    where = tmp_path / "s.sqlite"
    store = SqliteStore(where)
    made = store.new_id(0.0)
    store.put(_job(made, prompt="kept"), 0.0)
    store.finish(made)
    store.close()
    (tmp_path / "s.sqlite-mock").unlink()  # (the counter's file lost: the jobs' is not)

    again = SqliteStore(where)
    try:
        job, later = again.get(made, 0.0), again.new_id(0.0)
    finally:
        again.close()

    assert job is not None and job.prompt == "kept" and job.finished and later > made


def test_a_file_in_use_keeps_its_bounds_and_one_nobody_uses_is_remade(tmp_path: Path) -> None:
    where = tmp_path / "s.sqlite"
    first = SqliteStore(where, max_jobs=100)
    second = SqliteStore(where, max_jobs=200)  # (another worker, with other bounds)
    made = first.new_id(0.0)
    first.put(_job(made), 0.0)
    try:
        shared = (second.max_jobs, second.get(made, 0.0) is not None)
    finally:
        first.close()
        second.close()
    alone = SqliteStore(where, max_jobs=300)
    try:
        remade = (alone.max_jobs, alone.get(made, 0.0))
    finally:
        alone.close()

    assert shared == (100, True)
    assert remade == (300, None)


def test_a_lower_max_jobs_set_while_running_applies_at_once_a_higher_one_within_the_ring(
        tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=100)
    try:
        ids = [store.new_id(0.0) for _ in range(30)]
        for job_id in ids:
            store.put(_job(job_id), 0.0)
        store.max_jobs = 10
        until_a_write = len(store)
        ids.append(store.new_id(0.0))
        store.put(_job(ids[-1]), 0.0)
        lowered = (len(store), [j for j in ids if store.get(j, 0.0) is not None])
        store.max_jobs = 1000
        store.put(_job(store.new_id(0.0)), 0.0)
        raised = (store.max_jobs, len(store))
    finally:
        store.close()

    assert until_a_write == 30 and lowered == (10, ids[21:])
    assert raised == (100, 32)  # (the ring's 100 at most: what it was made with)


def test_queued_work_past_the_rings_records_is_refused_never_lost(tmp_path: Path) -> None:
    """A `max_jobs` setting above what the store can keep: the engine refuses new work at
    the store's bound (the rate-limit error), and every queued job is still fetched."""
    from mockserver import Engine, MockConfig
    from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, body

    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=5)
    engine = Engine(MockConfig(queue="always", max_jobs=1000), clock=FakeClock(), store=store,
                    webhooks=RecordingSender())
    try:
        answers = [engine.handle("POST", V6, {"content-type": "application/json"},
                                 json.dumps(body(track_id=n)).encode(), ORIGIN).json()
                   for n in range(7)]
        queued = [a["id"] for a in answers if a["status"] == "processing"]
        kept = [store.get(int(str(job_id)), 0.0) is not None for job_id in queued]
    finally:
        engine.close()

    assert len(queued) == 5 and all(kept)
    assert [a["status"] for a in answers[5:]] == ["error", "error"]


def test_a_read_without_the_lock_is_refused_while_a_writer_changes_anything(
        tmp_path: Path) -> None:
    ring = JobRing(str(tmp_path / "s.sqlite"), 100, 100_000)
    try:
        ring.write([_row(1)])
        before = ring.read_unlocked(1)
        ring._changing()  # (a writer mid-change, or one killed there)
        during = ring.read_unlocked(1)
        ring.write([_row(2)])  # (the next writer ends the change)
        after = ring.read_unlocked(1)
    finally:
        ring.close()

    assert before == (True, (b"x" * 100, 0, 0.0)) and during == (False, None)
    assert after == (True, (b"x" * 100, 0, 0.0))


def _write_many(where: str, rounds: int) -> None:
    ring = JobRing(where, 64, 64 * 200)  # (small: records and rows overwritten all the time)
    try:
        for n in range(rounds):
            ring.write([_row(job_id, str(job_id).encode() * 20)
                        for job_id in range(16 * n + 1, 16 * n + 17)])
    finally:
        ring.close()


@pytest.mark.skipif(not UNLOCKED_READS, reason="reads take the lock on this machine")
def test_what_a_read_without_the_lock_returns_is_always_that_jobs_row(tmp_path: Path) -> None:
    """Another process writes, records and rows overwritten as fast as it can, with no lock
    between it and the reader: every read that says it read returns the row of the job it
    asked for, never another's or a torn one."""
    import multiprocessing

    where = str(tmp_path / "s.sqlite")
    ring = JobRing(where, 64, 64 * 200)
    writer = multiprocessing.get_context("fork").Process(target=_write_many,
                                                         args=(where, 3000))
    writer.start()
    read = 0  # (while the writer writes: some are refused, the rest must be right)
    wrong = []
    try:
        while writer.is_alive():
            newest = ring.newest()
            for job_id in range(max(1, newest - 40), newest + 1):
                ok, found = ring.read_unlocked(job_id)
                if ok and found is not None:
                    read += 1
                    if found[0] != str(job_id).encode() * 20:
                        wrong.append((job_id, found[0][:40]))
    finally:
        writer.join()
        ring.close()

    assert writer.exitcode == 0 and read > 0 and wrong == []


def test_jobs_of_one_commit_that_meet_the_rings_end_exactly_read_back_as_themselves(
        tmp_path: Path) -> None:
    """A turn's rows are copied in runs: a row that ends exactly at the ring's end and the
    next, which starts at its beginning, are no run (one copy ran past the end: the file
    grew, the second job read another's bytes, and a restart remade the file)."""
    from mockserver.jobs import GROUP_COMMIT

    where = tmp_path / "s.sqlite"
    size = len(_job(100, prompt="p100").encoded())
    store = SqliteStore(where, max_bytes=2 * size)
    jobs_file = Path(str(where) + "-mock-jobs")
    made = jobs_file.stat().st_size
    try:
        token = GROUP_COMMIT.set(True)
        try:
            for job_id in (100, 101, 102):  # (at 0, at the end - size, at the beginning)
                with store.batch():
                    store.put(_job(job_id, prompt=f"p{job_id}"), 0.0)
        finally:
            GROUP_COMMIT.reset(token)
        store.commit()
        read = {job_id: store.get(job_id, 0.0) for job_id in (100, 101, 102)}
        grown = jobs_file.stat().st_size - made
    finally:
        store.close()
    again = SqliteStore(where, max_bytes=2 * size)
    try:
        reopened = again.get(102, 0.0)
    finally:
        again.close()

    assert read[100] is None and grown == 0
    assert [(job.id, job.prompt) for job in (read[101], read[102]) if job is not None] == [
        (101, "p101"), (102, "p102")]
    assert reopened is not None and reopened.prompt == "p102"


def test_ending_a_queued_job_from_the_admin_api_loses_no_other_queued_job(
        tmp_path: Path) -> None:
    """A job ended by hand is stored again (`jobview.end`): that write takes the place of its
    older one among the newest `max_jobs`, as the memory store and a table's upsert keep it
    (a new place pushed the oldest queued job out of a full store: its polls found nothing,
    its webhook was never sent)."""
    from mockserver import Engine, MockConfig
    from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, body

    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=3)
    engine = Engine(MockConfig(queue="always", max_jobs=3), clock=FakeClock(), store=store,
                    webhooks=RecordingSender())
    try:
        ids = [engine.handle("POST", V6, {"content-type": "application/json"},
                             json.dumps(body(track_id=n)).encode(), ORIGIN).json()["id"]
               for n in range(3)]
        ended = engine.handle("POST", f"/__mock/jobs/{ids[2]}/finish", {}, b"", ORIGIN).status
        kept = [store.get(int(str(job_id)), 0.0) is not None for job_id in ids]
        count = len(store)
    finally:
        engine.close()

    assert ended == 200 and kept == [True, True, True] and count == 3


@pytest.mark.parametrize("rows", [None, 1.5])
def test_a_queued_job_stored_again_and_ended_by_two_workers_at_once_ends_once(
        tmp_path: Path, rows: float | None) -> None:
    """A queued job written again (`jobview.end`) is in the ring, where another worker's
    timer may end it, while the new write waits for its request's end: its `finish` is a
    claim on the ring's mark too (both ended it: two webhooks), and the new write is ended
    too (`rows`: a ring of 1.5 rows, where it overwrites the older write it would take the
    mark from)."""
    import dataclasses

    where = tmp_path / "s.sqlite"
    size = len(_job(1, due=100.0, queued=True).encoded())
    bound = {} if rows is None else {"max_bytes": int(size * rows)}
    first, second = SqliteStore(where, **bound), SqliteStore(where, **bound)
    try:
        made = first.new_id(0.0)
        first.put(_job(made, due=100.0, queued=True), 0.0)
        with first.batch():  # (the admin's end: the job read and stored again, held back)
            job = first.get(made, 0.0)
            assert job is not None
            first.put(dataclasses.replace(job, due=0.0), 0.0)
            by_second = second.finish(made)  # (the other worker's timer, meanwhile)
            by_first = first.finish(made)
        ended = second.get(made, 0.0)
    finally:
        first.close()
        second.close()

    assert (by_second, by_first) == (True, False)
    assert ended is not None and ended.finished


def test_a_job_dropped_early_from_a_full_run_of_probes_is_no_longer_counted(
        tmp_path: Path) -> None:
    """Past `PROBES` jobs whose ids meet, the oldest's entry goes to the newest: it can no
    longer be read, and `len` (the health's count) no longer counts it either."""
    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=100)  # (an index of 400 entries)
    ids = [n for n in range(1, 200_000) if home(n, 400) == 7][:PROBES + 3]

    assert _stored(store, ids) == (ids[3:], PROBES)


def test_a_row_copied_short_on_a_full_disk_is_an_error_not_a_job_read_garbled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pwrite` on a disk that fills writes what fits and says how much: the rest is written
    (or the disk's error raised), never a record left for bytes that were not."""
    import errno
    import os

    store = SqliteStore(tmp_path / "s.sqlite")
    real = os.pwrite
    short = [True]

    def full(fd: int, data: bytes, at: int) -> int:
        if not short:
            raise OSError(errno.ENOSPC, "No space left on device")
        short.clear()
        return real(fd, bytes(data)[:len(data) // 2], at)  # (half fits)

    try:
        made = store.new_id(0.0)
        monkeypatch.setattr(os, "pwrite", full)
        with pytest.raises(OSError):
            store.put(_job(made, prompt="half"), 0.0)
        monkeypatch.setattr(os, "pwrite", real)
        read = store.get(made, 0.0)
    finally:
        store.close()

    assert read is None


def test_a_jobs_file_made_on_a_full_disk_is_an_error_not_a_sparse_map(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The records and index are written in place through the map: where their blocks could
    not be allocated (`posix_fallocate` failed: a full disk), a store of the map's
    first write into a hole is a SIGBUS that kills the worker. They are written out instead,
    and a full disk is the error it is when the store opens."""
    import errno
    import os

    real = os.pwrite

    def full(fd: int, data: bytes, at: int) -> int:
        if len(data) > 64:  # (the head's 64 bytes, as a block already allocated)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, at)

    def no_blocks(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", no_blocks)
    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(OSError) as failed:
        SqliteStore(tmp_path / "s.sqlite").close()

    assert failed.value.errno == errno.ENOSPC


def test_a_lower_max_jobs_while_jobs_are_queued_loses_none_of_them(tmp_path: Path) -> None:
    """The lower bound applies at the next write, and the engine writes none while the
    queued jobs are as many as it: they are all fetched still (they were dropped at once)."""
    from mockserver import Engine, MockConfig
    from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, body

    headers = {"content-type": "application/json"}
    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=100)
    engine = Engine(MockConfig(queue="always", max_jobs=100, eta=600), clock=FakeClock(),
                    store=store, webhooks=RecordingSender())
    try:
        ids = [engine.handle("POST", V6, headers, json.dumps(body(track_id=n)).encode(),
                             ORIGIN).json()["id"] for n in range(5)]
        engine.configure(max_jobs=2)
        refused = engine.handle("POST", V6, headers, json.dumps(body()).encode(), ORIGIN)
        kept = [store.get(int(str(job_id)), 0.0) is not None for job_id in ids]
    finally:
        engine.close()

    assert refused.json()["status"] == "error" and kept == [True] * 5


def test_a_store_whose_last_write_fails_at_close_still_closes(tmp_path: Path) -> None:
    """Writes left to a group commit are written at `close`; a full disk then raised out of
    `close` (only SQLite's errors were expected there), leaving the files open."""
    import errno

    from mockserver.jobs import GROUP_COMMIT
    from tests.mockserver._support import Wrapped

    store = SqliteStore(tmp_path / "s.sqlite")
    db = store._db

    def full(rows: list[object]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    token = GROUP_COMMIT.set(True)
    try:
        store.put(_job(store.new_id(0.0)), 0.0)  # (left to the turn's commit)
    finally:
        GROUP_COMMIT.reset(token)
    db.jobs = Wrapped(db.jobs, write=full)
    store.close()

    assert db.mock.closed


def test_a_store_opens_where_the_os_has_no_posix_fallocate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS has none: opening a SQLite store raised AttributeError (only OSError was
    expected from it). The files are written out instead, as big as they were."""
    import os

    monkeypatch.delattr(os, "posix_fallocate", raising=False)
    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=100, journal_bytes=100_000)
    try:
        made = store.new_id(0.0)
        store.put(_job(made, prompt="kept"), 0.0)
        job = store.get(made, 0.0)
        sizes = [(tmp_path / f"s.sqlite-mock-{name}").stat().st_size
                 for name in ("jobs", "journal")]
    finally:
        store.close()

    assert job is not None and job.prompt == "kept"
    assert sizes[1] > 100_000 and sizes[0] > 100 * 64
