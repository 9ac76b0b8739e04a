"""Each field's limits are read once (`Limits.of`) and name the rules the spec cites."""

from __future__ import annotations

import dataclasses

import pytest

import spec
from contracts import RULES, V4, V6
from contracts._limits import Limits, field_step


def _limits(endpoint: str, name: str) -> Limits:
    found = Limits.of(spec.contract().field(endpoint, name))
    assert found is not None
    return found


def test_a_capped_field_has_a_minimum_and_no_maximum() -> None:
    steps = _limits(V6, "num_inference_steps")
    assert (steps.low, steps.high, steps.capped) == (1, float("inf"), True)
    assert steps.under is RULES["steps.min"]


def test_a_ranged_field_names_its_range_rule_on_both_ends() -> None:
    width = _limits(V4, "width")
    assert (width.low, width.high, width.multiple) == (256, 1024, 8)
    assert width.under is width.outside is RULES["size.range"]
    assert width.bounds == "from 256 to 1024"


def test_fields_without_numeric_limits_have_none() -> None:
    for name in ("prompt", "safety_checker", "lora_model", "scheduler"):
        assert Limits.of(spec.contract().field(V6, name)) is None


def test_a_limited_field_citing_no_rule_is_refused_when_compiled() -> None:
    samples = spec.contract().field(V6, "samples")
    with pytest.raises(KeyError, match=r"samples has limits but cites no \.range rule"):
        field_step(dataclasses.replace(samples, rules=()))
