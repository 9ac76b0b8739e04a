"""`parse`: every documented wire form is coerced; every limit gives exactly its rule id; no
input of any JSON shape raises."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import spec
from contracts import V4, V6, ContractViolation, GenerationRequest, parse, validate

BASE = {"key": "k", "model_id": "some-model", "prompt": "a red fox"}
FIELDS = spec.contract().generation[V6]


def _field(name: str) -> spec.Field:
    return next(f for f in FIELDS if f.name == name)


def _ok(body: dict[str, Any], endpoint: str = V6) -> GenerationRequest:
    parsed = parse(endpoint, {**BASE, **body})
    assert parsed.ok, parsed.violations
    assert isinstance(parsed.request, GenerationRequest)
    return parsed.request


def _rules(body: dict[str, Any], endpoint: str = V6) -> tuple[str, ...]:
    return parse(endpoint, {**BASE, **body}).rule_ids


# --- wire forms --------------------------------------------------------------------------

def _int_forms(value: int) -> st.SearchStrategy[Any]:
    return st.sampled_from([value, float(value), str(value), f" {value} ", f"+{value}"])


def _int_in(f: spec.Field) -> st.SearchStrategy[int]:
    low = int(f.minimum if f.minimum is not None else 0)
    high = int(f.maximum if f.maximum is not None else (f.cap or 10_000))
    values = st.integers(low, high)
    if f.multiple_of:
        values = values.filter(lambda v: v % (f.multiple_of or 1) == 0)
    return values


INT_FIELDS = ["width", "height", "samples", "clip_skip", "seed"]


@pytest.mark.parametrize("name", INT_FIELDS)
@given(data=st.data())
def test_integer_fields_accept_numbers_and_decimal_strings(name: str, data: st.DataObject) -> None:
    value = data.draw(_int_in(_field(name)))
    wire = data.draw(_int_forms(value))
    request = _ok({name: wire})
    canonical = {"width": request.width, "height": request.height, "samples": request.samples,
                 "clip_skip": request.clip_skip, "seed": request.seed}[name]
    assert canonical == value and type(canonical) is int


@pytest.mark.parametrize("name", ["guidance_scale", "ip_adapter_scale"])
@given(data=st.data())
def test_number_fields_accept_numbers_and_decimal_strings(name: str, data: st.DataObject) -> None:
    f = _field(name)
    assert f.minimum is not None and f.maximum is not None
    value = data.draw(st.floats(f.minimum, f.maximum).map(lambda v: round(v, 3))
                      .filter(lambda v: f.minimum <= v <= f.maximum))  # type: ignore[operator]
    wire = data.draw(st.sampled_from([value, repr(value), f" {value} "]))
    request = _ok({name: wire})
    got = request.guidance_scale if name == "guidance_scale" else request.options[name]
    assert math.isclose(got, value)


FLAG_FIELDS = [f.name for f in FIELDS if f.kind == "flag"]


@pytest.mark.parametrize("name", FLAG_FIELDS)
@given(on=st.booleans(), form=st.sampled_from(["word", "bool", "text"]),
       case=st.sampled_from([str.lower, str.upper, str.title]))
def test_flags_accept_yes_no_and_booleans(name: str, on: bool, form: str,
                                          case: Any) -> None:
    wire: Any = {"word": case("yes" if on else "no"), "bool": on,
                 "text": case("true" if on else "false")}[form]
    assert _ok({name: wire}).flag(name) is on


@pytest.mark.parametrize("name", FLAG_FIELDS)
def test_flag_defaults_come_from_the_spec(name: str) -> None:
    assert _ok({}).flag(name) is (_field(name).default == "yes")


@pytest.mark.parametrize(("wire", "factor"), [
    ("no", 1), ("yes", 2), (False, 1), (True, 2), (1, 1), (2, 2), (3, 3), ("3", 3), ("NO", 1)])
def test_upscale_accepts_yes_no_booleans_and_factors(wire: Any, factor: int) -> None:
    assert _ok({"upscale": wire}).upscale == factor


@given(ids=st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True), min_size=1,
                    max_size=5),
       data=st.data())
def test_lora_lists_pair_ids_with_strengths(ids: list[str], data: st.DataObject) -> None:
    strengths = data.draw(st.lists(st.sampled_from([0.1, 0.25, 0.45, 0.5, 0.55, 1.0]),
                                   min_size=len(ids), max_size=len(ids)))
    space = data.draw(st.sampled_from(["", " "]))
    trailing = data.draw(st.sampled_from(["", ","]))
    wire_strength: Any = (strengths[0] if len(ids) == 1 and data.draw(st.booleans())
                          else (","+space).join(repr(s) for s in strengths) + trailing)
    request = _ok({"lora_model": (","+space).join(ids), "lora_strength": wire_strength})
    assert [lo.id for lo in request.loras] == ids
    assert [lo.strength for lo in request.loras] == strengths


def test_lora_ids_without_strengths_mean_strength_one() -> None:
    request = _ok({"lora_model": "a, b"})
    assert [(lo.id, lo.strength, lo.strength_given) for lo in request.loras] == [
        ("a", 1.0, False), ("b", 1.0, False)]
    assert request.lora_strengths == "1,1"


@pytest.mark.parametrize("name", [f.name for f in FIELDS if f.kind == "enum"])
@given(data=st.data())
def test_enums_accept_every_documented_value(name: str, data: st.DataObject) -> None:
    f = _field(name)
    assert f.enum
    value = data.draw(st.sampled_from([*f.enum, *f.aliases]))
    request = _ok({name: value})
    got = request.scheduler if name == "scheduler" else request.options[name]
    assert got == f.aliases.get(value, value)


@pytest.mark.parametrize("track_id", [7, "7", "job-7"])
def test_track_id_is_an_integer_or_a_string(track_id: Any) -> None:
    assert _ok({"track_id": track_id}).track_id == track_id


def test_null_means_not_given() -> None:
    optional = {f.name: None for f in FIELDS if not f.required}
    assert _ok(optional) == _ok({})


def test_defaults_are_the_ledgers() -> None:
    request = _ok({})
    assert (request.width, request.height, request.samples, request.steps) == (512, 512, 1, 20)
    assert (request.guidance_scale, request.clip_skip, request.upscale) == (7.5, 1, 1)
    assert request.flag("safety_checker") is True


def test_unknown_fields_pass_through() -> None:
    assert _ok({"instant_response": "no"}).extras == {"instant_response": "no"}


# --- limits ------------------------------------------------------------------------------

@given(steps=st.integers(21, 10**12), form=st.sampled_from([int, str]))
def test_v6_steps_above_20_are_capped_to_20(steps: int, form: Any) -> None:
    request = _ok({"num_inference_steps": form(steps)})
    assert (request.steps, request.steps_requested) == (20, steps)


@given(steps=st.integers(1, 20))
def test_v6_steps_up_to_20_are_kept(steps: int) -> None:
    assert _ok({"num_inference_steps": steps}).steps == steps


@given(steps=st.integers(51, 10**6))
def test_v4_steps_are_capped_to_50(steps: int) -> None:
    assert _ok({"num_inference_steps": steps}, V4).steps == 50
    assert _ok({"num_inference_steps": 50}, V4).steps == 50


@pytest.mark.parametrize(("body", "rule"), [
    ({"samples": 0}, "samples.range"),
    ({"samples": 5}, "samples.range"),
    ({"samples": "5"}, "samples.range"),
    ({"width": 1025}, "size.range"),
    ({"height": 1032}, "size.range"),
    ({"width": 255}, "size.range"),
    ({"width": 516}, "size.range"),
    ({"lora_model": "a", "lora_strength": 0.09}, "lora_strength.range"),
    ({"lora_model": "a", "lora_strength": "1.01"}, "lora_strength.range"),
    ({"lora_model": "a,b", "lora_strength": "0.5"}, "lora.count"),
    ({"lora_model": "a", "lora_strength": "0.5,0.6"}, "lora.count"),
    ({"lora_strength": "0.5"}, "lora.count"),
    ({"scheduler": "NoSuchScheduler"}, "scheduler.enum"),
    ({"safety_checker_type": "confetti"}, "safety_checker_type.enum"),
    ({"num_inference_steps": 0}, "steps.min"),
    ({"guidance_scale": 20.5}, "guidance_scale.range"),
    ({"clip_skip": 9}, "clip_skip.range"),
    ({"seed": -1}, "seed.range"),
    ({"seed": 2**32}, "seed.range"),
    ({"upscale": 4}, "upscale.range"),
    ({"ip_adapter_scale": 1.5}, "ip_adapter_scale.range"),
    ({"width": "wide"}, "field.type"),
    ({"safety_checker": "maybe"}, "field.type"),
    ({"lora_model": "a,,b"}, "field.type"),
    ({"guidance_scale": "NaN"}, "field.type"),
])
def test_each_limit_gives_exactly_its_rule(body: dict[str, Any], rule: str) -> None:
    assert _rules(body) == (rule,)


@pytest.mark.parametrize("missing", ["key", "model_id", "prompt"])
def test_required_fields(missing: str) -> None:
    body = {k: v for k, v in BASE.items() if k != missing}
    assert parse(V6, body).rule_ids == ("field.required",)


def test_violations_say_which_field_and_why() -> None:
    (violation,) = parse(V6, {**BASE, "samples": 5}).violations
    assert violation.field == "samples"
    assert "from 1 to 4" in violation.message and "5" in violation.message
    with pytest.raises(ContractViolation, match=r"\[samples.range\] \(samples\)"):
        validate(V6, {**BASE, "samples": 5})


def test_every_violation_is_reported_not_just_the_first() -> None:
    rules = set(_rules({"samples": 9, "width": 2000, "scheduler": "x"}))
    assert rules == {"samples.range", "size.range", "scheduler.enum"}


# --- robustness --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
FIELD_NAMES = [f.name for f in FIELDS]


@given(body=JSON)
def test_any_json_value_parses_or_gives_violations(body: Any) -> None:
    parsed = parse(V6, body)
    assert parsed.ok != bool(parsed.violations)


@given(values=st.dictionaries(st.sampled_from(FIELD_NAMES), JSON, max_size=12),
       endpoint=st.sampled_from([V6, V4]))
def test_any_value_in_any_field_parses_or_gives_violations(values: dict[str, Any],
                                                           endpoint: str) -> None:
    parsed = parse(endpoint, {**BASE, **values})
    assert parsed.ok != bool(parsed.violations)
    for v in parsed.violations:
        assert v.rule and v.message


@given(raw=st.binary(max_size=200))
def test_any_bytes_parse_or_give_violations(raw: bytes) -> None:
    parsed = parse(V6, raw)
    assert parsed.ok != bool(parsed.violations)


def test_pathological_bodies() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert parse(V6, deep).rule_ids == ("body.json",)
    assert parse(V6, json.dumps({**BASE, "samples": 10**400})).rule_ids == ("samples.range",)
    assert parse(V6, '{"key": "k", "model_id": "m", "prompt": "p", "width": NaN}').rule_ids == (
        "field.type",)
    assert parse(V6, b"\xff\xfe").rule_ids == ("body.json",)
    assert parse(V6, "null").rule_ids == ("body.json",)


def test_fetch_bodies() -> None:
    assert parse("/api/v6/images/fetch", {"key": "k", "request_id": 12}).ok
    assert parse("/api/v6/images/fetch/{id}", {"key": "k"}, path_id="12").ok
    assert parse("/api/v6/images/fetch", {"key": "k"}).rule_ids == ("field.required",)


def test_a_path_id_given_as_the_integer_a_job_is_answered_with_is_taken() -> None:
    """A checker's caller passes the `id` a generation answered (a JSON integer) as the path
    id: compiled (setup.py), `parse` refused it where its annotation said str (TypeError)."""
    from contracts.checker import ContractChecker

    parsed = parse("/api/v6/images/fetch/{id}", {"key": "k"}, path_id=12)
    assert parsed.ok and parsed.request is not None and parsed.request.request_id == "12"
    assert not ContractChecker().failures(
        {"key": "k"}, {"status": "processing", "id": 12, "eta": 5, "output": []},
        "/api/v6/images/fetch/{id}", path_id=12)  # type: ignore[arg-type]


def test_a_python_body_whose_names_are_not_strings_is_parsed_not_raised_on() -> None:
    """A dict built in Python may have other keys than strings (JSON writes `1` as "1"): such
    a field is unknown, as any other. Compiled, the annotation (str names) raised TypeError."""
    parsed = parse(V6, {**BASE, 1: "x", None: "y"})
    assert parsed.ok and parsed.request is not None
    assert dict(parsed.request.extras) == {1: "x", None: "y"}


STRING_FIELDS = [f.name for f in FIELDS if f.kind in ("string", "url")]


@pytest.mark.parametrize("name", STRING_FIELDS)
@given(text=st.text(max_size=50))
def test_string_fields_accept_any_text(name: str, text: str) -> None:
    request = _ok({name: text or "x"})
    values = {"key": request.key, "model_id": request.model_id, "prompt": request.prompt,
              "negative_prompt": request.negative_prompt, "webhook": request.webhook,
              **request.options}
    assert values[name] == (text or "x")


@pytest.mark.parametrize("name", STRING_FIELDS)
def test_string_fields_refuse_other_json_types(name: str) -> None:
    assert _rules({name: 12}) == ("field.type",)
