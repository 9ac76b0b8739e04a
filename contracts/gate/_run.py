"""The gate's loop: boundary-first coverage, then the other boundaries and exploration."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts import checks, strategies
from contracts.checks import Exchange, Outcome, Reply, key_is_ours
from contracts.client import Backoff, Budget, BudgetExhausted, Target
from contracts.gate._coverage import required_requests
from contracts.gate._crash import Crashes
from contracts.gate._exchange import WEBHOOK_WAIT, execute, needs_webhook
from contracts.gate._preflight import preflight, redirect
from contracts.gate._progress import Lines
from contracts.gate._result import DEFAULT_FAULT_THRESHOLD, Fault, GateResult
from contracts.redaction import Scrubber
from contracts.reply import FAULT, classify
from contracts.rules import RULES, WEBHOOK_DELIVERY, WEBHOOK_TRACK_ID, Rule
from contracts.strategies import Case
from contracts.vocabulary import FAIL, MOCK_KEY
from contracts.webhooks import WebhookReceiver

#: The origin used for the in-process mock (no socket: any host reaches the transport).
IN_PROCESS = "http://mock.modelslab-contract.invalid"
DEFAULT_BUDGET = 600
DEFAULT_EXPLORE = 100
#: Seconds the whole gate may take; past it the client sends nothing more.
DEFAULT_DEADLINE = 600.0


@dataclass(frozen=True)
class GateConfig:
    """How to run the gate. With no `base_url` and no `transport`, the in-process mock."""

    base_url: str | None = None
    #: The API key (never written anywhere; the mock accepts any non-empty key).
    key: str = MOCK_KEY
    budget: int = DEFAULT_BUDGET
    #: Seconds the run may take (None: no deadline); the client refuses to send past it.
    deadline: float | None = DEFAULT_DEADLINE
    seed: int = 0
    #: Exploration cases after the boundaries (fewer if the budget runs out).
    explore: int = DEFAULT_EXPLORE
    model_ids: tuple[str, ...] = (strategies.MODEL_ID,)
    backoff: Backoff = field(default_factory=Backoff)
    #: An httpx transport to use instead of the network (tests, mutants, in-process mocks).
    transport: httpx.BaseTransport | None = None
    #: Show a progress bar (None: only on a terminal).
    progress: bool | None = None
    sleep: Callable[[float], None] = time.sleep
    #: Mock settings for the in-process default (a `mockserver.MockConfig`'s field values).
    mock: tuple[tuple[str, Any], ...] = ()
    #: Most faults, as a share of the exchanges, before the run is "could not run" (exit 2).
    fault_threshold: float = DEFAULT_FAULT_THRESHOLD
    #: Send one request first to tell whether the target is this API at all.
    preflight: bool = True


def _in_process(config: GateConfig) -> httpx.BaseTransport:
    import mockserver  # lazily: contracts never imports the mock at module level

    settings = {"accepted_keys": frozenset({config.key}), "seed": config.seed,
                **dict(config.mock)}
    return mockserver.transport(mockserver.MockConfig(**settings))


def explore_cases(n: int, seed: int, model_ids: Sequence[str] = (strategies.MODEL_ID,)
                  ) -> list[Case]:
    """`n` exploration cases drawn by Hypothesis, reproducibly from `seed`."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    out: list[Case] = []
    if n <= 0:
        return out

    @settings(database=None, max_examples=n, derandomize=False, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(strategies.cases(model_ids=model_ids))
    def collect(case: Case) -> None:
        out.append(case)

    collect()
    return out[:n]


def _targets() -> list[tuple[Rule, str]]:
    return [(r, s) for r in RULES.values() for s in r.sides]


def _faulty(ex: Exchange, reply: Reply) -> bool:
    """The reply is a backend fault (no verdict on the request)."""
    return classify(reply, key_is_ours=key_is_ours(ex.body)) == FAULT


def _cover_order(cases: list[Case]) -> Iterator[Case]:
    """Per (rule, side), its cases in order: the cover phase takes them until it is covered."""
    by_target: dict[tuple[Rule, str], list[Case]] = {}
    for c in cases:
        if c.rule is not None:
            by_target.setdefault((c.rule, c.side), []).append(c)
    for target in _targets():
        yield from by_target.get(target, [])[:2]


def _round_robin(cases: list[Case]) -> list[Case]:
    groups: dict[Rule | None, list[Case]] = {}
    for c in cases:
        groups.setdefault(c.rule, []).append(c)
    mixed = itertools.zip_longest(*groups.values())
    return [c for row in mixed for c in row if c is not None]


class _Run:
    def __init__(self, config: GateConfig, target: Target, result: GateResult,
                 tick: Callable[[], None], receiver: WebhookReceiver | None = None) -> None:
        self.receiver = receiver
        self.webhook_missed = False
        self.config = config
        self.target = target
        self.result = result
        self.tick = tick
        self.sent: set[int] = set()
        self.transport_errors = 0
        self.crashes = Crashes(target)

    def covered(self, rule: Rule, side: str) -> bool:
        tally = self.result.tallies.get(rule.id)
        return tally is not None and side in tally.sides

    def send(self, case: Case) -> Exchange:
        self.sent.add(id(case))
        started = time.monotonic()
        # Once a webhook went missing, later ones are waited for briefly (the verdict stands).
        ex = execute(self.target, case, receiver=self.receiver,
                     wait=0.2 if self.webhook_missed else WEBHOOK_WAIT)
        if ex.webhooks == ():
            self.webhook_missed = True
        if case.rule is not None:
            self.result.tallies[case.rule.id].seconds += time.monotonic() - started
        self.result.exchanges += 1
        self.record(case, ex)
        self.tick()
        return ex

    def record(self, case: Case, ex: Exchange) -> None:
        replies = [ex.reply, *(f.reply for f in ex.fetches)]
        for r in replies:
            moved = redirect(r)
            if moved:  # no verdict on a redirected request: the run stops (exit 2)
                self.result.aborted = self.result.aborted or moved
                return
        crash = self.crashes.confirm(ex)
        if crash is not None:
            self.result.tallies[crash.rule.id].add(crash)
            return
        # A failed job the case asked for (Prefer: status=failed) is the answer under test.
        asked_to_fail = set(FAIL) <= set(case.prefer)
        faulty = [r for r in replies if _faulty(ex, r)
                  and not (asked_to_fail and r.status_field == "failed")] + \
            [r for r in replies if r.status_field == "processing" and r is replies[-1]]
        if faulty:
            self.result.faults.append(Fault(case.endpoint, case.body, faulty[0].short()
                                            if faulty[0].error or faulty[0].status_field
                                            != "processing" else "queued job never finished",
                                            case.rule))
            if case.rule is not None and case.rule.id in self.result.tallies:
                self.result.tallies[case.rule.id].faults += 1
        self.transport_errors = self.transport_errors + 1 if ex.reply.error else 0
        outcomes: list[Outcome] = checks.run_checks(ex)
        for o in outcomes:
            self.result.tallies[o.rule.id].add(o)

    def run(self, boundaries: list[Case], exploring: list[Case]) -> None:
        """Cover each (rule, side) once, then alternate the other boundaries and exploration."""
        explored = {id(c) for c in exploring}
        if not self._phase("cover", _cover_order(boundaries), explored, skip_covered=True):
            return
        self._phase("boundaries", self._rest(boundaries, exploring), explored)
        self.result.phases.setdefault("explore", 0)

    def _phase(self, name: str, plan: Iterable[Case], explored: set[int], *,
               skip_covered: bool = False) -> bool:
        phases = self.result.phases
        for case in plan:
            if id(case) in self.sent or (skip_covered and case.rule is not None
                                         and self.covered(case.rule, case.side)):
                continue
            if self.receiver is None and needs_webhook(case):
                continue  # no receiver the backend can reach: the webhook rules are excluded
            self.send(case)
            phase = "explore" if id(case) in explored else name
            phases[phase] = phases.get(phase, 0) + 1
            if self.transport_errors >= 3 and self.result.exchanges == self.transport_errors:
                self.result.aborted = "the backend is unreachable"
                return False
            if self.result.aborted:
                return False
        return True

    def _rest(self, boundaries: list[Case], exploring: list[Case]) -> list[Case]:
        rest = _round_robin([c for c in boundaries if id(c) not in self.sent])
        mixed = itertools.zip_longest(rest, exploring)
        return [c for pair in mixed for c in pair if c is not None]


def run(config: GateConfig) -> GateResult:
    """Run the gate once; the result knows its exit code."""
    started = time.monotonic()
    transport = config.transport
    origin = config.base_url or IN_PROCESS
    if transport is None and config.base_url is None:
        transport = _in_process(config)
    shown = config.base_url or "the in-process mock"
    result = GateResult(shown, config.seed, config.budget,
                        fault_threshold=config.fault_threshold,
                        scrubber=Scrubber((config.key,)))  # judged raw, scrubbed when shown
    budget = Budget(config.budget, seconds=config.deadline)
    boundaries = strategies.boundary_cases()
    exploring = explore_cases(config.explore, config.seed, config.model_ids)
    result.required = required_requests(boundaries)
    progress: AbstractContextManager[Any] = nullcontext()
    bar = None
    lines = None
    if config.progress is True or (config.progress is None and _tty()):
        from rich.progress import Progress

        bar = Progress(transient=True)
        progress = bar
    elif config.progress is None:
        lines = Lines(config.budget, result)
    receiver = WebhookReceiver() if _local(config.base_url) else None
    if receiver is None:
        result.excluded = tuple(r.id for r in (WEBHOOK_DELIVERY, WEBHOOK_TRACK_ID))
    with progress, receiver or nullcontext(), \
            Target(origin, config.key, budget, transport=transport, backoff=config.backoff,
                   sleep=config.sleep) as target:
        task = bar.add_task("gate", total=config.budget) if bar else None

        def tick() -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=budget.used)
            if lines is not None:
                lines.tick(budget.used)
        loop = _Run(config, target, result, tick, receiver)
        with suppress(BudgetExhausted):
            if config.preflight:
                result.aborted = preflight(target)
            if not result.aborted:
                loop.run(boundaries, exploring)
    result.requests = budget.used
    result.seconds = time.monotonic() - started
    return result


def _local(base_url: str | None) -> bool:
    """The target can reach a receiver on 127.0.0.1 (in process, or on this machine)."""
    if base_url is None:
        return True
    from urllib.parse import urlsplit

    return urlsplit(base_url).hostname in ("127.0.0.1", "localhost", "::1")


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()
