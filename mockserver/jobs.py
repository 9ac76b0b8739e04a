"""The mock's state behind one interface (`Store`): jobs, journal, rate-limit windows, due
times, settings and the id counter. `MemoryStore` (one process, the default) lives here;
`mockserver.sqlite_store.SqliteStore` (one host: workers and restarts) and
`mockserver.redis_store.RedisStore` (several hosts) share it across processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

import spec

if TYPE_CHECKING:
    from mockserver.journal import Entry

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
    #: The namespace it was made in ("" none): only requests in the same one see it.
    scope: str = ""
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
        try:
            return orjson.dumps(self).decode()
        except TypeError:  # what orjson refuses (an integer past 64 bits): the stdlib's
            data = dataclasses.asdict(self)
            return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes, *, finished: bool = False) -> Job:
        data = orjson.loads(text)
        data.pop("finished", None)
        return cls(**data, finished=finished)


class JournalLike(Protocol):
    """The journal part of a store (`mockserver.journal.Journal` is the in-memory one)."""

    def add(self, entry: Entry) -> None: ...

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        """As JSON, oldest first: only `kind`'s, only `scope`'s, only those past seq `after`."""
        ...

    def last_seq(self) -> int:
        """The newest entry's seq (0: none)."""
        ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


class LimiterLike(Protocol):
    """The rate-limit windows (`mockserver.ratelimit.RateLimiter` in memory)."""

    def wait(self, name: str, limit: int, now: float) -> int | None: ...

    def count(self, name: str, now: float) -> None: ...

    def clear(self) -> None: ...


class DueLike(Protocol):
    """Due times of queued jobs (`mockserver.timers.DueTimes` in memory). In a shared store,
    `pop_due` is a claim: two workers never get the same id."""

    def push(self, due: float, job_id: int, now: float, bound: int) -> None: ...

    def count(self, now: float) -> int: ...

    def pop_due(self, now: float) -> list[int]: ...

    def next(self) -> float | None: ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


class Store(Protocol):
    """All of the mock's state. Ids are assigned by the store, so several workers never
    collide, and never repeat within the store's life (a reset included)."""

    #: Most jobs kept, and seconds each is kept (the engine updates both on reconfiguration).
    max_jobs: int
    ttl: float
    #: The state is shared with other processes (settings are re-read, due jobs polled).
    shared: bool

    @property
    def journal(self) -> JournalLike: ...

    @property
    def limiter(self) -> LimiterLike: ...

    @property
    def pending(self) -> DueLike:
        """Queued jobs (for `queue="workload"`)."""
        ...

    @property
    def scheduled(self) -> DueLike:
        """Queued jobs with a webhook."""
        ...

    def new_id(self, now: float) -> int:
        """A fresh job id, never handed out before by this store (or its other workers)."""
        ...

    def last_id(self) -> int:
        """The newest id handed out (0: none)."""
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

    def settings(self) -> tuple[int, dict[str, str]]:
        """(stamp, namespace -> JSON settings record); the stamp changes on every change."""
        ...

    def stamp(self) -> int:
        """The settings' stamp (cheap: read on every request by a shared store's engine)."""
        ...

    def set_settings(self, scope: str, record: str | None) -> None:
        """Store (or with None forget) one namespace's settings record."""
        ...

    def clear(self) -> None:
        """Forget everything but the id counter."""
        ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...

    def batch(self) -> AbstractContextManager[object]:
        """Group the writes made inside into one (SQLite: one transaction, one commit)."""
        ...


_NO_BATCH = nullcontext()
#: Kept for callers of the jobs-only name.
JobStore = Store
#: Namespaces whose settings a store keeps (the oldest forgotten first).
SCOPES = 1024
#: Bytes of jobs a store keeps (estimated from their text), besides the count bound.
STORE_BYTES = 256 * 1024 * 1024


def job_bytes(job: Job) -> int:
    """A cheap estimate of what a job holds: its client-sized text dominates (the prompts;
    everything else in a job is small or bounded by the body limit along with them)."""
    negative = job.meta.get("negative_prompt")
    return 1024 + len(job.prompt) + len(job.webhook or "") + \
        (len(negative) if type(negative) is str else 0)


class MemoryStore:
    """Everything in this process: jobs in a dict, oldest evicted past `max_jobs`,
    `STORE_BYTES` or `ttl` seconds."""

    shared = False

    def __init__(self, max_jobs: int = 10_000, ttl: float = 3600.0,
                 max_bytes: int = STORE_BYTES) -> None:
        from mockserver.journal import Journal
        from mockserver.ratelimit import RateLimiter
        from mockserver.timers import DueTimes

        self.max_jobs = max_jobs
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.journal: Journal = Journal()
        self.limiter: RateLimiter = RateLimiter()
        self.pending: DueTimes = DueTimes()
        self.scheduled: DueTimes = DueTimes()
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._bytes = 0
        self._finished: set[int] = set()
        self._next = 1
        self._settings: OrderedDict[str, str] = OrderedDict()
        self._stamp = 0
        self._lock = threading.Lock()

    def new_id(self, now: float) -> int:
        with self._lock:
            job_id = self._next
            self._next += 1
            return job_id

    def last_id(self) -> int:
        return self._next - 1

    def put(self, job: Job, now: float) -> None:
        size = job_bytes(job)
        with self._lock:
            self._jobs[job.id] = job
            self._bytes += size
            if self._bytes > self.max_bytes or len(self._jobs) > self.max_jobs or \
                    next(iter(self._jobs.values())).created + self.ttl <= now:
                self._evict(now)

    def _evict(self, now: float) -> None:
        jobs = self._jobs
        while len(jobs) > self.max_jobs or (self._bytes > self.max_bytes and len(jobs) > 1):
            # The oldest job that has ended (or is due) goes first; a pending one only when
            # every job is pending (the engine refuses new work before that happens).
            self._drop(next((j.id for j in jobs.values() if j.due <= now), next(iter(jobs))))
        while jobs:
            oldest = next(iter(jobs.values()))
            if oldest.created + self.ttl > now:
                break
            self._drop(oldest.id)

    def _drop(self, job_id: int) -> None:
        self._bytes -= job_bytes(self._jobs.pop(job_id))
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

    def settings(self) -> tuple[int, dict[str, str]]:
        with self._lock:
            return self._stamp, dict(self._settings)

    def stamp(self) -> int:
        return self._stamp

    def set_settings(self, scope: str, record: str | None) -> None:
        with self._lock:
            self._stamp += 1
            self._settings.pop(scope, None)
            if record is not None:
                self._settings[scope] = record
                while len(self._settings) > SCOPES:
                    self._settings.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._bytes = 0
            self._finished.clear()
            self._settings.clear()
            self._stamp += 1
        self.journal.clear()
        self.limiter.clear()
        self.pending.clear()
        self.scheduled.clear()

    def __len__(self) -> int:
        return len(self._jobs)

    def close(self) -> None:
        pass

    def batch(self) -> AbstractContextManager[object]:
        return _NO_BATCH


def _finished(job: Job) -> Job:
    return dataclasses.replace(job, finished=True)


STORE_FORMS = '"memory", "sqlite:PATH" or "redis://HOST:PORT/DB"'


def valid_store(where: str) -> bool:
    """`where` names a store `open_store` can open."""
    return where == "memory" or (where.startswith("sqlite:") and len(where) > 7) or \
        where.startswith(("redis://", "rediss://", "unix://"))


def open_store(where: str, max_jobs: int = 10_000, ttl: float = 3600.0) -> Store:
    """"memory", "sqlite:PATH" or "redis://HOST:PORT/DB" (the forms of `MockConfig.store`)."""
    if where == "memory":
        return MemoryStore(max_jobs, ttl)
    if where.startswith("sqlite:") and where[len("sqlite:"):]:
        from mockserver.sqlite_store import SqliteStore

        return SqliteStore(where[len("sqlite:"):], max_jobs, ttl)
    if valid_store(where):
        from mockserver.redis_store import RedisStore

        return RedisStore(where, max_jobs, ttl)
    raise ValueError(f"store must be {STORE_FORMS}, not {where!r}")
