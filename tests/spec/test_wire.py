"""The wire-kinds table, and the schema rendered from it."""

from __future__ import annotations

from typing import Any

import pytest

import spec
from spec.wire import WIRE, json_type


def test_kinds_are_the_table() -> None:
    assert spec.KINDS == tuple(WIRE) == tuple(k.name for k in WIRE.values())
    assert set(spec.KINDS) == {"string", "url", "integer", "number", "flag", "enum", "upscale",
                               "id_list", "strength_list", "seed", "track_id"}
    for kind in WIRE.values():
        assert kind.types and set(kind.types) <= {"string", "integer", "number", "boolean"}
        assert kind.description and "\n" not in kind.description
        assert (kind.pattern is None) == (kind.regex is None)
        if kind.pattern is not None:
            assert "string" in kind.types
            assert kind.pattern.startswith("^") and kind.pattern.endswith("$")


def _properties() -> list[tuple[str, str, dict[str, Any]]]:
    doc = spec.load_document()
    schemas = doc["components"]["schemas"]
    out = []
    for info in doc["x-contract"]["generation"].values():
        for name, schema in schemas[info["request"]]["properties"].items():
            out.append((info["request"], name, schema))
    return out


@pytest.mark.parametrize(("request_schema", "name", "schema"), _properties())
def test_the_schema_states_each_field_by_its_kind(request_schema: str, name: str,
                                                  schema: dict[str, Any]) -> None:
    kind = WIRE[schema["x-contract"]["kind"]]
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    assert [t for t in types if t != "null"] == list(kind.types)
    assert schema.get("pattern") == kind.pattern


def test_x_contract_describes_every_kind() -> None:
    wire = spec.load_document()["x-contract"]["wire"]
    assert {k: wire[k] for k in WIRE} == {k: v.description for k, v in WIRE.items()}
    assert set(wire) == {*WIRE, "null"}


@pytest.mark.parametrize(("value", "expected"), [
    (None, "null"), (True, "boolean"), (3, "integer"), (3.0, "integer"), (3.5, "number"),
    (float("inf"), "number"), ("3", "string"), ([1], "array"), ({}, "object"),
])
def test_json_type(value: Any, expected: str) -> None:
    assert json_type(value) == expected


@pytest.mark.parametrize(("kind", "value", "allowed"), [
    ("integer", 512, True), ("integer", 512.0, True), ("integer", " 512 ", True),
    ("integer", "5.5", False), ("integer", 5.5, False), ("integer", True, False),
    ("integer", "1" * 31, False), ("number", 7, True), ("number", "1e5", True),
    ("number", "1e12345", False), ("flag", "YES", True), ("flag", "y", False),
    ("flag", 1, False), ("upscale", "+2", True), ("upscale", "4", True),  # range comes later
    ("upscale", 2.5, False), ("id_list", "a, b,", True), ("id_list", "a,,b", False),
    ("id_list", " ", True), ("id_list", ",", False), ("strength_list", "0.45,", True),
    ("strength_list", "0.45,,0.5", False), ("strength_list", 0.5, True),
    ("strength_list", "", True), ("track_id", 7, True), ("track_id", 7.5, False),
    ("enum", "any text", True), ("string", 3, False),
])
def test_allows(kind: str, value: Any, allowed: bool) -> None:
    assert WIRE[kind].allows(value) is allowed


def test_null_is_no_kind_s_form() -> None:
    """Optional fields take null as "not given" before any decoding."""
    assert not any(k.allows(None) for k in WIRE.values())
