"""Where the mock's in-process time goes: the top self-time functions of `Engine.handle`.

    python bench/profile.py                       # realistic body, cProfile, top 25
    python bench/profile.py --body typed --top 15
    python bench/profile.py --py-spy              # sample the same loop with py-spy instead
    python bench/profile.py --against /tmp/base   # A/B: another checkout's engine, rounds
                                                  # alternated, in child processes

Times `Engine.handle` on one generation body (`bench/bodies.py`) in a tight loop (CPU time,
the machine being shared: median of rounds, microseconds a request), then profiles the same
loop and prints the functions with the most self time. With `--py-spy`, runs the loop in a
child process under `py-spy record --format raw` and prints the frames with the most samples
(py-spy must be installed: `pip install py-spy`). Not a test: nothing here runs in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file is named like the stdlib's `profile`, which cProfile imports: drop its directory
# from the front of the path first, and look for the sibling `bodies` module last.
if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
    del sys.path[0]

import argparse  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

#: The checkout whose mock is timed (`--against` runs children on another one).
sys.path[:0] = [os.environ.get("BENCH_TREE", str(HERE.parent))]
sys.path.append(str(HERE))

from bodies import BODIES, encoded  # noqa: E402

PATH = "/api/v6/images/text2img"
HEADERS = {"content-type": "application/json", "host": "127.0.0.1:8000"}


def engine_loop(body: bytes, count: int) -> None:
    from mockserver import Engine, MockConfig
    engine = Engine(MockConfig())
    handle = engine.handle
    for _ in range(count):
        handle("POST", PATH, HEADERS, body, "http://127.0.0.1:8000")
    engine.close()


def timed(body: bytes, count: int, rounds: int) -> list[float]:
    from mockserver import Engine, MockConfig
    engine = Engine(MockConfig())
    handle = engine.handle
    response = handle("POST", PATH, HEADERS, body, "http://127.0.0.1:8000")
    assert response.status == 200 and b'"success"' in response.body, response.body[:300]
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(count):
            handle("POST", PATH, HEADERS, body, "http://127.0.0.1:8000")
        out.append((time.process_time() - start) / count * 1e6)
    engine.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body", choices=sorted(BODIES), default="realistic")
    parser.add_argument("--count", type=int, default=5000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--py-spy", action="store_true", help="sample with py-spy")
    parser.add_argument("--against", type=Path, default=None, metavar="DIR",
                        help="time this tree and the checkout DIR alternately, no profile")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--time-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    body = encoded(args.body)
    if args.child:
        engine_loop(body, args.count)
        return 0
    if args.time_child:
        import mockserver
        per = timed(body, args.count, 1)
        print(f"{per[0]:.3f} {Path(mockserver.__file__).resolve().parent.parent}")
        return 0
    if args.against is not None:
        return _against(args)
    per = timed(body, args.count, args.rounds)
    print(f"Engine.handle, {args.body} body ({len(body)} bytes): median "
          f"{statistics.median(per):.1f} us/request, min {min(per):.1f} "
          f"({args.rounds} rounds of {args.count})")
    if args.py_spy:
        return _py_spy(args)
    profiler = cProfile.Profile()
    profiler.enable()
    engine_loop(body, args.count)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (file, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += tt
        rows.append((tt, ct, nc, f"{Path(file).name}:{line}({name})"))
    rows.sort(reverse=True)
    print(f"\ncProfile, {args.count} requests: top {args.top} by self time "
          f"(cProfile inflates small functions)")
    print(f"{'self %':>7} {'self us/req':>11} {'cum us/req':>10} {'calls/req':>9}  function")
    for tt, ct, nc, where in rows[:args.top]:
        print(f"{100 * tt / total:7.1f} {tt / args.count * 1e6:11.2f} "
              f"{ct / args.count * 1e6:10.2f} {nc / args.count:9.1f}  {where}")
    return 0


def _against(args: argparse.Namespace) -> int:
    """Rounds alternated between this tree and another checkout, one child process each."""
    trees = {"this": HERE.parent, "against": args.against.resolve()}
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            done = subprocess.run(
                [sys.executable, __file__, "--time-child", "--body", args.body,
                 "--count", str(args.count)], capture_output=True, text=True, check=True,
                cwd=tree, env={**os.environ, "PYTHONPATH": str(tree), "BENCH_TREE": str(tree)})
            value, where = done.stdout.split()
            if Path(where) != tree:
                raise RuntimeError(f"{name}: imported mockserver from {where}, not {tree}")
            times[name].append(float(value))
    this, other = (statistics.median(times[n]) for n in trees)
    print(f"this tree     {this:7.1f} us/request  (rounds: "
          f"{', '.join(f'{t:.1f}' for t in times['this'])})")
    print(f"{args.against}  {other:7.1f} us/request  (rounds: "
          f"{', '.join(f'{t:.1f}' for t in times['against'])})")
    print(f"this/against: {this / other:.2f}x time (medians of {args.rounds} alternated rounds)")
    return 0


def _py_spy(args: argparse.Namespace) -> int:
    if shutil.which("py-spy") is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.txt"
        command = ["py-spy", "record", "--format", "raw", "-r", "500", "-o", str(out), "--",
                   sys.executable, __file__, "--child", "--body", args.body,
                   "--count", str(args.count * 10)]
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(HERE.parent)})
        if done.returncode != 0 or not out.exists():
            print(f"py-spy failed: {done.stderr[-500:]}", file=sys.stderr)
            return 2
        own: collections.Counter[str] = collections.Counter()
        total = 0
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if "engine_loop" not in stack:  # start-up and imports
                continue
            n = int(count)
            total += n
            frame = stack.split(";")[-1]  # "function (file:line)": summed per function
            own[frame.rsplit(":", 1)[0] + ")" if frame.endswith(")") else frame] += n
    print(f"\npy-spy, {total} samples in the request loop: top {args.top} frames by own "
          "samples")
    for frame, n in own.most_common(args.top):
        print(f"{100 * n / total:6.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
