"""The runtime reader of the authoritative schema (spec/modelslab.yaml): fields, limits, routes
and wire kinds. The pipeline that writes the schema lives in `spec.authoring`, which only the
CLI and the tests import."""

from spec._field import Field
from spec._load import SCHEMA_PATH, Contract, contract, load_document
from spec._routes import Route
from spec.endpoints import (
    FETCH_PATHS,
    GENERATION_PATHS,
    IMAGES_PREFIX,
    REALTIME,
    V3,
    V3_DREAMBOOTH,
    V4,
    V6,
    V7,
)
from spec.wire import KINDS, WIRE, WireKind

__all__ = [
    "FETCH_PATHS",
    "GENERATION_PATHS",
    "IMAGES_PREFIX",
    "KINDS",
    "REALTIME",
    "SCHEMA_PATH",
    "V3",
    "V3_DREAMBOOTH",
    "V4",
    "V6",
    "V7",
    "WIRE",
    "Contract",
    "Field",
    "Route",
    "WireKind",
    "contract",
    "load_document",
]
