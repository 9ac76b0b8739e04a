"""A test's report as the plugin shows it: the key of --modelslab-key-env hidden in its
failure text and captured output, in every encoding (`contracts.redaction.Scrubber`).

Private to `contracts.plugin` (its `pytest_runtest_makereport` hook is the one caller).
"""

from __future__ import annotations

import pytest

from contracts.redaction import Scrubber


def scrub_report(report: pytest.TestReport, hide: Scrubber) -> None:
    """Hide the key in a test's failure text and captured output (the plugin's one scrubbing
    point: `pytest_runtest_makereport`)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], hide(str(longrepr[2])))
    elif longrepr is not None:
        text = str(longrepr)
        shown = hide(text)
        if shown != text:
            report.longrepr = shown
    report.sections = [(title, hide(content)) for title, content in report.sections]
