"""Soak: hostile input, slow clients and a webhook storm at once against ONE mock, for a while.

    python bench/soak.py [--seconds 60] [--rss-mb 400]

Starts `modelslab-contract mock` on a free 127.0.0.1 port (a child process, its stderr kept),
then runs, all at the same time and each at a bounded rate:
- bad input: lone surrogates, deep nesting, keys as lists/objects, wrong types, non-ASCII ids,
  4 MiB headers (431), 64 KiB targets (414), 1 MiB `Prefer` headers, nonsense admin settings
  (JSON and text/plain), broken JSON;
- slow clients: 150 sockets that connect and send nothing or one header byte a second
  (reconnecting whenever the mock closes them);
- a webhook storm: queued generations whose webhooks go to a good receiver, a receiver that
  never answers, one that trickles its answer, and URLs that make httpx raise;
- a health probe: `GET /__mock/health` on a fresh connection every 100 ms, timed.

It reports requests and statuses per kind, 5xx answers, tracebacks in the mock's stderr, the
health probe's worst and 99th-percentile times, the mock's RSS (start, peak, end; read from
/proc), and the webhook outcomes the journal holds. Exit 0 when: no 5xx, no traceback, every
health answer within 100 ms, peak RSS under --rss-mb. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

V6 = "/api/v6/images/text2img"
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: dict[str, collections.Counter[int]] = collections.defaultdict(
            collections.Counter)
        self.errors: collections.Counter[str] = collections.Counter()

    def add(self, kind: str, status: int) -> None:
        with self.lock:
            self.statuses[kind][status] += 1

    def error(self, kind: str, exc: BaseException) -> None:
        with self.lock:
            self.errors[f"{kind}: {type(exc).__name__}"] += 1

    def five_xx(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)


def _raw(port: int, data: bytes, timeout: float = 5.0) -> int:
    """Send raw bytes; the status the mock answers (0 when none)."""
    with socket.create_connection((HOST, port), timeout=timeout) as conn:
        with contextlib.suppress(OSError):
            conn.sendall(data)
        head = b""
        try:
            while b"\r\n" not in head:
                part = conn.recv(4096)
                if not part:
                    break
                head += part
        except OSError:
            pass
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def bad_input(url: str, port: int, stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    big = b"a" * (4 << 20)
    bodies: list[tuple[str, bytes, dict[str, str]]] = [
        (V6, b'{"key":"k","model_id":"m","prompt":"a \\ud800 b"}', {}),
        (V6, b'{"key":"k","model_id":"m","prompt":"p","negative_prompt":"\\udfff"}', {}),
        (V6, b"[" * 50_000, {}),
        (V6, b'{"key":["sk-list"],"model_id":"m","prompt":"p"}', {}),
        (V6, b'{"key":{"a":"sk-obj"},"model_id":"m","prompt":"p"}', {}),
        (V6, b'{"key":"k","model_id":"m","prompt":"p","width":"\\u00b2"}', {}),
        (V6, b'{"key":"k","model_id":5,"prompt":[1],"samples":1e308}', {}),
        (V6, b"not json", {"content-type": "text/plain"}),
        (V6, b'{"key":"k","model_id":"m","prompt":"p"}', {"prefer": "x" * (1 << 20)}),
        ("/api/v6/images/fetch/\u00b2", b'{"key":"k"}', {}),
        ("/api/v6/images/fetch", b'{"key":"k","request_id":"\\u0663"}', {}),
        ("/__mock/config", b'{"origin": 5}', {}),
        ("/__mock/config", b'{"eta": 1e10, "quirks": "no"}', {}),
        ("/__mock/config", b'{"webhook_hosts": [5], "max_body_bytes": true}', {}),
        ("/__mock/config", b'{"latency": "uniform:0-99999999"}', {}),
        ("/__mock/config", b'{"\\ud800": 1}', {}),
        ("/__mock/config", b'{"queue": "always"}', {"content-type": "text/plain"}),
    ]
    with httpx.Client(base_url=url, trust_env=False, timeout=10) as client:
        while not stop.is_set():
            roll = rng.random()
            try:
                if roll < 0.03:
                    tally.add("431 head", _raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + big
                                               + b"\r\n\r\n"))
                elif roll < 0.06:
                    tally.add("414 target", _raw(port, b"GET /" + b"a" * 65536
                                                 + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
                else:
                    path, body, headers = rng.choice(bodies)
                    method = "PUT" if path.startswith("/__mock") else "POST"
                    answer = client.request(method, path, content=body, headers={
                        "content-type": "application/json", **headers})
                    tally.add("bad input", answer.status_code)
            except httpx.HTTPError as exc:
                tally.error("bad input", exc)
            stop.wait(0.01)


def slow_clients(port: int, stop: threading.Event, tally: Tally, n: int) -> None:
    socks: list[socket.socket | None] = [None] * n
    while not stop.is_set():
        for i in range(n):
            conn = socks[i]
            try:
                if conn is None:
                    conn = socket.create_connection((HOST, port), timeout=2)
                    conn.setblocking(False)
                    socks[i] = conn
                    tally.add("slow connects", 0)
                    if i % 2:
                        conn.send(b"GET /__mock/health HTTP/1.1\r\n")
                elif i % 2:
                    conn.send(b"X")  # one header byte a second
                try:
                    if conn.recv(4096) == b"":
                        raise ConnectionResetError
                    tally.add("slow closed by mock", 408)
                    raise ConnectionResetError
                except BlockingIOError:
                    pass
            except OSError:
                if conn is not None:
                    conn.close()
                socks[i] = None
        stop.wait(1.0)
    for conn in socks:
        if conn is not None:
            conn.close()


class Receivers:
    """A good webhook receiver, one that never answers, one that trickles."""

    def __init__(self) -> None:
        self.received = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.received += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.good = ThreadingHTTPServer((HOST, 0), Handler)
        self.good.daemon_threads = True
        threading.Thread(target=self.good.serve_forever, args=(0.1,), daemon=True).start()
        self.silent = socket.socket()
        self.silent.bind((HOST, 0))
        self.silent.listen(4096)
        self.trickle = socket.socket()
        self.trickle.bind((HOST, 0))
        self.trickle.listen(256)
        self.stop = threading.Event()
        threading.Thread(target=self._trickle, daemon=True).start()

    def _trickle(self) -> None:
        self.trickle.settimeout(0.5)
        conns: list[socket.socket] = []
        while not self.stop.is_set():
            try:
                conn, _ = self.trickle.accept()
                conns.append(conn)
            except OSError:
                pass
            for conn in list(conns):
                try:
                    conn.send(b"H")
                except OSError:
                    conns.remove(conn)
                    conn.close()
        for conn in conns:
            conn.close()

    def urls(self) -> list[str]:
        return [f"http://{HOST}:{self.good.server_address[1]}/hook",
                f"http://{HOST}:{self.silent.getsockname()[1]}/hook",
                f"http://{HOST}:{self.trickle.getsockname()[1]}/hook",
                f"http://{HOST}:9/\u0000", f"http://{HOST}:9/\ud800"]

    def close(self) -> None:
        self.stop.set()
        self.good.shutdown()
        self.good.server_close()
        self.silent.close()
        self.trickle.close()


def webhook_storm(url: str, hooks: list[str], stop: threading.Event, tally: Tally,
                  seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, trust_env=False, timeout=10) as client:
        while not stop.is_set():
            body = {"key": "k", "model_id": "m", "prompt": "storm", "width": 256,
                    "height": 256, "webhook": rng.choice(hooks), "track_id": rng.randrange(9)}
            try:
                answer = client.post(V6, content=json.dumps(body).encode(),
                                     headers={"content-type": "application/json",
                                              "prefer": f"eta={rng.choice([0, 0.2, 1])}"})
                tally.add("webhook storm", answer.status_code)
            except httpx.HTTPError as exc:
                tally.error("webhook storm", exc)
            stop.wait(0.02)


def probe(port: int, seconds: float) -> list[float]:
    """`GET /__mock/health` on a fresh connection every 100 ms for `seconds`: the times.
    Run in a process of its own (`--probe`), so the bench's other threads never hold the
    GIL it measures with."""
    request = b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        try:
            status = _raw(port, request, timeout=5)
        except OSError:
            status = 0
        times.append(time.perf_counter() - started if status == 200 else float("inf"))
        time.sleep(0.1)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rss-mb", type=float, default=400.0,
                        help="the bound on the mock's peak RSS (default: %(default)g)")
    parser.add_argument("--slow", type=int, default=150, help="slow sockets")
    parser.add_argument("--traffic", default="bad,slow,storm",
                        help="which traffic to run (default: all three at once)")
    parser.add_argument("--probe", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds = min(args.seconds, 600.0)
    if args.probe is not None:  # the health probe's own process
        print(json.dumps(probe(args.probe, seconds)))
        return 0

    port = _free_port()
    log = open(os.devnull if False else f"/tmp/soak-mock-{port}.log", "w+")  # noqa: SIM115
    mock = subprocess.Popen([sys.executable, "-c", "import sys; from contracts.cli import "
                             "main; sys.exit(main(sys.argv[1:]))", "mock", "--host", HOST,
                             "--port", str(port), "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://{HOST}:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/__mock/health", timeout=1, trust_env=False)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    receivers = Receivers()
    tally = Tally()
    stop = threading.Event()
    rss: list[float] = [_rss_mb(mock.pid)]
    kinds = set(args.traffic.split(","))
    threads = [threading.Thread(target=bad_input, args=(url, port, stop, tally, i))
               for i in range(3) if "bad" in kinds]
    threads += [threading.Thread(target=webhook_storm,
                                 args=(url, receivers.urls(), stop, tally, i))
                for i in range(2) if "storm" in kinds]
    threads += [threading.Thread(target=slow_clients, args=(port, stop, tally, args.slow))
                for _ in range(1) if "slow" in kinds]
    prober = subprocess.Popen([sys.executable, __file__, "--probe", str(port), "--seconds",
                               str(seconds)], stdout=subprocess.PIPE, text=True)
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        while time.monotonic() - started < seconds:
            time.sleep(1.0)
            rss.append(_rss_mb(mock.pid))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    elapsed = time.monotonic() - started
    times: list[float] = json.loads(prober.communicate(timeout=60)[0])
    journal = httpx.get(url + "/__mock/journal", timeout=10, trust_env=False).json()["entries"]
    hooks = collections.Counter(e["outcome"] for e in journal if e["kind"] == "webhook")
    rss.append(_rss_mb(mock.pid))
    with open(f"/proc/{mock.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    mock.terminate()
    try:
        mock.wait(timeout=15)
    except subprocess.TimeoutExpired:
        mock.kill()
    receivers.close()
    log.seek(0)
    stderr = log.read()
    log.close()
    tracebacks = stderr.count("Traceback")

    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else float("nan")
    worst = ordered[-1] if ordered else float("nan")
    print(f"soak: {elapsed:.0f} s against one mock on {url}")
    for kind, counts in sorted(tally.statuses.items()):
        print(f"  {kind:22} {sum(counts.values()):7d}  "
              + ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())))
    for kind, n in sorted(tally.errors.items()):
        print(f"  client error {kind}: {n}")
    print(f"  webhooks (journal, last {len(journal)} entries): {dict(hooks)}; "
          f"the good receiver got {receivers.received}")
    print(f"  mock CPU: {cpu:.1f} s in {elapsed:.0f} s")
    print(f"  5xx answers: {tally.five_xx()}")
    print(f"  tracebacks in the mock's stderr: {tracebacks}")
    print(f"  health: {len(times)} probes, p99 {p99 * 1000:.1f} ms, worst {worst * 1000:.1f} ms"
          f" (bound 100 ms)")
    print(f"  mock RSS: start {rss[0]:.0f} MB, peak {max(rss):.0f} MB, end {rss[-1]:.0f} MB "
          f"(bound {args.rss_mb:g} MB)")
    ok = tally.five_xx() == 0 and tracebacks == 0 and worst < 0.1 and max(rss) < args.rss_mb
    print("PASS" if ok else "FAIL")
    if tracebacks:
        print(stderr[-3000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
