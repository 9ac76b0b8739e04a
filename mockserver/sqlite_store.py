"""The SQLite store: one host, several workers, restarts (see `mockserver.jobs.Store`).

WAL mode with `synchronous=NORMAL` (a commit is a write to the log, no fsync); every write is
one small autocommitted statement on an indexed table, and sweeps (eviction, trimming) run
every `SWEEP_EVERY` writes as range deletes on an index, so the cost stays flat as it fills.
Ids come from an atomic counter row (`UPDATE ... RETURNING`), never reset. Due-job claims are
`DELETE ... RETURNING`: two workers never claim the same job.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson

from mockserver.jobs import SCOPES, STORE_BYTES, Job
from mockserver.journal import JOURNAL_SIZE, Entry
from mockserver.ratelimit import WINDOW

#: The schema's version (`PRAGMA user_version`); older files are rebuilt.
VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('job', 0), ('settings', 0);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, finished INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, scope TEXT NOT NULL,
    data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS settings (scope TEXT PRIMARY KEY, record TEXT NOT NULL,
    stamp INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hits (name TEXT NOT NULL, time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_name ON hits (name, time);
CREATE TABLE IF NOT EXISTS due (kind TEXT NOT NULL, job INTEGER NOT NULL, due REAL NOT NULL,
    PRIMARY KEY (kind, job));
CREATE INDEX IF NOT EXISTS due_time ON due (kind, due);
"""
_TABLES = ("counters", "jobs", "journal", "settings", "hits", "due")


class _Db:
    """One connection, one lock: every part of the store goes through it."""

    def __init__(self, path: str) -> None:
        #: Re-entrant: a batch holds it while the writes inside take it again.
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=10.0, check_same_thread=False,
                                    isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                if self.conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                    for table in (*_TABLES, "jobs"):
                        self.conn.execute(f"DROP TABLE IF EXISTS {table}")
                    self.conn.execute(f"PRAGMA user_version={VERSION}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One write transaction around what runs inside (one commit, at its end)."""
        with self.lock:
            if self.conn.in_transaction:  # nested: the outer one commits
                yield
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                self.conn.execute("COMMIT")

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Execute; returns the rows changed."""
        with self.lock:
            return self.conn.execute(sql, args).rowcount


class SqliteJournal:
    """The journal in a table: one insert per entry, trimmed to `size` every 64."""

    def __init__(self, db: _Db, size: int = JOURNAL_SIZE) -> None:
        self._db = db
        self.size = size
        self._adds = 0

    def add(self, entry: Entry) -> None:
        data = orjson.dumps(entry.to_json(0))
        self._db.run("INSERT INTO journal (kind, scope, data) VALUES (?, ?, ?)",
                     (entry.kind, entry.scope, data))
        self._adds += 1
        if self._adds % 64 == 0:
            self._db.run("DELETE FROM journal WHERE seq <= "
                         "(SELECT MAX(seq) FROM journal) - ?", (self.size,))

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        rows = self._db.all(
            "SELECT seq, data FROM journal WHERE seq > ?1 AND seq > "
            "(SELECT COALESCE(MAX(seq), 0) FROM journal) - ?2 "
            "AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR scope = ?4) ORDER BY seq",
            (after, self.size, kind, scope))
        out = []
        for seq, data in rows:
            entry: dict[str, Any] = orjson.loads(data)
            entry["seq"] = seq
            out.append(entry)
        return out

    def last_seq(self) -> int:
        return int(self._db.one("SELECT COALESCE(MAX(seq), 0) FROM journal")[0])

    def clear(self) -> None:
        self._db.run("DELETE FROM journal")

    def __len__(self) -> int:
        return min(self.size, int(self._db.one("SELECT COUNT(*) FROM journal")[0]))


class SqliteLimiter:
    """Request times per key name in a table, swept of times past the window every 256."""

    def __init__(self, db: _Db) -> None:
        self._db = db
        self._counts = 0

    def wait(self, name: str, limit: int, now: float) -> int | None:
        count, first = self._db.one(
            "SELECT COUNT(*), MIN(time) FROM (SELECT time FROM hits WHERE name = ? AND "
            "time > ? ORDER BY time LIMIT ?)", (name, now - WINDOW, limit))
        if count >= limit:
            return max(1, math.ceil(float(first) + WINDOW - now))
        return None

    def count(self, name: str, now: float) -> None:
        self._db.run("INSERT INTO hits VALUES (?, ?)", (name, now))
        self._counts += 1
        if self._counts % 256 == 0:
            self._db.run("DELETE FROM hits WHERE time <= ?", (now - WINDOW,))

    def reserve(self, name: str, limit: int, now: float) -> int | None:
        """`wait` and, when it says go, `count`, in one write transaction (`BEGIN IMMEDIATE`:
        no other worker reads the window in between)."""
        with self._db.batch():
            wait = self.wait(name, limit, now)
            if wait is None:
                self.count(name, now)
            return wait

    def release(self, name: str, now: float) -> None:
        self._db.run("DELETE FROM hits WHERE rowid = (SELECT rowid FROM hits WHERE name = ? "
                     "AND time = ? LIMIT 1)", (name, now))

    def clear(self) -> None:
        self._db.run("DELETE FROM hits")


class SqliteDue:
    """Due times of one kind in a table; `pop_due` claims (DELETE ... RETURNING). A leased
    entry (`mockserver.leases`) moves to kind `lease:KIND`, its time the lease's end; a claim
    is one `UPDATE ... RETURNING` per state, in one write transaction."""

    def __init__(self, db: _Db, kind: str) -> None:
        self._db = db
        self.kind = kind
        self.leased = "lease:" + kind
        self._pushes = 0

    def push(self, due: float, job_id: int, now: float, bound: int) -> None:
        self._db.run("INSERT OR REPLACE INTO due VALUES (?, ?, ?)", (self.kind, job_id, due))
        self._pushes += 1
        if self._pushes % 64 == 0:
            self._db.run("DELETE FROM due WHERE kind = ?1 AND job <= "
                         "(SELECT MAX(job) FROM due WHERE kind = ?1) - ?2", (self.kind, bound))

    def count(self, now: float) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM due WHERE kind = ? AND due > ?",
                                (self.kind, now))[0])

    def pop_due(self, now: float) -> list[int]:
        rows = self._db.all("DELETE FROM due WHERE kind = ? AND due <= ? RETURNING job",
                            (self.kind, now))
        return sorted(int(row[0]) for row in rows)

    def claim(self, now: float, until: float) -> list[tuple[int, bool]]:
        with self._db.batch():
            again = self._db.all("UPDATE due SET due = ? WHERE kind = ? AND due <= ? "
                                 "RETURNING job", (until, self.leased, now))
            first = self._db.all("UPDATE OR REPLACE due SET kind = ?, due = ? WHERE kind = ? "
                                 "AND due <= ? RETURNING job", (self.leased, until, self.kind,
                                                                now))
        return sorted([(int(row[0]), False) for row in first] +
                      [(int(row[0]), True) for row in again])

    def hold(self, job_id: int, until: float) -> None:
        with self._db.batch():
            self._db.run("DELETE FROM due WHERE kind = ? AND job = ?", (self.kind, job_id))
            self._db.run("INSERT OR REPLACE INTO due VALUES (?, ?, ?)",
                         (self.leased, job_id, until))

    def renew(self, job_ids: list[int], until: float) -> None:
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start:start + 500]
            self._db.run(f"UPDATE due SET due = ? WHERE kind = ? AND job IN "
                         f"({','.join('?' * len(chunk))})", (until, self.leased, *chunk))

    def done(self, job_id: int) -> None:
        self._db.run("DELETE FROM due WHERE kind IN (?, ?) AND job = ?",
                     (self.kind, self.leased, job_id))

    def next(self) -> float | None:
        row = self._db.one("SELECT MIN(due) FROM due WHERE kind IN (?, ?)",
                           (self.kind, self.leased))
        return None if row[0] is None else float(row[0])

    def clear(self) -> None:
        self._db.run("DELETE FROM due WHERE kind IN (?, ?)", (self.kind, self.leased))

    def __len__(self) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM due WHERE kind = ?", (self.kind,))[0])


class SqliteStore:
    """All of the mock's state in a SQLite file: every worker sees it, and it survives a
    restart. Bounded by `max_jobs`, `max_bytes` (the jobs' stored size) and `ttl`."""

    shared = True
    #: Eviction runs every this many inserts (range deletes on indexes: cheap, not free).
    SWEEP_EVERY = 64
    #: The byte bound is checked every this many inserts (a sum over the table).
    BYTES_EVERY = 1024

    def __init__(self, path: str | Path, max_jobs: int = 10_000, ttl: float = 3600.0,
                 max_bytes: int = STORE_BYTES) -> None:
        self.path = str(path)
        self.max_jobs = max_jobs
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._db = _Db(self.path)
        self.journal = SqliteJournal(self._db)
        self.limiter = SqliteLimiter(self._db)
        self.pending = SqliteDue(self._db, "pending")
        self.scheduled = SqliteDue(self._db, "webhook")
        self._inserts = 0

    def new_id(self, now: float) -> int:
        row = self._db.one("UPDATE counters SET value = value + 1 WHERE name = 'job' "
                           "RETURNING value")
        return int(row[0])

    def last_id(self) -> int:
        return int(self._db.one("SELECT value FROM counters WHERE name = 'job'")[0])

    def put(self, job: Job, now: float) -> None:
        data = job.to_json().encode()
        self._db.run("INSERT OR REPLACE INTO jobs (id, created, size, data) VALUES (?, ?, ?, ?)",
                     (job.id, job.created, len(data), data))
        self._inserts += 1
        if self._inserts % self.SWEEP_EVERY == 0:
            self._sweep(job.id, now)

    def _sweep(self, newest: int, now: float) -> None:
        self._db.run("DELETE FROM jobs WHERE id <= ?", (newest - self.max_jobs,))
        self._db.run("DELETE FROM jobs WHERE created <= ?", (now - self.ttl,))
        if self._inserts % self.BYTES_EVERY == 0:
            total = int(self._db.one("SELECT COALESCE(SUM(size), 0) FROM jobs")[0])
            if total > self.max_bytes:  # drop the oldest half of what is over
                self._db.run(
                    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs ORDER BY id LIMIT "
                    "(SELECT COUNT(*) FROM jobs) * ? / ?)", (total - self.max_bytes, total))

    def get(self, job_id: int, now: float) -> Job | None:
        row = self._db.one("SELECT data, finished, created FROM jobs WHERE id = ?", (job_id,))
        if row is None or row[2] + self.ttl <= now:
            return None
        return Job.from_json(row[0], finished=bool(row[1]))

    def finish(self, job_id: int) -> bool:
        return self._db.run("UPDATE jobs SET finished = 1 WHERE id = ? AND finished = 0",
                            (job_id,)) == 1

    def settings(self) -> tuple[int, dict[str, str]]:
        with self._db.lock:
            conn = self._db.conn
            conn.execute("BEGIN")
            try:
                stamp = conn.execute("SELECT value FROM counters WHERE name = 'settings'"
                                     ).fetchone()[0]
                rows = conn.execute("SELECT scope, record FROM settings").fetchall()
            finally:
                conn.execute("COMMIT")
        return int(stamp), dict(rows)

    def stamp(self) -> int:
        return int(self._db.one("SELECT value FROM counters WHERE name = 'settings'")[0])

    def set_settings(self, scope: str, record: str | None) -> None:
        with self._db.lock:
            conn = self._db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                stamp = conn.execute("UPDATE counters SET value = value + 1 WHERE name = "
                                     "'settings' RETURNING value").fetchone()[0]
                if record is None:
                    conn.execute("DELETE FROM settings WHERE scope = ?", (scope,))
                else:
                    conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)",
                                 (scope, record, stamp))
                    conn.execute("DELETE FROM settings WHERE stamp <= ?", (stamp - SCOPES,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def clear(self) -> None:
        with self._db.lock:
            conn = self._db.conn
            conn.execute("BEGIN IMMEDIATE")
            for table in ("jobs", "journal", "settings", "hits", "due"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'settings'")
            conn.execute("COMMIT")

    def __len__(self) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM jobs")[0])

    def close(self) -> None:
        with self._db.lock:
            self._db.conn.close()

    def batch(self) -> AbstractContextManager[None]:
        return self._db.batch()
