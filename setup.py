"""The build: pyproject.toml states the project; this adds the mock's compiled hot path.

The modules a served request runs through are compiled with mypyc (from the same typed
sources) when a C compiler is there; where one is not, or with `MODELSLAB_CONTRACT_PURE=1`,
the package installs as plain Python and behaves the same, slower (README, "Compiled hot
path"). An editable install compiles in place: after editing one of `COMPILED`, run
`pip install -e .` again (tests/test_compiled.py fails while a compiled module's source is
newer than its build).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

#: The modules compiled: those a generation or fetch runs through on the mock, memory and
#: SQLite stores alike (bench/profile.py lists where the time goes).
COMPILED = [
    "contracts/parse.py",
    "contracts/_key_forms.py",
    "contracts/_parse_plan.py",
    "contracts/redaction.py",
    "mockserver/_group_commit.py",
    "mockserver/_sqlite_db.py",
    "mockserver/_sqlite_due.py",
    "mockserver/_sqlite_jobs.py",
    "mockserver/_sqlite_journal.py",
    "mockserver/_sqlite_limiter.py",
    "mockserver/_sqlite_mockfile.py",
    "mockserver/_sqlite_records.py",
    "mockserver/apply.py",
    "mockserver/bodies.py",
    "mockserver/decide.py",
    "mockserver/direct.py",
    "mockserver/engine.py",
    "mockserver/handler.py",
    "mockserver/jobs.py",
    "mockserver/journal.py",
    "mockserver/memory_store.py",
    "mockserver/request.py",
    "mockserver/response.py",
    "mockserver/scopes.py",
    "mockserver/sqlite_store.py",
]


class BuildOrPure(build_ext):
    """Builds the compiled modules, or none of them: a failed compile (no compiler, no
    Python headers) leaves the package pure Python, with a warning, not a failed install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # (a compiler's failure takes many forms)
            # (Those built, and those an earlier editable build left beside the sources:
            # either would shadow them.)
            here = Path(__file__).resolve().parent
            for path in [*self.get_outputs(),
                         *(here / self.get_ext_filename(ext.name) for ext in self.extensions)]:
                Path(path).unlink(missing_ok=True)
            self.extensions = []
            print(f"warning: modelslab-contract installs as pure Python ({exc})",
                  file=sys.stderr)


def extensions() -> list[Any]:
    if os.environ.get("MODELSLAB_CONTRACT_PURE", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify
        # (Its own mypy options, not pyproject's strict ones: pip builds in an environment
        # without the runtime dependencies, whose types are then unknown, so `Any`.)
        return list(mypycify(["--config-file=", "--ignore-missing-imports", *COMPILED],
                             opt_level="3", group_name="modelslab_contract"))
    except BaseException as exc:  # (mypyc exits on what it cannot compile)
        print(f"warning: modelslab-contract installs as pure Python ({exc!r})",
              file=sys.stderr)
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildOrPure})
