"""The registry states each rule once, and every rule the spec cites is in it."""

from __future__ import annotations

import re

import spec
from contracts import FETCH, GENERATION, RULES, iter_rules
from spec.authoring import LEDGER_PATH, SOURCES


def test_every_rule_cited_by_the_spec_is_registered() -> None:
    assert set(spec.contract().rules) <= set(RULES)


def test_every_rule_cites_a_ledger_row_or_a_source() -> None:
    rows = set(re.findall(r"(?m)^\| `([a-z0-9-]+)` \|", LEDGER_PATH.read_text(encoding="utf-8")))
    sources = {s.id for s in SOURCES}
    for r in RULES.values():
        assert r.source in rows | sources, f"{r.id} cites {r.source}"


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
