"""`parse`'s fast path (plain JSON values within limits) agrees with its general path (every
other wire form), and what it builds is what the constructors build."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import spec
from contracts import V4, V6, GenerationRequest, Lora, parse

BASE = {"key": "k", "model_id": "some-model", "prompt": "a red fox"}


def _wire(value: Any) -> Any:
    """The same value in a form the fast path does not take (the general path's)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f" {value!r} "
    return value


def _multiple_of(step: int | None) -> Any:
    return lambda v: v - v % step if step else v


def _native(endpoint: str) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in spec.contract().generation[endpoint]:
        low = f.minimum if f.minimum is not None else 0
        high = f.maximum if f.maximum is not None else (f.cap or 0) * 2 or 10_000
        if f.kind == "flag":
            fields[f.name] = st.booleans()
        elif f.kind in ("integer", "seed"):
            ints = st.integers(int(low) - 2, int(high) + 2)
            fields[f.name] = ints.map(_multiple_of(f.multiple_of)) | ints
        elif f.kind == "number":
            fields[f.name] = st.floats(float(low) - 1, float(high) + 1)
        elif f.kind == "enum":
            fields[f.name] = st.sampled_from([*(f.enum or ()), *f.aliases, "not-a-value"])
    return st.fixed_dictionaries({}, optional=fields)


@given(st.sampled_from([V6, V4]).flatmap(lambda e: st.tuples(st.just(e), _native(e))))
def test_plain_json_values_parse_as_their_string_forms_do(case: tuple[str, dict[str, Any]]) -> None:
    endpoint, values = case
    fast = parse(endpoint, {**BASE, **values})
    general = parse(endpoint, {**BASE, **{k: _wire(v) for k, v in values.items()}})
    assert fast.rule_ids == general.rule_ids
    if fast.request is None or general.request is None:
        assert fast.request is general.request
        return
    assert isinstance(fast.request, GenerationRequest)
    assert isinstance(general.request, GenerationRequest)
    assert dataclasses.replace(fast.request, extras={}) == \
        dataclasses.replace(general.request, extras={})


def test_the_request_built_is_the_one_the_constructor_builds() -> None:
    parsed = parse(V6, {**BASE, "lora_model": "a,b", "lora_strength": "0.5,1", "extra": 1})
    request = parsed.request
    assert isinstance(request, GenerationRequest)
    built = GenerationRequest(**{f.name: getattr(request, f.name)
                                 for f in dataclasses.fields(GenerationRequest)})
    assert built == request and repr(built) == repr(request)
    assert vars(built) == vars(request)
    assert request.loras == (Lora("a", 0.5), Lora("b", 1.0))
    assert dict(request.extras) == {"extra": 1}
    assert dict(parse(V6, BASE).request.extras) == {}  # type: ignore[union-attr]
    try:
        request.key = "x"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("the request must stay frozen")


_STRINGS = st.one_of(
    st.integers(-10, 5000).map(str), st.integers(0, 2**40).map(str),
    st.floats(-1, 30, allow_nan=False).map(repr), st.sampled_from(
        ["yes", "no", "YES", " no", "true", "1", "2", "3", "4", "0.5,1", "0.6, 0.7,", "a,b",
         "a,,b", "", " ", "١٢", "512.0", "1e2", "x", "UniPCMultistepScheduler"]))


@given(st.sampled_from([f.name for f in spec.contract().generation[V6]
                        if f.kind not in ("string", "url", "enum", "track_id")]), _STRINGS)
def test_string_forms_parse_alike_the_first_time_again_and_spaced(name: str, raw: str) -> None:
    """A string is coerced by the general path the first time, from the remembered value the
    next (or the digits fast path): both agree with the same string with spaces around it,
    which neither the memo (a new string) nor the digits path takes the same way."""
    first = parse(V6, {**BASE, name: raw})
    again = parse(V6, {**BASE, name: raw})
    spaced = parse(V6, {**BASE, name: f" {raw} "}) if raw.strip() == raw and raw else first
    for other in (again, spaced):
        assert other.rule_ids == first.rule_ids
        assert [v.message for v in other.violations] == [v.message for v in first.violations] \
            or other is spaced  # messages quote the value as sent
        assert other.request == first.request


def test_a_rejected_string_is_not_remembered() -> None:
    from contracts._limits import field_step
    width = next(f for f in spec.contract().generation[V6] if f.name == "width")
    step = field_step(width)
    for _ in range(2):
        out: list[Any] = []
        step("5000", out)
        assert [v.rule.id for v in out] == [r for r in width.rules if r.endswith(".range")]


def test_remembered_loras_are_the_ones_each_body_names() -> None:
    def loras(**fields: Any) -> Any:
        parsed = parse(V6, {**BASE, **fields})
        return parsed.request.loras if parsed.request else parsed.rule_ids  # type: ignore[union-attr]

    for _ in range(2):  # the second time from what was remembered
        assert loras(lora_model="a,b") == (Lora("a", 1.0, False), Lora("b", 1.0, False))
        assert loras(lora_model="a,b", lora_strength="0.5,1") == (Lora("a", 0.5), Lora("b", 1.0))
        assert loras(lora_model="a,b", lora_strength="0.5") == ("lora.count",)
        assert loras(lora_strength="0.5") == ("lora.count",)
        assert loras() == ()
