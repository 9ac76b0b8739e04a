"""Wire forms: every documented way one canonical value may travel in a JSON body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def integer(value: int) -> st.SearchStrategy[Any]:
    """An integer as a JSON number (first: shrinks to it), a decimal string or an integral float."""
    return st.sampled_from((value, str(value), float(value)))


def number(value: float) -> st.SearchStrategy[Any]:
    """A number as a JSON number or a decimal string."""
    return st.sampled_from((value, _plain(value)))


def flag(value: bool) -> st.SearchStrategy[Any]:
    """A flag as "yes"/"no" (the documented form, first), a JSON boolean or "true"/"false"."""
    word, json_bool = ("yes", True) if value else ("no", False)
    return st.sampled_from((word, json_bool, str(json_bool).lower(), word.upper()))


def upscale(factor: int) -> st.SearchStrategy[Any]:
    """An upscale factor 1-3; 1 and 2 may also travel as "no"/"yes" or false/true."""
    forms: list[Any] = [factor, str(factor)]
    if factor == 1:
        forms += ["no", False]
    elif factor == 2:
        forms += ["yes", True]
    return st.sampled_from(forms)


def strengths(values: Sequence[float]) -> st.SearchStrategy[Any]:
    """LoRA strengths as a comma-separated string, or one JSON number when there is one."""
    text = ",".join(_plain(v) for v in values)
    forms: list[Any] = [text]
    if len(values) == 1:
        forms.append(values[0])
    return st.sampled_from(forms)


def ids(values: Sequence[str]) -> st.SearchStrategy[str]:
    """LoRA ids as a comma-separated string, with or without spaces after the commas."""
    return st.sampled_from((",".join(values), ", ".join(values)))


def plain(value: float) -> str:
    """How a number reads in a comma list: 1 -> "1", 0.45 -> "0.45"."""
    return _plain(value)
