"""The SQLite store's journal ring (`mockserver._sqlite_journal`): a turn's entries written in
one go, around the end of the ring and back, read back whole and in order."""

from __future__ import annotations

import errno
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.control import NAMESPACE_HEADER
from mockserver import Engine, MockConfig, SqliteStore, _sqlite_journal
from mockserver.jobs import GROUP_COMMIT
from mockserver.journal import RESPONSE_CHARS
from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, Wrapped, body


def test_entries_written_a_turn_at_a_time_wrap_around_the_ring_and_read_back_whole(
        tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.sqlite", journal_bytes=16 * 1024)
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    sent: list[str] = []
    try:
        for turn in range(40):  # ~2 KiB an entry: the ring wraps every ~8 entries
            token = GROUP_COMMIT.set(True)
            try:
                for n in range(1 + turn % 5):  # turns of 1 to 5 requests
                    prompt = f"turn {turn} request {n} " + "x" * (turn * 7 % 300)
                    sent.append(prompt)
                    engine.handle("POST", V6, {"content-type": "application/json"},
                                  json.dumps(body(prompt=prompt)).encode(), ORIGIN)
            finally:
                GROUP_COMMIT.reset(token)
            store.commit()

            kept = store.journal.entries()
            prompts = [entry["body"]["prompt"] for entry in kept]
            seqs = [entry["seq"] for entry in kept]
            assert prompts == sent[len(sent) - len(prompts):], turn  # the newest, in order
            assert seqs == list(range(len(sent) - len(kept) + 1, len(sent) + 1))
            assert [entry["response"]["meta"]["prompt"] for entry in kept] == prompts
            assert min(len(sent), 4) <= len(kept) <= 16  # the oldest dropped, none garbled
        assert len(kept) < len(sent) - 100  # (it went round many times)
    finally:
        engine.close()


class _Killed(BaseException):
    """A worker killed (kill -9) at one point of a write: nothing after it runs."""


def test_a_writer_killed_before_it_published_the_head_leaves_the_ring_readable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel keeps what a killed worker wrote to the ring: entries whose bytes it
    overwrote before it could publish the new head must not be read as whole by the other
    workers (garbled bytes: every read of the journal failed)."""
    path = tmp_path / "state.sqlite"
    store = SqliteStore(path, journal_bytes=16 * 1024)
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    reader = SqliteStore(path, journal_bytes=16 * 1024)  # (another worker)
    try:
        for n in range(12):  # the ring full: the next entry overwrites the oldest
            engine.handle("POST", V6, {"content-type": "application/json"},
                          json.dumps(body(prompt=f"entry {n} " + "y" * 50)).encode(), ORIGIN)
        real = _sqlite_journal._RING

        class Publish:
            """The ring's head: the writer is killed as it publishes new entries."""

            def unpack_from(self, buffer: Any, offset: int = 0) -> tuple[Any, ...]:
                return real.unpack_from(buffer, offset)

            def pack_into(self, buffer: Any, offset: int, seq: int, head: int) -> None:
                if seq != real.unpack_from(buffer, 0)[0]:
                    raise _Killed
                real.pack_into(buffer, offset, seq, head)

        monkeypatch.setattr(_sqlite_journal, "_RING", Publish())
        with pytest.raises(_Killed):
            engine.handle("POST", V6, {"content-type": "application/json"},
                          json.dumps(body(prompt="killed " + "z" * 3000)).encode(), ORIGIN)
        monkeypatch.setattr(_sqlite_journal, "_RING", real)

        prompts = [entry["body"]["prompt"] for entry in reader.journal.entries()]
        assert prompts and prompts[-1].startswith("entry 11 "), prompts
        assert all(prompt.startswith("entry ") for prompt in prompts)
    finally:
        reader.close()
        engine.close()


@pytest.mark.parametrize("queue", ["never", "always"])
def test_a_turn_whose_commit_failed_leaves_no_entry_in_the_journal(
        tmp_path: Path, queue: str) -> None:
    """A turn's commit that fails is rolled back, and its requests answered as failed
    (`_group_commit.failed`): the journal must not show them as done, with a job that no
    fetch finds."""
    # A generation answered whole has no SQL: its job's ring is what fails (a full disk). A
    # queued one's due time is SQL: its COMMIT fails.
    store = SqliteStore(tmp_path / "state.sqlite")
    engine = Engine(MockConfig(queue=queue), clock=FakeClock(), store=store,
                    webhooks=RecordingSender())
    db = store._db
    real, ring = db.conn, db.jobs

    class FailingCommit:
        """The connection, whose next COMMIT fails (a full disk, an I/O error)."""

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if sql == "COMMIT":
                db.conn = real
                raise sqlite3.OperationalError("disk I/O error")
            return real.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    def full(rows: list[Any]) -> None:
        db.jobs = ring
        raise OSError(errno.ENOSPC, "No space left on device")

    try:
        if queue == "always":
            db.conn = FailingCommit()  # type: ignore[assignment]
        else:
            db.jobs = Wrapped(ring, write=full)
        token = GROUP_COMMIT.set(True)
        try:
            engine.handle("POST", V6, {"content-type": "application/json"},
                          json.dumps(body(prompt="lost")).encode(), ORIGIN)
        finally:
            GROUP_COMMIT.reset(token)
        with pytest.raises(sqlite3.OperationalError if queue == "always" else OSError):
            store.commit()
        assert db.conn is real and db.jobs is ring and len(store) == 0

        assert store.journal.entries() == []
    finally:
        db.conn, db.jobs = real, ring
        engine.close()


def test_a_reset_forgets_the_entries_of_requests_before_it_in_its_turn(tmp_path: Path) -> None:
    """Entries reach the ring once their turn commits: a reset in the same turn, after them,
    forgets them still."""
    store = SqliteStore(tmp_path / "state.sqlite")
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    try:
        token = GROUP_COMMIT.set(True)
        try:
            engine.handle("POST", V6, {"content-type": "application/json"},
                          json.dumps(body(prompt="before")).encode(), ORIGIN)
            engine.reset()
            engine.handle("POST", V6, {"content-type": "application/json"},
                          json.dumps(body(prompt="after")).encode(), ORIGIN)
        finally:
            GROUP_COMMIT.reset(token)
        store.commit()

        assert [entry["body"]["prompt"] for entry in store.journal.entries()] == ["after"]
    finally:
        engine.close()


def test_an_entry_too_large_for_a_small_ring_is_kept_as_a_note_and_keeps_the_others(
        tmp_path: Path) -> None:
    """An entry over a quarter of the ring is kept as a note ("entry too large to keep"): its
    answer, kept uncut up to `4 * RESPONSE_CHARS` bytes, went with it, so a record larger than
    a 16 KiB ring was written over itself and the entries before it: none read back."""
    store = SqliteStore(tmp_path / "state.sqlite", journal_bytes=16 * 1024)
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    try:
        engine.handle("POST", V6, {"content-type": "application/json"},
                      json.dumps(body(prompt="before")).encode(), ORIGIN)
        answer = engine.handle("POST", V6, {"content-type": "application/json"},
                               json.dumps(body(prompt="é" * 7770)).encode(), ORIGIN)
        assert 16 * 1024 - 100 < len(answer.body) <= 4 * RESPONSE_CHARS  # (kept uncut)

        kept = store.journal.entries()
        assert [entry.get("note") for entry in kept] == [None, "entry too large to keep"]
        assert kept[0]["body"]["prompt"] == "before"
    finally:
        engine.close()


def test_a_page_of_no_entries_is_empty(tmp_path: Path) -> None:
    """`since(seq, 0)`: no entry, as the memory journal answers (the SQLite ring gave one)."""
    store = SqliteStore(tmp_path / "state.sqlite")
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    try:
        for n in range(3):
            engine.handle("POST", V6, {"content-type": "application/json"},
                          json.dumps(body(prompt=f"entry {n}")).encode(), ORIGIN)

        assert engine.journal.since(0, 0) == []
        assert engine.journal.since(0, -5) == []
        assert [entry["seq"] for entry in engine.journal.since(1, 1)] == [2]
    finally:
        engine.close()


def test_an_entry_longer_than_a_tiny_ring_is_not_kept_and_fails_no_request(
        tmp_path: Path) -> None:
    """The note kept for an entry too large (over a quarter of the ring) holds its
    namespace's name, up to 128 bytes: on a ring smaller than that note it was written over
    itself and past the ring's end, failing the request (a server error, its job stored)."""
    store = SqliteStore(tmp_path / "state.sqlite", journal_bytes=64)
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    try:
        for n in range(6):
            ns = {NAMESPACE_HEADER: "n" * 128} if n % 2 else {}
            answer = engine.handle("POST", V6, {"content-type": "application/json", **ns},
                                   json.dumps(body(prompt=f"entry {n}")).encode(), ORIGIN)
            assert answer.json()["status"] == "success", (n, answer.body)

        assert store.journal.entries() == [  # (the newest that fits: a note, 51 bytes)
            {"kind": "request", "seq": 5, "note": "entry too large to keep"}]
        assert store.journal.last_seq() == 6
    finally:
        engine.close()


@given(slots=st.integers(1, 5), most=st.integers(1, 80),
       turns=st.lists(st.lists(st.integers(1, 170), min_size=1, max_size=6), max_size=8))
def test_a_ring_of_any_size_keeps_the_newest_records_that_fit_whole(
        tmp_path_factory: pytest.TempPathFactory, slots: int, most: int,
        turns: list[list[int]]) -> None:
    """Any ring (from 1 slot and 1 byte): after each turn it reads back the newest records,
    at most one per slot and `max_bytes` in all, each whole and in order; a record longer
    than the ring is not kept (nor does it push the others out)."""
    where = tmp_path_factory.mktemp("ring")
    store = SqliteStore(where / "state.sqlite")
    ring = _sqlite_journal.SqliteJournal(store._db, str(where / "ring"), slots, most)
    sent: list[bytes] = []
    try:
        for turn in turns:
            records = [bytes([(len(sent) + n) % 251]) * length for n, length in enumerate(turn)]
            ring.write(records)
            sent += records

            expected: list[bytes] = []
            for seq in range(len(sent), max(0, len(sent) - slots), -1):
                record = sent[seq - 1]
                if len(record) > most:
                    continue
                if sum(map(len, expected)) + len(record) > most:
                    break
                expected.insert(0, record)
            assert [record for _, record in ring._records()] == expected
        assert ring.last_seq() == len(sent)
    finally:
        ring.close()
        store.close()


def test_an_entry_a_request_read_early_shows_in_a_read_after_it(tmp_path: Path) -> None:
    """A request that reads the journal (its batch: its entries move to the turn's commit)
    and ends under a group commit: a later read outside any request must still show its
    entry. It made them visible only when a job or SQL was left too, never entries alone."""
    from mockserver.journal import Record

    store = SqliteStore(tmp_path / "state.sqlite")
    token = GROUP_COMMIT.set(True)
    try:
        with store.batch():
            store.journal.add(Record(1.0, "GET", "/x", 200, "success", scope=""))
            store.journal.entries()  # (read inside the request)
    finally:
        GROUP_COMMIT.reset(token)
    try:
        shown = [entry["path"] for entry in store.journal.entries()]
    finally:
        store.close()

    assert shown == ["/x"]
