"""Wire forms: every documented way one canonical value may travel in a JSON body.

Which forms exist is read from `spec.wire` (the table the decoder and the schema read too):
each encoder offers its candidate forms and keeps those the kind's table entry allows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st

from spec.wire import KINDS, WIRE


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def forms(kind: str, candidates: Sequence[Any]) -> tuple[Any, ...]:
    """The candidates `kind` allows on the wire, in order (the first is what shrinking keeps)."""
    wire = WIRE[kind]
    return tuple(c for c in candidates if wire.allows(c))


def _sampled(kind: str, candidates: Sequence[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from(forms(kind, candidates))


def integer(value: int, kind: str = "integer") -> st.SearchStrategy[Any]:
    """An integer as a JSON number (first: shrinks to it), a decimal string or an integral float."""
    return _sampled(kind, (value, str(value), float(value)))


def number(value: float) -> st.SearchStrategy[Any]:
    """A number as a JSON number or a decimal string."""
    return _sampled("number", (value, _plain(value)))


def flag(value: bool) -> st.SearchStrategy[Any]:
    """A flag as "yes"/"no" (the documented form, first), a JSON boolean or "true"/"false"."""
    word, json_bool = ("yes", True) if value else ("no", False)
    return _sampled("flag", (word, json_bool, str(json_bool).lower(), word.upper()))


def upscale(factor: int) -> st.SearchStrategy[Any]:
    """An upscale factor 1-3; 1 and 2 may also travel as "no"/"yes" or false/true."""
    candidates: list[Any] = [factor, str(factor)]
    if factor == 1:
        candidates += ["no", False]
    elif factor == 2:
        candidates += ["yes", True]
    return _sampled("upscale", candidates)


def strengths(values: Sequence[float]) -> st.SearchStrategy[Any]:
    """LoRA strengths as a comma-separated string, or one JSON number when there is one."""
    candidates: list[Any] = [",".join(_plain(v) for v in values)]
    if len(values) == 1:
        candidates.append(values[0])
    return _sampled("strength_list", candidates)


def ids(values: Sequence[str]) -> st.SearchStrategy[Any]:
    """LoRA ids as a comma-separated string, with or without spaces after the commas."""
    return _sampled("id_list", (",".join(values), ", ".join(values)))


def plain(value: float) -> str:
    """How a number reads in a comma list: 1 -> "1", 0.45 -> "0.45"."""
    return _plain(value)


def _as_is(kind: str) -> Callable[[Any], st.SearchStrategy[Any]]:
    return lambda value: _sampled(kind, (value,))


#: Wire kind -> the strategy of every wire form of one canonical value of that kind.
ENCODERS: Mapping[str, Callable[[Any], st.SearchStrategy[Any]]] = MappingProxyType({
    "string": _as_is("string"), "url": _as_is("url"), "enum": _as_is("enum"),
    "track_id": _as_is("track_id"),
    "integer": lambda v: integer(int(v)), "seed": lambda v: integer(int(v), "seed"),
    "number": lambda v: number(float(v)), "flag": lambda v: flag(bool(v)),
    "upscale": lambda v: upscale(int(v)),
    "id_list": lambda v: ids(tuple(v)), "strength_list": lambda v: strengths(tuple(v)),
})
if set(ENCODERS) != set(KINDS):  # pragma: no cover - a kind added to spec.wire needs an encoder
    raise ImportError(f"wire kinds without an encoder: {sorted(set(KINDS) - set(ENCODERS))}")


def encode(kind: str, value: Any) -> st.SearchStrategy[Any]:
    """Every wire form of a canonical value of `kind` (see `spec.wire`)."""
    return ENCODERS[kind](value)
