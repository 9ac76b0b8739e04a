"""What a documented page states, recorded as data so the normaliser can compare pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Attributes of a parameter that two pages can disagree on.
ATTRIBUTES = ("type", "required", "minimum", "maximum", "cap", "allowed", "multiple_of", "default",
              "enum", "nullable")


class _Silent:
    """The page says nothing about this attribute."""

    def __repr__(self) -> str:
        return "SILENT"


SILENT: Any = _Silent()


@dataclass(frozen=True)
class Fact:
    """One page's statement about one body parameter; `SILENT` where the page says nothing.

    `type` uses a small vocabulary so pages can be compared: string, integer, number, boolean,
    yes/no, id, url, id-list, strength-list, enum.
    """

    type: Any = SILENT
    required: Any = SILENT
    minimum: Any = SILENT
    maximum: Any = SILENT
    cap: Any = SILENT
    allowed: Any = SILENT
    multiple_of: Any = SILENT
    default: Any = SILENT
    enum: Any = SILENT
    nullable: Any = SILENT

    def said(self) -> dict[str, Any]:
        return {a: getattr(self, a) for a in ATTRIBUTES if getattr(self, a) is not SILENT}


@dataclass(frozen=True)
class Source:
    """One documented page, in our own words: its parameters, its examples' shapes, its claims."""

    id: str
    title: str
    url: str
    endpoint: str
    params: Mapping[str, Fact]
    #: Request bodies as the page shows them (wire forms kept, free text replaced by ours).
    examples: tuple[Mapping[str, Any], ...] = ()
    #: Other statements the page makes (response shapes, fetch forms, error bodies...).
    claims: Mapping[str, Any] = field(default_factory=dict)
