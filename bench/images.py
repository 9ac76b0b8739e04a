"""Images under load: does the API keep its rate and p99 while clients fetch fresh big images?

    python bench/images.py                          # this tree, 3 rounds
    python bench/images.py --baseline /tmp/base     # and another checkout, rounds alternated

For each target (the mock served by `bench/_serve.py` in one uvicorn worker, as `load.py`
serves it), in each round:

1. alone: wrk posts the realistic text2img body (`bench/bodies.py`) for --duration seconds;
2. under images: the same wrk run while --clients client threads each loop: generate a fresh
   1024 x 1024 image with upscale 3 (a new seed each time, so every GET is a first GET and
   renders a 3072 x 3072 PNG), then GET it;

and once, at the end: --clients concurrent first GETs of fresh 3072 x 3072 images with nothing
else running, the peak RSS of the server (and of its render processes, summed) sampled every
20 ms. Prints text2img req/s and p99 alone and under images (and their ratio), the images
fetched and their latency, and the RSS peaks. Every server listens on 127.0.0.1 only; every
run is bounded in time. Not a test: nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE))

import load  # noqa: E402  (bench/load.py: targets, wrk, ports)
from bodies import REALISTIC, encoded  # noqa: E402

PATH = load.MOCK_PATH


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (scanning /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class RssPeak:
    """Samples the RSS of a process and of all its descendants every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.server = self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            own = _rss_kb(self.pid)
            total = own + sum(_rss_kb(c) for c in _children(self.pid))
            self.server, self.total = max(self.server, own), max(self.total, total)
            self._stop.wait(0.02)

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class ImageClients:
    """`count` threads, each generating a fresh upscaled image and fetching it, in a loop."""

    def __init__(self, port: int, count: int, seed_base: int, once: bool = False) -> None:
        self.port, self.count, self.once = port, count, once
        self.seed = seed_base
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.failures = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(count)]

    def _next_seed(self) -> int:
        with self.lock:
            self.seed += 1
            return self.seed

    def _run(self, index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while not self.stop.is_set():
            body = {**REALISTIC, "width": "1024", "height": "1024", "upscale": "3",
                    "seed": str(self._next_seed()), "prompt": f"image client {index}"}
            try:
                conn.request("POST", PATH, json.dumps(body),
                             {"content-type": "application/json"})
                answer = json.loads(conn.getresponse().read())
                link = answer["output"][0].split("//", 1)[1].split("/", 1)[1]
                start = time.perf_counter()
                conn.request("GET", "/" + link)
                response = conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - start
                ok = response.status == 200 and data[:8] == b"\x89PNG\r\n\x1a\n"
            except (OSError, KeyError, ValueError, http.client.HTTPException):
                ok, elapsed = False, 0.0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            with self.lock:
                if ok:
                    self.latencies.append(elapsed)
                else:
                    self.failures += 1
            if self.once:
                break
        conn.close()

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self, timeout: float = 300.0) -> None:
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 1 <= args.rounds <= 10 or not 1 <= args.clients <= 64:
        parser.error("--duration 1..60 s, --rounds 1..10, --clients 1..64")
    args.pin, args.wrk_cpus = False, ""
    serve = [load.PYTHON, str(HERE / "_serve.py"), "mock"]
    http_protocol = ["--http", "mockserver._protocol:OneWriteHttpToolsProtocol"]
    trees = {"mock": load.ROOT}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    memory: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp:
        work = Path(tmp)
        body_file = work / "body.json"
        body_file.write_bytes(encoded("realistic"))
        script = work / "post.lua"
        script.write_text(load._LUA, encoding="utf-8")
        targets = []
        for name, tree in trees.items():
            port = load.free_port()
            targets.append(load.Target(
                name, [load.PYTHON, str(tree / "bench" / "_serve.py"), "mock", str(port),
                       *http_protocol] if name != "mock" else [*serve, str(port),
                                                               *http_protocol],
                PATH, port, None, tree))
        try:
            for target in targets:
                load.start(target, work)
            for target in targets:
                status, raw = load.wait_ready(target, body_file.read_bytes())
                if status != 200:
                    raise RuntimeError(f"{target.name} answered {status}: {raw[:200]!r}")
            seed = 10_000
            print(f"realistic text2img under wrk -t{args.threads} -c{args.connections} "
                  f"-d{args.duration:g}s; {args.clients} image clients (1024x1024, upscale 3)")
            for round_no in range(1, args.rounds + 1):
                for target in targets:
                    load.run_wrk(target, args, script, body_file, 2.0)  # warm-up
                    alone = load.run_wrk(target, args, script, body_file, args.duration)
                    clients = ImageClients(target.port, args.clients, seed)
                    seed += 1_000_000
                    clients.start()
                    loaded = load.run_wrk(target, args, script, body_file, args.duration)
                    clients.finish()
                    lat = sorted(clients.latencies)
                    row = {"alone": alone, "loaded": loaded, "images": len(lat),
                           "image_failures": clients.failures,
                           "image_p50_ms": 1000 * statistics.median(lat) if lat else None,
                           "ratio": loaded["rps"] / alone["rps"]}
                    results[target.name].append(row)
                    print(f"  round {round_no} {target.name:8} alone {alone['rps']:7.0f} req/s "
                          f"p99 {alone['p99'] / 1000:6.2f} ms | under images "
                          f"{loaded['rps']:7.0f} req/s p99 {loaded['p99'] / 1000:7.2f} ms "
                          f"non-2xx {loaded['non2xx']} | {row['ratio']:.2f}x | "
                          f"{len(lat)} images, p50 "
                          f"{row['image_p50_ms'] or 0:.0f} ms, failed {clients.failures}",
                          flush=True)
            for target in targets:  # memory: concurrent first GETs, nothing else running
                assert target.process is not None
                before = _rss_kb(target.process.pid)
                clients = ImageClients(target.port, args.clients, seed, once=True)
                seed += 1_000_000
                with RssPeak(target.process.pid) as peak:
                    clients.start()
                    clients.finish()
                memory[target.name] = {"before_mb": before / 1024,
                                       "server_peak_mb": peak.server / 1024,
                                       "with_children_peak_mb": peak.total / 1024,
                                       "images": len(clients.latencies),
                                       "failures": clients.failures}
        except RuntimeError as exc:
            print(f"could not run: {exc}", file=sys.stderr)
            return 2
        finally:
            for target in targets:
                load.stop(target)
    print(f"\n{'target':8} {'alone':>8} {'p99':>7} {'images':>8} {'p99':>8} {'ratio':>6} "
          f"{'imgs':>5}  (medians of {args.rounds} rounds: req/s, ms)")
    for name, rows in results.items():
        def med(key: str, sub: str | None = None, rows: list[dict[str, Any]] = rows) -> float:
            return statistics.median([r[key][sub] if sub else r[key] for r in rows])
        print(f"{name:8} {med('alone', 'rps'):8.0f} {med('alone', 'p99') / 1000:7.2f} "
              f"{med('loaded', 'rps'):8.0f} {med('loaded', 'p99') / 1000:8.2f} "
              f"{med('ratio'):6.2f} {med('images'):5.0f}")
    for name, m in memory.items():
        print(f"{name}: {args.clients} concurrent first GETs of 3072x3072: RSS {m['before_mb']:.0f}"
              f" MB before, peak {m['server_peak_mb']:.0f} MB (server), "
              f"{m['with_children_peak_mb']:.0f} MB (with render processes); "
              f"{m['images']} images, {m['failures']} failed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
