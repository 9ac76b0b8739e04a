"""Find every attribute on which two documented sources disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spec.authoring._facts import ATTRIBUTES, Source


class Stated(str):
    """A statement already phrased for the ledger (derived, not a raw attribute value)."""


@dataclass(frozen=True)
class Conflict:
    """Sources that state different values for one attribute of one parameter."""

    param: str
    attribute: str
    #: (source id, value) for every source that states the attribute.
    statements: tuple[tuple[str, Any], ...]


def _comparable(value: Any) -> Any:
    # A boolean False and the string "no" are different statements: keep the type in the key.
    return (type(value).__name__, repr(value))


def find_conflicts(sources: tuple[Source, ...]) -> list[Conflict]:
    params: dict[str, None] = {}
    for source in sources:
        params.update(dict.fromkeys(source.params))
    conflicts = []
    for param in params:
        for attribute in ATTRIBUTES:
            statements = tuple(
                (s.id, s.params[param].said()[attribute])
                for s in sources
                if param in s.params and attribute in s.params[param].said()
            )
            if len({_comparable(v) for _, v in statements}) > 1:
                conflicts.append(Conflict(param, attribute, statements))
    return conflicts


_JSON_TYPES = {
    "integer": (int,), "number": (int, float), "boolean": (bool,), "string": (str,),
    "yes/no": (str,), "strength-list": (str, int, float), "id-list": (str,), "enum": (str,),
    "url": (str,),
}


def _is_a(value: Any, declared: str) -> bool:
    types = _JSON_TYPES.get(declared)
    if types is None:
        return True
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def find_inconsistencies(sources: tuple[Source, ...]) -> list[Conflict]:
    """Statements that contradict other statements rather than merely differ from them.

    A default outside a stated range or of the wrong type, allowed values outside another
    source's range, and examples whose wire form is not the declared type.
    """
    found: list[Conflict] = []
    for source in sources:
        for param, fact in source.params.items():
            said = fact.said()
            for other in sources:
                if param not in other.params:
                    continue
                theirs = other.params[param].said()
                low, high = theirs.get("minimum"), theirs.get("maximum")
                values = [("default", said["default"])] if isinstance(
                    said.get("default"), int | float) and not isinstance(
                    said.get("default"), bool) else []
                values += [("allowed", v) for v in said.get("allowed", ())]
                for attribute, value in values:
                    if (low is not None and value < low) or (high is not None and value > high):
                        shown = "allows" if attribute == "allowed" else "defaults to"
                        found.append(Conflict(param, attribute, (
                            (source.id, Stated(f"{shown} {_show(said[attribute])}")),
                            (other.id, Stated(f"states the range {_show((low, high))}")))))
                        break
            if "default" in said and "type" in said and said["default"] is not None \
                    and not _is_a(said["default"], said["type"]):
                found.append(Conflict(param, "default", ((source.id, Stated(
                    f"defaults to {said['default']!r} on a {said['type']} field")),)))
    for source in sources:
        for example in source.examples:
            for param, value in example.items():
                for other in sources:
                    declared = other.params.get(param)
                    if declared is None or value is None or "type" not in declared.said():
                        continue
                    if not _is_a(value, declared.type):
                        found.append(Conflict(param, "wire", (
                            (source.id, Stated(f"an example sends {value!r}")),
                            (other.id, Stated(f"declares {declared.type}")))))
    return _merge(found)


def _show(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        low, high = ("?" if v is None else v for v in value)
        return f"{low}..{high}"
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value)
    return repr(value)


def _merge(conflicts: list[Conflict]) -> list[Conflict]:
    merged: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    for c in conflicts:
        bucket = merged.setdefault((c.param, c.attribute), [])
        bucket.extend(s for s in c.statements if s not in bucket)
    return [Conflict(p, a, tuple(s)) for (p, a), s in merged.items()]
