"""Memory: create 100,000 jobs through the engine's hot path and show memory stays bounded.

    python bench/memory.py [--jobs 100000] [--store memory|sqlite:PATH] [--no-tracemalloc]

Every request is a valid generation (a different prompt and seed each time; one in ten queued
with `Prefer: eta`, one in ten with `temp: yes`), answered by `Engine.handle` as the ASGI app
would. At checkpoints it prints the jobs created, the store's size (bounded by `max_jobs`), the
journal's size, resident memory (VmRSS) and, with tracemalloc, Python's traced memory. Exit 1
when memory keeps growing once the store is full: RSS at the end more than 10% (and 16 MB)
above RSS when the store first filled, or a store larger than `max_jobs`.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver import MockConfig
from mockserver.engine import Engine

V6 = "/api/v6/images/text2img"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--store", default="memory")
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    if not 1_000 <= args.jobs <= 1_000_000:
        parser.error("--jobs 1000..1000000")
    config = MockConfig(store=args.store, webhook_hosts=())
    engine = Engine(config, timers=False)
    if not args.no_tracemalloc:
        tracemalloc.start()
    checkpoints = sorted({args.jobs // 10, config.max_jobs, args.jobs // 4, args.jobs // 2,
                          3 * args.jobs // 4, args.jobs})
    headers = {"content-type": "application/json"}
    print(f"store {args.store}, max_jobs {config.max_jobs}, job_ttl {config.job_ttl:g} s")
    print(f"{'jobs':>8} {'store':>7} {'journal':>8} {'RSS MB':>8} {'traced MB':>10} "
          f"{'peak MB':>8} {'us/job':>7}")
    full_rss: float | None = None
    began = time.perf_counter()
    last = began
    done = previous = 0
    failures = 0
    for cp in checkpoints:
        while done < cp:
            body = {"key": "memory-key", "model_id": "midjourney", "seed": done,
                    "prompt": f"job {done}: a lighthouse at dusk, detailed, 35mm",
                    "samples": 1 + done % 4, "lora_model": "contrast-fix",
                    "temp": "yes" if done % 10 == 3 else "no"}
            extra = {"prefer": "eta=30"} if done % 10 == 7 else {}
            response = engine.handle("POST", V6, {**headers, **extra},
                                     json.dumps(body).encode(), "http://127.0.0.1:7860")
            failures += response.status != 200 or b'"status":"error"' in response.body
            done += 1
        gc.collect()
        now = time.perf_counter()
        traced, peak = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else (0, 0)
        rss = rss_mb()
        if full_rss is None and len(engine.store) >= config.max_jobs:
            full_rss = rss
        per_job = (now - last) / max(1, done - previous) * 1e6
        print(f"{done:>8} {len(engine.store):>7} {len(engine.journal):>8} {rss:>8.1f} "
              f"{traced / 2**20:>10.1f} {peak / 2**20:>8.1f} {per_job:>7.0f}", flush=True)
        last, previous = now, done
    end_rss = rss_mb()
    engine.close()
    elapsed = time.perf_counter() - began
    print(f"{done} jobs in {elapsed:.0f} s; failed requests: {failures}")
    bounded = full_rss is not None and (end_rss - full_rss) <= max(16.0, 0.1 * full_rss)
    if full_rss is None:
        print("the store never filled: raise --jobs above max_jobs")
    else:
        print(f"RSS when the store filled {full_rss:.1f} MB, at the end {end_rss:.1f} MB: "
              f"{'bounded' if bounded else 'STILL GROWING'}")
    return 0 if bounded and failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
