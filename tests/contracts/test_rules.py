"""The registry states each rule once, and every rule the spec cites is in it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pytest

import contracts.rules as rules
import spec
from contracts import FETCH, GENERATION, RULES, Rule, iter_rules, vocabulary
from contracts.checks import Exchange, Outcome, _registry, passed
from spec.authoring import LEDGER_PATH, SOURCES
from tests.contracts import _mutants


def test_every_rule_cited_by_the_spec_is_registered() -> None:
    assert set(spec.contract().rules) <= set(RULES)


def test_every_rule_cites_a_ledger_row_or_a_source() -> None:
    for r in RULES.values():
        assert r.source in _cited(), f"{r.id} cites {r.source}"


def test_rules_apply_to_known_endpoints_and_phases() -> None:
    for r in RULES.values():
        assert r.phase in ("request", "response")
        assert set(r.endpoints) <= set(GENERATION) | set(FETCH)
        assert r.title


def test_every_field_rule_guards_a_field_of_the_spec() -> None:
    names = {f.name for f in spec.contract().generation[GENERATION[0]]}
    for r in iter_rules():
        assert r.field is None or r.field in names


def test_request_rules_are_the_ones_parse_can_report() -> None:
    request_rules = {r.id for r in iter_rules("request")}
    assert set(spec.contract().rules) - {"flux.warning"} <= request_rules


# -- the registry walk: every rule is checked, exercised on each side, killable and cited --------

def _cited() -> set[str]:
    rows = set(re.findall(r"(?m)^\| `([a-z0-9-]+)` \|", LEDGER_PATH.read_text(encoding="utf-8")))
    return rows | {s.id for s in SOURCES}


def registry_problems(rules: Iterable[Rule]) -> list[str]:
    """What each rule lacks: a check, a boundary case on each side its checks claim, a mutant
    backend (tests/contracts/_mutants.py; test_gate_mutants shows the gate kills each), a
    ledger row or source it cites."""
    cited = _cited()
    problems = []
    for r in rules:
        if not r.checks:
            problems.append(f"{r.id}: no check")
        made = {c.side for h in r.producers for ep in GENERATION for c in h.function(r, ep)}
        problems += [f"{r.id}: no {side} boundary case" for side in r.sides if side not in made]
        if not _mutants.has_mutant(r):
            problems.append(f"{r.id}: no mutant backend")
        if r.source not in cited:
            problems.append(f"{r.id}: cites {r.source!r}, neither a ledger row nor a source")
    return problems


def test_every_registered_rule_is_checked_exercised_killable_and_cited() -> None:

    assert _registry.checks()
    assert registry_problems(RULES.values()) == []


def test_the_walk_fails_for_a_rule_lacking_a_check_a_side_a_mutant_or_a_citation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import contracts.strategies as ms

    monkeypatch.setattr(rules, "_HOOKS", list(rules._HOOKS))  # a copy of the registry
    bare = Rule("made.up", "a rule nobody checks", "no-such-row", "response")
    one_sided = Rule("made.up.too", "checked on both sides, exercised inside only", "steps",
                     "response")

    @one_sided.check()
    def judge(rule: Rule, ex: Exchange) -> Outcome:
        return passed(rule, vocabulary.INSIDE)

    @one_sided.boundary()
    def inside(rule: Rule, endpoint: str) -> Iterator[ms.Case]:
        yield ms.Case(rule, vocabulary.INSIDE, endpoint, ms.base(endpoint), "inside only")

    assert registry_problems([*RULES.values(), bare, one_sided]) == [
        "made.up: no check",
        "made.up: no mutant backend",
        "made.up: cites 'no-such-row', neither a ledger row nor a source",
        "made.up.too: no outside boundary case",
        "made.up.too: no mutant backend",
    ]
    # the copy is dropped with the monkeypatch: the real registry never saw these hooks


def test_rules_are_singletons_through_copies_and_pickles() -> None:
    import copy
    import pickle

    for r in RULES.values():
        assert copy.copy(r) is copy.deepcopy(r) is pickle.loads(pickle.dumps(r)) is r
        assert str(r) == r.id and rules.rule(r.id) is r is rules.rule(r)
