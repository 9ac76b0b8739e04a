"""Read the committed authoritative document: the one place every limit is taken from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spec._fields import Field

SCHEMA_PATH = Path(__file__).parent / "modelslab.yaml"


@cache
def load_document() -> Mapping[str, Any]:
    """The parsed `modelslab.yaml` (cached; treat as read-only)."""
    import yaml  # here, not at import: the pytest plugin imports this package for nothing

    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        document: dict[str, Any] = yaml.safe_load(fh)
    return document


def _field(name: str, schema: Mapping[str, Any], required: bool) -> Field:
    contract = schema["x-contract"]
    aliases = contract.get("aliases", {})
    enum = schema.get("enum")
    return Field(
        name=name,
        kind=contract["kind"],
        required=required,
        minimum=schema.get("minimum"),
        maximum=schema.get("maximum"),
        cap=contract.get("cap"),
        multiple_of=schema.get("multipleOf"),
        default=schema.get("default"),
        enum=tuple(v for v in enum if v is not None and v not in aliases) if enum else None,
        aliases=MappingProxyType(dict(aliases)),
        rules=tuple(contract.get("rules", ())),
        ledger=tuple(contract.get("ledger", ())),
    )


@dataclass(frozen=True)
class Contract:
    """The parts of the document that code acts on, typed."""

    #: Generation endpoint path -> its fields.
    generation: Mapping[str, tuple[Field, ...]]
    #: Fetch endpoint path -> (generation endpoint it serves, "path" or "body" for the id).
    fetch: Mapping[str, tuple[str, str]]
    errors: Mapping[str, Mapping[str, Any]]
    quirks: Mapping[str, Any]
    flux_models: tuple[str, ...]
    flux_unsupported: tuple[str, ...]
    limits: Mapping[str, Any]
    #: Every rule id the document cites.
    rules: tuple[str, ...]

    def field(self, endpoint: str, name: str) -> Field:
        for f in self.generation[endpoint]:
            if f.name == name:
                return f
        raise KeyError(name)


@cache
def contract() -> Contract:
    doc = load_document()
    x = doc["x-contract"]
    schemas = doc["components"]["schemas"]
    generation = {}
    for path, info in x["generation"].items():
        schema = schemas[info["request"]]
        required = set(schema.get("required", ()))
        generation[path] = tuple(_field(n, s, n in required)
                                 for n, s in schema["properties"].items())
    return Contract(
        generation=MappingProxyType(generation),
        fetch=MappingProxyType({p: (i["generation"], i["id_in"]) for p, i in x["fetch"].items()}),
        errors=MappingProxyType(x["errors"]),
        quirks=MappingProxyType(x["quirks"]),
        flux_models=tuple(x["flux"]["models"]),
        flux_unsupported=tuple(x["flux"]["unsupported"]),
        limits=MappingProxyType(x["limits"]),
        rules=tuple(x["rules"]),
    )
