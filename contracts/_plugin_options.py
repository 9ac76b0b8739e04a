"""The pytest plugin's options: read from the command line or the ini file, once per session,
and the run's budget shared with every pytest-xdist worker through one file.

Private to `contracts.plugin`; imports only the standard library, pytest and the light
budget classes, so importing the plugin stays free.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from contracts.client import Budget, SharedBudget

#: ini options (pytest.ini / pyproject.toml [tool.pytest.ini_options]); the command line wins.
INI = {"modelslab_base_url": "origin to run the modelslab fixtures against",
       "modelslab_key_env": "environment variable holding the API key",
       "modelslab_budget": "most requests the fixtures may send to a real backend",
       "modelslab_seed": "seed for the mock's images and random choices"}
#: Where pytest-xdist workers find the run's one budget (a `SharedBudget` file).
BUDGET_FILE = "modelslab_budget_file"


@dataclass(frozen=True)
class Options:
    """The command-line options, read once per session (kept in `config.stash`)."""

    base_url: str | None
    key_env: str
    seed: int
    #: The requests the fixtures may still send to a real backend.
    budget: Budget = field(compare=False)

    @classmethod
    def from_config(cls, config: pytest.Config) -> Options:
        base_url = setting(config, "modelslab_base_url")
        budget = setting(config, "modelslab_budget", int)
        if budget is not None and budget < 0:
            raise pytest.UsageError("--modelslab-budget must be 0 or more")
        if base_url and urlsplit(base_url).scheme not in ("http", "https"):
            raise pytest.UsageError(f"--modelslab-base-url must be an http(s) URL, "
                                    f"not {base_url!r}")
        return cls(base_url=base_url.rstrip("/") if base_url else None,
                   key_env=setting(config, "modelslab_key_env") or "MODELSLAB_API_KEY",
                   seed=setting(config, "modelslab_seed", int) or 0,
                   budget=run_budget(config, budget))

    @property
    def key(self) -> str | None:
        """The key from the environment variable named by --modelslab-key-env, if set."""
        return os.environ.get(self.key_env) or None

    def header(self) -> str:
        """The line pytest prints under its own header (never the key itself)."""
        if self.base_url is None:
            return f"modelslab: target the mock (seed {self.seed})"
        key = "set" if self.key else "NOT set"
        cap = "no budget" if self.budget.limit is None else f"budget {self.budget.limit}"
        return f"modelslab: target {self.base_url} (key from ${self.key_env}: {key}; {cap})"


OPTIONS = pytest.StashKey[Options]()


def setting(config: pytest.Config, name: str, kind: Any = str) -> Any:
    """The command-line value of `name`, else its ini value, else None."""
    value = config.getoption(name)
    if value is not None:
        return value
    raw = config.getini(name)
    if raw in (None, ""):
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"ini option {name}: cannot use {raw!r}") from exc


def run_budget(config: pytest.Config, limit: int | None) -> Budget:
    """The run's budget: one file shared by the controller and every xdist worker."""
    if limit is None:
        return Budget(None)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(BUDGET_FILE):
        return SharedBudget(limit, path=workerinput[BUDGET_FILE])
    fd, path = tempfile.mkstemp(prefix="modelslab-budget-")
    os.close(fd)
    return SharedBudget(limit, path=path)


class XdistHooks:
    """Registered only when pytest-xdist is: hands the budget file to each worker."""

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        budget = node.config.stash[OPTIONS].budget
        if isinstance(budget, SharedBudget):
            node.workerinput[BUDGET_FILE] = budget.path
