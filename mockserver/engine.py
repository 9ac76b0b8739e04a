"""The pure core: (method, path, headers, body, origin) + scenario + clock + seed -> response.

Every limit comes from `spec.contract()` and every request decision from `contracts.parse`.
The engine does no I/O of its own: jobs go through the injected store, webhooks through the
injected sender, time through the injected clock. Adapters (ASGI, httpx/respx, CLI) only move
bytes and honour `MockResponse.delay`.

Order of decisions for an API request: method, size (413), content type, a `Prefer: error=`,
the key (invalid), the rate limit, validation (the rules' messages), then the generation or
the fetch. A body that is a JSON object is read whatever its Content-Type says (so
`curl -d '{...}'`, which sends a form type, works); any other body with a non-JSON type is a
`body.json` validation error that names the type.

The `workload` queue policy queues a request whose work exceeds four 512x512 images at 20
steps (`bodies.workload` > 4), or any request while 8 or more jobs are pending.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import random
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import spec
from contracts import FetchRequest, GenerationRequest, parse
from mockserver import bodies
from mockserver.admin import admin
from mockserver.config import SCENARIOS, Latency, MockConfig
from mockserver.images import ImageCache
from mockserver.jobs import Job, JobStore, open_store
from mockserver.journal import Journal, Unredacted, redact_key, scrub
from mockserver.response import JSON_HEADERS, MockResponse, dump, json_response
from mockserver.webhooks import ThreadedSender, WebhookSender, allowed

log = logging.getLogger("mockserver")

Clock = Callable[[], float]

#: `workload` policy: queue above this much work (`bodies.workload`) ...
WORKLOAD_UNITS = 4.0
#: ... or while this many jobs are pending.
WORKLOAD_PENDING = 8
#: Most seconds a `Prefer: eta=N` may ask for.
MAX_ETA = 3600.0
#: Keys the rate limiter remembers (least recently seen forgotten first).
RATE_KEYS = 10_000
_RATE_WINDOW = 60.0
_JSON_TYPES = ("application/json", "text/plain", "text/json")
_IMAGE = re.compile(r"^(\d{1,18})-(\d{1,2})-([0-9a-f]{10})\.(png|base64)$")
_ADMIN = "/__mock/"
_IMAGES = "/generations/"


@dataclass(frozen=True)
class Prefer:
    """The scenario a request asked for in its `Prefer` header (Prism's style)."""

    status: str | None = None
    eta: float | None = None
    error: str | None = None

    @classmethod
    def parse(cls, header: str | None) -> Prefer:
        if not header:
            return cls()
        found: dict[str, str] = {}
        for token in re.split(r"[,;]", header):
            name, _, value = token.partition("=")
            found[name.strip().lower()] = value.strip().strip('"').lower()
        eta: float | None = None
        try:
            eta = float(found["eta"])
            eta = min(eta, MAX_ETA) if math.isfinite(eta) and eta >= 0 else None
        except (KeyError, ValueError):
            pass
        return cls(found.get("status") or None, eta, found.get("error") or None)


_NO_PREFER = Prefer()


@dataclass
class _RateLimiter:
    """A sliding one-minute window of request times per (redacted) key."""

    hits: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, key: str, limit: int, now: float) -> int | None:
        """None when the request may go ahead (and counts it), else seconds to wait."""
        name = redact_key(key) or ""
        with self.lock:
            times = self.hits.pop(name, None) or deque()
            self.hits[name] = times
            while times and times[0] <= now - _RATE_WINDOW:
                times.popleft()
            if len(self.hits) > RATE_KEYS:
                self.hits.popitem(last=False)
            if len(times) >= limit:
                return max(1, math.ceil(times[0] + _RATE_WINDOW - now))
            times.append(now)
            return None


class Engine:
    """The mock's behaviour, shared by every adapter.

    Args:
        clock: seconds as a float (default `time.time`, so due times stored in SQLite mean the
            same thing to every worker and after a restart).
        timers: run a background thread that ends queued jobs with a webhook when they are due.
            Defaults to on with the real clock and off with an injected one (then call
            `run_due()`); jobs without a webhook are ended lazily, by the fetch that finds them
            due.
    """

    def __init__(self, config: MockConfig | None = None, *, clock: Clock | None = None,
                 store: JobStore | None = None, webhooks: WebhookSender | None = None,
                 timers: bool | None = None) -> None:
        self.initial_config = config or MockConfig()
        self.config = self.initial_config
        self.clock: Clock = clock or time.time
        self.store: JobStore = store or open_store(self.config.store, self.config.max_jobs,
                                                   self.config.job_ttl)
        self.webhooks: WebhookSender = webhooks or ThreadedSender()
        self.journal = Journal()
        self.images = ImageCache()
        contract = spec.contract()
        self._generation = frozenset(contract.generation)
        self._exact: dict[str, tuple[str, str]] = {}
        self._by_id: list[tuple[str, str, str]] = []
        self._fetch_path: dict[str, str] = {}
        for path, (generation, id_in) in contract.fetch.items():
            if id_in == "path":
                self._by_id.append((path.split("{id}")[0], path, generation))
                self._fetch_path.setdefault(generation, path)
            else:
                self._exact[path] = (path, generation)
        self._lock = threading.Lock()
        self._limiter = _RateLimiter()
        self._pending: list[float] = []
        self._scheduled: list[tuple[float, int]] = []
        self._timers = _Timers(self) if (clock is None if timers is None else timers) else None
        self._reseed()

    # -- control ------------------------------------------------------------------------

    def _reseed(self) -> None:
        seed = self.config.seed
        self._seeds = random.Random(f"seeds:{seed}")
        self._latency_rng = random.Random(f"latency:{seed}")
        self._failures = random.Random(f"failures:{seed}")
        self._latency = Latency.parse(self.config.latency)

    def configure(self, **changes: Any) -> MockConfig:
        """Change settings while running (`store` cannot change; bounds apply from now on)."""
        if "store" in changes and changes["store"] != self.config.store:
            raise ValueError("store cannot change while the mock runs")
        new = self.config.replace(**changes)
        with self._lock:
            reseed = new.seed != self.config.seed
            self._apply(new)
            if reseed:
                self._reseed()
        return new

    def _apply(self, config: MockConfig) -> None:
        self.config = config
        self.store.max_jobs = config.max_jobs
        self.store.ttl = config.job_ttl
        self._latency = Latency.parse(config.latency)

    def scenario(self, name: str) -> MockConfig:
        """Apply a preset from `SCENARIOS` over the starting configuration."""
        changes = dict(SCENARIOS[name])
        base = self.initial_config
        current = {k: getattr(base, k) for k in base.__dataclass_fields__ if k != "store"}
        return self.configure(**{**current, **changes})

    def reset(self) -> None:
        """Forget jobs, journal, rate counts and images; restore the starting configuration."""
        with self._lock:
            self._apply(self.initial_config)
            self.store.clear()
            self.journal.clear()
            self.images.clear()
            self._limiter = _RateLimiter()
            self._pending.clear()
            self._scheduled.clear()
            self._reseed()

    def close(self) -> None:
        if self._timers is not None:
            self._timers.stop()
        self.webhooks.close()
        self.store.close()

    # -- entry point --------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
               origin: str) -> MockResponse:
        """Answer one HTTP request. Never raises; an unexpected failure is a 500 error body."""
        if "?" in path:
            path = path.split("?", 1)[0]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        base = (self.config.origin or origin).rstrip("/")
        try:
            return self._route(method.upper(), path, headers, body, base)
        except Exception as exc:
            key = _key_of(body)
            log.error("mock failed on %s %s: %s", method, path,
                      scrub(f"{type(exc).__name__}: {exc}", key))
            return self._error("server", journal=None)

    def _route(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
               origin: str) -> MockResponse:
        if path in self._generation:
            return self._api(method, path, path, None, headers, body, origin)
        exact = self._exact.get(path)
        if exact is not None:
            return self._api(method, path, exact[1], None, headers, body, origin)
        for prefix, template, generation in self._by_id:
            if path.startswith(prefix):
                rest = path[len(prefix):]
                if rest and "/" not in rest:
                    return self._api(method, template, generation, rest, headers, body, origin)
        if path.startswith(_IMAGES):
            return self._image(method, path[len(_IMAGES):])
        if path.startswith(_ADMIN) or path == _ADMIN.rstrip("/"):
            return admin(self, method, path[len(_ADMIN):], body)
        if path == "/" and method in ("GET", "HEAD"):
            return json_response(200, {"name": "modelslab-contract mock",
                               "endpoints": sorted([*self._generation, *spec.contract().fetch]),
                               "admin": _ADMIN + "health"})
        return json_response(404, {"status": "error", "message": f"no endpoint {method} {path}"})

    # -- API endpoints ------------------------------------------------------------------

    def _api(self, method: str, endpoint: str, generation: str, path_id: str | None,
             headers: Mapping[str, str], body: bytes, origin: str) -> MockResponse:
        if method != "POST":
            status = 204 if method == "OPTIONS" else 405
            return MockResponse(status, {"allow": "POST, OPTIONS", **JSON_HEADERS},
                                b"" if status == 204 else dump(
                                    {"status": "error", "message": f"use POST for {endpoint}"}))
        now = self.clock()
        entry: dict[str, Any] = {"kind": "request", "time": now, "method": method,
                                 "path": endpoint if path_id is None else
                                 endpoint.replace("{id}", path_id)}
        response = self._answer(endpoint, generation, path_id, headers, body, origin, now, entry)
        entry["status"] = response.status
        self.journal.add(entry)
        delay = self._latency.draw(self._latency_rng) if self._latency.kind != "none" else 0.0
        return response if not delay else MockResponse(response.status, response.headers,
                                                       response.body, delay)

    def _answer(self, endpoint: str, generation: str, path_id: str | None,
                headers: Mapping[str, str], body: bytes, origin: str, now: float,
                entry: dict[str, Any]) -> MockResponse:
        if len(body) > self.config.max_body_bytes:
            return self._error("payload_too_large", entry)
        decoded = _decode(body)
        is_object = isinstance(decoded, dict)
        if is_object:
            entry["key"] = redact_key(decoded.get("key"))
            if len(body) <= 4096:
                entry["body"] = Unredacted(decoded)  # redacted when the journal is read
        header = _header(headers, "prefer")
        prefer = Prefer.parse(header) if header else _NO_PREFER
        if prefer is not _NO_PREFER and (prefer.error or prefer.status or prefer.eta is not None):
            entry["prefer"] = header
        if not is_object:
            content_type = (_header(headers, "content-type") or "").split(";")[0].strip().lower()
            if content_type and not (content_type in _JSON_TYPES or
                                     content_type.endswith("+json")):
                return self._invalid({"body": [f"the body must be a JSON object sent as "
                                               f"application/json, not {content_type}"]},
                                     ["body.json"], entry)
        if prefer.error is not None and prefer.error in spec.contract().errors:
            return self._error(prefer.error, entry, retry_after=1)
        key = decoded.get("key") if is_object else None
        if isinstance(key, str):
            config = self.config
            accepted = config.accepted_keys
            if key == "" or (accepted is not None and key not in accepted):
                return self._error("invalid_key", entry)
            if config.rate_limit is not None:
                wait = self._limiter.retry_after(key, config.rate_limit, now)
                if wait is not None:
                    return self._error("rate_limit", entry, retry_after=wait)
        parsed = parse(endpoint, decoded if is_object else body, path_id=path_id)
        if parsed.request is None:
            entry["rules"] = list(parsed.rule_ids)
            return self._error_body(bodies.validation(parsed.violations), "validation", entry)
        if isinstance(parsed.request, GenerationRequest):
            return self._generate(parsed.request, prefer, origin, now, entry)
        return self._fetch(parsed.request, generation, origin, now, entry)

    def _generate(self, request: GenerationRequest, prefer: Prefer, origin: str, now: float,
                  entry: dict[str, Any]) -> MockResponse:
        config = self.config
        with self._lock:
            if config.failure_rate and self._failures.random() < config.failure_rate:
                return self._error("failed", entry)
            seed = request.seed if request.seed is not None else self._seeds.randrange(2 ** 32)
            eta = self._eta(request, prefer, now)
        flags = request.flags
        job = Job(
            id=self.store.new_id(now), endpoint=request.endpoint, created=now,
            due=now + (eta or 0.0),
            samples=request.samples, meta=bodies.meta(request, seed),
            generation_time=bodies.generation_time(request), seed=seed, prompt=request.prompt,
            width=request.width, height=request.height,
            upscale=bodies.effective_upscale(request), base64=flags["base64"],
            origin=origin,
            expires=now + float(spec.contract().limits["temp_link_seconds"])
            if flags["temp"] else None,
            webhook=request.webhook, track_id=request.track_id,
            warning=bodies.flux_warning(request), queued=eta is not None)
        self.store.put(job, now)
        entry["job"] = job.id
        if eta is None:
            entry["outcome"] = "success"
            self._finish(job)
            return json_response(200, bodies.success(job, origin))
        entry["outcome"] = "processing"
        with self._lock:
            _push(self._pending, job.due, now, self.config.max_jobs)
            if job.webhook:
                _push(self._scheduled, (job.due, job.id), now, self.config.max_jobs)
        if job.webhook and self._timers is not None:
            self._timers.wake()
        return json_response(200, bodies.processing(
            job, origin, self._fetch_path[job.endpoint], eta, quirks=config.quirks,
            from_fetch=False))

    def _eta(self, request: GenerationRequest, prefer: Prefer, now: float) -> float | None:
        """Seconds until the job is done if it is queued, None when it is answered at once."""
        if prefer.eta is not None:
            return prefer.eta
        if prefer.status == "processing":
            return self.config.eta
        if prefer.status == "success":
            return None
        policy = self.config.queue
        if policy == "always":
            return self.config.eta
        if policy == "workload":
            while self._pending and self._pending[0] <= now:
                heapq.heappop(self._pending)
            if bodies.workload(request) > WORKLOAD_UNITS or len(self._pending) >= \
                    WORKLOAD_PENDING:
                return self.config.eta
        return None

    def _fetch(self, request: FetchRequest, generation: str, origin: str, now: float,
               entry: dict[str, Any]) -> MockResponse:
        raw = request.request_id.strip()
        job = self.store.get(int(raw), now) if raw.isdigit() and len(raw) <= 18 else None
        if job is None or job.endpoint != generation:
            return self._error("unknown_job", entry)
        entry["job"] = job.id
        if now < job.due:
            entry["outcome"] = "processing"
            return json_response(200, bodies.processing(job, origin, self._fetch_path[job.endpoint],
                                                job.due - now, quirks=self.config.quirks,
                                                from_fetch=True))
        entry["outcome"] = "success"
        self._finish(job)
        return json_response(200, bodies.success(job, origin))

    # -- job ends and webhooks ----------------------------------------------------------

    def _finish(self, job: Job) -> None:
        """End the job once (whoever gets here first) and send its webhook."""
        if job.finished or not self.store.finish(job.id):
            return
        if not job.webhook:
            return
        if not allowed(job.webhook, self.config.webhook_hosts):
            self.journal.add({"kind": "webhook", "job": job.id, "url": job.webhook,
                              "outcome": "refused",
                              "reason": "host not in webhook_hosts"})
            return
        payload = {**bodies.success(job, job.origin), "track_id": job.track_id,
                   "webhook_status": "complete"}

        def report(outcome: dict[str, Any]) -> None:
            self.journal.add({**outcome, "job": job.id})

        self.webhooks.send(job.webhook, payload, report)

    def next_due(self) -> float | None:
        """When the next queued job with a webhook ends (None: there is none)."""
        with self._lock:
            return self._scheduled[0][0] if self._scheduled else None

    def run_due(self) -> int:
        """End every queued job with a webhook whose time has come; returns how many."""
        now = self.clock()
        due: list[int] = []
        with self._lock:
            while self._scheduled and self._scheduled[0][0] <= now:
                due.append(heapq.heappop(self._scheduled)[1])
        for job_id in due:
            job = self.store.get(job_id, now)
            if job is not None:
                self._finish(job)
        return len(due)

    # -- images -------------------------------------------------------------------------

    def _image(self, method: str, name: str) -> MockResponse:
        if method not in ("GET", "HEAD"):
            return json_response(405, {"status": "error", "message": "use GET for images"})
        match = _IMAGE.match(name)
        now = self.clock()
        job = self.store.get(int(match[1]), now) if match else None
        if match is None or job is None or job.digest != match[3] or \
                int(match[2]) >= job.samples or (match[4] == "base64") != job.base64:
            return json_response(404, {"status": "error", "message": "unknown or expired image"})
        if now < job.due or (job.expires is not None and now >= job.expires):
            why = "not ready yet" if now < job.due else "this temporary link has expired"
            return json_response(404, {"status": "error", "message": why})
        png = self.images.png(job.seed, job.prompt, int(match[2]), job.width * job.upscale,
                              job.height * job.upscale)
        if job.base64:
            import base64
            data, kind = base64.b64encode(png), "text/plain; charset=us-ascii"
        else:
            data, kind = png, "image/png"
        headers = {"content-type": kind, "cache-control": "public, max-age=3600"}
        return MockResponse(200, headers, b"" if method == "HEAD" else data)

    # -- errors -------------------------------------------------------------------------

    def _error(self, name: str, journal: dict[str, Any] | None,
               retry_after: int | None = None) -> MockResponse:
        response = self._error_body(bodies.error(name), name, journal)
        if name == "rate_limit" and response.status == 429 and retry_after is not None:
            response.headers["retry-after"] = str(retry_after)
        return response

    def _error_body(self, body: dict[str, Any], name: str,
                    journal: dict[str, Any] | None) -> MockResponse:
        if journal is not None:
            journal["outcome"] = name
        return json_response(bodies.http_status(name, self.config.error_mode), body)

    def _invalid(self, messages: dict[str, list[str]], rules: list[str],
                 entry: dict[str, Any]) -> MockResponse:
        entry["rules"] = rules
        return self._error_body({"status": "error", "message": messages}, "validation", entry)


class _Timers:
    """A daemon thread that calls `engine.run_due()` when the next webhook job is due."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(target=self._run, name="mock-timers",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            self._engine.run_due()
            due = self._engine.next_due()
            timeout = None if due is None else max(0.0, due - self._engine.clock())
            self._wake.wait(timeout)
            self._wake.clear()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)


def _push(heap: list[Any], item: Any, now: float, bound: int) -> None:
    """Push onto a heap of due times, dropping the entries already due past `bound`."""
    heapq.heappush(heap, item)
    if len(heap) > bound:
        while heap and len(heap) > bound // 2 and _due(heap[0]) <= now:
            heapq.heappop(heap)
        while len(heap) > bound:
            heapq.heappop(heap)


def _due(item: Any) -> float:
    return float(item[0] if isinstance(item, tuple) else item)


class Headers(dict[str, str]):
    """Request headers whose names are already lower-case (the ASGI adapter's): a header
    that is not there is looked up once, not searched for in every spelling."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and type(headers) is not Headers:
        for k, v in headers.items():
            if k.lower() == name:
                return v
    return value


_DECODER = json.JSONDecoder()


def _decode(body: bytes) -> Any:
    try:
        if body[:1] == b"{" and body[1:2] != b"\0":
            # What `json.loads` does with UTF-8 bytes (it checks the first bytes for UTF-16 and
            # UTF-32), without its checks and lookups.
            return _DECODER.decode(body.decode("utf-8", "surrogatepass"))
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _key_of(body: bytes) -> object:
    decoded = _decode(body) if len(body) < 1 << 20 else None
    return decoded.get("key") if isinstance(decoded, dict) else None
