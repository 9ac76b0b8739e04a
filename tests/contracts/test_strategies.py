"""Strategies: every rule has boundaries on each side, and parse agrees with each case."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import spec
from contracts import RULES, parse, vocabulary
from contracts import strategies as ms
from contracts.rules import GENERATION


def test_every_rule_has_a_boundary_producer_and_cases_on_each_side() -> None:
    assert {r.id for r in RULES.values() if r.producers} == set(RULES)
    cases = ms.boundary_cases()
    for rule_id, rule in RULES.items():
        for side in rule.sides:
            assert any(c.rule is rule and c.side == side for c in cases), (rule_id, side)
    for rule in RULES.values():
        if rule.phase == "request":
            assert {c.side for c in cases if c.rule is rule} == set(vocabulary.SIDES)


def test_each_producer_makes_cases_of_the_rule_it_is_called_with() -> None:
    for rule in RULES.values():
        for endpoint in GENERATION:
            assert {c.rule for c in ms.boundary_cases(endpoint, rule=rule)} <= {rule}


@pytest.mark.parametrize("case", ms.boundary_cases(), ids=lambda c: f"{c.endpoint}:{c.describe()}")
def test_parse_agrees_with_each_request_boundary(case: ms.Case) -> None:
    assert case.rule is not None
    if case.rule.phase != "request" or case.rule.id == "steps.cap":
        return
    parsed = parse(case.endpoint, case.body, path_id=case.path_id)
    if case.side == vocabulary.OUTSIDE:
        assert set(parsed.rule_ids) == {case.rule.id}
    else:
        assert parsed.ok, parsed.violations


def test_the_documented_boundaries_are_there() -> None:
    def values(rule: str, name: str, endpoint: str = spec.V6) -> dict[Any, str]:
        return {c.body[name]: c.side for c in ms.boundary_cases(endpoint, rule=rule)
                if isinstance(c.body, dict) and name in c.body
                and not isinstance(c.body[name], str)}  # the string forms: their own test
    steps = {**values("steps.min", "num_inference_steps"),
             **values("steps.cap", "num_inference_steps")}
    assert {0: "outside", 1: "inside", 20: "inside", 21: "outside", 50: "outside",
            51: "outside"}.items() <= steps.items()
    v4_steps = values("steps.cap", "num_inference_steps", spec.V4)
    assert (v4_steps[50], v4_steps[51]) == ("inside", "outside")
    assert any(v >= 10**6 for v in steps)  # huge
    samples = values("samples.range", "samples")
    assert {0: "outside", 1: "inside", 4: "inside", 5: "outside"}.items() <= samples.items()
    width = values("size.range", "width")
    assert {255: "outside", 256: "inside", 1024: "inside", 1025: "outside",
            1032: "outside"}.items() <= width.items()
    assert any(w % 8 and 256 < w < 1024 and s == "outside" for w, s in width.items())
    strength = values("lora_strength.range", "lora_strength")
    assert {0.09: "outside", 0.1: "inside", 1: "inside", 1.01: "outside"}.items() \
        <= strength.items()
    counts = [c.label for c in ms.boundary_cases(spec.V6, rule="lora.count")]
    assert "2 ids, 2 strengths" in counts and "2 ids, 1 strengths" in counts
    assert "0 ids, 1 strengths" in counts and "3 ids, 0 strengths" in counts


@given(st.sampled_from(GENERATION).flatmap(
    lambda e: st.tuples(st.just(e), ms.valid_requests(e))))
def test_valid_requests_parse(drawn: tuple[str, dict[str, Any]]) -> None:
    endpoint, body = drawn
    assert parse(endpoint, body).ok, (endpoint, body, parse(endpoint, body).violations)


@given(ms.invalid_requests())
def test_invalid_requests_break_exactly_their_rule(case: ms.Case) -> None:
    parsed = parse(case.endpoint, case.body)
    assert case.rule is not None
    if case.rule.id == "steps.cap":
        assert parsed.ok
    else:
        assert set(parsed.rule_ids) == {case.rule.id}


def test_valid_requests_use_every_wire_form() -> None:
    seen: set[str] = set()

    @settings(max_examples=400, database=None)
    @given(ms.valid_requests(spec.V6))
    def collect(body: dict[str, Any]) -> None:
        for name, value in body.items():
            f = next((f for f in spec.contract().generation[spec.V6] if f.name == name), None)
            if f is None:
                continue
            seen.add(f"{f.kind}:{type(value).__name__}")
            if value is None:
                seen.add("null")
    collect()
    assert {"integer:int", "integer:str", "number:float", "number:str", "flag:str",
            "flag:bool", "upscale:str", "upscale:int", "null"} <= seen
    assert {"strength_list:str"} <= seen


def test_bodies_shrink_to_readable_minimal_cases() -> None:
    minimal = find(ms.valid_requests(spec.V6), lambda b: True, settings=settings(database=None))
    assert minimal == ms.base(spec.V6) | {"prompt": ms.PROMPTS[0]}
    many = find(ms.valid_requests(spec.V6), lambda b: b.get("samples") not in (None, 1, "1", 1.0),
                settings=settings(database=None, max_examples=1000))
    assert many == {**ms.base(spec.V6), "samples": 2}


@given(st.data())
def test_boundaries_strategy_filters(data: st.DataObject) -> None:
    case = data.draw(ms.boundaries(rule="steps.cap", side=vocabulary.OUTSIDE, endpoint=spec.V4))
    assert case.rule is RULES["steps.cap"]
    assert case.side == "outside" and case.endpoint == spec.V4


def test_wire_form_strategies() -> None:
    assert find(ms.integer(21), lambda v: isinstance(v, str)) == "21"
    assert find(ms.flag(True), lambda v: isinstance(v, bool)) is True
    assert find(ms.strengths([0.45, 0.55]), lambda v: True) == "0.45,0.55"
    assert find(ms.upscale(2), lambda v: v == "yes") == "yes"


def test_a_custom_producer_registers() -> None:
    with pytest.raises(KeyError):
        ms.boundary("no.such.rule")


def test_numeric_boundaries_are_also_sent_as_strings() -> None:
    samples = {c.body["samples"]: c.side for c in ms.boundary_cases(spec.V6, rule="samples.range")
               if isinstance(c.body, dict) and isinstance(c.body.get("samples"), str)}
    assert {"0": "outside", "1": "inside", "4": "inside", "5": "outside"}.items() \
        <= samples.items()
    counts = [c.body["samples"] for c in ms.boundary_cases(spec.V6, rule="output.count")]
    assert "4" in counts and 4 in counts
