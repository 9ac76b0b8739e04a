"""The authoring pipeline: vendor pages as facts -> conflicts -> ledger -> modelslab.yaml.

Only the CLI (`modelslab-contract spec ...`) and the tests import this package; the runtime
reader (`spec`) never does.
"""

from spec.authoring._diff import Change, diff_documents
from spec.authoring._document import build_document
from spec.authoring._facts import SILENT, Fact, Source
from spec.authoring._fields import GENERATION_FIELDS
from spec.authoring._ledger import LedgerError, render_ledger
from spec.authoring._normalise import LEDGER_PATH, Outcome, normalise, render_schema
from spec.authoring.sources import SOURCES

__all__ = [
    "GENERATION_FIELDS",
    "LEDGER_PATH",
    "SILENT",
    "SOURCES",
    "Change",
    "Fact",
    "LedgerError",
    "Outcome",
    "Source",
    "build_document",
    "diff_documents",
    "normalise",
    "render_ledger",
    "render_schema",
]
