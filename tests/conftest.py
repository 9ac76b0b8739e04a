"""Shared test settings: a fixed Hypothesis seed and sane example counts in CI."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The browser tests' fixtures (tests/mockserver/test_dashboard.py, tests/examples/).
from tests._browser import browser, pages  # noqa: E402, F401
