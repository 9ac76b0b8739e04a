"""`{path}-mock`, beside a SQLite store's database (see `mockserver.sqlite_store`): the
workers' advisory write lock (`flock`), and in shared memory the settings stamp (bytes 0-7),
the id counter (8-15, under a record lock on those bytes) and the due counts as of the newest
commit (16-23 pending, 24-31 webhook).

Ids are taken from the counter a block at a time (`new_id`): a lock per id (two `lockf`
calls, a tenth of a served generation's cost) bought nothing, since ids need only be unique
and about in the order jobs were made. About: a block is used only while the counter is less
than `ID_WINDOW` past it, so an id is never more than that behind the newest taken; and it is
given up when the settings stamp changes (`forget_ids`: a namespace reset forgets the ids taken
before it, `last_id`), so no job made after a reset gets an id from before it."""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import threading
from collections.abc import Iterator

_SHARED = struct.Struct("<q")
_SHARED_BYTES = 32
#: Ids a process takes from the shared counter at once (the most a worker that exits, or sees
#: a reset, leaves unused), and how far past an id the counter may be when it is given.
ID_BLOCK = 64
ID_WINDOW = 8 * ID_BLOCK
#: The fewest jobs a store must keep for its ids to come in blocks: the count bound drops the
#: lowest ids, and a worker's newest may be up to `ID_WINDOW` below another's.
BLOCK_JOBS = 8 * ID_WINDOW
#: Per database file: the threads of this process that take an id (see `MockFile.id_lock`).
_ID_LOCKS: dict[str, threading.Lock] = {}
#: The counter's lock is an open file description's where there are such (Linux): a POSIX
#: lock is the process's, dropped when any descriptor of the file closes (another store's
#: on the same file, in this process), and another process could then take the same ids.
_OFD_LOCK: int | None = getattr(fcntl, "F_OFD_SETLKW", None)
#: `struct flock` for it: type, whence, start, length, pid (0).
_FLOCK = struct.Struct("hhqqi")


class MockFile:
    """The `-mock` file of the database at `path`, mapped."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path + "-mock", os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _SHARED_BYTES:
            os.ftruncate(self._fd, _SHARED_BYTES)
        self.shared = mmap.mmap(self._fd, _SHARED_BYTES)
        #: Processes hold POSIX locks, not threads: other stores on the file in this process.
        self._ids = _ID_LOCKS.setdefault(os.path.realpath(path), threading.Lock())
        #: This file's block of ids: the next one to give, and the first past the block.
        self._next = self._end = 0

    # -- the write lock (flock) -----------------------------------------------------------

    def lock(self) -> None:
        """Take the write lock (exclusive), waiting in the kernel."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def lock_shared(self) -> None:
        """Take the write lock shared (to read what is written under it)."""
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def unlock(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    # -- shared memory --------------------------------------------------------------------

    def stamp(self) -> int:
        value: int = _SHARED.unpack_from(self.shared, 0)[0]
        return value

    def set_stamp(self, stamp: int) -> None:
        _SHARED.pack_into(self.shared, 0, stamp)

    @contextlib.contextmanager
    def _counter(self) -> Iterator[None]:
        """The counter's record lock, between processes (the caller holds `_ids`, between
        this process's threads)."""
        if _OFD_LOCK is None:
            fcntl.lockf(self._fd, fcntl.LOCK_EX, 8, 8)
        else:
            fcntl.fcntl(self._fd, _OFD_LOCK, _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, 8, 8, 0))
        try:
            yield
        finally:
            if _OFD_LOCK is None:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 8, 8)
            else:
                fcntl.fcntl(self._fd, _OFD_LOCK,
                            _FLOCK.pack(fcntl.F_UNLCK, os.SEEK_SET, 8, 8, 0))

    @contextlib.contextmanager
    def id_lock(self) -> Iterator[None]:
        with self._ids, self._counter():
            yield

    def raise_id(self, newest: int) -> None:
        """The id counter at least `newest` (the database's newest job)."""
        with self.id_lock():
            if _SHARED.unpack_from(self.shared, 8)[0] < newest:
                _SHARED.pack_into(self.shared, 8, newest)

    def new_id(self, block: int = 1) -> int:
        """The next id of this file's block, or of a new one of `block` ids from the shared
        counter when it is used up or the counter is `ID_WINDOW` past it (the counter is kept
        by the kernel: a process killed after taking a block loses nothing, and no id is ever
        given twice). A `block` of 1 never takes the rest of a bigger one (taken before its
        caller lowered the size: ids out of order are then no longer safe)."""
        with self._ids:
            value = self._next
            if value >= self._end or block == 1 or \
                    _SHARED.unpack_from(self.shared, 8)[0] - value >= ID_WINDOW:
                with self._counter():  # (once a block: a generator's cost is nothing here)
                    value = _SHARED.unpack_from(self.shared, 8)[0] + 1
                    _SHARED.pack_into(self.shared, 8, value + block - 1)
                self._end = value + block
            self._next = value + 1
        return value

    def forget_ids(self) -> None:
        """Give up the rest of the block: the next id comes after every id taken so far."""
        with self._ids:
            self._next = self._end = 0

    def last_id(self) -> int:
        """The newest id taken from the counter (by any process: some may be unused yet)."""
        value: int = _SHARED.unpack_from(self.shared, 8)[0]
        return value

    def set_due(self, pending: int, webhook: int) -> None:
        _SHARED.pack_into(self.shared, 16, pending)
        _SHARED.pack_into(self.shared, 24, webhook)

    def due_count(self, kind: str) -> int:
        """Queued jobs of `kind` ("pending", "webhook"), as of the newest commit."""
        value: int = _SHARED.unpack_from(self.shared, 16 if kind == "pending" else 24)[0]
        return value

    @property
    def closed(self) -> bool:
        return self.shared.closed

    def close(self) -> None:
        """(Under `_ids`: where the counter's lock is a POSIX one, this process holds it only
        while another store of the file holds `_ids`, and a close would drop it.)"""
        with self._ids:
            if not self.shared.closed:
                self.shared.close()
                os.close(self._fd)
