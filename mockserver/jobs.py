"""The job store: bounded and expiring in memory, or SQLite shared by workers and restarts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import spec

#: Where the mock serves a job's images (`{IMAGES}{job}-{index}-{digest}.png`): the spec's.
IMAGES = spec.IMAGES_PREFIX


@dataclass(slots=True)
class Job:
    """One generation: what its answers and images are made from. Never changed once stored
    (`dataclasses.replace` makes the finished copy); not `frozen` only because a frozen
    dataclass's __init__ costs a call per field (4x the time), and one is made per request."""

    #: The generation endpoint it was sent to.
    endpoint: str
    created: float
    #: When fetch starts answering success (== created for jobs that were never queued).
    due: float
    samples: int
    meta: dict[str, Any]
    generation_time: float
    seed: int
    prompt: str
    width: int
    height: int
    upscale: int
    #: Links end in `.base64` (text) instead of `.png`.
    base64: bool = False
    #: The origin the job was created on (webhook bodies carry absolute links on it).
    origin: str = ""
    #: Links stop working after this time (temp: yes), or never (None).
    expires: float | None = None
    webhook: str | None = None
    track_id: int | str | None = None
    warning: str | None = None
    queued: bool = False
    #: The job ends failed with this message (None: it succeeds); fetch and webhook answer
    #: `bodies.ended`/`.webhook`. Set when the job is made (`Prefer: status=failed`, the
    #: failure rate) or later by the admin API's "fail now". Ledger `webhook-failure`.
    failure: str | None = None
    id: int = 0
    #: Set once the job has ended and its webhook was handed over (see `JobStore.finish`).
    finished: bool = field(default=False, compare=False)

    @property
    def digest(self) -> str:
        """Names the image parameters in the links, so a stale link never shows another image."""
        text = f"{self.seed}|{self.width}|{self.height}|{self.upscale}|{self.prompt}"
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:10]

    @property
    def links(self) -> tuple[str, ...]:
        """Image paths on the mock's origin, one per sample."""
        ext = ".base64" if self.base64 else ".png"
        digest = self.digest
        return tuple([f"{IMAGES}{self.id}-{i}-{digest}{ext}" for i in range(self.samples)])

    def to_json(self) -> str:
        data = asdict(self)
        del data["finished"]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, *, finished: bool = False) -> Job:
        return cls(**json.loads(text), finished=finished)


class JobStore(Protocol):
    """Where jobs live. Ids are assigned by the store, so several workers never collide."""

    #: Most jobs kept, and seconds each is kept (the engine updates both on reconfiguration).
    max_jobs: int
    ttl: float

    def new_id(self, now: float) -> int:
        """A fresh job id, never handed out before by this store (or its other workers)."""
        ...

    def put(self, job: Job, now: float) -> None:
        """Store `job` under its id (from `new_id`), evicting the oldest past the bounds."""
        ...

    def get(self, job_id: int, now: float) -> Job | None:
        """The job, or None when unknown, evicted or expired."""
        ...

    def finish(self, job_id: int) -> bool:
        """Mark the job ended; True for the one caller that did it first."""
        ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class MemoryStore:
    """Jobs in a dict, oldest evicted past `max_jobs` or `ttl` seconds."""

    def __init__(self, max_jobs: int = 10_000, ttl: float = 3600.0) -> None:
        self.max_jobs = max_jobs
        self.ttl = ttl
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._finished: set[int] = set()
        self._next = 1
        self._lock = threading.Lock()

    def new_id(self, now: float) -> int:
        with self._lock:
            job_id = self._next
            self._next += 1
            return job_id

    def put(self, job: Job, now: float) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._evict(now)

    def _evict(self, now: float) -> None:
        while len(self._jobs) > self.max_jobs:
            # The oldest job that has ended (or is due) goes first; a pending one only when
            # every job is pending (the engine refuses new work before that happens).
            victim = next((j.id for j in self._jobs.values() if j.due <= now),
                          next(iter(self._jobs)))
            self._drop(victim)
        while self._jobs:
            oldest = next(iter(self._jobs.values()))
            if oldest.created + self.ttl > now:
                break
            self._drop(oldest.id)

    def _drop(self, job_id: int) -> None:
        del self._jobs[job_id]
        self._finished.discard(job_id)

    def get(self, job_id: int, now: float) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.created + self.ttl <= now:
                return None
            if job_id in self._finished:
                return _finished(job)
            return job

    def finish(self, job_id: int) -> bool:
        with self._lock:
            if job_id not in self._jobs or job_id in self._finished:
                return False
            self._finished.add(job_id)
            return True

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._finished.clear()
            self._next = 1

    def __len__(self) -> int:
        return len(self._jobs)

    def close(self) -> None:
        pass


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
)
"""


class SqliteStore:
    """Jobs in a SQLite file: every worker sees every job, and they survive a restart."""

    #: Eviction runs every this many inserts (it is a range delete, cheap but not free).
    SWEEP_EVERY = 64

    def __init__(self, path: str | Path, max_jobs: int = 10_000, ttl: float = 3600.0) -> None:
        self.path = str(path)
        self.max_jobs = max_jobs
        self.ttl = ttl
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._inserts = 0

    def new_id(self, now: float) -> int:
        with self._lock:
            cur = self._db.execute("INSERT INTO jobs (created, data) VALUES (?, '')", (now,))
            return int(cur.lastrowid or 0)

    def put(self, job: Job, now: float) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET data = ?, created = ? WHERE id = ?",
                             (job.to_json(), job.created, job.id))
            self._inserts += 1
            if self._inserts % self.SWEEP_EVERY == 0:
                self._db.execute("DELETE FROM jobs WHERE id <= ? OR created <= ?",
                                 (job.id - self.max_jobs, now - self.ttl))

    def get(self, job_id: int, now: float) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT data, finished, created FROM jobs WHERE id = ?",
                                   (job_id,)).fetchone()
        if row is None or not row[0] or row[2] + self.ttl <= now:
            return None
        return Job.from_json(row[0], finished=bool(row[1]))

    def finish(self, job_id: int) -> bool:
        with self._lock:
            cur = self._db.execute("UPDATE jobs SET finished = 1 WHERE id = ? AND finished = 0",
                                   (job_id,))
            return cur.rowcount == 1

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs")

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _finished(job: Job) -> Job:
    return dataclasses.replace(job, finished=True)


def open_store(where: str, max_jobs: int = 10_000, ttl: float = 3600.0) -> JobStore:
    """"memory" or "sqlite:PATH" (the form of `MockConfig.store`)."""
    if where == "memory":
        return MemoryStore(max_jobs, ttl)
    if where.startswith("sqlite:") and where[len("sqlite:"):]:
        return SqliteStore(where[len("sqlite:"):], max_jobs, ttl)
    raise ValueError(f'store must be "memory" or "sqlite:PATH", not {where!r}')
