"""Coverage the gate can state: the requests that exercising every rule on each side needs,
and which (rule, side) pairs a run left unjudged.

The figure is an upper bound computed from the cover plan (each rule side's first boundary
case, costed as its POST, a download when it reads images, and two fetches when it asks for
a queued job), plus the preflight request. tests/contracts/test_gate_verdicts.py measures that
this budget covers every rule side for several seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts.rules import RULES, Rule
from contracts.strategies import Case, boundary_cases

#: Requests a queued job's follow may take before it reports success (the mock, eta 0).
QUEUED_FETCHES = 2
PREFLIGHT = 1


def cost(case: Case) -> int:
    """The most requests one case takes when the backend answers at once."""
    return 1 + (1 if case.images else 0) + (QUEUED_FETCHES if case.prefer else 0)


def cover_plan(cases: Iterable[Case]) -> list[Case]:
    """Each rule side's first case, in the registry's order (cases deduplicated)."""
    first: dict[tuple[Rule, str], Case] = {}
    for c in cases:
        if c.rule is not None:
            first.setdefault((c.rule, c.side), c)
    out: list[Case] = []
    for r in RULES.values():
        for side in r.sides:
            found = first.get((r, side))
            if found is not None and all(found is not o for o in out):
                out.append(found)
    return out


def required_requests(cases: Iterable[Case] | None = None) -> int:
    """The budget with which every rule side is exercised against a backend that answers."""
    return PREFLIGHT + sum(cost(c) for c in cover_plan(
        boundary_cases() if cases is None else cases))


def unjudged(sides_seen: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Rule id -> the sides no check judged (rules fully judged are left out)."""
    out: dict[str, tuple[str, ...]] = {}
    for r in RULES.values():
        seen = set(sides_seen.get(r.id, ()))
        missing = tuple(s for s in r.sides if s not in seen)
        if missing:
            out[r.id] = missing
    return out
