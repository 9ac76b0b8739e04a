"""The parser's per-field caches (`contracts._parse_plan`): each is bounded, and two bodies that
differ in one field get their own answers whichever was parsed first."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from contracts import V6, GenerationRequest, parse
from contracts._limits import MEMO_ENTRIES
from contracts._parse_plan import plan_of

# (`contracts.parse` the module, not the function the package exports under that name.)
_parse = importlib.import_module("contracts.parse")

BASE = {"key": "k", "model_id": "some-model", "prompt": "a red fox"}


def _request(**fields: Any) -> GenerationRequest:
    request = parse(V6, {**BASE, **fields}).request
    assert isinstance(request, GenerationRequest)
    return request


def test_shared_flags_and_options_are_bounded_and_each_body_gets_its_own() -> None:
    plan = plan_of(V6)
    plan.shared_flags.clear()
    plan.shared_options.clear()
    seen = []
    for i in range(_parse.SHARED_MAPPINGS + 5):
        request = _request(safety_checker=bool(i % 2), vae=f"vae-{i}")
        assert request.flags["safety_checker"] is bool(i % 2)
        assert request.options["vae"] == f"vae-{i}"
        seen.append(request)
        assert len(plan.shared_options) <= _parse.SHARED_MAPPINGS
        assert len(plan.shared_flags) <= _parse.SHARED_MAPPINGS
    # The same values share one mapping; other values never get it.
    again = _request(safety_checker=True, vae=f"vae-{_parse.SHARED_MAPPINGS + 4}")
    assert again.options is seen[-1].options
    assert _request(safety_checker=False).flags["safety_checker"] is False
    assert _request(safety_checker=True).flags["safety_checker"] is True


def test_an_option_equal_to_zero_is_never_shared_so_minus_zero_stays_minus_zero() -> None:
    zero = _request(ip_adapter_scale="0").options["ip_adapter_scale"]
    minus = _request(ip_adapter_scale="-0").options["ip_adapter_scale"]
    assert (str(zero), str(minus)) == ("0.0", "-0.0")
    assert _request(ip_adapter_scale="0").options is not _request(ip_adapter_scale="0").options


def test_the_number_memo_is_bounded_and_each_number_gets_its_own_value() -> None:
    memo = plan_of(V6).numbers["num_inference_steps"]
    memo.clear()
    for steps in range(1, MEMO_ENTRIES + 10):
        assert _request(num_inference_steps=steps).steps_requested == steps
        assert len(memo) <= MEMO_ENTRIES
    assert _request(width=512).width == 512 and _request(width=520).width == 520
    assert _request(num_inference_steps=7).steps_requested == 7
    # A boolean is never read as the integer it equals, memo or not.
    assert parse(V6, {**BASE, "samples": 1}).ok
    assert parse(V6, {**BASE, "samples": True}).rule_ids == \
        parse(V6, {**BASE, "samples": "x"}).rule_ids
    # A float and the int it equals agree; -0.0 is never taken for 0.0.
    assert _request(guidance_scale=7).guidance_scale == _request(guidance_scale=7.0).guidance_scale
    assert str(_request(ip_adapter_scale=0.0).options["ip_adapter_scale"]) == "0.0"
    assert str(_request(ip_adapter_scale=-0.0).options["ip_adapter_scale"]) == "-0.0"


@pytest.mark.parametrize("name", sorted(plan_of(V6).bools))
def test_what_a_boolean_is_looked_up_as_is_what_its_step_makes_of_it(name: str) -> None:
    plan = plan_of(V6)
    for raw in (True, False):
        out: list[Any] = []
        assert plan.bools[name][raw] == plan.steps[name](raw, out) and not out


def test_an_enum_memo_holds_exactly_the_strings_its_step_accepts() -> None:
    plan = plan_of(V6)
    memo = plan.strings["scheduler"]
    assert callable(memo)
    step = plan.steps["scheduler"]
    for raw in ("UniPCMultistepScheduler", "nope", "unipcmultistepscheduler", ""):
        out: list[Any] = []
        value = step(raw, out)
        assert memo(raw, None) == (None if out else value)
