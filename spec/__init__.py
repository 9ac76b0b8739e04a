"""The authoritative schema: documented sources -> normaliser -> modelslab.yaml + LEDGER.md."""

from spec._fields import KINDS, Field
from spec._load import SCHEMA_PATH, Contract, contract, load_document
from spec.diff import Change, diff_documents
from spec.normalise import normalise

__all__ = [
    "KINDS",
    "SCHEMA_PATH",
    "Change",
    "Contract",
    "Field",
    "contract",
    "diff_documents",
    "load_document",
    "normalise",
]
