"""The SQLite store: one host, several workers, restarts (see `mockserver.jobs.Store`).

WAL mode with `synchronous=NORMAL`: a commit is a write to the log, no fsync, so a committed
request survives kill -9 of its process (not a power cut). No request is answered before its
writes are committed, and the lock the workers share is held for the writes only:

- A request's writes are held back in memory (`_Db.batch`) and written at its end in one
  transaction: a generation is BEGIN, the job's INSERT (its "finished" mark folded in when
  the same request ends it), one read of the `state` row, COMMIT. Served (`jobs.GROUP_COMMIT`),
  the requests of one event-loop turn share that transaction and commit, and each is
  answered after it; an operation that must be atomic across workers (a claim, a rate-limit
  count, settings) opens the transaction early and the rest of the request joins it.
- Writers of every process take an advisory lock (`flock` on `{path}-mock`) before SQLite's:
  a waiting worker sleeps in the kernel and wakes when the lock is free, instead of in
  SQLite's busy handler (1, 2, 5 ... ms between retries).
- `{path}-mock` also maps, in shared memory, the id counter (under a POSIX lock on its bytes:
  ids never repeat, a reset included), the settings' stamp (`stamp()`, read on every request,
  is a memory read) and the due counts as of the newest commit.
- The journal is a ring in shared memory (`{path}-mock-journal`), written under the same lock
  with the rest of the request: no SQL and no database page per entry.
- One `state` row holds the running totals (the jobs' bytes, the due jobs of each kind), kept
  exact by triggers: no bound is checked with a scan. Jobs are bounded by count, bytes and
  age, kept on insert with range deletes on the primary key (flat as the store fills).
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

from contracts.redaction import SECRET_FIELDS, redact_body, redact_key, scrub
from mockserver.jobs import GROUP_COMMIT, SCOPES, STORE_BYTES, Job
from mockserver.journal import JOURNAL_BYTES, JOURNAL_SIZE, RESPONSE_CHARS, Delivery, Entry, Record
from mockserver.limits import JOURNAL_PREFER_CHARS
from mockserver.ratelimit import WINDOW
from mockserver.request import decode

#: The schema's version (`PRAGMA user_version`); older files are rebuilt.
VERSION = 6
_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    one INTEGER PRIMARY KEY CHECK (one = 0), job INTEGER NOT NULL, settings INTEGER NOT NULL,
    job_bytes INTEGER NOT NULL, pending INTEGER NOT NULL, webhook INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES (0, 0, 0, 0, 0, 0);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, finished INTEGER NOT NULL,
    size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS jobs_in AFTER INSERT ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes + NEW.size, job = MAX(job, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS jobs_up AFTER UPDATE OF size ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes + NEW.size - OLD.size; END;
CREATE TRIGGER IF NOT EXISTS jobs_out AFTER DELETE ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes - OLD.size; END;
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
CREATE TRIGGER IF NOT EXISTS due_kind AFTER UPDATE OF kind ON due BEGIN
    UPDATE state SET pending = pending - (OLD.kind = 'pending') + (NEW.kind = 'pending'),
        webhook = webhook - (OLD.kind = 'webhook') + (NEW.kind = 'webhook'); END;
"""
_TABLES = ("state", "counters", "jobs", "journal", "settings", "hits", "due")
_SHARED = struct.Struct("<q")


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
        #: The journal's ring (`SqliteJournal`), written by `flush`.
        self.ring: Any = None
        #: Run at the end of each write of held-back jobs, with (connection, the `state` row's
        #: job_bytes, the newest job id written).
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
            if self.held is None and not self._txn and \
                    all(what == "ring" for what, _, _ in self.deferred):
                # Only journal entries (a fetch's): no SQL, so no SQLite transaction.
                deferred, self.deferred = self.deferred, []
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                try:
                    for _, _, args in deferred:
                        self.ring.write(args[0])
                finally:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
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

    @contextlib.contextmanager
    def shared_lock(self) -> Iterator[None]:
        """The write lock shared (for reading what is written under it, e.g. the journal)."""
        with self.lock:
            if self._txn:  # ours, held exclusively
                yield
                return
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            try:
                yield
            finally:
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
        job = 0
        if held is not None:
            self.held = None
            conn.execute(_PUT, held)
            job = held[0]
        if deferred:
            self.deferred = []
            for what, sql, args in deferred:
                if what == "ring":
                    self.ring.write(args[0])
                    continue
                conn.execute(sql, args)
                if what == "job":
                    job = max(job, int(args[0]))
        job_bytes, pending, webhook = conn.execute(
            "SELECT job_bytes, pending, webhook FROM state").fetchone()
        if job:
            for keep in self.bounds:
                keep(conn, job_bytes, job)
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
        body: Any = entry.body
        response = entry.response
        if isinstance(body, bytes | bytearray | memoryview):  # the bytes as sent
            body = decode(bytes(body))
            if not isinstance(body, Mapping):
                body = None
        if body is not None:
            names = _secret_names(body)
            secrets = [str(v) for n in names if (v := body[n]) not in (None, "")]
            body = _redacted(body, names)
            if secrets and response is not None and (b"\\" in response or any(
                    secret.encode("utf-8", "replace") in response for secret in secrets)):
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


def _secret_names(body: Mapping[str, Any]) -> tuple[Any, ...]:
    """The body's fields named as secrets (`SECRET_FIELDS`, any case): remembered per set of
    field names, which clients repeat."""
    fields = tuple(body)
    names = _SECRET_NAMES.get(fields)
    if names is None:
        names = tuple(k for k in fields if str(k).lower() in SECRET_FIELDS)
        if len(_SECRET_NAMES) >= 256:
            _SECRET_NAMES.clear()
        _SECRET_NAMES[fields] = names
    return names


#: Field names of recent bodies -> those that are secrets (at most 256 sets).
_SECRET_NAMES: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _redacted(body: Mapping[str, Any], names: tuple[Any, ...]) -> dict[str, Any]:
    """`redact_body`, with a fast path for the usual flat body (no object or list inside)."""
    if any(type(v) is dict or type(v) is list for v in body.values()):
        return redact_body(body)
    out = dict(body)
    for name in names:
        out[name] = redact_key(out[name])
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
    """The journal in shared memory beside the database (`{path}-mock-journal`, a file every
    worker maps): a ring of `size` index slots and `max_bytes` of entries, oldest overwritten
    first. An entry is written under the workers' write lock with the request's other writes
    (no SQL, no page of the database), and read under it; the kernel keeps what a killed
    process wrote, and the file keeps it across restarts."""

    def __init__(self, db: _Db, path: str, size: int = JOURNAL_SIZE,
                 max_bytes: int = JOURNAL_BYTES) -> None:
        self._db = db
        self._fd = os.open(path + "-mock-journal", os.O_RDWR | os.O_CREAT, 0o600)
        with db.write():  # (no other worker makes or remakes it meanwhile)
            found = os.fstat(self._fd).st_size
            if found >= _RING_HEAD:  # made before (by a worker that may be running): as is
                with open(path + "-mock-journal", "rb") as made:
                    slots, data = _RING.unpack(made.read(_RING_HEAD)[16:32])
                if slots > 0 and data > 0 and found == _RING_HEAD + slots * _SLOT.size + data:
                    size, max_bytes = slots, data
                else:
                    found = 0
            total = _RING_HEAD + size * _SLOT.size + max_bytes
            if found != total:  # new (or not a ring): made
                os.ftruncate(self._fd, 0)
                os.ftruncate(self._fd, total)
                with contextlib.suppress(OSError):  # blocks now, not at each first write
                    os.posix_fallocate(self._fd, 0, total)
            self.size, self.max_bytes = size, max_bytes
            self._map = mmap.mmap(self._fd, total)
            self._data = _RING_HEAD + size * _SLOT.size
            if found != total:
                self._reset()
                _RING.pack_into(self._map, 16, size, max_bytes)
        db.ring = self

    # -- writing (under the write lock: `_Db.flush`) --------------------------------------

    def add(self, entry: Entry) -> None:
        self._db.later("ring", "", (_record(entry, self.max_bytes // 4), entry.job))

    def write(self, record: bytes) -> None:
        """Append one encoded entry (inside the write lock)."""
        ring = self._map
        seq, head = _RING.unpack_from(ring, 0)
        if seq == 0:  # (a file of zeros)
            seq = 1
        length, data = len(record), self.max_bytes
        at = head % data
        first = min(length, data - at)
        ring[self._data + at:self._data + at + first] = record[:first]
        if first < length:  # wrapped
            ring[self._data:self._data + length - first] = record[first:]
        _SLOT.pack_into(ring, _RING_HEAD + (seq % self.size) * _SLOT.size, seq, head, length)
        _RING.pack_into(ring, 0, seq + 1, head + length)  # published last

    def _reset(self) -> None:
        _RING.pack_into(self._map, 0, 1, 0)

    # -- reading --------------------------------------------------------------------------

    def _slots(self, after: int = 0) -> Iterator[tuple[int, int, int]]:
        """(seq, offset, length) of the entries still kept, oldest first, past `after`
        (inside `shared_lock`)."""
        ring = self._map
        following, head = _RING.unpack_from(ring, 0)
        for seq in range(max(1, following - self.size, after + 1), following):
            stamp, offset, length = _SLOT.unpack_from(
                ring, _RING_HEAD + (seq % self.size) * _SLOT.size)
            if stamp == seq and offset + length <= head and offset >= head - self.max_bytes:
                yield seq, offset, length  # (else overwritten, or never written whole)

    def _records(self, after: int = 0, limit: int | None = None) -> list[tuple[int, bytes]]:
        """(seq, record) of the entries still kept, oldest first, past `after`."""
        self._db.visible()  # (what this process holds back: written first)
        with self._db.shared_lock():
            ring, out = self._map, []
            for seq, offset, length in self._slots(after):
                at = offset % self.max_bytes
                first = min(length, self.max_bytes - at)
                record = ring[self._data + at:self._data + at + first]
                if first < length:  # wrapped
                    record += ring[self._data:self._data + length - first]
                out.append((seq, record))
                if limit is not None and len(out) >= limit:
                    break
            return out

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        out = []
        for seq, record in self._records(after):
            shown = _shown(seq, record, kind, scope)
            if shown is not None:
                out.append(shown)
        return out

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """The first `limit` entries after number `seq`, oldest first (the dashboard's poll)."""
        return [shown for n, record in self._records(seq, max(0, limit))
                if (shown := _shown(n, record, None, None)) is not None]

    def jobs(self) -> list[int]:
        """The job ids the entries name, oldest first, once each (nothing decoded)."""
        ids = (_HEAD.unpack_from(record, 0)[5] for _, record in self._records())
        return [job for job in dict.fromkeys(ids) if job >= 0]

    @property
    def bytes(self) -> int:
        """What the kept entries hold, in bytes (at most `max_bytes`)."""
        self._db.visible()
        with self._db.shared_lock():
            return sum(length for _, _, length in self._slots())

    def last_seq(self) -> int:
        self._db.visible()
        with self._db.shared_lock():
            return max(0, int(_RING.unpack_from(self._map, 0)[0]) - 1)

    def clear(self) -> None:
        db = self._db
        with db.write():
            self._reset()

    def __len__(self) -> int:
        self._db.visible()
        with self._db.shared_lock():
            return sum(1 for _ in self._slots())

    def close(self) -> None:
        if not self._map.closed:
            self._map.close()
            os.close(self._fd)


#: The ring's head: the next entry's seq and the bytes ever written (the write offset); then
#: its geometry (slots, data bytes), fixed when the file is made.
_RING = struct.Struct("<qq")
_RING_HEAD = 64
#: An index slot: the seq it holds, where its record starts (bytes ever written) and length.
_SLOT = struct.Struct("<qqq")
#: A record's head: kind (0 request, 1 webhook), response cut (0/1), scope, data and response
#: lengths, the job (-1 none), the whole response's length in characters (when cut).
_HEAD = struct.Struct("<BBHIIqq")


def _record(entry: Entry, most: int) -> bytes:
    """One entry as the ring stores it (`_encode`'s fields, redacted). A response longer
    than the journal shows is kept cut, with its length (what `Record.to_json` shows)."""
    data, response = _encode(entry)
    scope = entry.scope.encode()
    cut, chars = 0, 0
    if response is not None and len(response) > 4 * RESPONSE_CHARS:
        text = response.decode("utf-8", "replace")
        cut, chars = 1, len(text)
        response = text[:RESPONSE_CHARS].encode()
    size = _HEAD.size + len(scope) + len(data) + (len(response) if response else 0)
    if size > most:  # (a body is at most JOURNAL_BODY_BYTES: only a huge one gets here)
        data = orjson.dumps(["(too large to keep)"])
    job = entry.job if entry.job is not None else -1
    return b"".join((_HEAD.pack(1 if entry.kind == "webhook" else 0, cut, len(scope),
                                len(data), 0xFFFFFFFF if response is None else len(response),
                                job, chars), scope, data, response or b""))


def _shown(seq: int, record: bytes, kind: str | None, scope: str | None
           ) -> dict[str, Any] | None:
    """A record as the journal shows it, if it is of `kind` and `scope` (None: any)."""
    webhook, cut, scope_len, data_len, response_len, _, chars = _HEAD.unpack_from(record, 0)
    if kind is not None and kind != ("webhook" if webhook else "request"):
        return None
    at = _HEAD.size
    own = record[at:at + scope_len].decode()
    if scope is not None and own != scope:
        return None
    at += scope_len
    data = record[at:at + data_len]
    at += data_len
    response = None if response_len == 0xFFFFFFFF else record[at:at + response_len]
    if data == b'["(too large to keep)"]':
        return {"kind": "webhook" if webhook else "request", "seq": seq,
                "note": "entry too large to keep"}
    if cut and response is not None:
        shown = _decode("request", own, seq, data, None)
        text = response.decode("utf-8", "replace")
        shown["response"] = text + f"... ({chars} characters)"
        return shown
    return _decode("webhook" if webhook else "request", own, seq, data, response)


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

    def reserve(self, name: str, limit: int, now: float) -> int | None:
        """`wait` and, when it says go, `count`, in one write transaction under the workers'
        lock (inside a request: its transaction, committed before it is answered)."""
        with self._db.write():
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

    def claim(self, now: float, until: float) -> list[tuple[int, bool]]:
        db = self._db
        with db.write():  # (both updates in one write transaction, under the workers' lock)
            again = db.conn.execute("UPDATE due SET due = ? WHERE kind = ? AND due <= ? "
                                    "RETURNING job", (until, self.leased, now)).fetchall()
            first = db.conn.execute("UPDATE OR REPLACE due SET kind = ?, due = ? WHERE kind = ? "
                                    "AND due <= ? RETURNING job",
                                    (self.leased, until, self.kind, now)).fetchall()
        return sorted([(int(row[0]), False) for row in first] +
                      [(int(row[0]), True) for row in again])

    def hold(self, job_id: int, until: float) -> None:
        db = self._db
        with db.write():
            db.conn.execute("DELETE FROM due WHERE kind = ? AND job = ?", (self.kind, job_id))
            db.conn.execute("INSERT OR REPLACE INTO due VALUES (?, ?, ?)",
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
    #: The age bound is applied every this many writes (a range delete on the primary key:
    #: cheap, not free); the count and byte bounds on every write.
    SWEEP_EVERY = 64

    def __init__(self, path: str | Path, max_jobs: int = 10_000, ttl: float = 3600.0,
                 max_bytes: int = STORE_BYTES, journal_bytes: int = JOURNAL_BYTES) -> None:
        self.path = str(path)
        self.max_jobs = max_jobs
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._db = _Db(self.path)
        self._db.bounds.append(self._keep)
        self.journal = SqliteJournal(self._db, self.path, max_bytes=journal_bytes)
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

    def _keep(self, conn: sqlite3.Connection, job_bytes: int, job: int) -> None:
        """The byte and count bounds on every write of jobs, the age bound every
        `SWEEP_EVERY`."""
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
        # The count bound: ids are dense and in the order jobs were made (a seek on the
        # primary key; nothing to delete costs next to nothing).
        conn.execute("DELETE FROM jobs WHERE id <= ?", (job - self.max_jobs,))
        self._inserts += 1
        if self._inserts % self.SWEEP_EVERY == 0:
            # The age bound: the expired jobs are the lowest ids (a range, never a scan).
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
            self.journal.clear()
            for table in ("jobs", "settings", "hits", "due"):
                db.conn.execute(f"DELETE FROM {table}")
            db.conn.execute("UPDATE state SET job_bytes = 0, pending = 0, webhook = 0")
            db.bump()

    def __len__(self) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM jobs")[0])

    @property
    def bytes(self) -> int:
        """The kept jobs' stored size, in bytes (the running total `max_bytes` bounds)."""
        return int(self._db.one("SELECT job_bytes FROM state")[0])

    def close(self) -> None:
        self._db.close()
        self.journal.close()

    def batch(self) -> AbstractContextManager[None]:
        return self._db.batch()

    @property
    def uncommitted(self) -> bool:
        """Requests left their writes to `commit()` (under `jobs.GROUP_COMMIT`)."""
        return self._db.uncommitted

    def commit(self) -> None:
        """Commit the writes requests left (one transaction); raises when they were lost."""
        self._db.commit(group=True)
