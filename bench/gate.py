"""The gate's full default run against the mock served on a port: wall time, side by side.

    python bench/gate.py                         # this tree, 3 rounds
    python bench/gate.py --baseline /tmp/base    # and another checkout, rounds alternated

Each tree's mock is started once (`modelslab-contract mock --key bench-key`, one worker, on
its own 127.0.0.1 port: only the gate's key accepted, so its invalid-key cases are refused);
each round runs `modelslab-contract gate --base-url http://127.0.0.1:PORT --no-progress`
(default budget and exploration) from that tree, timed from start to exit (the process, with
its imports) and as the gate reports it (its run). Prints each run's
wall time, exit status and requests, then the medians. Not a test: nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE))

import load  # noqa: E402

CLI = "from contracts.cli import main; raise SystemExit(main())"
KEY = "bench-key"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR")
    args = parser.parse_args(argv)
    trees = {"mock": load.ROOT}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    targets = []
    times: dict[str, list[float]] = {name: [] for name in trees}
    runs: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        for name, tree in trees.items():
            port = load.free_port()
            # Only the gate's key is accepted, so its invalid-key cases are refused (auth.key).
            targets.append(load.Target(name, [load.PYTHON, "-c", CLI, "mock", "--port",
                                              str(port), "--key", KEY], "/", port, None, tree))
        try:
            for target in targets:
                load.start(target, Path(tmp))
            for target in targets:
                load.wait_ready(target, b"{}")
            for round_no in range(1, args.rounds + 1):
                for target in targets:
                    env = {**os.environ, "PYTHONPATH": str(target.tree),
                           "MODELSLAB_API_KEY": KEY}
                    start = time.perf_counter()
                    done = subprocess.run(
                        [load.PYTHON, "-c", CLI, "gate", "--base-url",
                         f"http://127.0.0.1:{target.port}", "--no-progress"],
                        capture_output=True, text=True, cwd=target.tree, env=env, timeout=300,
                        check=False)
                    elapsed = time.perf_counter() - start
                    times[target.name].append(elapsed)
                    text = done.stdout + done.stderr
                    sent = re.search(r"(\d+/\d+ requests)[^,]*, seed \S+ ([\d.]+)s", text)
                    if sent:
                        runs[target.name].append(float(sent[2]))
                    print(f"  round {round_no} {target.name:8} {elapsed:6.2f} s wall, gate "
                          f"{sent[2] if sent else '?'} s, exit {done.returncode}, "
                          f"{sent[1] if sent else ''}", flush=True)
        except RuntimeError as exc:
            print(f"could not run: {exc}", file=sys.stderr)
            return 2
        finally:
            for target in targets:
                load.stop(target)
    for name, values in times.items():
        gate = f"{statistics.median(runs[name]):.2f} s" if runs[name] else "?"
        print(f"{name:8} median {statistics.median(values):.2f} s wall, gate's own {gate} "
              f"({len(values)} run(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
