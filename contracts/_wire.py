"""Coerce one field's wire form to its canonical Python value, or say why it cannot be.

The text forms are the patterns of `spec.wire` (the table the schema is rendered from), so the
decoder and the schema accept the same strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

from spec.wire import WIRE


def _regex(kind: str) -> re.Pattern[str]:
    regex = WIRE[kind].regex
    assert regex is not None, kind
    return regex


_INT = _regex("integer")
_NUMBER = _regex("number")
_FLAG = _regex("flag")


class WireError(ValueError):
    """The value is not in any documented wire form of its kind."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_int(value: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise WireError(f"expected an integer, got {_show(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.match(value):
        return int(value.strip())  # int() refuses some spaces the pattern allows ("\x1f")
    raise WireError(f"expected an integer (a JSON number or a decimal string), got {_show(value)}")


def to_number(value: Any) -> float:
    if type(value) is float and -1e300 < value < 1e300:
        return value
    if isinstance(value, bool):
        raise WireError(f"expected a number, got {_show(value)}")
    if isinstance(value, int | float):
        number = float(value) if abs(value) < 1e300 else math.inf
    elif isinstance(value, str) and _NUMBER.match(value):
        number = float(value.strip())
    else:
        raise WireError(
            f"expected a number (a JSON number or a decimal string), got {_show(value)}")
    if not math.isfinite(number):
        raise WireError(f"expected a finite number, got {_show(value)}")
    return number


_WORDS = {"yes": True, "no": False, "true": True, "false": False}


def to_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    exact = _WORDS.get(value) if type(value) is str else None
    if exact is not None:
        return exact
    if isinstance(value, str) and _FLAG.match(value):
        return _WORDS[value.strip().lower()]
    raise WireError(f'expected "yes"/"no" or true/false, got {_show(value)}')


def to_upscale(value: Any) -> int:
    """"no"/false -> 1, "yes"/true -> 2, or the factor itself (range-checked by the caller)."""
    try:
        return 2 if to_flag(value) else 1
    except WireError:
        pass
    try:
        return to_int(value)
    except WireError:
        raise WireError(f'expected "yes"/"no", true/false or a factor 1-3, got {_show(value)}')\
            from None


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise WireError(f"expected a string, got {_show(value)}")


def to_track_id(value: Any) -> int | str:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)  # 7.0 is the integer 7 in JSON, as the schema's type says
    raise WireError(f"expected an integer or a string, got {_show(value)}")


def _items(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if len(items) > 1 and items[-1] == "":
        items.pop()  # one trailing separator, as the docs' own Java sample sends
    if "" in items:
        raise WireError(f"has an empty item: {_show(text)}")
    return items


def to_id_list(value: Any) -> tuple[str, ...]:
    text = to_string(value)
    if text.strip() == "":
        return ()
    return tuple(_items(text))


def to_strength_list(value: Any) -> tuple[float, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (to_number(value),)
    text = to_string(value)
    if text.strip() == "":
        return ()
    return tuple(to_number(item) for item in _items(text))
