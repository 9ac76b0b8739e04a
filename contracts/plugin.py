"""pytest plugin (registered through the `pytest11` entry point `modelslab`).

Holds options, markers, fixtures and hooks only; everything heavy is imported when a fixture
is first used, so projects that install the package but use none of it pay nothing.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelslab", "ModelsLab contract and mock")
    group.addoption("--modelslab-base-url", default=None,
                    help="run the modelslab fixtures against this origin instead of the mock")
    group.addoption("--modelslab-key-env", default="MODELSLAB_API_KEY",
                    help="environment variable holding the API key for --modelslab-base-url")
    group.addoption("--modelslab-budget", type=int, default=None,
                    help="most requests the contract fixtures may send to a real backend")
    group.addoption("--modelslab-seed", type=int, default=0,
                    help="seed for the mock's images and random choices")
