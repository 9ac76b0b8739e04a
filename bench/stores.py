"""The mock's stores side by side in one run: memory, SQLite and Redis, 1 and 2 workers.

    python bench/stores.py                       # 5 s per target, 3 interleaved rounds
    python bench/stores.py --duration 10 --rounds 3 --pin

Each target is `modelslab-contract mock --store ... --workers N` on its own 127.0.0.1 port
(Redis: a redis-server of the benchmark's own, on a free loopback port, in a temporary
directory, flushed between targets). wrk (`-t2 -c32`) posts bench/load.py's multi-LoRA
text2img body, so every request creates a job and writes a journal entry: the store's write
path. Rounds are interleaved (the machine is shared and noisy: only figures from the same run
compare); the round with the median requests/s is printed per target, with its p50/p99 and
non-2xx, and each target's ratio to the memory store with one worker.

First, in process: the CPU a generation costs through `Engine.handle` with each store at
10,000 and 100,000 jobs (`--engine-only` for just that).

Targets: memory-1, sqlite-1, sqlite-2, redis-1, redis-2 (`--targets` to choose; memory with
2 workers is sqlite-2: several workers need a shared store). Exit 2 when wrk (or, for the
redis targets, redis-server) is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import _LUA, BODY, MOCK_PATH, ROOT, Target, free_port, run_wrk, summarise

TARGETS = ("memory-1", "sqlite-1", "sqlite-2", "redis-1", "redis-2")


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


def _start(target: Target, cpus: str | None) -> None:
    command = target.command
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    target.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        try:
            request = urllib.request.Request(target.url, data=json.dumps(BODY).encode(),
                                             headers={"Content-Type": "application/json"})
            with opener.open(request, timeout=2) as answer:
                if json.load(answer).get("status") == "success":
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


def engine_cost(redis_url: str, work: Path, rounds: int) -> None:
    """In process, one thread: microseconds of a generation through `Engine.handle` with each
    store, once it holds 10,000 and 100,000 jobs (`max_jobs` 100,000: flat means the store
    does not slow as it fills)."""
    from mockserver import Engine, MockConfig
    from mockserver.jobs import Store
    from mockserver.memory_store import MemoryStore
    from mockserver.sqlite_store import SqliteStore

    raw = json.dumps(BODY).encode()
    headers = {"content-type": "application/json"}
    stores: dict[str, Any] = {
        "memory": lambda: MemoryStore(max_jobs=100_000),
        "sqlite": lambda: SqliteStore(work / "engine.sqlite", max_jobs=100_000)}
    if redis_url:
        from mockserver.redis_store import RedisStore

        stores["redis"] = lambda: RedisStore(redis_url, max_jobs=100_000)
    figures: dict[tuple[str, int], float] = {}
    for name, make in stores.items():
        if name == "redis":
            _flush(redis_url)
        store: Store = make()
        engine = Engine(MockConfig(max_jobs=100_000), store=store, timers=False)
        made = 0
        for fill in (10_000, 100_000):
            while made < fill:
                engine.handle("POST", MOCK_PATH, headers, raw, "http://bench")
                made += 1
            best = float("inf")
            for _ in range(rounds):
                started = time.process_time()
                for _ in range(2000):
                    engine.handle("POST", MOCK_PATH, headers, raw, "http://bench")
                best = min(best, (time.process_time() - started) / 2000)
                made += 2000
            figures[(name, fill)] = best * 1e6
        engine.close()
    print("| store | CPU us/generation at 10k jobs | at 100k | 100k/10k | / memory at 10k |")
    print("|---|---|---|---|---|")
    for name in stores:
        low, high = figures[(name, 10_000)], figures[(name, 100_000)]
        print(f"| {name} | {low:.0f} | {high:.0f} | {high / low:.2f}x | "
              f"{low / figures[('memory', 10_000)]:.2f}x |")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--pin", action="store_true",
                        help="mocks on --server-cpus, wrk on --wrk-cpus (taskset)")
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--wrk-cpus", default="1")
    parser.add_argument("--engine-only", action="store_true",
                        help="only the in-process cost per generation (no wrk)")
    args = parser.parse_args(argv)
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
    work = Path(tempfile.mkdtemp(prefix="modelslab-stores-"))
    redis_process, redis_url = _redis(work) if any(t.startswith("redis") for t in wanted) \
        else (None, "")
    try:
        engine_cost(redis_url, work, args.rounds)
    finally:
        if args.engine_only:
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)
            shutil.rmtree(work, ignore_errors=True)
    if args.engine_only:
        return 0
    script = work / "post.lua"
    script.write_text(_LUA)
    body_file = work / "body.json"
    body_file.write_text(json.dumps(BODY))
    targets: list[Target] = []
    for name in wanted:
        kind, workers = name.rsplit("-", 1)
        store = {"memory": "memory", "sqlite": f"sqlite:{work / (name + '.sqlite')}",
                 "redis": redis_url}[kind]
        port = free_port()
        targets.append(Target(name, [sys.executable, "-c", "import sys; from contracts.cli "
                                     "import main; sys.exit(main(sys.argv[1:]))", "mock",
                                     "--port", str(port), "--store", store, "--workers",
                                     workers, "--log-level", "warning"], MOCK_PATH, port))
    try:
        for round_ in range(1, args.rounds + 1):
            for target in targets:
                if redis_url and target.name.startswith("redis"):
                    _flush(redis_url)
                _start(target, args.server_cpus if args.pin else None)
                try:
                    run_wrk(target, args, script, body_file, args.warmup)
                    result = run_wrk(target, args, script, body_file, args.duration)
                finally:
                    _stop(target)
                target.results.append(result)
                print(f"round {round_} {target.name:9} {result['rps']:9.0f} req/s  "
                      f"p99 {result['p99'] / 1000:.2f} ms  non-2xx {result['non2xx']}",
                      flush=True)
    finally:
        for target in targets:
            _stop(target)
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmedian of {args.rounds} round(s), wrk -t{args.threads} -c{args.connections}, "
          f"{args.duration:g} s each, text2img (a job and a journal entry per request)")
    print("| store | workers | req/s | p50 ms | p99 ms | non-2xx | / memory-1 |")
    print("|---|---|---|---|---|---|---|")
    base: dict[str, Any] | None = None
    for target in targets:
        best = summarise(target)
        if target.name == "memory-1":
            base = best
    for target in targets:
        best = summarise(target)
        kind, workers = target.name.rsplit("-", 1)
        ratio = f"{best['rps'] / base['rps']:.2f}x" if base else "-"
        print(f"| {kind} | {workers} | {best['rps']:.0f} | {best['p50'] / 1000:.2f} | "
              f"{best['p99'] / 1000:.2f} | {best['non2xx']} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
