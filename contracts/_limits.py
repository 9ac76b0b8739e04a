"""Each field's step: coerce its wire form and enforce its limits, compiled once per field.

A field's limits are read from `spec.contract()` once, into `Limits`, and both the general
path (any wire form, with messages) and the fast path (a plain JSON value within limits) use
that one record. The parser calls one step per field on the mock's hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import spec
from contracts import _wire
from contracts._wire import WireError
from contracts.model import Violation
from contracts.redaction import SECRET_FIELDS
from contracts.rules import FIELD_TYPE, Rule, rule

COERCE: Mapping[str, Callable[[Any], Any]] = MappingProxyType({
    "string": _wire.to_string, "url": _wire.to_string, "integer": _wire.to_int,
    "seed": _wire.to_int, "number": _wire.to_number, "flag": _wire.to_flag,
    "enum": _wire.to_string, "upscale": _wire.to_upscale, "id_list": _wire.to_id_list,
    "strength_list": _wire.to_strength_list, "track_id": _wire.to_track_id,
})

#: A field's step: its raw (non-null) value -> its canonical value, appending any violation to
#: the list (the value returned then does not matter: the request is rejected). Capped fields
#: are not capped by their step: the parser records the value asked for, then caps it.
Step = Callable[[Any, list[Violation]], Any]

_INF = float("inf")
#: Floats in this range are what `_wire.to_number` returns unchanged.
_FINITE = 1e299
#: Kinds no numeric limit applies to.
_UNLIMITED = ("id_list", "string", "url", "track_id", "flag")


def _cited(f: spec.Field, suffix: str) -> Rule:
    """The rule `f` cites (in the spec's data) whose id ends with `suffix`."""
    for rule_id in f.rules:
        if rule_id.endswith(suffix):
            return rule(rule_id)
    raise KeyError(f"field {f.name} has limits but cites no {suffix} rule")


@dataclass(frozen=True)
class Limits:
    """A numeric field's limits, stated once for both paths of its step."""

    low: float
    high: float
    multiple: float | None
    #: The rule a value outside [low, high] or off the multiple breaks.
    outside: Rule
    #: The rule a value under `low` breaks (a capped field has a minimum only: steps.min).
    under: Rule
    #: "from 1 to 4", "at least 1": for messages.
    bounds: str
    capped: bool

    @classmethod
    def of(cls, f: spec.Field) -> Limits | None:
        if f.kind in _UNLIMITED or f.kind == "enum" or all(
                v is None for v in (f.minimum, f.maximum, f.cap, f.multiple_of)):
            return None
        capped = f.cap is not None
        under = _cited(f, ".min") if capped else _cited(f, ".range")
        outside = under if capped and f.maximum is None and not f.multiple_of \
            else _cited(f, ".range")
        return cls(-_INF if f.minimum is None else f.minimum,
                   _INF if f.maximum is None else f.maximum,
                   f.multiple_of, outside, under, _bounds(f), capped)


def _num(value: float) -> str:
    """A number for a message: 7.5, 1024, or a shortened huge integer (no float overflow)."""
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"
    return f"{value:g}"


def _bounds(f: spec.Field) -> str:
    low = "" if f.minimum is None else _num(f.minimum)
    high = "" if f.maximum is None else _num(f.maximum)
    if low and high:
        return f"from {low} to {high}"
    return f"at least {low}" if low else f"at most {high}"


Limiter = Callable[[Any, list[Violation]], Any]


def _enum_limiter(f: spec.Field) -> Limiter:
    allowed = frozenset(f.enum or ())
    aliases = dict(f.aliases)
    broken = _cited(f, ".enum")
    count = len(allowed)
    shown = ", ".join((f.enum or ())[:4]) + (", ..." if count > 4 else "")

    def check(value: Any, out: list[Violation]) -> Any:
        canonical = aliases.get(value, value)
        if canonical not in allowed:
            out.append(Violation(broken, f.name, f"{value!r} is not one of the {count} "
                                                 f"documented values ({shown})"))
        return canonical

    return check


def _range_limiter(f: spec.Field, limits: Limits) -> Limiter:
    low, high, multiple = limits.low, limits.high, limits.multiple
    name = f.name

    def check(value: Any, out: list[Violation]) -> Any:
        for v in value if type(value) is tuple else (value,):
            if v < low:
                message = f"must be at least {_num(low)}, got {_num(v)}" if limits.capped \
                    else f"must be {limits.bounds}, got {_num(v)}"
                out.append(Violation(limits.under, name, message))
                return value
            if v > high:
                out.append(Violation(limits.outside, name,
                                     f"must be {limits.bounds}, got {_num(v)}"))
                return value
            if multiple and v % multiple:
                out.append(Violation(limits.outside, name,
                                     f"must be a multiple of {multiple}, got {_num(v)}"))
                return value
        return value

    return check


def _kind(value: Any) -> str:
    """The JSON type of `value`, in words (what a message may say of a secret)."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a value of another type"


def field_step(f: spec.Field) -> Step:
    """Coerce and limit one field (see `compiled`)."""
    return compiled(f)[0]


def compiled(f: spec.Field) -> tuple[Step, Memo | None]:
    """One field's step, with a fast path for the value's plain JSON form, and the memo of
    the strings it accepted (None for the kinds that keep none).

    The fast path only accepts what the general path would return unchanged (a `str` for a
    string, an `int` for an integer, a `bool` for a flag, a finite `float` for a number) and
    within the limits; anything else takes the general path, messages and all. A string a
    number, flag, upscale or list field accepted is remembered (`_remembered`): the memo maps
    it to the value the step returned for it, so a caller may look it up before calling.
    """
    name, kind, coerce = f.name, f.kind, COERCE[f.kind]
    limits = Limits.of(f)
    limiter = _enum_limiter(f) if kind == "enum" else \
        _range_limiter(f, limits) if limits is not None else None

    def general(raw: Any, out: list[Violation]) -> Any:
        try:
            coerced = coerce(raw)
        except WireError as exc:
            # A secret field's value is never shown back, whatever JSON value it is.
            out.append(Violation(FIELD_TYPE, name, f"expected a string, got {_kind(raw)}"
                                 if name in SECRET_FIELDS else str(exc)))
            return None
        except (TypeError, ValueError, OverflowError):
            out.append(Violation(FIELD_TYPE, name, "has a value of the wrong form"))
            return None
        return coerced if limiter is None else limiter(coerced, out)

    if kind in ("string", "url"):
        def string(raw: Any, out: list[Violation]) -> Any:
            return raw if type(raw) is str else general(raw, out)
        return string, None
    if kind == "enum":
        allowed = frozenset(f.enum or ())
        aliases = dict(f.aliases)

        def enum(raw: Any, out: list[Violation]) -> Any:
            if type(raw) is str:
                canonical = aliases.get(raw, raw)
                if canonical in allowed:
                    return canonical
            return general(raw, out)
        # Every string `enum` accepts, known in advance (so the memo never grows).
        accepted = {value: value for value in allowed if value not in aliases}
        accepted.update((a, c) for a, c in aliases.items() if c in allowed)
        return enum, accepted
    if kind not in ("flag", "integer", "seed", "number", "upscale", "id_list", "strength_list"):
        return general, None
    memo: Memo = {}
    text = _remembered(general, memo)
    if kind == "flag":
        def flag(raw: Any, out: list[Violation]) -> Any:
            if raw is True or raw is False:
                return raw
            return text(raw, out) if type(raw) is str else general(raw, out)
        return flag, memo
    if kind in ("integer", "seed", "number"):
        low, high = (limits.low, limits.high) if limits else (-_INF, _INF)
        if kind == "number":
            low, high = max(low, -_FINITE), min(high, _FINITE)
            wanted: Any = float
        else:
            wanted = int
        multiple = limits.multiple if limits else None

        def digits(raw: Any, out: list[Violation]) -> Any:
            # Decimal digits: what the integer pattern reads, and `int` reads alike.
            if raw.isdigit() and raw.isascii() and len(raw) <= 30:
                value = int(raw)
                if low <= value <= high and not (multiple and value % multiple):
                    return value
            return general(raw, out)

        if wanted is int:
            text = _remembered(digits, memo)

        def number(raw: Any, out: list[Violation]) -> Any:
            if type(raw) is wanted and low <= raw <= high and not (multiple and raw % multiple):
                return raw
            return text(raw, out) if type(raw) is str else general(raw, out)
        return number, memo

    def listed(raw: Any, out: list[Violation]) -> Any:
        return text(raw, out) if type(raw) is str else general(raw, out)
    return listed, memo


#: A field remembers the values of this many distinct strings it parsed without a violation
#: (then forgets them all and starts again) ...
MEMO_ENTRIES = 256
#: ... each at most this long.
MEMO_CHARS = 64
_MISSING = object()
#: A string as sent -> the value a step made of it.
Memo = dict[str, Any]


def _remembered(general: Step, memo: Memo) -> Step:
    """`general` for strings, remembering what it made of the short strings it accepted.

    Clients send numbers and flags as strings ("512", "7.5", "yes", "0.6,0.7") and the same
    few strings again and again: each is coerced and limit-checked once. Only values without
    a violation are remembered (a rejected string takes the general path every time, message
    and all), and every remembered value is immutable (a number, flag, string or tuple).
    """

    def text(raw: str, out: list[Violation]) -> Any:
        value = memo.get(raw, _MISSING)
        if value is not _MISSING:
            return value
        before = len(out)
        value = general(raw, out)
        if len(out) == before and len(raw) <= MEMO_CHARS:
            if len(memo) >= MEMO_ENTRIES:
                memo.clear()
            memo[raw] = value
        return value

    return text
