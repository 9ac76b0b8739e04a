"""The SQLite store: one host, several workers, restarts (see `mockserver.jobs.Store`).

WAL mode with `synchronous=OFF`: a commit is a write to the log and a checkpoint a copy, never
an fsync, so a committed request survives kill -9 of its process (not a power cut). No request
is answered before its writes are committed, and the lock the workers share is held for the
writes only:

- A request's writes are held back in memory (`_sqlite_db.Db.batch`) and written at its end:
  its SQL in one transaction, then its job and journal entry to their rings. A generation
  has no SQL (its job's "finished" mark folded in when the same request ends it): it is the
  lock, two copies into shared files, the unlock. Served (`jobs.GROUP_COMMIT`), the requests
  of one event-loop turn share that write, and each is answered after it; an operation that
  must be atomic across workers (a claim, a rate-limit count, settings) opens the
  transaction early and the rest of the request joins it.
- Writers of every process take an advisory lock (`flock` on `{path}-mock`) before SQLite's:
  a waiting worker sleeps in the kernel and wakes when the lock is free, instead of in
  SQLite's busy handler (1, 2, 5 ... ms between retries).
- `{path}-mock` also maps, in shared memory, the id counter (under a POSIX lock on its bytes,
  taken a block of ids at a time: ids never repeat, a reset included), the settings' stamp
  (`stamp()`, read on every request, is a memory read) and the due counts as of the newest
  commit.
- The journal is a ring in shared memory (`{path}-mock-journal`), written under the same lock
  with the rest of the request: no SQL and no database page per entry.
- Jobs live in a ring of their own (`{path}-mock-jobs`, `_sqlite_jobs.JobRing`): the newest
  `max_jobs` of them (the count bound), each found by id through an index, their rows in
  `max_bytes` overwritten oldest first (the byte bound), an expired one never read (the age
  bound). Nothing is scanned or deleted: flat as the store fills. A fetch reads it without
  the lock (a seqlock, where the machine allows one). (In a table, a job row cost more than all the
  rest of a generation: a B-tree insert and delete, triggers, WAL frames, checkpoints, and
  with two workers each one's commits dropped the other's page cache.)
- One `state` row holds the running totals (the due jobs of each kind), kept exact by
  triggers.
- Due-job claims are `DELETE ... RETURNING`: two workers never claim the same job; a
  webhook's lease (`mockserver.leases`) is its entry under kind `lease:KIND`.

Its parts, private to `mockserver`: `_sqlite_schema` (tables, triggers), `_sqlite_mockfile`
(the `-mock` file's lock and counters), `_sqlite_db` (the connection, held-back writes,
transactions), `_sqlite_jobs` (the jobs' ring), `_sqlite_records` and `_sqlite_journal` (the
journal ring), `_sqlite_limiter` (rate windows), `_sqlite_due` (due times, leases). This
module: the `SqliteStore` (jobs, settings), and every public name.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path

from mockserver._sqlite_db import Db
from mockserver._sqlite_due import SqliteDue as SqliteDue
from mockserver._sqlite_jobs import UNLOCKED_READS, JobRing
from mockserver._sqlite_journal import SqliteJournal as SqliteJournal
from mockserver._sqlite_limiter import SqliteLimiter as SqliteLimiter
from mockserver._sqlite_mockfile import BLOCK_JOBS, ID_BLOCK
from mockserver._sqlite_schema import VERSION as VERSION
from mockserver.jobs import SCOPES, STORE_BYTES, Job
from mockserver.journal import JOURNAL_BYTES

#: Decoded jobs a SQLite store keeps at most (emptied when full: a few MB at most).
DECODED_JOBS = 1024


class SqliteStore:
    """All of the mock's state in a SQLite file: every worker sees it, and it survives a
    restart. Bounded by `max_jobs`, `max_bytes` (the jobs' stored size) and `ttl`."""

    shared = True

    def __init__(self, path: str | Path, max_jobs: int = 10_000, ttl: float = 3600.0,
                 max_bytes: int = STORE_BYTES, journal_bytes: int = JOURNAL_BYTES) -> None:
        self.path = str(path)
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._db = Db(self.path)
        with self._db.write():  # (no other worker makes or remakes the file meanwhile)
            self._jobs = JobRing(self.path, max_jobs, max_bytes)
        # (A file another running worker made keeps its bounds: they are the store's.)
        self._max_jobs, self.max_bytes = self._jobs.slots, self._jobs.data
        self._db.jobs = self._jobs
        self._db.mock.raise_id(self._jobs.newest())
        self.journal = SqliteJournal(self._db, self.path, max_bytes=journal_bytes)
        self.limiter = SqliteLimiter(self._db)
        self.pending = SqliteDue(self._db, "pending")
        self.scheduled = SqliteDue(self._db, "webhook")
        #: Job id -> (its row's data, finished, the Job) for the jobs read or queued lately:
        #: a client polls one job again and again, and its row, still read each time (another
        #: worker may have ended or dropped it), is decoded only when it changed.
        self._decoded: dict[int, tuple[bytes, bool, Job]] = {}
        #: The settings stamp as `stamp()` saw it last.
        self._stamp = self._db.stamp()

    @property
    def max_jobs(self) -> int:
        """The jobs kept: the `max_jobs` set last (from the next write on), within the ring's
        records (the one the store was made with: a higher one set while running keeps only
        that many, and the engine refuses new work past it rather than lose a queued job)."""
        return min(self._max_jobs, self._jobs.slots)

    @max_jobs.setter
    def max_jobs(self, value: int) -> None:
        self._max_jobs = value
        self._jobs.wanted = max(1, min(value, self._jobs.slots))

    def new_id(self, now: float) -> int:
        return self._db.mock.new_id(ID_BLOCK if self.max_jobs >= BLOCK_JOBS else 1)

    def last_id(self) -> int:
        return self._db.last_id()

    def put(self, job: Job, now: float) -> None:
        data = job.encoded()
        self._jobs.fits(len(data))
        db = self._db
        if job.queued:  # (polled until it ends; a job answered whole is seldom fetched)
            self._remember(job.id, data, job)
        with db.lock:
            # (Last, queued: a job that may be in the ring already, stored again.)
            row = [job.id, job.created, 0, len(data), data, job.queued]
            if db.held is None and db._batch and not db._txn:
                # Held back to the end of the request: its `finish` marks it in place.
                db.held = row
                return
            with db.batch():
                db.flush()
                db.held = row
                db.flush()

    def get(self, job_id: int, now: float) -> Job | None:
        db = self._db
        with db.lock:
            # A job this process stored and has not written yet (its request, or one of
            # the same loop turn): read from memory, without writing the rest early.
            row = db.pending_job(job_id)
            if row is not None:
                found: tuple[bytes, int, float] | None = (row[4], row[2], row[1])
            elif db.writing:  # (the lock is ours already)
                found = self._jobs.read(job_id)
            else:
                read, found = self._jobs.read_unlocked(job_id) if UNLOCKED_READS \
                    else (False, None)
                if not read:
                    db.mock.lock_shared()
                    try:
                        found = self._jobs.read(job_id)
                    finally:
                        db.mock.unlock()
        if found is None or found[2] + self.ttl <= now:
            return None
        data, finished = found[0], bool(found[1])
        known = self._decoded.get(job_id)
        if known is not None and known[1] == finished and known[0] == data:
            return known[2]  # (a Job is never changed: one object serves every read)
        job = Job.from_json(data, finished=finished)
        self._remember(job_id, data, job)
        return job

    def _remember(self, job_id: int, data: bytes, job: Job) -> None:
        if len(self._decoded) >= DECODED_JOBS:
            self._decoded.clear()
        self._decoded[job_id] = (data, job.finished, job)

    def finish(self, job_id: int) -> bool:
        db = self._db
        with db.lock:
            row = db.pending_job(job_id)
            if row is not None:  # stored by this process and not written yet: ours
                if row[2]:
                    return False
                # (Stored again: another worker may have ended its older write; then so
                # is this one, which may not find that write to take the mark from.)
                ended = not row[5] or self._end_written(job_id, missing=True)
                row[2] = 1
                return ended
            return self._end_written(job_id)

    def _end_written(self, job_id: int, *, missing: bool = False) -> bool:
        """End the ring's write of a job, under the workers' lock (a claim: atomic across
        them): False when it was ended already, or is not there (then `missing`)."""
        db = self._db
        take = not db.writing  # (else the lock is ours already)
        if take:
            db.mock.lock()
        try:
            return self._jobs.finish(job_id) or (missing and self._jobs.read(job_id) is None)
        finally:
            if take:
                db.mock.unlock()

    def settings(self) -> tuple[int, dict[str, str]]:
        db = self._db
        with db.lock:
            db.visible()
            conn = db.conn
            if conn.in_transaction:
                return self._read_settings(conn)
            conn.execute("BEGIN")
            try:
                return self._read_settings(conn)
            finally:
                conn.execute("COMMIT")

    @staticmethod
    def _read_settings(conn: sqlite3.Connection) -> tuple[int, dict[str, str]]:
        stamp = conn.execute("SELECT settings FROM state").fetchone()[0]
        rows = conn.execute("SELECT scope, record FROM settings").fetchall()
        return int(stamp), dict(rows)

    def stamp(self) -> int:
        """The shared settings stamp: a read of shared memory, no query. Read before every
        request: once it changed (a namespace reset forgets the ids taken before it), the
        next job's id comes after every id taken so far."""
        stamp = self._db.stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._db.mock.forget_ids()
        return stamp

    def set_settings(self, scope: str, record: str | None) -> None:
        db = self._db
        with db.write():
            stamp = db.bump()
            db.mock.forget_ids()
            # (A reset's `jobs_after` is the counter, past ids no row holds (blocks' rests):
            # kept in the database, which a new `-mock` file takes its counter from.)
            db.conn.execute("UPDATE state SET job = MAX(job, ?)", (db.last_id(),))
            if record is None:
                db.conn.execute("DELETE FROM settings WHERE scope = ?", (scope,))
            else:
                db.conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)",
                                (scope, record, stamp))
                db.conn.execute("DELETE FROM settings WHERE stamp <= ?", (stamp - SCOPES,))

    def clear(self) -> None:
        db = self._db
        self._decoded.clear()
        with db.write():
            self.journal.clear()
            db.rows.clear()  # (this process's, not written yet: `write` took the request's)
            self._jobs.clear()
            for table in ("settings", "hits", "due"):
                db.conn.execute(f"DELETE FROM {table}")
            db.conn.execute("UPDATE state SET pending = 0, webhook = 0")
            db.bump()

    def __len__(self) -> int:
        return self._kept()[0]

    @property
    def bytes(self) -> int:
        """The kept jobs' stored size, in bytes (what `max_bytes` bounds)."""
        return self._kept()[1]

    def _kept(self) -> tuple[int, int]:
        db = self._db
        db.visible()
        with db.shared_lock():  # (a copy under the lock: 2.4 MB at 100,000 records)
            snapshot = self._jobs.snapshot()
        return self._jobs.kept(snapshot)

    def close(self) -> None:
        self._db.close()  # (first: it writes what requests held back)
        self.journal.close()
        self._jobs.close()

    def batch(self) -> AbstractContextManager[None]:
        return self._db.batch()

    @property
    def uncommitted(self) -> bool:
        """Requests left their writes to `commit()` (under `jobs.GROUP_COMMIT`)."""
        return self._db.uncommitted

    def commit(self) -> None:
        """Commit the writes requests left (one transaction); raises when they were lost."""
        self._db.commit(group=True)
