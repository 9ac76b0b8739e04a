"""The mock's stores side by side in one run: memory, SQLite and Redis, 1 and 2 workers.

    python bench/stores.py                       # 5 s per target, 3 interleaved rounds
    python bench/stores.py --baseline /tmp/base  # also the same targets served from another
                                                 # checkout (`git worktree add --detach ...`)
    python bench/stores.py --pin-wrk             # wrk on CPU 1 only, the mocks unpinned

First, in process (`--engine-only` for just that): the CPU a generation costs through
`Engine.handle` with each store once it holds 10,000 and 100,000 jobs (`max_jobs` 100,000:
flat means the store does not slow as it fills). "sqlite" commits each call alone (an
adapter that answers at once: the in-process transports); "sqlite, grouped by 16" is what the
served mock does (`jobs.GROUP_COMMIT`: the requests of one event-loop turn share a commit,
and each is answered after it). Each checkout is measured in a process of its own, one after
the other.

Then served: each target is `modelslab-contract mock --store ... --workers N` on its own
127.0.0.1 port (Redis: a redis-server of the benchmark's own, on a free loopback port, in a
temporary directory, flushed between targets). wrk (`-t2 -c32`) posts bench/load.py's body to
text2img (every request makes a job and a journal entry: the store's write path) and to fetch
(one finished job, fetched over and over: a read and a journal entry). Rounds are
interleaved (the machine is shared and noisy: only figures from the same run compare); the
round with the median requests/s is printed per target and endpoint, with its p50/p99, non-2xx
and the server's CPU per request (all of its processes: master and workers); the ratios to
the memory store with one worker are the medians of the per-round ratios.

Targets: memory-1, sqlite-1, sqlite-2, redis-1, redis-2 (`--targets` to choose; memory with
2 workers is sqlite-2: several workers need a shared store); with `--baseline`, base-* of
each sqlite and memory target. Exit 2 when wrk (or, for the redis targets, redis-server) is
missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import _LUA, BODY, MOCK_PATH, ROOT, Target, free_port, run_wrk, summarise

TARGETS = ("memory-1", "sqlite-1", "sqlite-2", "redis-1", "redis-2")
ENDPOINTS = ("text2img", "fetch")
_TICK = os.sysconf("SC_CLK_TCK")


def _redis(where: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(where),
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            with redis.Redis.from_url(url) as client:
                client.ping()
            return process, url
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.1)


def _flush(url: str) -> None:
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with _OPENER.open(request, timeout=2) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


def _start(target: Target, cpus: str | None) -> None:
    command = target.command
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    env = {**os.environ,
           "PYTHONPATH": f"{target.tree}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    target.process = subprocess.Popen(command, cwd=target.tree, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True,
                                      env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            if _post(f"http://127.0.0.1:{target.port}{MOCK_PATH}", BODY).get("status") == \
                    "success":
                return
        except OSError:
            pass
        if target.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{target.name} did not start")
        time.sleep(0.25)


def _stop(target: Target) -> None:
    if target.process is not None and target.process.poll() is None:
        os.killpg(target.process.pid, signal.SIGTERM)
        try:
            target.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(target.process.pid, signal.SIGKILL)
            target.process.wait()


def _tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and every descendant still running."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(children.get(current, ()))
    return total


def _measure(target: Target, args: argparse.Namespace, script: Path, body_file: Path,
             duration: float) -> dict[str, Any]:
    pid = target.process.pid if target.process is not None else 0
    before = _tree_cpu(pid)
    result = run_wrk(target, args, script, body_file, duration)
    result["cpu_us"] = (_tree_cpu(pid) - before) / max(result["requests"], 1) * 1e6
    return result


# -- in process ---------------------------------------------------------------------------


def engine_figures(redis_url: str, work: Path, rounds: int) -> dict[str, float]:
    """In this process, one thread: microseconds of CPU per generation through
    `Engine.handle` with each store, at 10,000 and 100,000 jobs."""
    from mockserver import Engine, MockConfig
    from mockserver.memory_store import MemoryStore
    from mockserver.sqlite_store import SqliteStore

    try:
        from mockserver.jobs import GROUP_COMMIT  # type: ignore[attr-defined]
    except ImportError:  # a checkout without group commits
        GROUP_COMMIT = None

    raw = json.dumps(BODY).encode()
    headers = {"content-type": "application/json"}
    stores: dict[str, Any] = {
        "memory": lambda: MemoryStore(max_jobs=100_000),
        "sqlite": lambda: SqliteStore(work / "engine.sqlite", max_jobs=100_000)}
    if GROUP_COMMIT is not None:
        stores["sqlite, grouped by 16"] = lambda: SqliteStore(work / "grouped.sqlite",
                                                              max_jobs=100_000)
    if redis_url:
        from mockserver.redis_store import RedisStore

        stores["redis"] = lambda: RedisStore(redis_url, max_jobs=100_000)
    figures: dict[str, float] = {}
    for name, make in stores.items():
        if name == "redis":
            _flush(redis_url)
        engine = Engine(MockConfig(max_jobs=100_000), store=make(), timers=False)
        group = 16 if "grouped" in name else 0

        def generate(count: int, engine: Any = engine, group: int = group) -> None:
            if not group:
                for _ in range(count):
                    engine.handle("POST", MOCK_PATH, headers, raw, "http://bench")
                return
            for _ in range(count // group):
                token = GROUP_COMMIT.set(True)
                for _ in range(group):
                    engine.handle("POST", MOCK_PATH, headers, raw, "http://bench")
                GROUP_COMMIT.reset(token)
                engine.store.commit()

        made = 0
        for fill in (10_000, 100_000):
            generate(fill - made)
            made = fill
            best = float("inf")
            for _ in range(rounds):
                started = time.process_time()
                generate(2000)
                best = min(best, (time.process_time() - started) / 2000)
                made += 2000
            figures[f"{name}@{fill}"] = best * 1e6
        engine.close()
    return figures


def engine_cost(trees: list[tuple[str, Path]], redis_url: str, work: Path,
                rounds: int) -> None:
    """`engine_figures` for each checkout, in a process of its own, and the table."""
    results: dict[str, dict[str, float]] = {}
    for label, tree in trees:
        env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}"
               f"{os.environ.get('PYTHONPATH', '')}"}
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--engine-json", str(work),
             "--rounds", str(rounds), "--redis-url", redis_url], cwd=tree, env=env,
            capture_output=True, text=True, check=True, timeout=1800)
        results[label] = json.loads(out.stdout.strip().splitlines()[-1])
    print("In process, CPU us per generation through Engine.handle (best of "
          f"{rounds} x 2000)")
    print("| checkout | store | at 10k jobs | at 100k | 100k/10k | / memory (same checkout) |")
    print("|---|---|---|---|---|---|")
    for label, figures in results.items():
        memory = figures["memory@10000"]
        for name in dict.fromkeys(key.split("@")[0] for key in figures):
            low, high = figures[f"{name}@10000"], figures[f"{name}@100000"]
            print(f"| {label} | {name} | {low:.0f} | {high:.0f} | {high / low:.2f}x | "
                  f"{low / memory:.2f}x at 10k, {high / memory:.2f}x at 100k |")
    print()


# -- served -------------------------------------------------------------------------------


def _fetch_script(work: Path, target: Target) -> tuple[Path, Path]:
    """wrk's script and body for fetching one finished job of `target` over and over."""
    made = _post(f"http://127.0.0.1:{target.port}{MOCK_PATH}", BODY)
    body = work / f"fetch-{target.name}.json"
    body.write_text(json.dumps({"key": BODY["key"]}))
    target.path = f"/api/v6/images/fetch/{made['id']}"
    return work / "post.lua", body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="also serve base-* targets (and measure in process) from DIR")
    parser.add_argument("--pin", action="store_true",
                        help="mocks on --server-cpus, wrk on --wrk-cpus (taskset)")
    parser.add_argument("--pin-wrk", action="store_true",
                        help="wrk alone on --wrk-cpus; the mocks on every CPU")
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--wrk-cpus", default="1")
    parser.add_argument("--engine-only", action="store_true",
                        help="only the in-process cost per generation (no wrk)")
    parser.add_argument("--no-engine", action="store_true", help="skip the in-process cost")
    parser.add_argument("--engine-json", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine_json is not None:  # the child of `engine_cost`
        print(json.dumps(engine_figures(args.redis_url, args.engine_json, args.rounds)))
        return 0
    args.pin = args.pin or args.pin_wrk  # (run_wrk pins wrk when `pin` is set)
    wanted = [t for t in args.targets.split(",") if t]
    if args.engine_only:
        wanted = [t for t in wanted if t.startswith("redis")][:1]
    elif shutil.which("wrk") is None:
        print("stores.py needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 2
    if any(t.startswith("redis") for t in wanted) and shutil.which("redis-server") is None:
        print("the redis targets need redis-server (apt-get install -y redis-server)",
              file=sys.stderr)
        return 2
    trees = [("this tree", ROOT)]
    if args.baseline is not None:
        trees.insert(0, (f"baseline ({args.baseline})", args.baseline.resolve()))
    work = Path(tempfile.mkdtemp(prefix="modelslab-stores-"))
    redis_process, redis_url = _redis(work) if any(t.startswith("redis") for t in wanted) \
        else (None, "")
    try:
        if not args.no_engine:
            engine_cost(trees, redis_url, work, args.rounds)
        if args.engine_only:
            return 0
        return _served(args, wanted, work, redis_url)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def _served(args: argparse.Namespace, wanted: list[str], work: Path, redis_url: str) -> int:
    (work / "post.lua").write_text(_LUA)
    body_file = work / "body.json"
    body_file.write_text(json.dumps(BODY))
    endpoints = [e for e in args.endpoints.split(",") if e]
    names = list(wanted)
    if args.baseline is not None:
        names += [f"base-{t}" for t in wanted if not t.startswith("redis")]
    targets: dict[str, Target] = {}
    for name in names:
        tree = args.baseline.resolve() if name.startswith("base-") else ROOT
        kind, workers = name.removeprefix("base-").rsplit("-", 1)
        store = {"memory": "memory", "sqlite": f"sqlite:{work / (name + '.sqlite')}",
                 "redis": redis_url}[kind]
        for endpoint in endpoints:
            port = free_port()
            targets[f"{name} {endpoint}"] = Target(
                f"{name} {endpoint}", [sys.executable, "-c", "import sys; from contracts.cli "
                                       "import main; sys.exit(main(sys.argv[1:]))", "mock",
                                       "--port", str(port), "--store", store, "--workers",
                                       workers, "--log-level", "warning", "--max-jobs",
                                       "100000"], MOCK_PATH, port, tree=tree)
    cpus = args.server_cpus if args.pin and not args.pin_wrk else None
    try:
        for round_ in range(1, args.rounds + 1):
            for target in targets.values():
                if redis_url and " redis" in f" {target.name}":
                    _flush(redis_url)
                for leftover in work.glob(f"{target.name.split()[0]}.sqlite*"):
                    leftover.unlink()
                target.path = MOCK_PATH
                _start(target, cpus)
                try:
                    script, body = (work / "post.lua", body_file)
                    if target.name.endswith("fetch"):
                        script, body = _fetch_script(work, target)
                    run_wrk(target, args, script, body, args.warmup)
                    result = _measure(target, args, script, body, args.duration)
                finally:
                    _stop(target)
                target.results.append(result)
                print(f"round {round_} {target.name:22} {result['rps']:9.0f} req/s  "
                      f"p99 {result['p99'] / 1000:.2f} ms  non-2xx {result['non2xx']}  "
                      f"cpu {result['cpu_us']:.0f} us/req", flush=True)
    finally:
        for target in targets.values():
            _stop(target)
    where = ("wrk pinned to CPU " + args.wrk_cpus + ", mocks unpinned" if args.pin_wrk else
             f"mocks on CPU {args.server_cpus}, wrk on CPU {args.wrk_cpus}" if args.pin else
             "nothing pinned")
    print(f"\nmedian of {args.rounds} round(s), wrk -t{args.threads} -c{args.connections}, "
          f"{args.duration:g} s each, {where}, {os.cpu_count()} CPUs")
    print("Ratios to memory-1 (this tree) are the medians of the per-round ratios (each round "
          "ran the two back to back).")
    print("| target | endpoint | req/s | p50 ms | p99 ms | non-2xx | server CPU us/req | "
          "req/s / memory-1 | CPU / memory-1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for endpoint in endpoints:
        base = targets.get(f"memory-1 {endpoint}")
        for name in names:
            target = targets[f"{name} {endpoint}"]
            best = summarise(target)
            ratio = cpu = "-"
            if base and base.results:
                pairs = list(zip(target.results, base.results, strict=True))
                ratio = f"{statistics.median(t['rps'] / b['rps'] for t, b in pairs):.2f}x"
                cpu = f"{statistics.median(t['cpu_us'] / b['cpu_us'] for t, b in pairs):.2f}x"
            print(f"| {name} | {endpoint} | {best['rps']:.0f} | {best['p50'] / 1000:.2f} | "
                  f"{best['p99'] / 1000:.2f} | {best['non2xx']} | {best['cpu_us']:.0f} | "
                  f"{ratio} | {cpu} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
