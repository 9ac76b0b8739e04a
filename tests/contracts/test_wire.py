"""The decoder and the encoder agree with `spec.wire`, the table the schema is rendered from."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contracts import _wire
from contracts.strategies import _forms
from spec.wire import KINDS, WIRE

DECODERS: dict[str, Callable[[Any], Any]] = {
    "string": _wire.to_string, "url": _wire.to_string, "enum": _wire.to_string,
    "integer": _wire.to_int, "seed": _wire.to_int, "number": _wire.to_number,
    "flag": _wire.to_flag, "upscale": _wire.to_upscale, "id_list": _wire.to_id_list,
    "strength_list": _wire.to_strength_list, "track_id": _wire.to_track_id,
}

#: Text made of what wire forms are made of, so both answers come up often.
TEXT = st.text(alphabet=st.sampled_from("0123456789+-.eE, \t\nyesnotruefalsYESNOTRUEFALS"),
               max_size=12) | st.text(max_size=8)


def _decodes(kind: str, value: Any) -> bool:
    try:
        DECODERS[kind](value)
    except _wire.WireError:
        return False
    return True


def _nonfinite(kind: str, text: str) -> bool:
    """Form-valid text the decoder still refuses: a number past float's range."""
    if kind not in ("number", "strength_list"):
        return False
    return any(math.isinf(float(item)) for item in text.split(",") if item.strip())


def test_every_kind_has_a_decoder_and_an_encoder() -> None:
    assert set(DECODERS) == set(KINDS) == set(_forms.ENCODERS)


@pytest.mark.parametrize("kind", [k for k in KINDS if WIRE[k].pattern])
@settings(max_examples=300, database=None, deadline=None)
@given(text=TEXT)
@example(text="1" * 31).via("more digits than the table allows")
@example(text="1e99999").via("an exponent past the table's four digits")
@example(text="9" * 30 + "e300").via("form-valid, but not a finite number")
@example(text="0.45,").via("one trailing separator")
@example(text=",").via("nothing but a separator")
@example(text=" yes ").via("a padded word")
@example(text="0\x1f").via("a space to the pattern that int() refuses")
def test_the_decoder_reads_exactly_the_table_s_text(kind: str, text: str) -> None:
    matches = WIRE[kind].allows(text)
    decodes = _decodes(kind, text)
    if matches and not decodes:
        assert _nonfinite(kind, text), (kind, text)
    else:
        assert matches == decodes, (kind, text)


@pytest.mark.parametrize("kind", KINDS)
@given(value=st.none() | st.booleans() | st.integers() | st.floats() | st.lists(st.integers()))
def test_the_decoder_reads_exactly_the_table_s_json_types(kind: str, value: Any) -> None:
    if WIRE[kind].allows(value):
        nonfinite = isinstance(value, float | int) and not isinstance(value, bool) and (
            not math.isfinite(value) or abs(value) >= 1e300)
        assert _decodes(kind, value) or (nonfinite and kind in ("number", "strength_list"))
    else:
        assert not _decodes(kind, value)


CANONICAL: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(), "url": st.just("https://example.com/a.png"),
    "enum": st.sampled_from(("none", "DDIMScheduler")),
    "track_id": st.integers(0, 10**6) | st.text(max_size=5),
    "integer": st.integers(-(10**9), 10**9), "seed": st.integers(0, 2**32 - 1),
    "number": st.integers(0, 2000).map(lambda n: n / 100), "flag": st.booleans(),
    "upscale": st.integers(1, 3),
    "id_list": st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), min_size=1,
                        max_size=3).map(tuple),
    "strength_list": st.lists(st.integers(10, 100).map(lambda n: n / 100), min_size=1,
                              max_size=3).map(tuple),
}


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=50, database=None, deadline=None)
@given(data=st.data())
def test_every_encoded_form_is_a_table_form_that_decodes_back(kind: str,
                                                            data: st.DataObject) -> None:
    value = data.draw(CANONICAL[kind])
    form = data.draw(_forms.encode(kind, value))
    assert WIRE[kind].allows(form), (kind, value, form)
    decoded = DECODERS[kind](form)
    expected = {"flag": bool, "number": float}.get(kind, lambda v: v)(value)
    assert decoded == expected


def test_a_form_the_table_drops_is_not_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace
    from types import MappingProxyType

    narrowed = replace(WIRE["integer"], types=("integer",))
    monkeypatch.setattr(_forms, "WIRE", MappingProxyType({**WIRE, "integer": narrowed}))
    assert _forms.forms("integer", (5, "5", 5.0)) == (5, 5.0)


@pytest.mark.parametrize(("decode", "value", "expected"), [
    (_wire.to_int, "512\x1f", 512),  # a space to the pattern, not to int()
    (_wire.to_number, "\x1c7.5 ", 7.5),
    (_wire.to_track_id, 7.0, 7),  # an integer in JSON, as the schema's type says
    (_wire.to_track_id, "7", "7"),
    (_wire.to_upscale, " +2 ", 2),
    (_wire.to_strength_list, "0.45, .5,", (0.45, 0.5)),
])
def test_forms_the_table_allows_decode(decode: Callable[[Any], Any], value: Any,
                                       expected: Any) -> None:
    assert decode(value) == expected
