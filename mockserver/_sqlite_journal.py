"""A SQLite store's journal: a ring in shared memory beside the database
(`{path}-mock-journal`; see `mockserver.sqlite_store`)."""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from typing import Any

from mockserver._sqlite_db import Db
from mockserver._sqlite_jobs import allocate
from mockserver._sqlite_records import HEAD, encode_record, show_record
from mockserver.journal import JOURNAL_BYTES, JOURNAL_SIZE, Entry

#: The ring's head: the next entry's seq and the bytes ever written (the write offset); then
#: its geometry (slots, data bytes), fixed when the file is made.
_RING = struct.Struct("<qq")
_RINGHEAD = 64
#: An index slot: the seq it holds, where its record starts (bytes ever written) and length.
_SLOT = struct.Struct("<qqq")


class SqliteJournal:
    """The journal in shared memory beside the database (`{path}-mock-journal`, a file every
    worker maps): a ring of `size` index slots and `max_bytes` of entries, oldest overwritten
    first. An entry is written under the workers' write lock with the request's other writes
    (no SQL, no page of the database), and read under it; the kernel keeps what a killed
    process wrote, and the file keeps it across restarts."""

    keeps = False

    def __init__(self, db: Db, path: str, size: int = JOURNAL_SIZE,
                 max_bytes: int = JOURNAL_BYTES) -> None:
        self._db = db
        self._fd = os.open(path + "-mock-journal", os.O_RDWR | os.O_CREAT, 0o600)
        with db.write():  # (no other worker makes or remakes it meanwhile)
            found = os.fstat(self._fd).st_size
            if found >= _RINGHEAD:  # made before (by a worker that may be running): as is
                with open(path + "-mock-journal", "rb") as made:
                    slots, data = _RING.unpack(made.read(_RINGHEAD)[16:32])
                if slots > 0 and data > 0 and found == _RINGHEAD + slots * _SLOT.size + data:
                    size, max_bytes = slots, data
                else:
                    found = 0
            total = _RINGHEAD + size * _SLOT.size + max_bytes
            if found != total:  # new (or not a ring): made
                os.ftruncate(self._fd, 0)
                os.ftruncate(self._fd, total)
                allocate(self._fd, total)  # (blocks now, not at each first write)
            self.size, self.max_bytes = size, max_bytes
            self._map = mmap.mmap(self._fd, total)
            self._data = _RINGHEAD + size * _SLOT.size
            if found != total:
                self._reset()
                _RING.pack_into(self._map, 16, size, max_bytes)
        db.ring = self

    # -- writing (under the write lock: `Db.flush`) --------------------------------------

    def add(self, entry: Entry) -> None:
        self._db.later("ring", "", (encode_record(entry, self.max_bytes // 4), entry.job))

    def write(self, records: list[bytes]) -> None:
        """Append encoded entries, in order (inside the write lock): their bytes in one copy
        when they do not wrap, the new entries published once, last. Any ring holds the
        newest that fit; one longer than the ring gets its seq and is not kept."""
        ring, data, base, size = self._map, self.max_bytes, self._data, self.size
        seq, head = _RING.unpack_from(ring, 0)
        if seq == 0:  # (a file of zeros)
            seq = 1
        at, total = head % data, sum(map(len, records))
        # The bytes about to be overwritten left first (the head past them, no new entry
        # yet): a worker killed while it copies leaves no entry that reads garbled.
        _RING.pack_into(ring, 0, seq, head + total)
        whole = at + total <= data
        if whole:
            blob = b"".join(records)
            ring[base + at:base + at + len(blob)] = blob
        for record in records:
            length = len(record)
            if not whole:  # (the batch wraps: entry by entry)
                if length > data:  # (a note named for a long namespace, on a tiny ring)
                    # Not kept: it would be written over itself and past the ring's end.
                    # Its slot, never read (longer than the ring), hides a stale one.
                    _SLOT.pack_into(ring, _RINGHEAD + (seq % size) * _SLOT.size, seq, head,
                                    length)
                    seq += 1
                    continue
                at = head % data
                first = min(length, data - at)
                ring[base + at:base + at + first] = record[:first]
                if first < length:  # wrapped
                    ring[base:base + length - first] = record[first:]
            _SLOT.pack_into(ring, _RINGHEAD + (seq % size) * _SLOT.size, seq, head, length)
            seq, head = seq + 1, head + length
        _RING.pack_into(ring, 0, seq, head)  # published last

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
                ring, _RINGHEAD + (seq % self.size) * _SLOT.size)
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
            shown = show_record(seq, record, kind, scope)
            if shown is not None:
                out.append(shown)
        return out

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """The first `limit` entries after number `seq`, oldest first (the dashboard's poll)."""
        if limit <= 0:
            return []
        return [shown for n, record in self._records(seq, limit)
                if (shown := show_record(n, record, None, None)) is not None]

    def jobs(self) -> list[int]:
        """The job ids the entries name, oldest first, once each (nothing decoded)."""
        ids = (HEAD.unpack_from(record, 0)[5] for _, record in self._records())
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
            db._entries.clear()  # (those of requests before it, written at its commit)
            self._reset()

    def __len__(self) -> int:
        self._db.visible()
        with self._db.shared_lock():
            return sum(1 for _ in self._slots())

    def close(self) -> None:
        if not self._map.closed:
            self._map.close()
            os.close(self._fd)
