"""A SQLite store's jobs: a ring in a file every worker maps, beside the database
(`{path}-mock-jobs`; see `mockserver.sqlite_store`).

A job row in a SQLite table cost a B-tree insert, an index, a trigger, WAL frames and a
checkpoint's copy per generation, and with two workers each commit dropped the other's page
cache: the store's whole cost over memory's. Jobs need no query: they are found by id and
dropped oldest first, which a ring does with two copies and no SQL.

The file: a head (the bytes ever written, the newest id, the floor below which a clear dropped
everything, the jobs ever written, the geometry); `slots` records, the n-th job written in
record n modulo `slots` (the count bound: the newest `slots` writes); an index from ids to
records; and `data` bytes of rows, oldest overwritten first (the byte bound). A row never
wraps: one that does not fit before the end starts at the beginning. Rows are written with
`pwrite` (a full disk is an error, not a SIGBUS); head, records and index, which are allocated
when the file is made, in place. Everything is read and written under the workers' write lock
(shared to read).
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
from typing import Any

from mockserver.jobs import StoreFull

#: The head: bytes ever written, newest id, floor, jobs ever written; then the geometry.
_HEAD = struct.Struct("<qqqq")
_GEOMETRY = struct.Struct("<qqq")  # (slots, data bytes, format)
_HEADBYTES = 64
_FORMAT = 0x324A4C4D  # "MLJ2"
#: A job's record: its id, where its row starts (bytes ever written), length, finished,
#: created. The n-th job written is in record n modulo `slots`: the newest `slots` are kept.
_RECORD = struct.Struct("<qqIId")
#: An index entry: 1 + the number of the write that holds its job (0: empty). A job's entry
#: is the first that names it of `PROBES` from its id's hash (`home`), 4 entries per record:
#: a quarter full at most, so 16 kept jobs in a row (where the oldest would go early) is a
#: chance of about 1 in 100,000 per job, whatever the ids (they skip: see `_sqlite_mockfile`).
_ENTRY = struct.Struct("<q")
_SPREAD = 4
PROBES = 16
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
        self._entries = _SPREAD * slots
        self._index = _HEADBYTES + slots * _RECORD.size
        self._base = _data_at(slots)
        self._map = mmap.mmap(self._fd, self._base + data)

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
        last. A row keeps the finished mark its job already has (an update, as an upsert
        keeps the column)."""
        ring, data, base = self._map, self.data, self._base
        head, newest, floor, written = _HEAD.unpack_from(ring, 0)
        placed: list[int] = []
        at = head
        for row in rows:
            start = at % data
            if start + len(row[4]) > data:  # (never wraps: from the beginning)
                at += data - start
            placed.append(at)
            at += len(row[4])
        _HEAD.pack_into(ring, 0, at, newest, floor, written)  # (first: see above)
        run_at, run = -1, bytearray()
        for row, where in zip(rows, placed, strict=True):
            if run_at >= 0 and where != run_at + len(run):
                os.pwrite(self._fd, run, base + run_at % data)
                run_at, run = -1, bytearray()
            if run_at < 0:
                run_at = where
            run += row[4]
        if run_at >= 0:
            os.pwrite(self._fd, run, base + run_at % data)
        for row, where in zip(rows, placed, strict=True):
            job_id = int(row[0])
            was = self._find(job_id, at, floor, written)
            done = 1 if row[2] or (was >= 0 and _RECORD.unpack_from(
                ring, _HEADBYTES + was * _RECORD.size)[3]) else 0
            written += 1
            number = written - 1
            _RECORD.pack_into(ring, _HEADBYTES + (number % self.slots) * _RECORD.size, job_id,
                              where, len(row[4]), done, float(row[1]))
            self._enter(job_id, number, at, floor, written)
            newest = max(newest, job_id)
        _HEAD.pack_into(ring, 0, at, newest, floor, written)

    def _enter(self, job_id: int, number: int, head: int, floor: int, written: int) -> None:
        """Index write `number` under `job_id`: in the first of its entries that is empty,
        no longer kept, or this job's; when all are kept jobs', in the oldest's (dropped
        early: ids far apart that meet, which their order makes rare)."""
        ring, entries = self._map, self._entries
        start = home(job_id, entries)
        oldest, oldest_number = -1, written
        for probe in range(PROBES):
            entry = self._index + ((start + probe) % entries) * _ENTRY.size
            value = _ENTRY.unpack_from(ring, entry)[0]
            if value == 0 or not self._live(value - 1, head, floor, written) or \
                    _RECORD.unpack_from(ring, self._record(value - 1))[0] == job_id:
                _ENTRY.pack_into(ring, entry, number + 1)
                return
            if value - 1 < oldest_number:
                oldest, oldest_number = entry, value - 1
        _ENTRY.pack_into(ring, oldest, number + 1)

    def finish(self, job_id: int) -> bool:
        """Mark a kept job finished: False when it is not kept or was already."""
        ring = self._map
        head, _, floor, written = _HEAD.unpack_from(ring, 0)
        at = self._find(job_id, head, floor, written)
        if at < 0:
            return False
        record = _HEADBYTES + at * _RECORD.size
        held, offset, length, done, created = _RECORD.unpack_from(ring, record)
        if done:
            return False
        _RECORD.pack_into(ring, record, held, offset, length, 1, created)
        return True

    def clear(self) -> None:
        """Drop every job (the floor moves up to the head; ids stay as they are)."""
        head, newest, _, written = _HEAD.unpack_from(self._map, 0)
        _HEAD.pack_into(self._map, 0, head, newest, head, written)

    # -- reading (under the write lock, shared) ------------------------------------------

    def read(self, job_id: int) -> tuple[bytes, int, float] | None:
        """(row data, finished, created) of a kept job."""
        ring = self._map
        head, _, floor, written = _HEAD.unpack_from(ring, 0)
        at = self._find(job_id, head, floor, written)
        if at < 0:
            return None
        _, offset, length, done, created = _RECORD.unpack_from(
            ring, _HEADBYTES + at * _RECORD.size)
        start = self._base + offset % self.data
        return ring[start:start + length], done, created

    def _find(self, job_id: int, head: int, floor: int, written: int) -> int:
        """The record of a kept job (its newest write), or -1."""
        ring, entries = self._map, self._entries
        start = home(job_id, entries)
        for probe in range(PROBES):
            value = _ENTRY.unpack_from(
                ring, self._index + ((start + probe) % entries) * _ENTRY.size)[0]
            if value == 0:
                return -1
            if self._live(value - 1, head, floor, written) and \
                    _RECORD.unpack_from(ring, self._record(value - 1))[0] == job_id:
                return int((value - 1) % self.slots)
        return -1

    def _record(self, number: int) -> int:
        return _HEADBYTES + (number % self.slots) * _RECORD.size

    def _live(self, number: int, head: int, floor: int, written: int) -> bool:
        """Write `number` is still kept: among the newest `slots`, its row past the floor
        and not overwritten."""
        if number < written - self.slots or number >= written:
            return False
        _, offset, length, _, _ = _RECORD.unpack_from(self._map, self._record(number))
        return bool(offset >= floor and offset >= head - self.data and offset + length <= head)

    def kept(self) -> tuple[int, int]:
        """(jobs, bytes) kept: each job's newest write, once."""
        ring = self._map
        head, _, floor, written = _HEAD.unpack_from(ring, 0)
        jobs = size = 0
        for number in range(max(0, written - self.slots), written):
            job_id, _, length, _, _ = _RECORD.unpack_from(ring, self._record(number))
            if self._find(job_id, head, floor, written) == number % self.slots:
                jobs, size = jobs + 1, size + length
        return jobs, size

    def newest(self) -> int:
        """The newest job id ever written to the file (a new `-mock` counter starts there)."""
        value: int = _HEAD.unpack_from(self._map, 0)[1]
        return value

    def close(self) -> None:
        if not self._map.closed:
            self._map.close()
            os.close(self._fd)  # (its flock goes with it)


def _data_at(slots: int) -> int:
    """Where rows start: past the head, records and index, on a page boundary."""
    end = _HEADBYTES + slots * (_RECORD.size + _SPREAD * _ENTRY.size)
    return -(-end // mmap.PAGESIZE) * mmap.PAGESIZE


def _geometry(fd: int) -> tuple[int, int] | None:
    """(slots, data) of a jobs file, or None when it is not one (new, cut, another format)."""
    size = os.fstat(fd).st_size
    if size < _HEADBYTES:
        return None
    head = os.pread(fd, _HEADBYTES, 0)
    slots, data, form = _GEOMETRY.unpack_from(head, _HEAD.size)
    if form != _FORMAT or slots <= 0 or data <= 0 or size != _data_at(slots) + data:
        return None
    return int(slots), int(data)


def _make(fd: int, slots: int, data: int) -> None:
    """A new, empty jobs file: head, records and index allocated (written in place), rows
    sparse."""
    os.ftruncate(fd, 0)
    os.ftruncate(fd, _data_at(slots) + data)
    with contextlib.suppress(OSError):  # (a file system without it: written below anyway)
        os.posix_fallocate(fd, 0, _data_at(slots))
    os.pwrite(fd, _HEAD.pack(0, 0, 0, 0) + _GEOMETRY.pack(slots, data, _FORMAT), 0)
