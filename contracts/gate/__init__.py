"""The conformance gate: boundary payloads at a backend, every rule judged, reports written.

    result = gate.run(gate.GateConfig(base_url="http://127.0.0.1:4010", key=...))
    gate.write_reports(result, Path("reports"))
    sys.exit(result.exit_code)   # 0 conforms, 1 violations, 2 could not run

With no `base_url` it runs against the mock in process (imported only then). The client it
sends with (`Target`, `Budget`, `Backoff`) is `contracts.client`'s.
"""

from contracts.gate._cli import add_parser
from contracts.gate._coverage import required_requests
from contracts.gate._report import print_summary, to_html, to_json, to_junit, to_markdown
from contracts.gate._report import write as write_reports
from contracts.gate._result import (
    CONFORMS,
    EXIT_COULD_NOT_RUN,
    EXIT_OK,
    EXIT_VIOLATIONS,
    FAULTED,
    NOT_EXERCISED,
    PARTIAL,
    VIOLATED,
    Fault,
    GateResult,
)
from contracts.gate._run import (
    DEFAULT_BUDGET,
    DEFAULT_EXPLORE,
    GateConfig,
    run,
)

__all__ = [
    "CONFORMS",
    "DEFAULT_BUDGET",
    "DEFAULT_EXPLORE",
    "EXIT_COULD_NOT_RUN",
    "EXIT_OK",
    "EXIT_VIOLATIONS",
    "FAULTED",
    "NOT_EXERCISED",
    "PARTIAL",
    "VIOLATED",
    "Fault",
    "GateConfig",
    "GateResult",
    "add_parser",
    "print_summary",
    "required_requests",
    "run",
    "to_html",
    "to_json",
    "to_junit",
    "to_markdown",
    "write_reports",
]
