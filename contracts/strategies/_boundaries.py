"""Boundary cases: for every rule, payloads just inside and just outside what it allows.

Producers register on their rule (`@STEPS_CAP.boundary()`, see `contracts.rules`); each is
called with its rule and one generation endpoint and yields concrete `Case`s. Which side of a
request rule a payload lies on is decided by `contracts.parse` itself, so the limits are
stated only in `spec/modelslab.yaml`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import spec
from contracts.parse import parse
from contracts.rules import BOUNDARY, GENERATION, Rule, hooks
from contracts.rules import rule as resolve_rule
from contracts.vocabulary import INSIDE, OUTSIDE


@dataclass(frozen=True)
class Case:
    """One payload to send, and what it exercises."""

    #: The rule this case was made for (None for exploration payloads).
    rule: Rule | None
    #: "inside" (the backend must accept / the property must hold) or "outside".
    side: str
    endpoint: str
    #: A JSON-able body, or raw text for body.json cases.
    body: Any
    label: str
    #: Values for `Prefer` headers (scenario hints that real backends ignore).
    prefer: tuple[str, ...] = ()
    #: The id for fetch endpoints whose path holds it.
    path_id: str | None = None
    #: Download the output images (images.size).
    images: bool = False
    #: For queued jobs: the fetch endpoint to follow them with (None: the `fetch_result` path).
    fetch_via: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def describe(self) -> str:
        return f"{self.rule or 'explore'} {self.side}: {self.label}"


#: What a boundary producer is: a function of its rule and a generation endpoint.
Producer = Callable[[Rule, str], Iterable[Case]]


def boundary(*rules: Rule | str) -> Callable[[Producer], Producer]:
    """Register a producer on each of `rules` (`rule.boundary()` for each)."""
    resolved = [resolve_rule(r) for r in rules]

    def register(producer: Producer) -> Producer:
        for r in resolved:
            r.boundary()(producer)
        return producer
    return register


def producers() -> Mapping[str, tuple[Producer, ...]]:
    """Rule id -> the producers registered on it (rules without one are left out)."""
    out: dict[str, list[Producer]] = {}
    for h in hooks(BOUNDARY):
        out.setdefault(h.rule.id, []).append(h.function)
    return MappingProxyType({k: tuple(v) for k, v in out.items()})


def judged(r: Rule, endpoint: str, body: Any, label: str, **kw: Any) -> Case | None:
    """A case for a request rule, its side decided by `parse` (None if it breaks other rules)."""
    parsed = parse(endpoint, body, path_id=kw.get("path_id"))
    if parsed.ok:
        return Case(r, INSIDE, endpoint, body, label, **kw)
    if {v.rule for v in parsed.violations} == {r}:
        return Case(r, OUTSIDE, endpoint, body, label, **kw)
    return None


def fetch_paths(endpoint: str, id_in: str | None = None) -> list[str]:
    """The fetch endpoints of a generation endpoint (the module's one fetch-URL lookup)."""
    return list(spec.contract().fetch_templates(endpoint, id_in))


def boundary_cases(endpoint: str | None = None, *, rule: Rule | str | None = None,
                   side: str | None = None) -> list[Case]:
    """Every registered boundary case, in registration order, optionally filtered."""
    wanted = None if rule is None else (resolve_rule(rule),)
    out: list[Case] = []
    for endpoint_ in (endpoint,) if endpoint else GENERATION:
        for h in hooks(BOUNDARY, wanted):
            field = h.rule.field
            if field is not None and not spec.contract().has_field(endpoint_, field):
                continue  # (realtime has no steps, v3 text2img no model_id)
            for case in h.function(h.rule, endpoint_):
                if side is None or case.side == side:
                    out.append(case)
    return out
