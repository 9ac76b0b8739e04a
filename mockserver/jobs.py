"""The mock's state behind one interface (`Store`): jobs, journal, rate-limit windows, due
times, settings and the id counter. `mockserver.memory_store.MemoryStore` keeps it in one
process (the default); `mockserver.sqlite_store.SqliteStore` (one host: workers and restarts)
and `mockserver.redis_store.RedisStore` (several hosts) share it across processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

import spec
from mockserver.request import decode

if TYPE_CHECKING:
    from mockserver.journal import Entry

#: Where the mock serves a job's images (`{IMAGES}{job}-{index}-{digest}.png`): the spec's.
IMAGES = spec.IMAGES_PREFIX


@dataclass(slots=True, init=False)
class Job:
    """One generation: what its answers and images are made from. Never changed once stored
    (`dataclasses.replace` makes the finished copy); not `frozen` only because a frozen
    dataclass's __init__ costs a call per field (4x the time), and one is made per request.
    Its `__init__` is written out: compiled (setup.py), the one dataclasses generates stays
    interpreted (0.5 us a job; 0.05 written out). A test holds it to the fields."""

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
    #: The fingerprint of the key that made it (`scopes.owner_of`, never the key; "" none):
    #: a fetch with another key finds nothing, as on the real API.
    owner: str = ""
    #: Set once the job has ended and its webhook was handed over (see `JobStore.finish`).
    finished: bool = field(default=False, compare=False)

    def __init__(self, endpoint: str, created: float, due: float, samples: int,
                 meta: dict[str, Any], generation_time: float, seed: int, prompt: str,
                 width: int, height: int, upscale: int, base64: bool = False, origin: str = "",
                 expires: float | None = None, webhook: str | None = None,
                 track_id: int | str | None = None, warning: str | None = None,
                 queued: bool = False, failure: str | None = None, id: int = 0,
                 scope: str = "", owner: str = "", finished: bool = False) -> None:
        self.endpoint, self.created, self.due, self.samples = endpoint, created, due, samples
        self.meta, self.generation_time, self.seed = meta, generation_time, seed
        self.prompt, self.width, self.height, self.upscale = prompt, width, height, upscale
        self.base64, self.origin, self.expires, self.webhook = base64, origin, expires, webhook
        self.track_id, self.warning, self.queued = track_id, warning, queued
        self.failure, self.id, self.scope, self.owner = failure, id, scope, owner
        self.finished = finished

    @property
    def digest(self) -> str:
        """Names the image parameters in the links, so a stale link never shows another image."""
        text = f"{self.seed}|{self.width}|{self.height}|{self.upscale}|{self.prompt}"
        # (The first 5 bytes in hex: `hexdigest()[:10]`, without the other 54 characters.)
        return hashlib.sha256(text.encode("utf-8", "replace")).digest()[:5].hex()

    @property
    def links(self) -> tuple[str, ...]:
        """Image paths on the mock's origin, one per sample."""
        return tuple(self.urls())

    def urls(self, origin: str = "") -> list[str]:
        """The `links` prefixed with `origin` (what the answers carry), built in one pass."""
        ext = ".base64" if self.base64 else ".png"
        if self.samples == 1:  # (most jobs: one string, no comprehension)
            return [f"{origin}{IMAGES}{self.id}-0-{self.digest}{ext}"]
        head, tail = f"{origin}{IMAGES}{self.id}-", f"-{self.digest}{ext}"
        return [f"{head}{i}{tail}" for i in range(self.samples)]

    def to_json(self) -> str:
        return self.encoded().decode()

    def encoded(self) -> bytes:
        """`to_json` as UTF-8 bytes (what a shared store writes: no text made on the way):
        the fields' values in `_FIELDS` order, without their names (a fifth of a row's bytes,
        and a row of a SQLite store is written twice: to its log, then to its file)."""
        # (Spelled out: compiled (setup.py), each is a field read, where `getattr` by name
        # cost 0.5 us a job; a test holds the order to `_FIELDS`. Not orjson's dataclass
        # support: that reads a pure-Python dataclass's slots, and a compiled one has none.)
        values = [self.endpoint, self.created, self.due, self.samples, self.meta,
                  self.generation_time, self.seed, self.prompt, self.width, self.height,
                  self.upscale, self.base64, self.origin, self.expires, self.webhook,
                  self.track_id, self.warning, self.queued, self.failure, self.id, self.scope,
                  self.owner, self.finished]
        try:
            return orjson.dumps(values)
        except TypeError:  # what orjson refuses (an integer past 64 bits): the stdlib's
            return json.dumps(values, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, text: str | bytes, *, finished: bool = False) -> Job:
        """A job as `encoded` wrote it (an object of its fields, as jobs were stored before,
        reads too). `finished` is the store's own mark, not the one the text holds."""
        # (`decode`: what `encoded` wrote with the stdlib, orjson reads otherwise or not at
        # all: an integer past 64 bits, a lone surrogate in a prompt.)
        data = decode(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        if type(data) is list:
            job = cls(*data[:-1])
            job.finished = finished
            return job
        data.pop("finished", None)
        return cls(**data, finished=finished)


#: Job's fields, in order (the order of the values `Job.encoded` writes).
_FIELDS = tuple(f.name for f in dataclasses.fields(Job))


class JournalLike(Protocol):
    """The journal part of a store (`mockserver.journal.Journal` is the in-memory one)."""

    #: It keeps the entries it is given (then a request's body is best given as the bytes
    #: sent: one object to hold); False: it encodes each at once, and is best given the body
    #: decoded (no second decode).
    keeps: bool

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

    def reserve(self, name: str, limit: int, now: float) -> int | None:
        """Ask and count in one atomic step (across workers too): None when a request now
        may go ahead (it is counted), else seconds until one may (nothing is counted)."""
        ...

    def release(self, name: str, now: float) -> None:
        """Take back one request counted by `reserve` at `now` (its decision did not count)."""
        ...

    def wait(self, name: str, limit: int, now: float) -> int | None: ...

    def count(self, name: str, now: float) -> None: ...

    def clear(self) -> None: ...


class DueLike(Protocol):
    """Due times of queued jobs (`mockserver.timers.DueTimes` in memory). In a shared store,
    `pop_due` and `claim` are claims: two workers never get the same id. Webhooks use the
    leases (`claim`, `hold`, `renew`, `done`: see `mockserver.leases`)."""

    def push(self, due: float, job_id: int, now: float, bound: int) -> None: ...

    def count(self, now: float) -> int: ...

    def pop_due(self, now: float) -> list[int]: ...

    def claim(self, now: float, until: float) -> list[tuple[int, bool]]:
        """Lease until `until` the entries due by `now`, and those whose lease has expired:
        (id, True for an expired lease claimed again). Two workers never get the same id."""
        ...

    def hold(self, job_id: int, until: float) -> None:
        """Lease the entry of `job_id` until `until` (made if there is none)."""
        ...

    def renew(self, job_ids: list[int], until: float) -> None:
        """Extend the leases of those of `job_ids` that still have one."""
        ...

    def done(self, job_id: int) -> None:
        """Remove the entry of `job_id`, leased or not."""
        ...

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


class StoreFull(Exception):
    """`Store.put` refused a job: the store is full, in bytes, of jobs that have not ended
    (the Redis store; the API answers it like a store full of them by count)."""


#: Set by `Engine.grouped` (what the ASGI app awaits for a shared store): a store may then leave
#: a request's writes to one commit for the requests of the same event-loop turn
#: (`SqliteStore.commit`, which `grouped` awaits), instead of committing each request alone.
#: No request is answered before its writes are committed.
GROUP_COMMIT: ContextVar[bool] = ContextVar("GROUP_COMMIT", default=False)
#: Kept for callers of the jobs-only name.
JobStore = Store
#: Namespaces whose settings a store keeps (the oldest forgotten first).
SCOPES = 1024
#: Bytes of jobs a store keeps (estimated from their text), besides the count bound.
STORE_BYTES = 256 * 1024 * 1024


STORE_FORMS = '"memory", "sqlite:PATH" or "redis://HOST:PORT/DB"'


def valid_store(where: str) -> bool:
    """`where` names a store `open_store` can open."""
    return where == "memory" or (where.startswith("sqlite:") and len(where) > 7) or \
        where.startswith(("redis://", "rediss://", "unix://"))


def open_store(where: str, max_jobs: int = 10_000, ttl: float = 3600.0) -> Store:
    """"memory", "sqlite:PATH" or "redis://HOST:PORT/DB" (the forms of `MockConfig.store`)."""
    if where == "memory":
        from mockserver.memory_store import MemoryStore

        return MemoryStore(max_jobs, ttl)
    if where.startswith("sqlite:") and where[len("sqlite:"):]:
        from mockserver.sqlite_store import SqliteStore

        return SqliteStore(where[len("sqlite:"):], max_jobs, ttl)
    if valid_store(where):
        from mockserver.redis_store import RedisStore

        return RedisStore(where, max_jobs, ttl)
    raise ValueError(f"store must be {STORE_FORMS}, not {where!r}")
