"""The apply stage: what a `mockserver.decide` decision leaves behind, for `Engine`.

The response it makes, the job it stores, queues or ends (once, whoever gets there first), and
that job's webhook; queued jobs with a webhook end when due (`run_due`, `next_due`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import spec
from mockserver import bodies, handler
from mockserver.config import MockConfig
from mockserver.decide import Decision, Error, Generate, Pending, Ready, error
from mockserver.jobs import Job, Store, StoreFull
from mockserver.journal import Delivery
from mockserver.leases import Leases
from mockserver.response import JSON_HEADERS, MockResponse, dump, json_response
from mockserver.scopes import owner_of
from mockserver.timers import Timers
from mockserver.webhooks import WebhookSender, allowed


class Applier:
    """Applies decisions to the store and the webhook sender. `config_for(scope)` gives a
    namespace's settings (for `webhook_hosts`); `timers`, when set, is woken by new due jobs."""

    def __init__(self, store: Store, webhooks: WebhookSender, clock: Callable[[], float],
                 config_for: Callable[[str], MockConfig]) -> None:
        self.store = store
        self.webhooks = webhooks
        self.clock = clock
        self.timers: Timers | None = None
        self._config_for = config_for
        self._journal = store.journal
        self._pending = store.pending
        self._scheduled = store.scheduled
        self.leases = Leases(store.scheduled, clock, store.shared)

    def answer(self, decision: Decision, config: MockConfig, origin: str,
               now: float, scope: str = "") -> tuple[MockResponse, int | None, str]:
        """The response a decision makes, the job it made or fetched, and the outcome."""
        if type(decision) is Error:
            http = config.error_mode == "http"
            body = bodies.validation(decision.messages, http=http) \
                if decision.messages is not None else \
                bodies.error(decision.name, decision.message, http=http,
                             retry_after=decision.retry_after, model_id=decision.model_id)
            response = json_response(decision.status, body)
            if decision.retry_after is not None and decision.status == 429:
                response.headers["retry-after"] = str(decision.retry_after)
            return response, None, decision.name
        if type(decision) is Generate:
            pending = self._pending
            most = min(config.max_jobs, self.store.max_jobs)  # (a store may keep fewer)
            if len(pending) >= most and pending.count(now) >= most:
                # The store is full of unfinished jobs: new work is refused, none is evicted.
                soonest = pending.next() or now
                return self.answer(error("rate_limit", config,
                                         retry_after=max(1, math.ceil(soonest - now))),
                                   config, origin, now, scope)
            try:
                job = self._make(decision, origin, now, scope)
            except StoreFull:  # full in bytes of unfinished jobs: refused as when full by count
                return self.answer(error("rate_limit", config, retry_after=max(1, math.ceil(
                    (pending.next() or now) - now))), config, origin, now, scope)
            if decision.eta is None:
                self.finish(job)
                return json_response(200, bodies.success(job, origin)), job.id, "success"
            self._pending.push(job.due, job.id, now, config.max_jobs)
            if job.webhook:
                self._scheduled.push(job.due, job.id, now, config.max_jobs)
                if self.timers is not None:
                    self.timers.wake()
            return (_processing(job, origin, decision.eta, config, from_fetch=False), job.id,
                    "processing")
        if type(decision) is Pending:
            return (_processing(decision.job, origin, decision.eta, config, from_fetch=True),
                    decision.job.id, "processing")
        assert isinstance(decision, Ready), decision  # WrongMethod and Lookup never get here
        self.finish(decision.job)
        outcome, body = bodies.ended(decision.job, origin)
        return json_response(200, body), decision.job.id, outcome

    def _make(self, decision: Generate, origin: str, now: float, scope: str = "") -> Job:
        """Store the job a `Generate` decision asks for."""
        r, eta, seed = decision.request, decision.eta, decision.seed
        job_id = self.store.new_id(now)
        upscale = bodies.effective_upscale(r)
        flags = r.flags
        # Positional, in `Job`'s field order: keywords would triple the cost of building it.
        job = Job(
            r.endpoint, now, now + (eta or 0.0), r.samples, bodies.meta(r, seed, upscale),
            bodies.generation_time(r, upscale), seed, r.prompt, r.width, r.height, upscale,
            flags.get("base64", False), origin,
            now + float(spec.contract().limits["temp_link_seconds"])
            if flags.get("temp") else None,
            r.webhook, r.track_id, bodies.flux_warning(r) if r.ignored else None,
            eta is not None,
            spec.contract().errors["failed"]["message"] if decision.fails else None,
            job_id, scope, owner_of(r.key))
        self.store.put(job, now)
        return job

    # -- job ends and webhooks ----------------------------------------------------------

    def finish(self, job: Job, again: bool = False) -> bool:
        """End the job once (whoever gets here first) and send its webhook, holding a lease on
        it until the outcome is journaled (`mockserver.leases`). `again`: this mock claimed the
        webhook again after its holder's lease expired, and sends it though the job ended.
        True when this call sent (or journaled the refusal of) the webhook."""
        ended = not job.finished and self.store.finish(job.id)
        if not (ended or again) or not job.webhook:
            return False
        leases = self.leases
        if not again:
            leases.hold(job.id)
        if not allowed(job.webhook, self._config_for(job.scope).webhook_hosts):
            self._journal.add(Delivery(job.id, job.webhook, "refused",
                                       reason="host not in webhook_hosts", scope=job.scope))
            leases.done(job.id)
            return True
        payload = bodies.webhook(job)

        def report(outcome: dict[str, Any]) -> None:
            try:
                self._journal.add(Delivery.of(job.id, outcome, job.scope))
            finally:
                leases.recorded(job.id, outcome)

        self.webhooks.send(job.webhook, payload, report)
        return True

    def next_due(self) -> float | None:
        """When the next queued job with a webhook ends (None: there is none)."""
        return self._scheduled.next()

    def run_due(self) -> int:
        """End every queued job with a webhook whose time has come (and send the webhooks
        whose lease expired unrecorded); returns how many."""
        now = self.clock()
        leases = self.leases
        leases.renew(now)
        due = leases.claim(now)
        for job_id, again in due:
            job = self.store.get(job_id, now)
            if job is None or not job.webhook:
                leases.done(job_id)  # evicted or expired: no webhook to send
            elif not ((again or not job.finished) and self.finish(job, again)):
                leases.drop(job_id)  # its ender sends it (or, if it died, its lease expires)
        return len(due)


def _processing(job: Job, origin: str, eta: float, config: MockConfig, *,
                from_fetch: bool) -> MockResponse:
    body = bodies.processing(job, origin, handler.fetch_path(job.endpoint, job.id), eta,
                             quirks=config.quirks, from_fetch=from_fetch)
    return json_response(200, body)


def wrong_method(status: int, endpoint: str) -> MockResponse:
    """The answer to a generation or fetch endpoint asked with another method than POST."""
    return MockResponse(status, {"allow": "POST, OPTIONS", **JSON_HEADERS},
                        b"" if status == 204 else dump(
                            {"status": "error", "message": f"use POST for {endpoint}"}))
