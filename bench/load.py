"""Load benchmark: the mock vs Stoplight Prism vs a bare ASGI ceiling, side by side in one run.

    python bench/load.py                      # 10 s per target, 32 connections, 2 wrk threads
    python bench/load.py --rounds 3 --pin     # interleaved rounds; servers on CPU 0, wrk on CPU 1
    python bench/load.py --targets mock,floor --engine-time   # also the engine's time in situ

Every server listens on its own 127.0.0.1 port and is stopped at the end; every wrk run is
bounded by --duration. Targets:

- mock:    `mockserver.create_app(MockConfig())` (defaults: full validation with
           `contracts.parse`, a faithful success body, journal on) in one uvicorn worker.
- prism:   `prism mock -v silent` (static mode) on the vendor's own OpenAPI document, taken
           from the stored documentation page at run time (never committed). Skipped when
           Prism is not installed (`npm install --prefix /tmp/prism @stoplight/prism-cli`).
- ceiling: a bare ASGI app that drains the body and answers a fixed body of the same size,
           in the same uvicorn configuration as the mock.
- floor:   the mock served as ever (its protocol and direct path) with the engine taken out:
           the ceiling's fixed body (`--targets mock,floor,ceiling`: what the engine costs
           served, and what the rest costs above a bare ASGI app).

The request body uses JSON-typed values (numbers as numbers, flags as booleans) because Prism
rejects the documentation's example bodies (numbers as strings); both Prism and the mock
accept it, and it asks the mock for a multi-LoRA generation. Prints requests/s, latency
p50/p90/p99 and non-2xx (wrk counts status >= 400 and socket errors) for each target, and the
ratios mock/Prism and mock/ceiling. Exit 0 when the run completed (the target is reported,
not enforced: this is a benchmark, not a test), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
DEFAULT_VENDOR_PAGE = Path("/work/shared/seeds/003_364cfc053cad865a.txt")
DEFAULT_PRISM = Path("/tmp/prism/node_modules/.bin/prism")
MOCK_PATH = "/api/v6/images/text2img"
PRISM_PATH = "/text2img"  # Prism serves the document's paths without the server's base path

sys.path.append(str(HERE))
from bodies import BODIES, TYPED  # noqa: E402  (bench/bodies.py: the bodies, stated once)

#: Valid for the vendor's schema (Prism) and for ours (the mock): JSON-typed values only.
BODY: dict[str, Any] = TYPED

_LUA = r"""
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"status_errors":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


@dataclass
class Target:
    name: str
    command: list[str]
    path: str
    port: int
    cpus: str | None = None
    #: The checkout the target is served from (another commit's tree, for side-by-side runs).
    tree: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    log: Any = None
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vendor_openapi(page: Path, out: Path) -> Path:
    """The vendor's OpenAPI document, cut out of the stored documentation page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("````yaml POST /text2img"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("````"))
    out.write_text("\n".join(lines[start + 1:end]) + "\n", encoding="utf-8")
    return out


def start(target: Target, logdir: Path) -> None:
    command = target.command
    if target.cpus is not None:
        command = ["taskset", "-c", target.cpus, *command]
    target.log = open(logdir / f"{target.name}.log", "wb")  # noqa: SIM115 (closed in stop)
    tree = target.tree
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    target.process = subprocess.Popen(command, stdout=target.log, stderr=subprocess.STDOUT,
                                      cwd=tree, env=env, start_new_session=True)


def post(url: str, body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(target: Target, body: bytes, limit: float = 60.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + limit
    while True:
        assert target.process is not None
        if target.process.poll() is not None:
            raise RuntimeError(f"{target.name} exited with {target.process.returncode}")
        try:
            return post(target.url, body, timeout=2.0)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target.name} did not answer within {limit:.0f} s") from None
            time.sleep(0.25)


def check_answer(target: Target, status: int, raw: bytes, sent: dict[str, Any]) -> None:
    """The first answer must be a 200 success; the mock's must be the faithful body."""
    if status != 200:
        raise RuntimeError(f"{target.name} answered {status}: {raw[:300]!r}")
    data = json.loads(raw)
    if data.get("status") != "success":
        raise RuntimeError(f"{target.name} did not answer success: {raw[:300]!r}")
    if target.name in ("mock", "baseline"):
        meta = data["meta"]
        problems = [k for k, v in (("seed", 12345), ("W", 512), ("H", 512), ("steps", 20),
                                   ("n_samples", 1), ("lora", sent["lora_model"]))
                    if meta.get(k) != v]
        if problems or len(data["output"]) != 1 or not data["output"][0].startswith("http://"):
            raise RuntimeError(f"the mock's body is not faithful ({problems}): {raw[:400]!r}")


def stop(target: Target) -> None:
    process = target.process
    if process is not None and process.poll() is None:
        with _suppress():
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with _suppress():
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    if target.log is not None:
        target.log.close()


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], ProcessLookupError)  # type: ignore[arg-type]


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def run_wrk(target: Target, args: argparse.Namespace, script: Path, body_file: Path,
            duration: float) -> dict[str, Any]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s",
               "--timeout", "5s", "--latency", "-s", str(script), target.url]
    if args.pin:
        command = ["taskset", "-c", args.wrk_cpus, *command]
    pid = target.process.pid if target.process is not None else 0
    cpu_before = cpu_seconds(pid)
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60,
                         env={**os.environ, "BENCH_BODY": str(body_file)}, check=False)
    cpu = cpu_seconds(pid) - cpu_before
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {target.name}: {out.stdout}\n{out.stderr}")
    data: dict[str, Any] = json.loads(line[len("BENCH "):])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    # Server CPU per request (user + system, the server's own process): what the answer
    # costs, whatever else the shared machine runs (Prism's node: its main process only).
    data["cpu_us"] = cpu / max(data["requests"], 1) * 1e6
    data["non2xx"] = sum(data[k] for k in ("status_errors", "connect", "read", "write",
                                           "timeout"))
    return data


def summarise(target: Target) -> dict[str, Any]:
    """The round with the median requests/s (its latencies belong to the same run)."""
    ordered = sorted(target.results, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def _ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds per target")
    parser.add_argument("--targets", default="mock,prism,ceiling")
    parser.add_argument("--body", choices=sorted(BODIES), default="typed",
                        help="typed: JSON-typed values (Prism accepts it); realistic: numbers "
                             "and flags as strings, three LoRAs (Prism rejects it: skipped)")
    parser.add_argument("--loop", default="auto", help="uvicorn --loop for mock and ceiling")
    parser.add_argument("--http", default="mockserver._protocol:OneWriteHttpToolsProtocol",
                        help="uvicorn --http for mock and ceiling (default: the one-write "
                             "protocol `modelslab-contract mock` serves with)")
    parser.add_argument("--pin", action="store_true",
                        help="servers on --server-cpus, wrk on --wrk-cpus (taskset)")
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--wrk-cpus", default="1")
    parser.add_argument("--prism", type=Path, default=None, help="the prism executable")
    parser.add_argument("--vendor-page", type=Path, default=DEFAULT_VENDOR_PAGE,
                        help="stored documentation page holding the vendor's OpenAPI")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--engine-time", action="store_true",
                        help="also time the mock's engine in its process (two clock reads a "
                             "request: for splitting the cost, not for the headline figures)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="also serve the mock from DIR (a checkout of another commit, e.g. "
                             "`git worktree add /tmp/old HEAD~5`) as target 'baseline'")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30 or not 1 <= args.rounds <= 10:
        parser.error("--duration 1..120 s, --warmup 0..30 s, --rounds 1..10")
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
    sent = BODIES[args.body]
    if args.body != "typed" and "prism" in wanted:
        print(f"prism: rejects the {args.body} body (its schema types the numbers), skipped")
        wanted.remove("prism")
    if args.baseline is not None and "baseline" not in wanted:
        wanted.insert(1 if wanted[:1] == ["mock"] else 0, "baseline")
    prism = args.prism or (DEFAULT_PRISM if DEFAULT_PRISM.exists() else None)
    if prism is None and shutil.which("prism"):
        prism = Path(str(shutil.which("prism")))
    cpus = args.server_cpus if args.pin else None
    serve = [PYTHON, str(HERE / "_serve.py")]
    uv = ["--loop", args.loop, "--http", args.http]
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        body = json.dumps(sent, separators=(",", ":")).encode()
        body_file = work / "body.json"
        body_file.write_bytes(body)
        script = work / "post.lua"
        script.write_text(_LUA, encoding="utf-8")
        targets: list[Target] = []
        for name in wanted:
            port = free_port()
            if name == "mock":
                timing = ["--engine-time", str(work / "engine.json")] if args.engine_time \
                    else []
                targets.append(Target(name, [*serve, "mock", str(port), *uv, *timing],
                                      MOCK_PATH, port, cpus))
            elif name == "baseline":
                if args.baseline is None or not (args.baseline / "bench" / "_serve.py").exists():
                    parser.error("target baseline needs --baseline DIR (a checkout)")
                tree = args.baseline.resolve()
                targets.append(Target(name, [PYTHON, str(tree / "bench" / "_serve.py"), "mock",
                                             str(port), *uv], MOCK_PATH, port, cpus, tree))
            elif name in ("mock-w2", "baseline-w2"):
                # `modelslab-contract mock --workers 2` (with its default store for workers),
                # from this tree or from the --baseline one
                tree = ROOT if name == "mock-w2" else (args.baseline or ROOT).resolve()
                targets.append(Target(name, [PYTHON, "-c", "from contracts.cli import main; "
                                             "raise SystemExit(main())", "mock", "--port",
                                             str(port), "--workers", "2"], MOCK_PATH, port,
                                      cpus, tree))
            elif name == "mock-2writes":  # plain httptools: headers and body written apart
                targets.append(Target(name, [*serve, "mock", str(port), "--loop", args.loop,
                                             "--http", "httptools"], MOCK_PATH, port, cpus))
            elif name in ("ceiling", "floor"):
                targets.append(Target(name, [*serve, name, str(port), *uv], MOCK_PATH,
                                      port, cpus))
            elif name == "prism":
                if prism is None:
                    print("prism: not installed, skipped "
                          "(npm install --prefix /tmp/prism @stoplight/prism-cli)")
                    continue
                if not args.vendor_page.exists():
                    print(f"prism: {args.vendor_page} not found, skipped")
                    continue
                spec_file = vendor_openapi(args.vendor_page, work / "vendor-openapi.yaml")
                targets.append(Target(name, [str(prism), "mock", "-h", "127.0.0.1", "-p",
                                             str(port), "-v", "silent", str(spec_file)],
                                      PRISM_PATH, port, cpus))
            else:
                parser.error(f"unknown target {name!r}")
        try:
            for target in targets:
                start(target, work)
            for target in targets:
                check_answer(target, *wait_ready(target, body), sent)
            print(f"{args.body} body ({len(body)} bytes); "
                  f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
                  f"{args.rounds} round(s), warmup {args.warmup:g}s, "
                  f"{'pinned: servers on CPU ' + args.server_cpus + ', wrk on CPU ' + args.wrk_cpus if args.pin else 'not pinned'}; "  # noqa: E501
                  f"uvicorn loop={args.loop} http={args.http}; {os.cpu_count()} CPUs")
            for round_no in range(1, args.rounds + 1):
                for target in targets:
                    if args.warmup:
                        run_wrk(target, args, script, body_file, args.warmup)
                    result = run_wrk(target, args, script, body_file, args.duration)
                    target.results.append(result)
                    print(f"  round {round_no} {target.name:8} {result['rps']:9.0f} req/s  "
                          f"p50 {_ms(result['p50'])} ms  p99 {_ms(result['p99'])} ms  "
                          f"non-2xx {result['non2xx']}  cpu {result['cpu_us']:.0f} us/req",
                          flush=True)
            for target in targets:  # still healthy after the load
                check_answer(target, *post(target.url, body), sent)
        except RuntimeError as exc:
            print(f"could not run: {exc}", file=sys.stderr)
            return 2
        finally:
            for target in targets:
                stop(target)
        timed = work / "engine.json"
        if args.engine_time and timed.exists():
            engine = json.loads(timed.read_text())
            print(f"mock: the engine in situ (Direct.answer, wall time): "
                  f"{engine['us']:.1f} us a request over {engine['requests']} requests")

    print(f"\n{'target':8} {'req/s':>9} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'non-2xx':>8} {'cpu us/req':>10}")
    summary = {t.name: summarise(t) for t in targets}
    for name, r in summary.items():
        print(f"{name:8} {r['rps']:9.0f} {_ms(r['p50']):>7} {_ms(r['p90']):>7} "
              f"{_ms(r['p99']):>7} {_ms(r['max']):>7} {r['non2xx']:>8} "
              f"{statistics.median([x['cpu_us'] for x in next(t for t in targets if t.name == name).results]):10.1f}")  # noqa: E501
    ratios: dict[str, float] = {}
    mock = summary.get("mock")
    for other in ("baseline", "mock-w2", "baseline-w2", "prism", "ceiling", "floor"):
        if mock and other in summary:
            per_round = [m["rps"] / o["rps"] for m, o in
                         zip(next(t for t in targets if t.name == "mock").results,
                             next(t for t in targets if t.name == other).results, strict=True)]
            ratios[other] = statistics.median(per_round)
            cpu = [o["cpu_us"] / m["cpu_us"] for m, o in
                   zip(next(t for t in targets if t.name == "mock").results,
                       next(t for t in targets if t.name == other).results, strict=True)
                   if m["cpu_us"]]
            print(f"mock/{other}: {ratios[other]:.2f}x req/s; {other} CPU/mock CPU per request "
                  f"{statistics.median(cpu) if cpu else float('nan'):.2f}x "
                  f"(medians of {len(per_round)} round(s))")
    if mock and "prism" in ratios:
        met = ratios["prism"] >= 2 and mock["p99"] < 10_000 and mock["non2xx"] == 0
        print(f"target (>= 2x Prism, p99 < 10 ms, no non-2xx): {'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "results": {t.name: t.results for t in targets},
                                         "ratios": ratios}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
