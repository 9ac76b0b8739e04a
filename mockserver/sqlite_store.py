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
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson

from contracts.redaction import SECRET_FIELDS, redact_body, redact_key, scrub, secrets_in
from mockserver.jobs import GROUP_COMMIT, SCOPES, STORE_BYTES, Job
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
_SHARED = struct.Struct("<q")
#: What a journal entry counts as besides its data and response (as `journal.Journal`'s).
_ENTRY = 256


class _Db:
    """One connection and one in-process lock for every part of the store.

    A request runs in `batch()`: its writes are held back (the job row in `held`, the rest in
    `deferred`) and written at its end in one transaction under the cross-process lock, so
    the lock is held for the writes only, never while the request is parsed or answered. An
    operation that must be atomic across workers (a claim, a rate-limit count, settings)
    opens that transaction early (`write()`), and the rest of the request joins it.
    """

    def __init__(self, path: str) -> None:
        #: Re-entrant: a batch holds it while the writes inside take it again.
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False,
                                    isolation_level=None, cached_statements=256)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        # (Some builds default it on: every deleted row zeroed, its pages written again.
        # Nothing stored here is secret: keys are redacted before they are written.)
        self.conn.execute("PRAGMA secure_delete=OFF")
        #: `{path}-mock`: the advisory write lock (flock), the id lock (a POSIX lock on bytes
        #: 8-15), and in shared memory the settings stamp (bytes 0-7), the id counter (8-15)
        #: and the due counts as of the newest commit (16-23 pending, 24-31 webhook).
        self._fd = os.open(path + "-mock", os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _SHARED_BYTES:
            os.ftruncate(self._fd, _SHARED_BYTES)
        self.shared = mmap.mmap(self._fd, _SHARED_BYTES)
        #: Processes hold POSIX locks, not threads: other stores on the file in this process.
        self._ids = _ID_LOCKS.setdefault(os.path.realpath(path), threading.Lock())
        self._batch = 0
        self._txn = False
        #: Writes were left to a group commit; a commit that lost such writes failed so.
        self._grouped = False
        self._lost: BaseException | None = None
        #: The job row put in this request and not yet written (`finish` marks it).
        self.held: list[Any] | None = None
        #: Other writes of this request, in order: (what, SQL, arguments).
        self.deferred: list[tuple[str, str, tuple[Any, ...]]] = []
        #: Run at the end of each write of held-back rows, with (connection, the `state` row's
        #: job_bytes and journal_bytes, the newest job id written, the newest journal seq).
        self.bounds: list[Any] = []
        with self.batch():
            self.begin()
            conn = self.conn
            if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                for table in _TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"PRAGMA user_version={VERSION}")
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            stamp, newest = conn.execute(
                "SELECT settings, MAX(job, COALESCE((SELECT MAX(id) FROM jobs), 0)) FROM state"
            ).fetchone()
            if self.stamp() < stamp:  # a new `-mock` file beside an older database
                _SHARED.pack_into(self.shared, 0, stamp)
            with self._id_lock():
                if _SHARED.unpack_from(self.shared, 8)[0] < newest:
                    _SHARED.pack_into(self.shared, 8, newest)

    # -- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One request: its held-back writes are written, and committed, at its end; or,
        under `GROUP_COMMIT` and when it opened no transaction, left to `commit()`, which
        its adapter calls (once for a loop turn's requests) before it answers."""
        with self.lock:
            if self._batch:  # nested: the outer one commits
                self._batch += 1
                try:
                    yield
                finally:
                    self._batch -= 1
                return
            self._batch = 1
            try:
                yield
            except BaseException:
                # What it wrote so far is committed (and what other requests left with it).
                self._batch = 0
                self.commit()
                raise
            self._batch = 0
            if self._txn or not GROUP_COMMIT.get():
                self.commit()
            elif self.held is not None:  # (the next request holds its own job)
                self.deferred.append(("job", _PUT, tuple(self.held)))
                self.held = None
                self._grouped = True
            elif self.deferred:
                self._grouped = True

    @property
    def uncommitted(self) -> bool:
        """Writes were left to `commit()` (see `batch`)."""
        return self._grouped

    def commit(self, group: bool = False) -> None:
        """Write and commit everything held back. `group`: the adapter's commit of the
        requests it is about to answer; it raises when their writes were lost (a commit by
        another thread that failed), never answering them as if stored."""
        with self.lock:
            if group and self._lost is not None:
                lost, self._lost = self._lost, None
                raise lost
            grouped, self._grouped = self._grouped, False
            if self.held is None and not self.deferred and not self._txn:
                return
            try:
                self.begin()
                self.flush(counts=True)
                self.conn.execute("COMMIT")
            except BaseException as exc:
                self.held = None
                self.deferred = []
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if grouped and not group:
                    self._lost = exc
                raise
            finally:
                if self._txn:
                    self._txn = False
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    @property
    def writing(self) -> bool:
        """A write transaction is open (this thread's, when it holds `lock`)."""
        return self._txn

    def begin(self) -> None:
        """Open the write transaction now (inside a batch; it commits at the batch's end)."""
        if not self._txn:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                raise
            self._txn = True

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """Writes that must be atomic across workers now: in the request's transaction,
        opened here if it is not yet (or in one of their own outside a request)."""
        with self.batch():
            self.begin()
            self.flush()
            yield

    def later(self, what: str, sql: str, args: tuple[Any, ...]) -> None:
        """A write that may wait for the end of the request (now, outside one)."""
        with self.lock:
            if self._batch and not self._txn:  # the common case: held back
                self.deferred.append((what, sql, args))
                return
            with self.batch():
                self.deferred.append((what, sql, args))
                self.flush()

    def flush(self, counts: bool = False) -> None:
        """Write what was held back (inside the write transaction), then keep the bounds;
        with `counts`, share the due counts as they will be committed."""
        held, deferred = self.held, self.deferred
        if held is None and not deferred and not counts:
            return
        self.begin()
        conn = self.conn
        job = seq = 0
        if held is not None:
            self.held = None
            conn.execute(_PUT, held)
            job = held[0]
        if deferred:
            self.deferred = []
            for what, sql, args in deferred:
                cursor = conn.execute(sql, args)
                if what == "journal":
                    seq = int(cursor.lastrowid or 0)
                elif what == "job":
                    job = max(job, int(args[0]))
        job_bytes, journal_bytes, pending, webhook = conn.execute(
            "SELECT job_bytes, journal_bytes, pending, webhook FROM state").fetchone()
        if job or seq:
            for keep in self.bounds:
                keep(conn, job_bytes, journal_bytes, job, seq)
        # (Due rows change only in write transactions, which all end here: a reader sees
        # the count of the newest commit, as a read of the table would.)
        _SHARED.pack_into(self.shared, 16, pending)
        _SHARED.pack_into(self.shared, 24, webhook)

    def due_count(self, kind: str) -> int:
        """Queued jobs of `kind` ("pending", "webhook"), from shared memory (no query)."""
        value: int = _SHARED.unpack_from(self.shared, 16 if kind == "pending" else 24)[0]
        return value

    # -- reads ---------------------------------------------------------------------------

    def visible(self) -> None:
        """Make what was held back visible to a read (written: committed by the request it
        belongs to, or now when outside one)."""
        if self.held is not None or self.deferred:
            with self.batch():
                self.flush()

    def pending_job(self, job_id: int) -> tuple[bytes, int, float] | None:
        """(data, finished, created) of a job row held back, if `job_id` is one."""
        held = self.held
        if held is not None and held[0] == job_id:
            return held[4], held[2], held[1]
        for what, _, args in reversed(self.deferred):
            if what == "job" and args[0] == job_id:
                return args[4], args[2], args[1]
        return None

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            self.visible()
            return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self.lock:
            self.visible()
            return self.conn.execute(sql, args).fetchall()

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        """Execute a write now (atomic across workers); the rows it returns."""
        with self.write():
            return self.conn.execute(sql, args).fetchall()

    def changed(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Execute a write now; the rows it changed."""
        with self.write():
            return self.conn.execute(sql, args).rowcount

    # -- shared memory -------------------------------------------------------------------

    def stamp(self) -> int:
        value: int = _SHARED.unpack_from(self.shared, 0)[0]
        return value

    def bump(self) -> int:
        """A new settings stamp (inside `write()`): past both the database's and the shared
        one, and shared before the commit (a reader that sees it early re-reads until the
        commit lands: the engine compares it with the database's)."""
        db = int(self.conn.execute("SELECT settings FROM state").fetchone()[0])
        stamp = max(db, self.stamp()) + 1
        _SHARED.pack_into(self.shared, 0, stamp)
        self.conn.execute("UPDATE state SET settings = ?", (stamp,))
        return stamp

    @contextlib.contextmanager
    def _id_lock(self) -> Iterator[None]:
        with self._ids:
            fcntl.lockf(self._fd, fcntl.LOCK_EX, 8, 8)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 8, 8)

    def new_id(self) -> int:
        """The next id from the shared counter (kept by the kernel: a process killed after
        taking one loses nothing, and the next never repeats it)."""
        with self._ids:
            fcntl.lockf(self._fd, fcntl.LOCK_EX, 8, 8)
            try:
                value: int = _SHARED.unpack_from(self.shared, 8)[0] + 1
                _SHARED.pack_into(self.shared, 8, value)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 8, 8)
        return value

    def last_id(self) -> int:
        value: int = _SHARED.unpack_from(self.shared, 8)[0]
        return value

    def close(self) -> None:
        with self.lock:
            if self.shared.closed:
                return
            with contextlib.suppress(sqlite3.Error):
                self.commit()
            self.conn.close()
            self.shared.close()
            os.close(self._fd)


_PUT = ("INSERT INTO jobs (id, created, finished, size, data) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET created = excluded.created, size = excluded.size, "
        "data = excluded.data")
#: Per database file: the threads of this process that take an id (see `_Db._id_lock`).
_ID_LOCKS: dict[str, threading.Lock] = {}
_SHARED_BYTES = 32


def _encode(entry: Entry) -> tuple[bytes, bytes | None]:
    """An entry as stored: its fields as JSON, and a request's response body. What the file
    holds is redacted as the journal shows it (keys in their `redact_key` form, the request's
    secrets scrubbed from the response); the rest of `Record.to_json` runs when it is read."""
    if type(entry) is Record:
        prefer = entry.prefer
        if prefer is not None and len(prefer) > JOURNAL_PREFER_CHARS:
            prefer = prefer[:JOURNAL_PREFER_CHARS] + "..."
        body, response = entry.body, entry.response
        if body is not None:
            secrets = secrets_in(body)
            body = _redacted(body)
            if secrets and response is not None:
                response = scrub(response.decode("utf-8", "replace"), secrets,
                                 keyed=True).encode()
        fields: list[Any] = [entry.time, entry.method, entry.path, entry.status, entry.outcome,
                             entry.json_body, entry.key, body, prefer, entry.rules,
                             entry.job, entry.latency_ms]
    else:
        assert isinstance(entry, Delivery)
        fields = [entry.job, entry.url, entry.outcome, entry.attempts, entry.status,
                  entry.error, entry.reason]
        response = None
    try:
        return orjson.dumps(fields), response
    except TypeError:  # what orjson refuses (an integer past 64 bits in a body): the stdlib's
        return json.dumps(fields, separators=(",", ":")).encode(), response


def _redacted(body: Mapping[str, Any]) -> dict[str, Any]:
    """`redact_body`, with a fast path for the usual flat body (no object or list inside)."""
    out = {}
    for name, value in body.items():
        kind = type(value)
        if kind is dict or kind is list or not isinstance(name, str):
            return redact_body(body)
        out[name] = redact_key(value) if name.lower() in SECRET_FIELDS else value
    return out


def _decode(kind: str, scope: str, seq: int, data: bytes, response: bytes | None
            ) -> dict[str, Any]:
    """A stored entry as the journal shows it (`to_json`)."""
    try:
        fields = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN and the like, written by the stdlib
        fields = json.loads(data)
    if kind == "request":
        (when, method, path, status, outcome, json_body, key, body, prefer, rules, job,
         latency) = fields
        shown = Record(when, method, path, status, outcome, json_body, key, None, prefer,
                       tuple(rules) if rules is not None else None, job, response, latency,
                       scope).to_json(seq)
        if body is not None:  # stored redacted: not redacted again (a second hash)
            shown["body"] = body
        return shown
    job, url, outcome, attempts, status, error, reason = fields
    return Delivery(job, url, outcome, attempts, status, error, reason, scope).to_json(seq)


class SqliteJournal:
    """The journal in a table: one insert per entry (written with the request's other writes);
    kept to `size` entries (trimmed every 64) and `max_bytes` (on every insert, from the
    running total)."""

    def __init__(self, db: _Db, size: int = JOURNAL_SIZE, max_bytes: int = JOURNAL_BYTES
                 ) -> None:
        self._db = db
        self.size = size
        self.max_bytes = max_bytes
        self._adds = 0
        db.bounds.append(self._keep)

    def add(self, entry: Entry) -> None:
        data, response = _encode(entry)
        size = _ENTRY + len(data) + (len(response) if response is not None else 0)
        self._db.later("journal", "INSERT INTO journal (kind, scope, job, size, data, response) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (entry.kind, entry.scope, entry.job, size, data, response))

    def _keep(self, conn: sqlite3.Connection, job_bytes: int, journal_bytes: int, job: int,
              seq: int) -> None:
        if not seq:
            return
        self._adds += 1
        if journal_bytes > self.max_bytes:  # drop the oldest until the rest fit
            over, last = journal_bytes - self.max_bytes, None
            for old, size in conn.execute("SELECT seq, size FROM journal WHERE seq < ? "
                                          "ORDER BY seq", (seq,)):
                over, last = over - size, old
                if over <= 0:
                    break
            if last is not None:
                conn.execute("DELETE FROM journal WHERE seq <= ?", (last,))
        elif self._adds % 64 == 0:
            conn.execute("DELETE FROM journal WHERE seq <= ?", (seq - self.size,))

    @property
    def bytes(self) -> int:
        """What the kept entries are counted as, in bytes."""
        return int(self._db.one("SELECT journal_bytes FROM state")[0])

    def _rows(self, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        rows = self._db.all(
            "SELECT seq, kind, scope, data, response FROM journal WHERE seq > "
            f"(SELECT COALESCE(MAX(seq), 0) FROM journal) - ?1 AND {where} ORDER BY seq",
            (self.size, *args))
        return [_decode(kind, scope, seq, data, response)
                for seq, kind, scope, data, response in rows]

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        return self._rows("seq > ?2 AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR "
                          "scope = ?4)", (after, kind, scope))

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """The first `limit` entries after number `seq`, oldest first (the dashboard's poll)."""
        return self._rows("seq > ?2 LIMIT ?3", (seq, max(0, limit)))

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
    """Request times per key name in a table, swept of times past the window every 256. A
    request's look and count are one transaction: workers never both take the last slot."""

    def __init__(self, db: _Db) -> None:
        self._db = db
        self._counts = 0

    def wait(self, name: str, limit: int, now: float) -> int | None:
        db = self._db
        with db.write():  # (inside a request: its transaction, held until the count)
            count, first = db.conn.execute(
                "SELECT COUNT(*), MIN(time) FROM (SELECT time FROM hits WHERE name = ? AND "
                "time > ? ORDER BY time LIMIT ?)", (name, now - WINDOW, limit)).fetchone()
        if count >= limit:
            return max(1, math.ceil(float(first) + WINDOW - now))
        return None

    def count(self, name: str, now: float) -> None:
        self._db.later("hit", "INSERT INTO hits VALUES (?, ?)", (name, now))
        self._counts += 1
        if self._counts % 256 == 0:
            self._db.later("hit", "DELETE FROM hits WHERE time <= ?", (now - WINDOW,))

    def clear(self) -> None:
        self._db.run("DELETE FROM hits")


class SqliteDue:
    """Due times of one kind in a table; `pop_due` claims (DELETE ... RETURNING)."""

    def __init__(self, db: _Db, kind: str) -> None:
        self._db = db
        self.kind = kind
        self._pushes = 0

    def push(self, due: float, job_id: int, now: float, bound: int) -> None:
        self._db.later("due", "INSERT INTO due VALUES (?, ?, ?) ON CONFLICT (kind, job) DO "
                       "UPDATE SET due = excluded.due", (self.kind, job_id, due))
        self._pushes += 1
        if self._pushes % 64 == 0:
            self._db.later("due", "DELETE FROM due WHERE kind = ? AND job <= ?",
                           (self.kind, job_id - bound))

    def count(self, now: float) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM due WHERE kind = ? AND due > ?",
                                (self.kind, now))[0])

    def pop_due(self, now: float) -> list[int]:
        rows = self._db.run("DELETE FROM due WHERE kind = ? AND due <= ? RETURNING job",
                            (self.kind, now))
        return sorted(int(row[0]) for row in rows)

    def next(self) -> float | None:
        row = self._db.one("SELECT MIN(due) FROM due WHERE kind = ?", (self.kind,))
        return None if row[0] is None else float(row[0])

    def clear(self) -> None:
        self._db.run("DELETE FROM due WHERE kind = ?", (self.kind,))

    def __len__(self) -> int:
        """The running count (the `state` row's, shared at each commit: no query)."""
        db = self._db
        with db.lock:
            if db.writing or any(what == "due" for what, _, _ in db.deferred):
                # (due rows written and not yet committed: not shared yet)
                return int(db.one(f"SELECT {self.kind} FROM state")[0])
            return db.due_count(self.kind)


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
        self._db.bounds.append(self._keep)
        self.journal = SqliteJournal(self._db)
        self.limiter = SqliteLimiter(self._db)
        self.pending = SqliteDue(self._db, "pending")
        self.scheduled = SqliteDue(self._db, "webhook")
        self._inserts = 0
        #: The clock's time at the newest `put` (the age bound's "now").
        self._now = 0.0

    def new_id(self, now: float) -> int:
        return self._db.new_id()

    def last_id(self) -> int:
        return self._db.last_id()

    def put(self, job: Job, now: float) -> None:
        data = job.to_json().encode()
        db = self._db
        with db.lock:
            self._now = now
            row = [job.id, job.created, 0, len(data), data]
            if db.held is None and db._batch and not db._txn:
                # Held back to the end of the request: its `finish` marks it, no UPDATE.
                db.held = row
                return
            with db.batch():
                db.flush()
                db.held = row
                db.flush()

    def _keep(self, conn: sqlite3.Connection, job_bytes: int, journal_bytes: int, job: int,
              seq: int) -> None:
        """The byte bound on every insert, the count and age bounds every `SWEEP_EVERY`."""
        if not job:
            return
        if job_bytes > self.max_bytes:  # drop the oldest until the rest fit (the newest stays)
            over, last = job_bytes - self.max_bytes, None
            for old, size in conn.execute("SELECT id, size FROM jobs WHERE id < ? ORDER BY id",
                                          (job,)):
                over, last = over - size, old
                if over <= 0:
                    break
            if last is not None:
                conn.execute("DELETE FROM jobs WHERE id <= ?", (last,))
        self._inserts += 1
        if self._inserts % self.SWEEP_EVERY == 0:
            # Jobs are stored in id order, the order they were made in: the expired ones
            # are the lowest ids (a range on the primary key, never a scan).
            conn.execute("DELETE FROM jobs WHERE id <= ?", (job - self.max_jobs,))
            conn.execute(
                "DELETE FROM jobs WHERE id < COALESCE((SELECT id FROM jobs WHERE created > ? "
                "ORDER BY id LIMIT 1), ?)", (self._now - self.ttl, job))

    def get(self, job_id: int, now: float) -> Job | None:
        db = self._db
        with db.lock:
            # A job this process stored and has not written yet (its request, or one of
            # the same loop turn): read from memory, without writing the rest early.
            row = db.pending_job(job_id)
            if row is None:
                row = db.conn.execute("SELECT data, finished, created FROM jobs WHERE id = ?",
                                      (job_id,)).fetchone()
        if row is None or row[2] + self.ttl <= now:
            return None
        return Job.from_json(row[0], finished=bool(row[1]))

    def finish(self, job_id: int) -> bool:
        db = self._db
        with db.lock:
            held = db.held
            if held is not None and held[0] == job_id:  # stored in this request: ours
                if held[2]:
                    return False
                held[2] = 1
                return True
            return db.changed("UPDATE jobs SET finished = 1 WHERE id = ? AND finished = 0",
                              (job_id,)) == 1

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
            for table in ("jobs", "journal", "settings", "hits", "due"):
                db.conn.execute(f"DELETE FROM {table}")
            db.conn.execute("UPDATE state SET job_bytes = 0, journal_bytes = 0, pending = 0, "
                            "webhook = 0")
            db.bump()

    def __len__(self) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM jobs")[0])

    @property
    def bytes(self) -> int:
        """The kept jobs' stored size, in bytes (the running total `max_bytes` bounds)."""
        return int(self._db.one("SELECT job_bytes FROM state")[0])

    def close(self) -> None:
        self._db.close()

    def batch(self) -> AbstractContextManager[None]:
        return self._db.batch()

    @property
    def uncommitted(self) -> bool:
        """Requests left their writes to `commit()` (under `jobs.GROUP_COMMIT`)."""
        return self._db.uncommitted

    def commit(self) -> None:
        """Commit the writes requests left (one transaction); raises when they were lost."""
        self._db.commit(group=True)
