"""The stateful shell: applies `mockserver.decide`'s decisions and keeps what they leave behind.

A request goes through three stages: `request.read` decodes it, `decide.decide` says what to
answer, and the engine applies that: it stores the job, ends it (sending its webhook), renders
the body and writes ONE `journal.Record`. Routing is `mockserver.handler`'s; adapters (ASGI,
httpx/respx, CLI) only move bytes and honour `MockResponse.delay`.

Every limit comes from `spec.contract()` and every validation from `contracts.parse`. Jobs go
through the injected store, webhooks through the injected sender, time through the injected
clock.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import spec
from contracts.redaction import redact_key
from mockserver import bodies, handler, request
from mockserver.config import SCENARIOS, SETTINGS, MockConfig
from mockserver.decide import (
    Decision,
    Dice,
    Error,
    Generate,
    Lookup,
    Pending,
    Ready,
    WrongMethod,
    decide,
    decide_fetch,
)
from mockserver.images import ImageCache
from mockserver.jobs import Job, JobStore, open_store
from mockserver.journal import Delivery, Journal, Record
from mockserver.ratelimit import RateLimiter
from mockserver.response import JSON_HEADERS, MockResponse, dump, json_response
from mockserver.timers import DueTimes, Timers
from mockserver.webhooks import ThreadedSender, WebhookSender, allowed

Clock = Callable[[], float]

#: Bodies up to this size are kept in the journal (larger ones are not).
JOURNAL_BODY_BYTES = 4096
_IMAGE = re.compile(r"^(\d{1,18})-(\d{1,2})-([0-9a-f]{10})\.(png|base64)$")


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
        self._lock = threading.Lock()
        self._limiter = RateLimiter()
        self._pending = DueTimes()
        self._scheduled = DueTimes()
        self._dice = Dice.seeded(self.config.seed)
        self._timers = Timers(self.run_due, self.next_due, self.clock) \
            if (clock is None if timers is None else timers) else None

    # -- control ------------------------------------------------------------------------

    def configure(self, **changes: Any) -> MockConfig:
        """Change settings while running (`store` cannot change; bounds apply from now on)."""
        if "store" in changes and changes["store"] != self.config.store:
            raise ValueError("store cannot change while the mock runs")
        new = self.config.replace(**changes)
        with self._lock:
            reseed = new.seed != self.config.seed
            self._apply(new)
            if reseed:
                self._dice = Dice.seeded(new.seed)
        return new

    def _apply(self, config: MockConfig) -> None:
        self.config = config
        self.store.max_jobs = config.max_jobs
        self.store.ttl = config.job_ttl

    def scenario(self, name: str) -> MockConfig:
        """Apply a preset from `SCENARIOS` over the starting configuration."""
        base = self.initial_config
        current = {name: getattr(base, name) for name in SETTINGS if name != "store"}
        return self.configure(**{**current, **SCENARIOS[name]})

    def reset(self) -> None:
        """Forget jobs, journal, rate counts and images; restore the starting configuration."""
        with self._lock:
            self._apply(self.initial_config)
            self.store.clear()
            self.journal.clear()
            self.images.clear()
            self._limiter.clear()
            self._pending.clear()
            self._scheduled.clear()
            self._dice = Dice.seeded(self.config.seed)

    def health(self) -> dict[str, int]:
        return {"jobs": len(self.store), "journal": len(self.journal),
                "images_cached": len(self.images)}

    def close(self) -> None:
        if self._timers is not None:
            self._timers.stop()
        self.webhooks.close()
        self.store.close()

    # -- requests -----------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
               origin: str) -> MockResponse:
        """Answer one HTTP request. Never raises; an unexpected failure is a 500 error body."""
        return handler.dispatch(self, method, path, headers, body, origin)

    def api(self, route: handler.Route, method: str, headers: Mapping[str, str], body: bytes,
            origin: str) -> MockResponse:
        """Read, decide, apply, record: one request to a generation or fetch endpoint."""
        config = self.config
        now = self.clock()
        call = request.read(method, route.template, route.generation or route.template,
                            route.path_id, headers, body, config.max_body_bytes)
        key = call.key
        name = redact_key(key) if call.is_object else None
        limit = config.rate_limit
        # The (redacted) key the rate limit applies to, if it does.
        rated = name if limit is not None and type(key) is str and key else None
        wait = None if rated is None or limit is None else self._limiter.wait(rated, limit, now)
        pending = self._pending.count(now) if config.queue == "workload" else 0
        decision: Decision = decide(call, config, dice=self._dice, rate_wait=wait,
                                    pending=pending)
        if type(decision) is WrongMethod:
            return _wrong_method(decision.status, route.template)
        if rated is not None and decision.counts:
            self._limiter.count(rated, now)
        if type(decision) is Lookup:
            decision = decide_fetch(self.store.get(decision.job_id, now), call.generation, now,
                                    config)
        response, job, outcome = self._answer(decision, config, origin, now)
        # Positional (time, method, path, status, outcome, json_body, key, body, prefer, rules,
        # job): keywords would triple the cost of building it.
        self.journal.add(Record(
            now, method, call.path, response.status, outcome, call.is_object, name,
            call.decoded if call.is_object and call.size <= JOURNAL_BODY_BYTES else None,
            call.prefer_text, decision.rules or None if type(decision) is Error else None, job))
        delay = config.delay.draw(self._dice.latency) if config.delay.kind != "none" else 0.0
        return response if not delay else MockResponse(response.status, response.headers,
                                                       response.body, delay)

    def _answer(self, decision: Decision, config: MockConfig, origin: str,
                now: float) -> tuple[MockResponse, int | None, str]:
        """The response a decision makes, the job it made or fetched, and the outcome."""
        if type(decision) is Error:
            body = bodies.validation(decision.messages) if decision.messages is not None \
                else bodies.error(decision.name)
            response = json_response(decision.status, body)
            if decision.retry_after is not None:
                response.headers["retry-after"] = str(decision.retry_after)
            return response, None, decision.name
        if type(decision) is Generate:
            job = self._make(decision, origin, now)
            if decision.eta is None:
                self._finish(job)
                return json_response(200, bodies.success(job, origin)), job.id, "success"
            self._pending.push(job.due, job.id, now, config.max_jobs)
            if job.webhook:
                self._scheduled.push(job.due, job.id, now, config.max_jobs)
                if self._timers is not None:
                    self._timers.wake()
            return (_processing(job, origin, decision.eta, config, from_fetch=False), job.id,
                    "processing")
        if type(decision) is Pending:
            return (_processing(decision.job, origin, decision.eta, config, from_fetch=True),
                    decision.job.id, "processing")
        assert isinstance(decision, Ready), decision  # WrongMethod and Lookup never get here
        self._finish(decision.job)
        return json_response(200, bodies.success(decision.job, origin)), decision.job.id, \
            "success"

    def _make(self, decision: Generate, origin: str, now: float) -> Job:
        """Store the job a `Generate` decision asks for."""
        r, eta = decision.request, decision.eta
        job = Job(
            id=self.store.new_id(now), endpoint=r.endpoint, created=now, due=now + (eta or 0.0),
            samples=r.samples, meta=bodies.meta(r, decision.seed),
            generation_time=bodies.generation_time(r), seed=decision.seed, prompt=r.prompt,
            width=r.width, height=r.height, upscale=bodies.effective_upscale(r),
            base64=r.flags["base64"], origin=origin,
            expires=now + float(spec.contract().limits["temp_link_seconds"])
            if r.flags["temp"] else None,
            webhook=r.webhook, track_id=r.track_id, warning=bodies.flux_warning(r),
            queued=eta is not None)
        self.store.put(job, now)
        return job

    # -- job ends and webhooks ----------------------------------------------------------

    def _finish(self, job: Job) -> None:
        """End the job once (whoever gets here first) and send its webhook."""
        if job.finished or not self.store.finish(job.id):
            return
        if not job.webhook:
            return
        if not allowed(job.webhook, self.config.webhook_hosts):
            self.journal.add(Delivery(job.id, job.webhook, "refused",
                                      reason="host not in webhook_hosts"))
            return
        payload = {**bodies.success(job, job.origin), "track_id": job.track_id,
                   "webhook_status": "complete"}

        def report(outcome: dict[str, Any]) -> None:
            self.journal.add(Delivery.of(job.id, outcome))

        self.webhooks.send(job.webhook, payload, report)

    def next_due(self) -> float | None:
        """When the next queued job with a webhook ends (None: there is none)."""
        return self._scheduled.next()

    def run_due(self) -> int:
        """End every queued job with a webhook whose time has come; returns how many."""
        now = self.clock()
        due = self._scheduled.pop_due(now)
        for job_id in due:
            job = self.store.get(job_id, now)
            if job is not None:
                self._finish(job)
        return len(due)

    # -- images -------------------------------------------------------------------------

    def image(self, method: str, name: str) -> MockResponse:
        """A job's image (a PNG, or its base64 text), while the job and its link live."""
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
            data, kind = base64.b64encode(png), "text/plain; charset=us-ascii"
        else:
            data, kind = png, "image/png"
        headers = {"content-type": kind, "cache-control": "public, max-age=3600"}
        return MockResponse(200, headers, b"" if method == "HEAD" else data)


def _processing(job: Job, origin: str, eta: float, config: MockConfig, *,
                from_fetch: bool) -> MockResponse:
    body = bodies.processing(job, origin, handler.fetch_path(job.endpoint, job.id), eta,
                             quirks=config.quirks, from_fetch=from_fetch)
    return json_response(200, body)


def _wrong_method(status: int, endpoint: str) -> MockResponse:
    return MockResponse(status, {"allow": "POST, OPTIONS", **JSON_HEADERS},
                        b"" if status == 204 else dump(
                            {"status": "error", "message": f"use POST for {endpoint}"}))
