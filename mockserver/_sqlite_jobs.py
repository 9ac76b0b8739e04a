"""A SQLite store's jobs: a ring in a file every worker maps, beside the database
(`{path}-mock-jobs`; see `mockserver.sqlite_store`).

A job row in a SQLite table cost a B-tree insert, an index, a trigger, WAL frames and a
checkpoint's copy per generation, and with two workers each commit dropped the other's page
cache: the store's whole cost over memory's. Jobs need no query: they are found by id and
dropped oldest first, which a ring does with two copies and no SQL.

The file: a head (the bytes ever written, the newest id, the floor below which a clear dropped
everything, the jobs ever written, the geometry); `slots` records, the n-th job written in
record n modulo `slots` (the count bound: the newest `slots` jobs; one written again keeps
its record); an index from ids to records; and `data` bytes of rows, oldest overwritten
first (the byte bound). A row never wraps: one that does not fit before the end starts at
the beginning. Rows are written with `pwrite` (a full disk is an error, not a SIGBUS); head,
records and index, which are allocated when the file is made, in place. Everything is
written under the workers' write lock; read under it shared, or without it where the machine
allows a seqlock (`read_unlocked`).
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import platform
import struct
from typing import Any

from mockserver.jobs import StoreFull

#: The head, in 8-byte words: bytes ever written, newest id, floor, jobs ever written; the
#: geometry (slots, data bytes, format); the seqlock's version.
_HEADWORDS = 8
_HEADBYTES = 8 * _HEADWORDS
_AT, _NEWEST, _FLOOR, _WRITTEN, _SLOTS, _DATA, _FORM, _VERSION = range(8)
_FORMAT = 0x334A4C4D  # "MLJ3"
#: Then per record (the n-th job written is record n modulo `slots`: the count bound keeps
#: the newest `slots` writes), in arrays of 8-byte words: its id, where its row starts (bytes
#: ever written), its length * 2 + finished, its creation time (a double).
_RECORD_WORDS = 4
#: Then the index: per entry, 1 + the number of the write that holds its job (0: empty). A
#: job's entry is the first that names it of `PROBES` from its id's hash (`home`), 4 entries
#: per record: a quarter full at most, so 16 kept jobs in a row (where the oldest goes early)
#: is rare whatever the ids (they skip: see `_sqlite_mockfile`): 200,000 jobs whose ids
#: skipped up to 128, 2 early drops in 1,000,000 checks of the newest 4,096.
_SPREAD = 4
PROBES = 16
#: A read may skip the lock (`read_unlocked`) where stores and loads are seen in program
#: order (x86's total store order): a seqlock, `_VERSION` odd while a writer changes anything.
#: Elsewhere every read takes the lock shared.
UNLOCKED_READS = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # (Fibonacci hashing: ids in any steps spread evenly)


def home(job_id: int, entries: int) -> int:
    """The index entry a job's probes start at."""
    return (((job_id * _GOLDEN) & _MASK) * entries) >> 64  # (its high bits: the low ones
    # of a product keep the low ones of the id)


class JobRing:
    """The jobs of a SQLite store (see the module). `slots` and `data` are the count and
    byte bounds; a file another running process made is taken as made (its bounds win: it
    cannot be remade under that process's map), one nobody has open is remade to these."""

    def __init__(self, path: str, slots: int, data: int) -> None:
        self.path = path + "-mock-jobs"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self._open(slots, data)
        except BaseException:
            os.close(self._fd)
            raise

    def _open(self, slots: int, data: int) -> None:
        """(Under the workers' write lock: no other process opens or remakes it meanwhile.)
        Each process holds the file's flock shared while it has it mapped; one that gets it
        exclusively is alone, and may remake it."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            alone = False
        found = _geometry(self._fd)
        if found is not None and (not alone or found == (slots, data)):
            slots, data = found
        elif alone:
            _make(self._fd, slots, data)
        else:
            raise OSError(f"{self.path} is in use by another process and is not a jobs "
                          "file (remove it once that process has stopped)")
        if alone:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        self.slots, self.data = slots, data
        #: The newest writes kept (`slots` at most: a lower `max_jobs` set while running).
        self.keep = slots
        #: A `keep` set while running: it takes effect at this process's next write (as the
        #: table's and the memory store's bounds did at the next insert), so a lower one
        #: drops nothing while the engine refuses new work, queued jobs included.
        self.wanted = slots
        self._entries = _SPREAD * slots
        self._base = _data_at(slots)
        self._map = mmap.mmap(self._fd, self._base + data)
        words = memoryview(self._map)[:_HEADBYTES + slots * (_RECORD_WORDS + _SPREAD) * 8]
        self._words = words
        self._head = words[:_HEADBYTES].cast("q")
        at = _HEADBYTES
        self._ids = words[at:at + 8 * slots].cast("q")
        self._offsets = words[at + 8 * slots:at + 16 * slots].cast("q")
        self._sizes = words[at + 16 * slots:at + 24 * slots].cast("q")
        self._created = words[at + 24 * slots:at + 32 * slots].cast("d")
        self._index = words[at + 32 * slots:at + (32 + 8 * _SPREAD) * slots].cast("q")

    # -- writing (under the write lock) --------------------------------------------------

    def fits(self, length: int) -> None:
        """`StoreFull` for a row longer than the whole ring (it could never be kept)."""
        if length > self.data:
            raise StoreFull(f"a job of {length} bytes is larger than the store's "
                            f"{self.data} bytes")

    def write(self, rows: list[list[Any]]) -> None:
        """Rows ([id, created, finished, size, data]) in order: the head moved past the
        bytes they overwrite first (a process killed while it copies leaves no record that
        reads garbled), their bytes in one `pwrite` per run, their records and index entries
        last. A row of a job kept already updates its record (its place among the newest
        `keep` and its finished mark stay, as an upsert keeps the row and the column)."""
        self._changing()
        try:
            self._write(rows)
        finally:
            self._changed()

    def _changing(self) -> None:
        """A change begins: readers without the lock see `_VERSION` odd, or changed."""
        self._head[_VERSION] |= 1  # (odd already when a writer was killed mid-change)

    def _changed(self) -> None:
        self._head[_VERSION] += 1

    def _write(self, rows: list[list[Any]]) -> None:
        self.keep = self.wanted
        head, data, slots = self._head, self.data, self.slots
        at = head[_AT]
        placed: list[int] = []
        for row in rows:
            start = at % data
            if start + len(row[4]) > data:  # (never wraps: from the beginning)
                at += data - start
            placed.append(at)
            at += len(row[4])
        head[_AT] = at  # (first: see above)
        run_at, run = -1, bytearray()
        for row, where in zip(rows, placed, strict=True):
            if run_at >= 0 and (where != run_at + len(run) or where % data == 0):
                # (a gap, or the ring's start: a run never crosses its end)
                _pwrite(self._fd, run, self._base + run_at % data)
                run_at, run = -1, bytearray()
            if run_at < 0:
                run_at = where
            run += row[4]
        if run_at >= 0:
            _pwrite(self._fd, run, self._base + run_at % data)
        ids, sizes, index, entries = self._ids, self._sizes, self._index, self._entries
        written, newest = head[_WRITTEN], head[_NEWEST]
        for row, where in zip(rows, placed, strict=True):
            job_id = int(row[0])
            # One walk of its probes: its entry (an update), else the first free one (empty
            # or no longer kept), else the oldest kept job's (which goes early).
            start, entry, update = home(job_id, entries), -1, -1
            oldest, oldest_number = -1, written
            for probe in range(PROBES):
                at_entry = (start + probe) % entries
                value = index[at_entry]
                if value == 0:
                    if entry < 0:
                        entry = at_entry
                    break
                number = value - 1
                if not self._live(number, written):
                    if entry < 0:
                        entry = at_entry
                elif ids[number % slots] == job_id:  # (its older write)
                    update = number
                    break
                elif number < oldest_number:
                    oldest, oldest_number = at_entry, number
            if update >= 0:  # (in its older write's record: its place among the newest
                record = update % slots  # `keep` stays, as an upsert's)
                done = sizes[record] & 1
            else:
                if entry < 0:  # (the oldest goes: no longer counted either)
                    entry = oldest
                    ids[(index[entry] - 1) % slots] = 0
                number, written = written, written + 1
                record, done = number % slots, 0
                index[entry] = number + 1
            ids[record] = 0  # (meanwhile: a process killed here leaves no record garbled)
            self._offsets[record] = where
            sizes[record] = len(row[4]) * 2 + (1 if row[2] or done else 0)
            self._created[record] = float(row[1])
            ids[record] = job_id
            newest = max(newest, job_id)
        head[_WRITTEN], head[_NEWEST] = written, newest

    def finish(self, job_id: int) -> bool:
        """Mark a kept job finished: False when it is not kept or was already."""
        record = self._find(job_id)
        if record < 0 or self._sizes[record] & 1:
            return False
        self._changing()
        self._sizes[record] |= 1
        self._changed()
        return True

    def clear(self) -> None:
        """Drop every job (the floor moves up to the head; ids stay as they are)."""
        self._changing()
        self._head[_FLOOR] = self._head[_AT]
        self._changed()

    # -- reading (under the write lock, shared) ------------------------------------------

    def read(self, job_id: int) -> tuple[bytes, int, float] | None:
        """(row data, finished, created) of a kept job."""
        record = self._find(job_id)
        if record < 0:
            return None
        start, size = self._base + self._offsets[record] % self.data, self._sizes[record]
        return self._map[start:start + (size >> 1)], size & 1, self._created[record]

    def read_unlocked(self, job_id: int) -> tuple[bool, tuple[bytes, int, float] | None]:
        """`read` without the lock (where `UNLOCKED_READS`): (True, what it read) when no
        writer changed anything meanwhile, else (False, None): then read under the lock. A
        fetch took the lock shared, and with two workers waited for the other's commits."""
        version = self._head[_VERSION]
        if version & 1:
            return False, None
        found = self.read(job_id)
        if self._head[_VERSION] != version:
            return False, None
        return True, found

    def _find(self, job_id: int) -> int:
        """The record of a kept job, or -1."""
        index, entries, written = self._index, self._entries, self._head[_WRITTEN]
        start = home(job_id, entries)
        for probe in range(PROBES):
            value = index[(start + probe) % entries]
            if value == 0:
                return -1
            number = value - 1
            if self._live(number, written) and self._ids[number % self.slots] == job_id:
                return int(number % self.slots)
        return -1

    def _live(self, number: int, written: int) -> bool:
        """Write `number` is still kept: among the newest `keep`, its row past the floor
        and not overwritten."""
        if number < written - self.keep or number >= written:
            return False
        record = number % self.slots
        offset, head = self._offsets[record], self._head[_AT]
        return bool(offset >= self._head[_FLOOR] and offset >= head - self.data and
                    offset + (self._sizes[record] >> 1) <= head)

    def snapshot(self) -> tuple[int, int, int, bytes, bytes, bytes]:
        """What `kept` counts, copied (a memory copy under the lock; the count after it):
        (head, floor, jobs ever written, ids, offsets, sizes)."""
        head = self._head
        return (head[_AT], head[_FLOOR], head[_WRITTEN], self._ids.tobytes(),
                self._offsets.tobytes(), self._sizes.tobytes())

    def kept(self, snapshot: tuple[int, int, int, bytes, bytes, bytes] | None = None
             ) -> tuple[int, int]:
        """(jobs, bytes) kept (a record being written has id 0), from a
        `snapshot` (now when None)."""
        at, floor, written, raw_ids, raw_offsets, raw_sizes = snapshot or self.snapshot()
        ids = memoryview(raw_ids).cast("q").tolist()
        offsets = memoryview(raw_offsets).cast("q").tolist()
        sizes = memoryview(raw_sizes).cast("q").tolist()
        low, slots = max(floor, at - self.data), self.slots
        jobs = size = 0
        for number in range(max(0, written - self.keep), written):
            record = number % slots
            offset, length = offsets[record], sizes[record] >> 1
            if ids[record] and offset >= low and offset + length <= at:
                jobs, size = jobs + 1, size + length
        return jobs, size

    def newest(self) -> int:
        """The newest job id ever written to the file (a new `-mock` counter starts there)."""
        value: int = self._head[_NEWEST]
        return value

    def close(self) -> None:
        if not self._map.closed:
            for view in (self._head, self._ids, self._offsets, self._sizes, self._created,
                         self._index, self._words):
                view.release()  # (the map cannot close while they look at it)
            self._map.close()
            os.close(self._fd)  # (its flock goes with it)


def allocate(fd: int, length: int) -> None:
    """The file's first `length` bytes on disk now: a page of a map written into a hole is a
    SIGBUS when the disk is full, never an error. `posix_fallocate`, or (a file system or an
    OS without it: macOS has none) zeros written out; a full disk raises here."""
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        try:
            fallocate(fd, 0, length)
            return
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise
    for at in range(0, length, 1 << 20):  # (a MiB at a time)
        _pwrite(fd, bytearray(min(1 << 20, length - at)), at)


def _pwrite(fd: int, data: bytearray, at: int) -> None:
    """All of `data` at `at`: a disk that fills writes what fits and says so (the rest is
    written, or its error raised; never a record for bytes that were not written)."""
    done = os.pwrite(fd, data, at)
    while done < len(data):
        wrote = os.pwrite(fd, data[done:], at + done)
        if wrote <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        done += wrote


def _data_at(slots: int) -> int:
    """Where rows start: past the head, records and index, on a page boundary."""
    end = _HEADBYTES + slots * (_RECORD_WORDS + _SPREAD) * 8
    return -(-end // mmap.PAGESIZE) * mmap.PAGESIZE


def _geometry(fd: int) -> tuple[int, int] | None:
    """(slots, data) of a jobs file, or None when it is not one (new, cut, another format)."""
    size = os.fstat(fd).st_size
    if size < _HEADBYTES:
        return None
    words = struct.unpack(f"{_HEADWORDS}q", os.pread(fd, _HEADBYTES, 0))
    slots, data = words[_SLOTS], words[_DATA]
    if words[_FORM] != _FORMAT or slots <= 0 or data <= 0 or size != _data_at(slots) + data:
        return None
    return int(slots), int(data)


def _make(fd: int, slots: int, data: int) -> None:
    """A new, empty jobs file: head, records and index allocated (written in place), rows
    sparse."""
    os.ftruncate(fd, 0)
    os.ftruncate(fd, _data_at(slots) + data)
    allocate(fd, _data_at(slots))
    words = [0] * _HEADWORDS
    words[_SLOTS], words[_DATA], words[_FORM] = slots, data, _FORMAT
    os.pwrite(fd, struct.pack(f"{_HEADWORDS}q", *words), 0)
