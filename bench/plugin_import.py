"""What the installed pytest plugin costs a project that uses none of its fixtures.

    python bench/plugin_import.py               # 10 interleaved rounds
    python bench/plugin_import.py --rounds 30 --cpu   # CPU time instead of wall-clock

Writes a one-test project to a temporary directory and times `pytest --co -q` on it with the
plugin (as installed, through its `pytest11` entry point) and with `-p no:modelslab`, one after
the other in each round so machine noise falls on both alike. Two settings:

- alone: every other installed pytest11 plugin disabled in both runs (respx's, schemathesis's,
  hypothesis's...), so the figure is ours and not drowned in theirs; the steadier one.
- as installed: whatever else the environment registers, as a user's project would run.

Prints the minimum and the median of each run and their differences (the target of issue 5 is
under 100 ms), which heavy modules each run imported, and how long `import contracts.plugin`
takes in a fresh interpreter that has already imported pytest. On a busy machine add `--cpu`:
the runs' CPU time (user + system) moves far less with the load than wall-clock time does.
Bytecode is cached in a temporary PYTHONPYCACHEPREFIX (as a pip-installed package has it);
`--no-bytecode` compiles every module from source on every run instead.
Not part of the package; not run by the tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path

HEAVY = ("httpx", "respx", "starlette", "uvicorn", "mockserver", "openapi_core", "hypothesis",
         "PIL")
TARGET_MS = 100.0
#: Whether to time CPU (user + system) instead of wall-clock time (set by --cpu).
CLOCK = {"cpu": False}
#: The runs' environment (set in main: bytecode cached in a temporary prefix, or not at all).
ENV: dict[str, str] = {}
CONFTEST = f"""
import sys

def pytest_collection_finish(session):
    print("HEAVY", sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
IMPORT_ONLY = """
import time, pytest
start = time.perf_counter()
import contracts.plugin
print(time.perf_counter() - start)
"""


def others() -> list[str]:
    """`-p no:NAME` for every installed pytest11 plugin but ours."""
    names = sorted({e.name for e in entry_points(group="pytest11")} - {"modelslab"})
    return [arg for name in names for arg in ("-p", f"no:{name}")]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(project: Path, *extra: str) -> tuple[float, str]:
    """Seconds the run took (CPU time with --cpu, else wall-clock), and its heavy modules."""
    command = [sys.executable, "-m", "pytest", "--co", "-q", "-s", "-p", "no:cacheprovider",
               *extra]
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False,
                          env=ENV)
    elapsed = _cpu() - cpu if CLOCK["cpu"] else time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pytest failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    heavy = next((line for line in done.stdout.splitlines() if line.startswith("HEAVY")), "?")
    return elapsed, heavy.removeprefix("HEAVY ")


def _compare(project: Path, rounds: int, extra: list[str], title: str) -> None:
    _run(project, *extra)  # warm the file and bytecode caches
    _run(project, *extra, "-p", "no:modelslab")
    with_plugin: list[float] = []
    without: list[float] = []
    for _ in range(rounds):
        seconds, heavy_with = _run(project, *extra)
        with_plugin.append(seconds)
        seconds, heavy_without = _run(project, *extra, "-p", "no:modelslab")
        without.append(seconds)
    print(f"{title}:")
    for name, times in (("with the plugin", with_plugin), ("-p no:modelslab", without)):
        print(f"  {name:>16}: min {min(times) * 1000:7.1f} ms, median "
              f"{statistics.median(times) * 1000:7.1f} ms over {len(times)} runs")
    low = (min(with_plugin) - min(without)) * 1000
    mid = (statistics.median(with_plugin) - statistics.median(without)) * 1000
    print(f"  {'difference':>16}: min {low:+7.1f} ms, median {mid:+7.1f} ms "
          f"(target: under {TARGET_MS:.0f} ms)")
    print(f"  {'heavy modules':>16}: with {heavy_with}, without {heavy_without}")


def _import_only() -> float:
    done = subprocess.run([sys.executable, "-c", IMPORT_ONLY], capture_output=True, text=True,
                          check=True, env=ENV)
    return float(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-bytecode", action="store_true",
                        help="compile every module from source on every run, as with "
                             "PYTHONDONTWRITEBYTECODE=1 (the default caches bytecode in a "
                             "temporary PYTHONPYCACHEPREFIX, as an installed package has it)")
    parser.add_argument("--cpu", action="store_true",
                        help="time the runs' CPU (user + system), steadier on a busy machine")
    args = parser.parse_args()
    CLOCK["cpu"] = args.cpu
    print(f"timing {'CPU (user + system)' if args.cpu else 'wall-clock'} time, "
          f"{'without bytecode' if args.no_bytecode else 'bytecode cached'}")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        ENV.update(os.environ)
        if args.no_bytecode:
            ENV["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            ENV.pop("PYTHONDONTWRITEBYTECODE", None)
            ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        (project / "conftest.py").write_text(CONFTEST)
        (project / "test_plain.py").write_text("def test_plain():\n    assert 1 + 1 == 2\n")
        _compare(project, args.rounds, others(), "alone (other pytest11 plugins disabled)")
        _compare(project, args.rounds, [], "as installed")
        imports = [_import_only() for _ in range(args.rounds)]
    print(f"import contracts.plugin after pytest: min {min(imports) * 1000:.1f} ms, median "
          f"{statistics.median(imports) * 1000:.1f} ms over {len(imports)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
