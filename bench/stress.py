"""Stress: 200 concurrent keep-alive connections for 10 s against the mock on a port.

    python bench/stress.py [--connections 200] [--duration 10]

Starts the mock (one uvicorn worker, `error_mode: http` so every outcome has its own status)
on a free 127.0.0.1 port, and drives it from this process with raw keep-alive HTTP/1.1
connections sending a mix, each answer checked against what it should be:

    valid       multi-LoRA generation                        -> 200 success, output per sample
    invalid     out-of-range values / wrong types             -> 422 error, message per field
    bad_json    truncated JSON                                -> 422 error
    wrong_type  form-encoded content type                     -> 422 error
    oversized   a body above max_body_bytes                   -> 413 error
    queued      `Prefer: eta=1`                               -> 200 processing, fetch_result
    fetch       a queued job, by path or body                 -> processing before due, then
                                                                 success with the promised links
    unknown     fetch of an id never issued                   -> 404 error
    image       GET of an output link (rendered lazily)       -> 200 image/png
    rate/key    `Prefer: error=rate_limit|invalid_key`        -> 429 with Retry-After / 401

Anything else (another status, a wrong body, a reset connection, a timeout) is an unexpected
failure. Prints counts per kind, requests/s, p50/p99 and the failures; exit 1 if any.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import Target, free_port, start, stop

import spec

HERE = Path(__file__).resolve().parent
V6 = "/api/v6/images/text2img"
LIMIT = int(spec.contract().limits["max_body_bytes"])
VALID: dict[str, Any] = {"key": "stress-key", "model_id": "midjourney", "prompt": "a lighthouse",
                         "width": 512, "height": 512, "samples": 2, "num_inference_steps": 30,
                         "lora_model": "contrast-fix,yae-miko-genshin",
                         "lora_strength": "0.45,0.55", "guidance_scale": 7.5}
MIX = [("valid", 30), ("invalid", 12), ("bad_json", 5), ("wrong_type", 5), ("oversized", 3),
       ("queued", 12), ("fetch", 20), ("unknown", 5), ("image", 1), ("rate_limit", 3),
       ("invalid_key", 4)]


@dataclass
class Shared:
    """What connections share: jobs to fetch, links to get, and the tallies."""

    jobs: deque[tuple[str, float, list[str], str]] = field(default_factory=lambda: deque(
        maxlen=2000))
    links: deque[str] = field(default_factory=lambda: deque(maxlen=50))
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    failure_count: int = 0
    latencies: list[float] = field(default_factory=list)

    def fail(self, kind: str, why: str) -> None:
        self.failure_count += 1
        if len(self.failures) < 20:
            self.failures.append(f"{kind}: {why}")


def request(method: str, path: str, body: bytes = b"", content_type: str = "application/json",
            extra: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    if body or method == "POST":
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def build(kind: str, rng: random.Random, shared: Shared, origin: str
          ) -> tuple[bytes, Any] | None:
    """The request bytes and a check(status, headers, body) -> None or the reason it is wrong."""
    def error(status: int) -> Any:
        def check(s: int, h: dict[str, str], b: bytes) -> str | None:
            data = json.loads(b)
            if s != status or data.get("status") != "error" or "message" not in data:
                return f"expected {status} error, got {s} {b[:200]!r}"
            if status == 429 and "retry-after" not in h:
                return "429 without Retry-After"
            return None
        return check

    if kind == "valid":
        samples = rng.randint(1, 4)
        body = {**VALID, "samples": samples, "seed": rng.randrange(2 ** 32)}

        def ok(s: int, h: dict[str, str], b: bytes) -> str | None:
            data = json.loads(b)
            if s != 200 or data.get("status") != "success" or len(data["output"]) != samples \
                    or data["meta"]["seed"] != body["seed"] or data["meta"]["steps"] != 20:
                return f"expected success with {samples} links, got {s} {b[:200]!r}"
            if rng.random() < 0.02:
                shared.links.append(data["output"][0])
            return None
        return request("POST", V6, _dumps(body)), ok
    if kind == "invalid":
        bad = rng.choice([{"width": 2000}, {"samples": 9}, {"guidance_scale": 50},
                          {"lora_strength": "0.5"}, {"scheduler": "Nope"}, {"prompt": None},
                          {"seed": -1}, {"width": "wide"}])
        body = {**VALID, **bad}
        return request("POST", V6, _dumps({k: v for k, v in body.items() if v is not None})), \
            error(422)
    if kind == "bad_json":
        raw = _dumps(VALID)
        return request("POST", V6, raw[:rng.randint(1, len(raw) - 1)]), error(422)
    if kind == "wrong_type":
        return request("POST", V6, b"key=a&prompt=b", "application/x-www-form-urlencoded"), \
            error(422)
    if kind == "oversized":
        return request("POST", V6, _dumps({**VALID, "prompt": "x" * (LIMIT + 10)})), error(413)
    if kind == "rate_limit":
        return request("POST", V6, _dumps(VALID), extra={"Prefer": "error=rate_limit"}), \
            error(429)
    if kind == "invalid_key":
        return request("POST", V6, _dumps(VALID), extra={"Prefer": "error=invalid_key"}), \
            error(401)
    if kind == "unknown":
        path = f"/api/v6/images/fetch/{rng.randrange(10 ** 12, 10 ** 13)}"
        return request("POST", path, _dumps({"key": "stress-key"})), error(404)
    if kind == "queued":
        def queued(s: int, h: dict[str, str], b: bytes) -> str | None:
            data = json.loads(b)
            if s != 200 or data.get("status") != "processing" or \
                    not data.get("fetch_result", "").startswith(origin) or \
                    len(data.get("future_links", ())) != VALID["samples"]:
                return f"expected processing, got {s} {b[:200]!r}"
            shared.jobs.append((str(data["id"]), time.monotonic() + float(data["eta"]),
                                data["future_links"], data["fetch_result"]))
            return None
        return request("POST", V6, _dumps(VALID), extra={"Prefer": "eta=1"}), queued
    if kind == "fetch":
        if not shared.jobs:
            return None
        job_id, due, links, fetch_url = rng.choice(shared.jobs)
        sent_at = time.monotonic()
        if rng.random() < 0.5:
            raw = request("POST", fetch_url.removeprefix(origin), _dumps({"key": "stress-key"}))
        else:
            raw = request("POST", "/api/v6/images/fetch",
                          _dumps({"key": "stress-key", "request_id": job_id}))

        def fetched(s: int, h: dict[str, str], b: bytes) -> str | None:
            data = json.loads(b)
            done = time.monotonic()
            if s != 200 or str(data.get("id")) != job_id:
                return f"fetch {job_id}: {s} {b[:200]!r}"
            if data["status"] == "success":
                if data["output"] != links:
                    return f"fetch {job_id}: links differ from the promised ones"
                if done < due - 0.25:
                    return f"fetch {job_id}: success {due - done:.2f} s early"
            elif data["status"] == "processing":
                if sent_at > due + 0.25:
                    return f"fetch {job_id}: still processing {sent_at - due:.2f} s after due"
            else:
                return f"fetch {job_id}: status {data['status']!r}"
            return None
        return raw, fetched
    if kind == "image":
        if not shared.links:
            return None
        link = rng.choice(shared.links)

        def image(s: int, h: dict[str, str], b: bytes) -> str | None:
            if s != 200 or h.get("content-type") != "image/png" or not b.startswith(b"\x89PNG"):
                return f"image: {s} {h.get('content-type')}"
            return None
        return request("GET", link.removeprefix(origin)), image
    raise ValueError(kind)


async def connection(port: int, deadline: float, shared: Shared, seed: int,
                     timeout: float) -> None:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    origin = "http://127.0.0.1"
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        built = build(kind, rng, shared, origin)
        if built is None:
            continue
        raw, check = built
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), timeout)
            assert reader is not None
            started = time.perf_counter()
            writer.write(raw)
            status, headers, body = await asyncio.wait_for(read_response(reader), timeout)
            shared.latencies.append(time.perf_counter() - started)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            shared.fail(kind, f"{type(exc).__name__}: {exc}")
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        shared.counts[kind] += 1
        try:
            why = check(status, headers, body)
        except (ValueError, KeyError, TypeError) as exc:
            why = f"unreadable answer {status} {body[:200]!r}: {exc}"
        if why:
            shared.fail(kind, why)
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def drive(port: int, connections: int, duration: float, timeout: float) -> Shared:
    shared = Shared()
    deadline = time.monotonic() + duration
    await asyncio.gather(*(connection(port, deadline, shared, i, timeout)
                           for i in range(connections)))
    return shared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= 1000 or not 1 <= args.duration <= 120:
        parser.error("--connections 1..1000, --duration 1..120 s")
    port = free_port()
    config = json.dumps({"error_mode": "http", "max_jobs": 100_000, "webhook_hosts": []})
    target = Target("mock", [sys.executable, str(HERE / "_serve.py"), "mock", str(port),
                             "--config", config], V6, port)
    import tempfile
    with tempfile.TemporaryDirectory(prefix="bench-stress-") as tmp:
        start(target, Path(tmp))
        try:
            from load import post, wait_ready
            wait_ready(target, _dumps(VALID))
            began = time.monotonic()
            shared = asyncio.run(drive(port, args.connections, args.duration, args.timeout))
            elapsed = time.monotonic() - began
            alive = post(target.url, _dumps(VALID))[0] == 200
        finally:
            stop(target)
            log = (Path(tmp) / "mock.log").read_text(errors="replace")
    total = sum(shared.counts.values())
    lat = sorted(shared.latencies) or [0.0]
    print(f"{args.connections} connections for {args.duration:g} s: {total} answers "
          f"({total / elapsed:.0f}/s), p50 {statistics.median(lat) * 1000:.1f} ms, "
          f"p99 {lat[int(len(lat) * 0.99) - 1 if len(lat) > 1 else 0] * 1000:.1f} ms")
    print("  " + ", ".join(f"{k} {shared.counts[k]}" for k, _ in MIX))
    tracebacks = log.count("Traceback")
    print(f"unexpected failures: {shared.failure_count}; server tracebacks: {tracebacks}; "
          f"alive after: {alive}")
    for line in shared.failures:
        print("  " + line)
    return 0 if shared.failure_count == 0 and tracebacks == 0 and alive else 1


if __name__ == "__main__":
    raise SystemExit(main())
