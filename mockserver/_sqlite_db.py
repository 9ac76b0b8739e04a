"""A SQLite store's connection and its transactions (see `mockserver.sqlite_store`): a
request's writes held back and written at its end, under the workers' lock, in one
transaction (or one group commit per event-loop turn); its jobs and journal entries, which
live in rings beside the database, written once that transaction is committed."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from mockserver._sqlite_mockfile import MockFile
from mockserver._sqlite_schema import create
from mockserver.jobs import GROUP_COMMIT


class Db:
    """One connection and one in-process lock for every part of the store.

    A request runs in `batch()`: its writes are held back (the job row in `held`, then in
    `rows`; the rest in `deferred`) and written at its end under the cross-process lock, so
    the lock is held for the writes only, never while the request is parsed or answered: its
    SQL in one transaction, and once that is committed its job rows and journal entries to
    their rings (a generation has no SQL: no transaction at all). An operation that must be
    atomic across workers (a claim, a rate-limit count, settings) opens that transaction
    early (`write()`), and the rest of the request joins it.
    """

    def __init__(self, path: str) -> None:
        #: Re-entrant: a batch holds it while the writes inside take it again.
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False,
                                    isolation_level=None, cached_statements=256)
        self.conn.execute("PRAGMA journal_mode=WAL")
        # No fsync, ever (NORMAL still synced at each checkpoint: a third of a commit's
        # cost). A process killed at any point loses nothing committed (the kernel keeps
        # what was written); only a machine that loses power may lose or corrupt the file,
        # and a mock's jobs are worth nothing after a reboot.
        self.conn.execute("PRAGMA synchronous=OFF")
        # (Some builds default it on: every deleted row zeroed, its pages written again.
        # Nothing stored here is secret: keys are redacted before they are written.)
        self.conn.execute("PRAGMA secure_delete=OFF")
        #: `{path}-mock`: the workers' write lock and shared counters.
        self.mock = MockFile(path)
        self._batch = 0
        self._batches = _Batch(self)
        self._txn = False
        #: Writes were left to a group commit; a commit that lost such writes failed so.
        self._grouped = False
        self._lost: BaseException | None = None
        #: The job row put in this request and not yet written (`finish` marks it):
        #: [id, created, finished, size, data, queued].
        self.held: list[Any] | None = None
        #: Job rows of earlier requests (and of `flush`), in order, not yet written.
        self.rows: list[list[Any]] = []
        #: The jobs' ring (`JobRing`), written by `commit` with `rows`.
        self.jobs: Any = None
        #: Other writes of this request, in order: (what, SQL, arguments).
        self.deferred: list[tuple[str, str, tuple[Any, ...]]] = []
        #: Some of `deferred` writes due times (their counts are not shared yet).
        self.due_held = False
        #: The journal's ring (`SqliteJournal`), written by `commit` once the transaction
        #: that `flush` wrote its entries' requests in is committed; the entries until then.
        self.ring: Any = None
        self._entries: list[bytes] = []
        with self.batch():
            self.begin()
            stamp, newest = create(self.conn)
            if self.mock.stamp() < stamp:  # a new `-mock` file beside an older database
                self.mock.set_stamp(stamp)
            self.mock.raise_id(newest)

    # -- transactions --------------------------------------------------------------------

    def batch(self) -> _Batch:
        """One request: its held-back writes are written, and committed, at its end; or,
        under `GROUP_COMMIT` and when it opened no transaction, left to `commit()`, which
        its adapter calls (once for a loop turn's requests) before it answers. Re-entrant
        (the outermost one ends it)."""
        return self._batches

    def _end(self) -> None:
        """The end of the outermost batch (its lock held)."""
        if self._txn or not GROUP_COMMIT.get():
            self.commit()
            return
        if self.held is not None:  # (the next request holds its own job)
            self.rows.append(self.held)
            self.held = None
        if self.rows or self.deferred or self._entries:
            self._grouped = True

    @property
    def uncommitted(self) -> bool:
        """Writes were left to `commit()` (see `batch`), or another thread's commit lost
        such writes (then `commit()` raises: the requests that wait get the server error)."""
        return self._grouped or self._lost is not None

    def commit(self, group: bool = False) -> None:
        """Write and commit everything held back. `group`: the adapter's commit of the
        requests it is about to answer; it raises when their writes were lost (a commit by
        another thread that failed), never answering them as if stored."""
        with self.lock:
            if group and self._lost is not None:
                lost, self._lost = self._lost, None
                raise lost
            # (Left set until they are committed, or lost: the thread of a request whose
            # writes this commit takes reads `uncommitted` without the lock, and must then
            # wait for its turn's commit, which raises if this one lost them.)
            grouped = self._grouped
            try:
                if self.held is None and not self.rows and not self.deferred and \
                        not self._entries and not self._txn:
                    return
                try:
                    if self._txn or any(what != "ring" for what, _, _ in self.deferred):
                        self.begin()
                        self.flush(counts=True)
                        self.conn.execute("COMMIT")
                        self._publish()  # (a rolled-back request's jobs and entries never show)
                    else:  # jobs and journal entries only (a generation, a fetch): no SQL
                        self.mock.lock()
                        try:
                            self.flush()
                            self._publish()
                        finally:
                            self.mock.unlock()
                except BaseException as exc:
                    self.held = None
                    self.rows, self.deferred, self.due_held, self._entries = [], [], False, []
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    if grouped and not group:
                        self._lost = exc
                    raise
                finally:
                    if self._txn:
                        self._txn = False
                        self.mock.unlock()
            finally:
                self._grouped = False

    def _publish(self) -> None:
        """Write the held-back job rows and journal entries to their rings (under the write
        lock, their SQL committed)."""
        rows, self.rows = self.rows, []
        if rows:
            self.jobs.write(rows)
        if self._entries:
            entries, self._entries = self._entries, []
            self.ring.write(entries)

    @contextlib.contextmanager
    def shared_lock(self) -> Iterator[None]:
        """The write lock shared (for reading what is written under it, e.g. the journal)."""
        with self.lock:
            if self._txn:  # ours, held exclusively
                yield
                return
            self.mock.lock_shared()
            try:
                yield
            finally:
                self.mock.unlock()

    @property
    def writing(self) -> bool:
        """A write transaction is open (this thread's, when it holds `lock`)."""
        return self._txn

    def begin(self) -> None:
        """Open the write transaction now (inside a batch; it commits at the batch's end)."""
        if not self._txn:
            self.mock.lock()
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                self.mock.unlock()
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
            if what == "due":
                self.due_held = True
            if self._batch and not self._txn:  # the common case: held back
                self.deferred.append((what, sql, args))
                return
            with self.batch():
                self.deferred.append((what, sql, args))
                self.flush()

    def flush(self, counts: bool = False) -> None:
        """Write what was held back: its SQL (in the write transaction, opened here if it
        is not yet); its job rows and journal entries to `rows` and `_entries`, which
        `commit` writes once that transaction is committed. With `counts` (the commit's),
        share the due counts as they will be committed."""
        held, deferred = self.held, self.deferred
        if held is not None:
            self.held = None
            self.rows.append(held)
        if deferred:
            self.deferred, self.due_held = [], False
            for what, sql, args in deferred:
                if what == "ring":  # (no part of the SQL: written once it is committed)
                    self._entries.append(args[0])
                else:
                    self.begin()
                    self.conn.execute(sql, args)
        if counts:
            pending, webhook = self.conn.execute(
                "SELECT pending, webhook FROM state").fetchone()
            # (Due rows change only in write transactions, which all end here: a reader
            # sees the count of the newest commit, as a read of the table would.)
            self.mock.set_due(pending, webhook)

    def due_count(self, kind: str) -> int:
        """Queued jobs of `kind` ("pending", "webhook"), from shared memory (no query)."""
        return self.mock.due_count(kind)

    # -- reads ---------------------------------------------------------------------------

    def visible(self) -> None:
        """Make what was held back visible to a read (written: committed by the request it
        belongs to, or now when outside one)."""
        with self.lock:
            if self.held is None and not self.rows and not self.deferred and \
                    not self._entries:
                return
            if self._batch:  # (this thread's request: its SQL joins its transaction; its
                self.flush()  # rows are read from memory until its end, `pending_job`)
            else:
                self.commit()

    def pending_job(self, job_id: int) -> list[Any] | None:
        """The row of a job held back (the newest), if `job_id` is one: the row itself, which
        `finish` may mark."""
        held = self.held
        if held is not None and held[0] == job_id:
            return held
        rows = self.rows
        for at in range(len(rows) - 1, -1, -1):  # (newest first; mypyc refuses reversed())
            if rows[at][0] == job_id:
                return rows[at]
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

    # -- shared memory (`MockFile`) --------------------------------------------------------

    def stamp(self) -> int:
        return self.mock.stamp()

    def bump(self) -> int:
        """A new settings stamp (inside `write()`): past both the database's and the shared
        one, and shared before the commit (a reader that sees it early re-reads until the
        commit lands: the engine compares it with the database's)."""
        db = int(self.conn.execute("SELECT settings FROM state").fetchone()[0])
        stamp = max(db, self.mock.stamp()) + 1
        self.mock.set_stamp(stamp)
        self.conn.execute("UPDATE state SET settings = ?", (stamp,))
        return stamp

    def last_id(self) -> int:
        return self.mock.last_id()

    def close(self) -> None:
        with self.lock:
            if self.mock.closed:
                return
            with contextlib.suppress(sqlite3.Error, OSError):  # (a full disk: the rings')
                self.commit()
            self.conn.close()
            self.mock.close()


class _Batch:
    """`Db.batch` (a class, not a generator: it is entered on every request)."""

    __slots__ = ("db",)

    def __init__(self, db: Db) -> None:
        self.db = db

    def __enter__(self) -> None:
        db = self.db
        db.lock.acquire()
        db._batch += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: Any) -> None:
        db = self.db
        try:
            db._batch -= 1
            if db._batch:  # nested: the outer one ends it
                return
            if kind is not None:  # what it wrote so far is committed (and what other
                db.commit()       # requests left with it); the failure goes on
                return
            db._end()
        finally:
            db.lock.release()
