"""The stateful shell: applies `mockserver.decide`'s decisions and keeps what they leave behind.

A request goes through three stages: `request.read` decodes it, `decide.decide` says what to
answer, and the engine applies that (`mockserver.apply` stores the job, ends it, sends its
webhook, renders the body) and writes ONE `journal.Record`. Routing is `mockserver.handler`'s;
adapters (ASGI, httpx/respx, CLI) only move bytes and honour `MockResponse.delay`.

Every limit comes from `spec.contract()` and every validation from `contracts.parse`. Jobs go
through the injected store, webhooks through the injected sender, time through the injected
clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from contracts.control import NAMESPACE_HEADER, NAMESPACE_PATH
from contracts.redaction import redact_key
from mockserver import handler, limits, preferences, request
from mockserver._group_commit import GroupCommit
from mockserver._image_links import image_answer
from mockserver.apply import Applier, wrong_method
from mockserver.config import SCENARIOS, SETTINGS, MockConfig
from mockserver.decide import Decision, Dice, Error, Lookup, WrongMethod, decide, decide_fetch
from mockserver.images import ImageCache
from mockserver.jobs import Job, Store, open_store
from mockserver.journal import Record, unechoed
from mockserver.response import MockResponse, json_response
from mockserver.scopes import JournalView, Scope, current, namespace_of, owner_of
from mockserver.timers import Timers
from mockserver.webhooks import ThreadedSender, WebhookSender

Clock = Callable[[], float]

#: Bodies up to this size are kept in the journal (larger ones are not).
JOURNAL_BODY_BYTES = limits.JOURNAL_BODY_BYTES
#: Seconds between two looks for due jobs in a shared store (other mocks add them too, and
#: a mock that died leaves its due jobs to the others).
SHARED_POLL = 0.5


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
                 store: Store | None = None, webhooks: WebhookSender | None = None,
                 timers: bool | None = None) -> None:
        self.initial_config = config or MockConfig()
        self.config = self.initial_config
        self.clock: Clock = clock or time.time
        # (`is None`: an empty store is falsy, and must still be the one used.)
        self.store: Store = store if store is not None else open_store(
            self.config.store, self.config.max_jobs, self.config.job_ttl)
        self.webhooks: WebhookSender = webhooks or ThreadedSender()
        self.images = ImageCache()
        self._lock = threading.Lock()
        self._journal = self.store.journal
        self._limiter = self.store.limiter
        self._pending = self.store.pending
        self._scheduled = self.store.scheduled
        self._shared = self.store.shared
        #: `close` was called: no more requests (its store, timers and sender are shut).
        self.closed = False
        self.api: handler.Api = self._batched if self._shared else self._api
        #: A shared store that commits a loop turn's requests together (`grouped`).
        self.groups = self._shared and callable(getattr(self.store, "commit", None))
        self._group = GroupCommit(self.store)
        #: Namespace -> its record (settings, reset marks), as of the store's `_stamp`.
        self._scopes: dict[str, Scope] = {}
        self._records: dict[str, str] = {}
        self._stamp = -1
        self._dice = Dice.seeded(self.config.seed)
        self._refresh()
        self._applier = Applier(self.store, self.webhooks, self.clock, self._config_for)
        self._timers = self._applier.timers = Timers(self.run_due, self.next_due, self.clock,
                                                     SHARED_POLL if self._shared else None) \
            if (clock is None if timers is None else timers) else None
        if self._timers is not None and self._shared:
            self._timers.wake()  # due jobs left by a restart or by another mock

    # -- namespaces and shared settings -------------------------------------------------

    def _refresh(self) -> None:
        """Read the settings of every namespace from the store (when they changed)."""
        stamp, records = self.store.settings()
        scopes = {}
        for name, text in records.items():
            old = self._scopes.get(name)
            scopes[name] = old if old is not None and self._records.get(name) == text \
                else Scope.loads(text)
        self._records = records
        shared = scopes.pop("", None)
        config = shared.config if shared is not None and shared.config is not None \
            else self.initial_config
        if config != self.config:
            reseed = config.seed != self.config.seed
            self._apply(config)
            if reseed:
                self._dice = Dice.seeded(config.seed)
        self._scopes = scopes
        self._stamp = stamp

    def scoped_config(self) -> MockConfig:
        """The settings of the current request's namespace (the shared ones outside one)."""
        return self._config_for(current.get())

    def _config_for(self, scope: str) -> MockConfig:
        record = self._scopes.get(scope) if scope else None
        return self.config if record is None or record.config is None else record.config

    def _save(self, scope: str, record: Scope) -> None:
        self.store.set_settings(scope, record.dumps())
        self._refresh()

    @property
    def journal(self) -> JournalView:
        """The journal as the current request's namespace sees it."""
        scope = current.get()
        record = self._scopes.get(scope) if scope else None
        return JournalView(self._journal, scope, record.journal_after if record else 0,
                           lambda: self._mark(scope, journal_only=True))

    def _mark(self, scope: str, *, journal_only: bool = False) -> None:
        """Forget a namespace's entries (and, unless `journal_only`, its jobs and settings)."""
        with self._lock:
            old = self._scopes.get(scope, Scope())
            self._save(scope, Scope(
                old.config if journal_only else None,
                old.jobs_after if journal_only else self.store.last_id(),
                self._journal.last_seq()))

    # -- control ------------------------------------------------------------------------

    def configure(self, **changes: Any) -> MockConfig:
        """Change settings while running (`store` cannot change; bounds apply from now on)."""
        if "store" in changes and changes["store"] != self.config.store:
            raise ValueError("store cannot change while the mock runs")
        scope = current.get()
        with self._lock:
            new = self._config_for(scope).replace(**changes)
            old = self._scopes.get(scope, Scope()) if scope else Scope()
            self._save(scope, old._replace(config=new))
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
        """Forget jobs, journal, rate counts and images; restore the starting configuration.
        In a namespace: forget its jobs, entries and settings only."""
        scope = current.get()
        if scope:
            self._mark(scope)
            return
        with self._lock:
            self.store.clear()
            self.images.clear()
            self._refresh()
            self._apply(self.initial_config)
            self._dice = Dice.seeded(self.config.seed)

    def health(self) -> dict[str, int]:
        return {"jobs": len(self.store), "journal": len(self._journal),
                "images_cached": len(self.images)}

    def close(self) -> None:
        self.closed = True
        if self._timers is not None:
            self._timers.stop()
        self.webhooks.close()
        self.store.close()
        self.images.close()

    # -- requests -----------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
               origin: str) -> MockResponse:
        """Answer one HTTP request. Never raises (an unexpected failure is a 500 error body),
        but after `close`: then its caller's mistake, said as such."""
        if self.closed:
            raise RuntimeError("the engine is closed")
        if self._shared and self.store.stamp() != self._stamp:
            self._refresh()
        if not path.startswith(NAMESPACE_PATH) and NAMESPACE_HEADER not in headers:
            return handler.dispatch(self, method, path, headers, body,
                                    self.config.origin or origin)
        scope, path, prefixed = namespace_of(path, headers, origin)
        if scope == "!":
            return json_response(400, {"status": "error", "message": "a namespace is 1-128 "
                                       "of A-Z a-z 0-9 . _ -"})
        own = self._config_for(scope).origin  # (in place of the request's; the prefix kept)
        origin = own.rstrip("/") + prefixed[len(origin):] if own else prefixed
        token = current.set(scope)
        try:
            return handler.dispatch(self, method, path, headers, body, origin)
        finally:
            current.reset(token)

    def _batched(self, route: handler.Route, method: str, headers: Mapping[str, str],
                 body: bytes, origin: str, query: str) -> MockResponse:
        """`_api` in one transaction (a shared store: SQLite commits the request's writes
        once). It is `api` for shared stores."""
        with self.store.batch():
            return self._api(route, method, headers, body, origin, query)

    async def grouped(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
                      origin: str) -> MockResponse:
        """`handle` for an event loop on a shared store (`groups`): the request's writes are
        committed with those of the other requests handled in the same loop turn, in one
        transaction, before it returns (so never answered before they are stored)."""
        return await self._group.run(lambda: self.handle(method, path, headers, body, origin),
                                     self._config_for(namespace_of(path, headers, origin)[0])
                                     .error_mode)

    def handle_later(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
                     origin: str, send: Callable[[MockResponse], None]) -> MockResponse | None:
        """`grouped` for a caller in an event loop that cannot await (the direct path): the
        answer, when it may be sent now; else None, and `send` gets it once the turn's
        commit has stored its writes (`_group_commit.failed` if the commit lost them)."""
        if not self.groups:
            return self.handle(method, path, headers, body, origin)
        return self._group.answer(lambda: self.handle(method, path, headers, body, origin),
                                  self.config.error_mode, send)

    def _api(self, route: handler.Route, method: str, headers: Mapping[str, str], body: bytes,
             origin: str, query: str) -> MockResponse:
        """Read, decide, apply, record: one request to a generation or fetch endpoint (`api`,
        for a store of one process)."""
        started = time.perf_counter()
        scope = current.get()
        record = self._scopes.get(scope) if scope else None
        config = self.config if record is None or record.config is None else record.config
        now = self.clock()
        call = request.read(method, route.template, route.generation or route.template,
                            route.path_id, headers, body, config.max_body_bytes, query)
        key = call.key
        name = redact_key(key) if call.is_object else None
        limit = config.rate_limit
        # The (redacted) key the rate limit applies to, if it does.
        rated = name if limit is not None and type(key) is str and key else None
        # Asked and counted in one atomic step; taken back below if the decision does not count.
        wait = None if rated is None or limit is None else \
            self._limiter.reserve(rated, limit, now)
        pending = self._pending.count(now) if config.queue == "workload" else 0
        decision: Decision = decide(call, config, dice=self._dice, rate_wait=wait,
                                    pending=pending)
        if rated is not None and wait is None and not decision.counts:
            self._limiter.release(rated, now)
        if type(decision) is WrongMethod:
            return wrong_method(decision.status, route.template)
        if type(decision) is Lookup:
            found = self.store.get(decision.job_id, now)
            if found is not None and (found.scope != scope or (
                    record is not None and found.id <= record.jobs_after)
                    or found.owner not in ("", owner_of(key))):
                found = None  # another namespace's or key's job, or one its reset forgot
            decision = decide_fetch(found, call.generation, now, config)
        response, job, outcome = self._applier.answer(decision, config, origin, now, scope)
        if call.prefer_text is not None and call.prefer_refused is None:
            preferences.mark_applied(response, call.prefer_text, outcome,
                                     generation=route.kind == "generation")
        delay = config.delay.draw(self._dice.latency) if config.delay.kind != "none" else 0.0
        # Positional (time, method, path, status, outcome, json_body, key, body, prefer, rules,
        # job, response, latency_ms, scope): keywords would triple the cost of building it.
        kept = call.is_object and call.size <= JOURNAL_BODY_BYTES
        self._journal.add(Record(
            now, method, call.path, response.status, outcome, call.is_object, name,
            # The bytes as sent when they are the body and the journal keeps them (one object
            # to keep, decoded only when read), else the fields (with the query's and headers'
            # joined): a journal that encodes at once need not decode them again.
            (call.decoded if call.merged or not self._journal.keeps else call.body)
            if kept else None,
            call.prefer_text, decision.rules or None if type(decision) is Error else None, job,
            # (a body too large to keep: its secrets are scrubbed from the answer now)
            response.body if kept or not call.is_object else unechoed(response.body,
                                                                       call.decoded),
            round((delay + time.perf_counter() - started) * 1000, 3), scope))
        return response if not delay else MockResponse(response.status, response.headers,
                                                       response.body, delay)

    # -- job ends and webhooks (`mockserver.apply`) -------------------------------------

    def end_job(self, job: Job) -> None:
        """End `job` now, once, with its webhook (the admin API's "finish now" and "fail now":
        `mockserver.jobview.end` stores it due, and failed if it is to fail)."""
        self._applier.finish(job)

    def next_due(self) -> float | None:
        """When the next queued job with a webhook ends (None: there is none)."""
        return self._applier.next_due()

    def run_due(self) -> int:
        """End every queued job with a webhook whose time has come; returns how many."""
        return self._applier.run_due()

    # -- images -------------------------------------------------------------------------

    def image(self, method: str, name: str) -> MockResponse:
        """A job's image (a PNG, or its base64 text), while the job and its link live."""
        return image_answer(self.store, self.images, self.clock(), method, name)
