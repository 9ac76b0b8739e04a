"""What a gate run found: per-rule verdicts, violations with minimal payloads, and faults."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from contracts.checks import VIOLATION, Outcome
from contracts.redaction import Scrubber
from contracts.rules import RULES, Rule

CONFORMS = "conforms"
VIOLATED = "violated"
NOT_EXERCISED = "not exercised"
#: Judged on one side only: its other side was never exercised (no "conforms" then).
PARTIAL = "partly exercised"
FAULTED = "fault"

EXIT_OK, EXIT_VIOLATIONS, EXIT_COULD_NOT_RUN = 0, 1, 2
#: Faults, as a share of the exchanges, past which no verdict is drawn (exit 2).
DEFAULT_FAULT_THRESHOLD = 0.2


def _size(payload: Any) -> int:
    try:
        return len(json.dumps(payload, sort_keys=True))
    except (TypeError, ValueError):
        return len(repr(payload))


@dataclass
class RuleTally:
    """Everything seen for one rule."""

    rule: Rule
    #: side -> [passes, violations]
    sides: dict[str, list[int]] = field(default_factory=dict)
    violations: list[Outcome] = field(default_factory=list)
    faults: int = 0
    #: Seconds spent on the cases made for this rule.
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        if outcome.side is None:
            return
        counts = self.sides.setdefault(outcome.side, [0, 0])
        if outcome.verdict == VIOLATION:
            counts[1] += 1
            self.violations.append(outcome)
        else:
            counts[0] += 1

    @property
    def missing(self) -> tuple[str, ...]:
        """The sides of the rule no check judged."""
        return tuple(s for s in self.rule.sides if s not in self.sides)

    @property
    def verdict(self) -> str:
        if self.violations:
            return VIOLATED
        if self.sides:
            return PARTIAL if self.missing else CONFORMS
        return FAULTED if self.faults else NOT_EXERCISED

    def minimal(self, n: int = 3) -> list[Outcome]:
        """The violations with the smallest payloads first (distinct payloads)."""
        out: list[Outcome] = []
        seen: set[str] = set()
        for o in sorted(self.violations, key=lambda o: _size(o.payload)):
            text = json.dumps(o.payload, sort_keys=True, default=str)
            if text not in seen:
                seen.add(text)
                out.append(o)
            if len(out) == n:
                break
        return out


@dataclass(frozen=True)
class Fault:
    """A request the backend could not answer properly (no contract verdict)."""

    endpoint: str
    payload: Any
    reply: str
    #: The rule the payload was made for (None for exploration payloads).
    rule: Rule | None = None


@dataclass
class GateResult:
    target: str
    seed: int
    budget: int
    requests: int = 0
    exchanges: int = 0
    seconds: float = 0.0
    #: Set when the run had to stop (the backend unreachable, the key refused, ...).
    aborted: str | None = None
    #: Rule id -> its tally, in the registry's order.
    tallies: dict[str, RuleTally] = field(
        default_factory=lambda: {r.id: RuleTally(r) for r in RULES.values()})
    faults: list[Fault] = field(default_factory=list)
    #: Exchanges per phase ("cover", "boundaries", "explore").
    phases: dict[str, int] = field(default_factory=dict)
    #: Requests that exercising every rule on each side needs (see gate/_coverage.py).
    required: int = 0
    fault_threshold: float = DEFAULT_FAULT_THRESHOLD
    #: Rules this target cannot be judged on (the webhook rules when no receiver the
    #: backend can reach was listening); left out of the coverage required.
    excluded: tuple[str, ...] = ()
    #: Hides the run's key wherever the result is shown: everything in it is raw (judged as
    #: the backend sent it), and every report is rendered from `shown()`.
    scrubber: Scrubber = field(default_factory=Scrubber, repr=False, compare=False)

    def shown(self) -> GateResult:
        """A copy fit to show: every text that came from the run (what was seen and
        expected, payloads, faults, the target, why it stopped) with the key scrubbed."""
        hide = self.scrubber
        if not hide:
            return self
        tallies = {}
        for rule_id, tally in self.tallies.items():
            copy = RuleTally(tally.rule, tally.sides, faults=tally.faults, seconds=tally.seconds)
            copy.violations = [Outcome(o.rule, o.verdict, o.side, hide(o.expected),
                                       hide(o.seen), hide.value(o.payload),
                                       o.endpoint and hide(o.endpoint))
                               for o in tally.violations]
            tallies[rule_id] = copy
        return dataclasses.replace(
            self, target=hide(self.target), aborted=self.aborted and hide(self.aborted),
            tallies=tallies, scrubber=Scrubber(),
            faults=[Fault(hide(f.endpoint), hide.value(f.payload), hide(f.reply), f.rule)
                    for f in self.faults])

    @property
    def uncovered(self) -> dict[str, tuple[str, ...]]:
        """Rule id -> the sides never judged (empty when coverage is complete)."""
        return {r: t.missing for r, t in self.tallies.items()
                if t.missing and r not in self.excluded}

    @property
    def too_many_faults(self) -> bool:
        return bool(self.faults) and len(self.faults) > self.fault_threshold * self.exchanges

    @property
    def violated(self) -> list[str]:
        """The ids of the rules violated."""
        return [r for r, t in self.tallies.items() if t.verdict == VIOLATED]

    @property
    def could_not_run(self) -> bool:
        if self.aborted:
            return True
        if self.exchanges == 0:
            return True
        return self.too_many_faults

    @property
    def exit_code(self) -> int:
        """1 on any violation; 2 when the run could not judge (stopped, too many faults) or
        left a rule side unjudged ("incomplete"); 0 only when every rule side conforms."""
        if self.violated:
            return EXIT_VIOLATIONS
        if self.could_not_run or self.uncovered:
            return EXIT_COULD_NOT_RUN
        return EXIT_OK

    @property
    def status(self) -> str:
        if self.exit_code == EXIT_COULD_NOT_RUN and not self.could_not_run:
            return "incomplete"
        return {EXIT_OK: "conforms", EXIT_VIOLATIONS: "violations",
                EXIT_COULD_NOT_RUN: "could not run"}[self.exit_code]
