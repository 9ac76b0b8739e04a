"""A body parameter as the contract enforces it, read from the document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Field:
    """A body parameter as we enforce it. Limits apply to the value after coercion."""

    name: str
    #: How it travels: one of `spec.KINDS` (see `spec.wire`).
    kind: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    #: Values above `cap` are accepted and replaced by it (steps).
    cap: float | None = None
    multiple_of: int | None = None
    default: Any = None
    enum: tuple[str, ...] | None = None
    #: Other spellings accepted for an enum value (`"no"` for algorithm_type `none`).
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Rule ids guarding this field's limits, in the order they are checked.
    rules: tuple[str, ...] = ()
    #: Ids of the ledger rows that decided this field.
    ledger: tuple[str, ...] = ()
