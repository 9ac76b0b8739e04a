"""The SQLite store: one host, several workers, restarts (see `mockserver.jobs.Store`).

WAL mode with `synchronous=NORMAL`: a commit is a write to the log, no fsync, so a committed
request survives kill -9 of its process (not a power cut). A request to the API is one write
transaction (`batch`), committed before it is answered, of as few statements as it needs: a
generation is BEGIN, one read of the `state` row, the job's INSERT (its "finished" mark is
folded in when the same request ends it), the journal's INSERT, COMMIT.

- One `state` row holds the id counter, the settings' stamp and the running totals (the jobs'
  and the journal's bytes, the due jobs of each kind), kept exact by triggers, so no bound is
  ever checked with a scan. Ids come from that counter under the write lock: they never
  repeat, a reset included.
- Writers of every process take an advisory lock (`flock` on the `-mock` file beside the
  database) before SQLite's own: a busy worker waits in the kernel and wakes when the lock is
  free, instead of in SQLite's busy handler, which sleeps 1, 2, 5 ... ms between retries.
- The same file maps the settings' stamp (8 bytes, shared memory): `stamp()`, read on every
  request, is a memory read, not a query.
- Bounds: jobs by count, bytes and age, the journal by entries and bytes, each kept on insert
  with range deletes on the primary key (the cost stays flat as the store fills).
- Due-job claims are `DELETE ... RETURNING`: two workers never claim the same job.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import mmap
import os
import sqlite3
import struct
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson

from mockserver.jobs import SCOPES, STORE_BYTES, Job
from mockserver.journal import JOURNAL_BYTES, JOURNAL_SIZE, Delivery, Entry, Record
from mockserver.limits import JOURNAL_PREFER_CHARS
from mockserver.ratelimit import WINDOW

#: The schema's version (`PRAGMA user_version`); older files are rebuilt.
VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    one INTEGER PRIMARY KEY CHECK (one = 0), job INTEGER NOT NULL, settings INTEGER NOT NULL,
    job_bytes INTEGER NOT NULL, journal_bytes INTEGER NOT NULL, pending INTEGER NOT NULL,
    webhook INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES (0, 0, 0, 0, 0, 0, 0);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, finished INTEGER NOT NULL,
    size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS jobs_in AFTER INSERT ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes + NEW.size, job = MAX(job, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS jobs_up AFTER UPDATE OF size ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes + NEW.size - OLD.size; END;
CREATE TRIGGER IF NOT EXISTS jobs_out AFTER DELETE ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes - OLD.size; END;
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, job INTEGER,
    size INTEGER NOT NULL, data BLOB NOT NULL, response BLOB);
CREATE TRIGGER IF NOT EXISTS journal_in AFTER INSERT ON journal BEGIN
    UPDATE state SET journal_bytes = journal_bytes + NEW.size; END;
CREATE TRIGGER IF NOT EXISTS journal_out AFTER DELETE ON journal BEGIN
    UPDATE state SET journal_bytes = journal_bytes - OLD.size; END;
CREATE TABLE IF NOT EXISTS settings (scope TEXT PRIMARY KEY, record TEXT NOT NULL,
    stamp INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hits (name TEXT NOT NULL, time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_name ON hits (name, time);
CREATE TABLE IF NOT EXISTS due (kind TEXT NOT NULL, job INTEGER NOT NULL, due REAL NOT NULL,
    PRIMARY KEY (kind, job));
CREATE INDEX IF NOT EXISTS due_time ON due (kind, due);
CREATE TRIGGER IF NOT EXISTS due_in AFTER INSERT ON due BEGIN
    UPDATE state SET pending = pending + (NEW.kind = 'pending'),
        webhook = webhook + (NEW.kind = 'webhook'); END;
CREATE TRIGGER IF NOT EXISTS due_out AFTER DELETE ON due BEGIN
    UPDATE state SET pending = pending - (OLD.kind = 'pending'),
        webhook = webhook - (OLD.kind = 'webhook'); END;
"""
_TABLES = ("state", "counters", "jobs", "journal", "settings", "hits", "due")
_STATE = "SELECT job, job_bytes, journal_bytes, pending, webhook FROM state"
_STAMP = struct.Struct("<q")
#: What a journal entry counts as besides its data and response (as `journal.Journal`'s).
_ENTRY = 256


class _Db:
    """One connection, one lock: every part of the store goes through it.

    Writes run in `write()` (a transaction under the cross-process lock); inside one, the
    `state` row is read once (`state`) and the job just stored is held back (`held`) until
    another statement or the commit, so that ending it in the same request is no UPDATE."""

    def __init__(self, path: str) -> None:
        #: Re-entrant: a batch holds it while the writes inside take it again.
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False,
                                    isolation_level=None, cached_statements=256)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        #: The advisory write lock and the shared settings stamp (`{path}-mock`).
        self._fd = os.open(path + "-mock", os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _STAMP.size:
            os.ftruncate(self._fd, _STAMP.size)
        self.shared = mmap.mmap(self._fd, _STAMP.size)
        self._depth = 0
        #: The newest id handed out in this transaction while no job with it is stored yet
        #: (the jobs' INSERT trigger moves the counter; else the commit writes it).
        self.owed = 0
        #: [job, job_bytes, journal_bytes, pending, webhook] while a write holds the lock.
        self.state: list[int] | None = None
        #: The job row put in this transaction and not yet written.
        self.held: list[Any] | None = None
        with self.write():
            conn = self.conn
            if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                for table in _TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"PRAGMA user_version={VERSION}")
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            stamp = int(conn.execute("SELECT settings FROM state").fetchone()[0])
            if self.stamp() < stamp:  # a new `-mock` file beside an older database
                _STAMP.pack_into(self.shared, 0, stamp)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction around what runs inside (one commit, at its end)."""
        with self.lock:
            if self._depth:  # nested: the outer one commits
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield
                    self.flush()
                    if self.owed:
                        self.conn.execute("UPDATE state SET job = MAX(job, ?)", (self.owed,))
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.held = None
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
                finally:
                    self._depth = 0
                    self.owed = 0
                    self.state = None
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def current(self) -> list[int]:
        """The `state` row, read once per write transaction (it is ours until the commit)."""
        if self.state is None:
            self.state = list(self.conn.execute(_STATE).fetchone())
        return self.state

    def flush(self) -> None:
        """Write the held job row (before any other statement sees the table)."""
        held = self.held
        if held is not None:
            self.held = None
            self.conn.execute(
                "INSERT INTO jobs (id, created, finished, size, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET created = excluded.created, size = "
                "excluded.size, data = excluded.data", held)

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            self.flush()
            return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self.lock:
            self.flush()
            return self.conn.execute(sql, args).fetchall()

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Execute a write (in a transaction of its own unless in one); the rows changed."""
        with self.write():
            self.flush()
            self.state = None  # what it changes may be in the row (through the triggers)
            return self.conn.execute(sql, args).rowcount

    def run_all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        """Execute a write that returns rows (`... RETURNING`)."""
        with self.write():
            self.flush()
            self.state = None
            return self.conn.execute(sql, args).fetchall()

    def stamp(self) -> int:
        value: int = _STAMP.unpack_from(self.shared, 0)[0]
        return value

    def bump(self) -> int:
        """A new settings stamp (inside `write()`): past both the database's and the shared
        one, and shared before the commit (a reader that sees it early re-reads until the
        commit lands: the engine compares it with the database's)."""
        db = int(self.conn.execute("SELECT settings FROM state").fetchone()[0])
        stamp = max(db, self.stamp()) + 1
        _STAMP.pack_into(self.shared, 0, stamp)
        self.conn.execute("UPDATE state SET settings = ?", (stamp,))
        return stamp

    def close(self) -> None:
        with self.lock:
            self.conn.close()
            self.shared.close()
            os.close(self._fd)


def _encode(entry: Entry) -> tuple[bytes, bytes | None]:
    """An entry as stored: its fields as JSON, and a request's response body as sent. Bodies
    are redacted when the journal is read (`Record.to_json`), as in memory."""
    if type(entry) is Record:
        prefer = entry.prefer
        if prefer is not None and len(prefer) > JOURNAL_PREFER_CHARS:
            prefer = prefer[:JOURNAL_PREFER_CHARS] + "..."
        fields: list[Any] = [entry.time, entry.method, entry.path, entry.status, entry.outcome,
                             entry.json_body, entry.key, entry.body, prefer, entry.rules,
                             entry.job, entry.latency_ms]
        response = entry.response
    else:
        assert isinstance(entry, Delivery)
        fields = [entry.job, entry.url, entry.outcome, entry.attempts, entry.status,
                  entry.error, entry.reason]
        response = None
    try:
        return orjson.dumps(fields), response
    except TypeError:  # what orjson refuses (an integer past 64 bits in a body): the stdlib's
        return json.dumps(fields, separators=(",", ":")).encode(), response


def _decode(kind: str, scope: str, data: bytes, response: bytes | None) -> Entry:
    try:
        fields = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN and the like, written by the stdlib
        fields = json.loads(data)
    if kind == "request":
        rules = fields[9]
        return Record(*fields[:9], tuple(rules) if rules is not None else None, fields[10],
                      response, fields[11], scope)
    return Delivery(*fields, scope=scope)


class SqliteJournal:
    """The journal in a table: one insert per entry; kept to `size` entries (trimmed every
    64) and `max_bytes` (on every insert, from the running total)."""

    def __init__(self, db: _Db, size: int = JOURNAL_SIZE, max_bytes: int = JOURNAL_BYTES
                 ) -> None:
        self._db = db
        self.size = size
        self.max_bytes = max_bytes
        self._adds = 0

    def add(self, entry: Entry) -> None:
        data, response = _encode(entry)
        size = _ENTRY + len(data) + (len(response) if response is not None else 0)
        db = self._db
        with db.write():
            db.flush()
            state = db.current()
            cursor = db.conn.execute(
                "INSERT INTO journal (kind, scope, job, size, data, response) "
                "VALUES (?, ?, ?, ?, ?, ?)", (entry.kind, entry.scope, entry.job, size, data,
                                              response))
            state[2] += size
            self._adds += 1
            if state[2] > self.max_bytes:
                self._trim_bytes(int(cursor.lastrowid or 0), state)
            elif self._adds % 64 == 0:
                db.conn.execute("DELETE FROM journal WHERE seq <= ?",
                                (int(cursor.lastrowid or 0) - self.size,))
                db.state = None

    def _trim_bytes(self, newest: int, state: list[int]) -> None:
        """Drop the oldest entries until the rest fit in `max_bytes` (the newest stays)."""
        over = state[2] - self.max_bytes
        last = None
        for seq, size in self._db.conn.execute(
                "SELECT seq, size FROM journal WHERE seq < ? ORDER BY seq", (newest,)):
            over -= size
            last = seq
            if over <= 0:
                break
        if last is not None:
            self._db.conn.execute("DELETE FROM journal WHERE seq <= ?", (last,))
        self._db.state = None

    @property
    def bytes(self) -> int:
        """What the kept entries are counted as, in bytes."""
        return int(self._db.one("SELECT journal_bytes FROM state")[0])

    def _rows(self, where: str, args: tuple[Any, ...]) -> list[tuple[int, Entry]]:
        rows = self._db.all(
            "SELECT seq, kind, scope, data, response FROM journal WHERE seq > "
            f"(SELECT COALESCE(MAX(seq), 0) FROM journal) - ?1 AND {where} ORDER BY seq",
            (self.size, *args))
        return [(seq, _decode(kind, scope, data, response))
                for seq, kind, scope, data, response in rows]

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        rows = self._rows("seq > ?2 AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR "
                          "scope = ?4)", (after, kind, scope))
        return [entry.to_json(seq) for seq, entry in rows]

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """The first `limit` entries after number `seq`, oldest first (the dashboard's poll)."""
        rows = self._rows("seq > ?2 LIMIT ?3", (seq, max(0, limit)))
        return [entry.to_json(n) for n, entry in rows]

    def jobs(self) -> list[int]:
        """The job ids the entries name, oldest first, once each (nothing decoded)."""
        rows = self._db.all(
            "SELECT job FROM journal WHERE job IS NOT NULL AND seq > "
            "(SELECT COALESCE(MAX(seq), 0) FROM journal) - ? ORDER BY seq", (self.size,))
        return list(dict.fromkeys(int(row[0]) for row in rows))

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

    def clear(self) -> None:
        self._db.run("DELETE FROM hits")


class SqliteDue:
    """Due times of one kind in a table; `pop_due` claims (DELETE ... RETURNING)."""

    def __init__(self, db: _Db, kind: str) -> None:
        self._db = db
        self.kind = kind
        #: Its running count in the `state` row.
        self._column = 3 if kind == "pending" else 4
        self._pushes = 0

    def push(self, due: float, job_id: int, now: float, bound: int) -> None:
        db = self._db
        with db.write():
            db.run("INSERT INTO due VALUES (?, ?, ?) ON CONFLICT (kind, job) DO UPDATE SET "
                   "due = excluded.due", (self.kind, job_id, due))
            self._pushes += 1
            if self._pushes % 64 == 0:
                db.run("DELETE FROM due WHERE kind = ? AND job <= ?", (self.kind, job_id - bound))

    def count(self, now: float) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM due WHERE kind = ? AND due > ?",
                                (self.kind, now))[0])

    def pop_due(self, now: float) -> list[int]:
        rows = self._db.run_all("DELETE FROM due WHERE kind = ? AND due <= ? RETURNING job",
                                (self.kind, now))
        return sorted(int(row[0]) for row in rows)

    def next(self) -> float | None:
        row = self._db.one("SELECT MIN(due) FROM due WHERE kind = ?", (self.kind,))
        return None if row[0] is None else float(row[0])

    def clear(self) -> None:
        self._db.run("DELETE FROM due WHERE kind = ?", (self.kind,))

    def __len__(self) -> int:
        db = self._db
        with db.lock:
            if db._depth:  # inside a request (this thread's: it holds the lock): the running count read with the state row
                return db.current()[self._column]
            return int(db.one("SELECT pending, webhook FROM state")[self._column - 3])


class SqliteStore:
    """All of the mock's state in a SQLite file: every worker sees it, and it survives a
    restart. Bounded by `max_jobs`, `max_bytes` (the jobs' stored size) and `ttl`."""

    shared = True
    #: The count and age bounds are applied every this many inserts (range deletes on the
    #: primary key: cheap, not free); the byte bound on every insert.
    SWEEP_EVERY = 64

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
        db = self._db
        with db.write():
            state = db.current()
            state[0] += 1
            db.owed = state[0]
            return state[0]

    def last_id(self) -> int:
        return int(self._db.one("SELECT job FROM state")[0])

    def put(self, job: Job, now: float) -> None:
        data = job.to_json().encode()
        db = self._db
        with db.write():
            db.flush()
            state = db.current()
            # Held: the same request's `finish` marks it without an UPDATE.
            db.held = [job.id, job.created, 0, len(data), data]
            state[1] += len(data)  # (its INSERT's trigger adds it in the table)
            if job.id > state[0]:
                state[0] = job.id
            if db.owed <= job.id:
                db.owed = 0
            self._inserts += 1
            if state[1] > self.max_bytes:
                db.flush()
                self._trim_bytes(job.id, state)
            if self._inserts % self.SWEEP_EVERY == 0:
                db.flush()
                self._sweep(job.id, now)

    def _trim_bytes(self, newest: int, state: list[int]) -> None:
        """Drop the oldest jobs until the rest fit in `max_bytes` (the newest stays)."""
        over = state[1] - self.max_bytes
        last = None
        for job_id, size in self._db.conn.execute(
                "SELECT id, size FROM jobs WHERE id < ? ORDER BY id", (newest,)):
            over -= size
            last = job_id
            if over <= 0:
                break
        if last is not None:
            self._db.conn.execute("DELETE FROM jobs WHERE id <= ?", (last,))
        self._db.state = None

    def _sweep(self, newest: int, now: float) -> None:
        """The count bound, then the age bound: jobs are stored in id order, which is the
        order they were made in, so the expired ones are the lowest ids."""
        conn = self._db.conn
        conn.execute("DELETE FROM jobs WHERE id <= ?", (newest - self.max_jobs,))
        conn.execute(
            "DELETE FROM jobs WHERE id < COALESCE((SELECT id FROM jobs WHERE created > ? "
            "ORDER BY id LIMIT 1), ?)", (now - self.ttl, newest))
        self._db.state = None

    def get(self, job_id: int, now: float) -> Job | None:
        row = self._db.one("SELECT data, finished, created FROM jobs WHERE id = ?", (job_id,))
        if row is None or row[2] + self.ttl <= now:
            return None
        return Job.from_json(row[0], finished=bool(row[1]))

    def finish(self, job_id: int) -> bool:
        db = self._db
        with db.write():
            held = db.held
            if held is not None and held[0] == job_id:
                if held[2]:
                    return False
                held[2] = 1
                return True
            return db.run("UPDATE jobs SET finished = 1 WHERE id = ? AND finished = 0",
                          (job_id,)) == 1

    def settings(self) -> tuple[int, dict[str, str]]:
        with self._db.lock:
            conn = self._db.conn
            self._db.flush()
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
        """The shared settings stamp: a read of shared memory, no query."""
        return self._db.stamp()

    def set_settings(self, scope: str, record: str | None) -> None:
        db = self._db
        with db.write():
            stamp = db.bump()
            if record is None:
                db.conn.execute("DELETE FROM settings WHERE scope = ?", (scope,))
            else:
                db.conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)",
                                (scope, record, stamp))
                db.conn.execute("DELETE FROM settings WHERE stamp <= ?", (stamp - SCOPES,))

    def clear(self) -> None:
        db = self._db
        with db.write():
            db.flush()
            for table in ("jobs", "journal", "settings", "hits", "due"):
                db.conn.execute(f"DELETE FROM {table}")
            db.conn.execute("UPDATE state SET job_bytes = 0, journal_bytes = 0, pending = 0, "
                            "webhook = 0")
            db.bump()
            db.state = None

    def __len__(self) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM jobs")[0])

    @property
    def bytes(self) -> int:
        """The kept jobs' stored size, in bytes (the running total `max_bytes` bounds)."""
        return int(self._db.one("SELECT job_bytes FROM state")[0])

    def close(self) -> None:
        self._db.close()

    def batch(self) -> AbstractContextManager[None]:
        return self._db.write()
