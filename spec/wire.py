"""The wire kinds: how each field may travel in a JSON body, stated once.

The decoder (`contracts._wire`) compiles its patterns from this table, the encoder
(`contracts.strategies._forms`) keeps only the forms it allows, and the schema renderer writes
its `type`/`pattern` and the `x-contract.wire` descriptions from it.

A pattern states the *form* of a string value (what the decoder can read), never its range:
"4" is an integer in form, and `upscale.range` rejects it after decoding. Digit counts are
bounded (30 digits, 4 exponent digits) so that decoding stays cheap and never meets Python's
int/str conversion limit; every value in any range the contract sets fits well inside them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

_INT = r"[+-]?\d{1,30}"
_NUMBER = r"[+-]?(\d{1,30}\.?\d{0,30}|\.\d{1,30})([eE][+-]?\d{1,4})?"
_WORD = r"[Yy][Ee][Ss]|[Nn][Oo]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]"
#: One list item: not blank, no comma; items are trimmed.
_ITEM = r"\s*[^,\s][^,]*"


def _list_of(item: str) -> str:
    """Comma-separated items; blank means empty; one trailing comma tolerated."""
    return rf"^(\s*|{item}(,{item})*(,\s*)?)$"


@dataclass(frozen=True)
class WireKind:
    """One way a field travels: the JSON types it may have and the form of its text."""

    name: str
    #: JSON types a present value may have (null is any optional field's "not given").
    types: tuple[str, ...]
    #: What a string value must match (None: any string of an allowed type).
    pattern: str | None
    #: One line for `x-contract.wire`.
    description: str

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        """The pattern compiled, on first use (importing `spec` compiles nothing)."""
        return re.compile(self.pattern) if self.pattern else None

    def allows(self, value: Any) -> bool:
        """Whether `value` is in one of this kind's wire forms (ranges aside)."""
        kind = json_type(value)
        if kind not in self.types and not (kind == "integer" and "number" in self.types):
            return False
        return not isinstance(value, str) or self.regex is None or bool(self.regex.match(value))


def json_type(value: Any) -> str:
    """The JSON Schema type of a JSON value; an integral float is an integer, as there."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"


_TABLE = (
    WireKind("string", ("string",), None, "a JSON string"),
    WireKind("url", ("string",), None, "a JSON string holding a URL"),
    WireKind("integer", ("integer", "string"), rf"^\s*{_INT}\s*$",
          "JSON integer, integral JSON number, or decimal string"),
    WireKind("number", ("number", "string"), rf"^\s*{_NUMBER}\s*$",
          "JSON number or decimal string"),
    WireKind("flag", ("string", "boolean"), rf"^\s*({_WORD})\s*$",
          "yes/no or true/false (JSON or string), any case; echoed yes/no"),
    WireKind("enum", ("string",), None, "one of the listed strings (or an alias of one)"),
    WireKind("upscale", ("string", "integer", "boolean"), rf"^\s*({_WORD}|{_INT})\s*$",
          "yes/no, true/false, or a factor 1-3 (integer or string)"),
    WireKind("id_list", ("string",), _list_of(_ITEM),
          "comma-separated ids, trimmed; one trailing comma tolerated"),
    WireKind("strength_list", ("string", "number"), _list_of(rf"\s*{_NUMBER}\s*"),
          "comma-separated numbers or one JSON number"),
    WireKind("seed", ("integer", "string"), rf"^\s*{_INT}\s*$",
          "JSON integer or decimal string (random when not given)"),
    WireKind("track_id", ("integer", "string"), None, "JSON integer or string, echoed as sent"),
)

#: Kind name -> its wire forms.
WIRE: Mapping[str, WireKind] = MappingProxyType({k.name: k for k in _TABLE})
#: Every kind a field may have.
KINDS: tuple[str, ...] = tuple(WIRE)
