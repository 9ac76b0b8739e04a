"""Fuzz: 10,000 Hypothesis-generated requests through the in-process ASGI app, per error mode.

    python bench/fuzz.py [--examples 10000] [--modes legacy,http]

The strategies are the in-suite ones (`tests/mockserver/test_robustness.py`: any JSON,
generation-shaped bodies with arbitrary values, wrong content types, truncated JSON, random
bytes, oversized bodies declared or streamed in chunks, odd `Prefer` headers, with and without
`Origin`), run here at full size. Every answer must be below 500, JSON with the error shape for
errors, 413 for oversized bodies; no ERROR is logged (the engine logs any exception it had to
catch). Prints the statuses seen per mode; exit 1 on the first failure (Hypothesis shrinks it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings

from mockserver import MockConfig, create_app
from tests.mockserver.test_robustness import Sent, _call, _Errors, check, requests


def run(mode: str, examples: int) -> Counter[str]:
    app = create_app(MockConfig(error_mode=mode, webhook_hosts=()))
    loop = asyncio.new_event_loop()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    seen: Counter[str] = Counter()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(sent=requests())
    def fuzz(sent: Sent) -> None:
        status, headers, body = loop.run_until_complete(_call(app, sent))
        check(status, headers, body, sent)
        assert not errors.records, [r.getMessage() for r in errors.records]
        seen[str(status)] += 1
        seen["requests"] += 1

    try:
        fuzz()
    finally:
        logging.getLogger().removeHandler(errors)
        app.state.engine.close()
        loop.close()
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--modes", default="legacy,http")
    args = parser.parse_args(argv)
    if not 1 <= args.examples <= 100_000:
        parser.error("--examples 1..100000")
    for mode in args.modes.split(","):
        began = time.monotonic()
        try:
            seen = run(mode, args.examples)
        except Exception as exc:  # the shrunk failing example is printed by Hypothesis
            print(f"{mode}: FAILED: {type(exc).__name__}: {str(exc)[:2000]}")
            return 1
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(seen.items())
                             if k.isdigit())
        print(f"{mode}: {seen['requests']} requests in {time.monotonic() - began:.0f} s, "
              f"no 5xx, no unhandled exception; statuses {statuses}")
        if seen["requests"] < args.examples:
            print(f"{mode}: only {seen['requests']} examples ran")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
