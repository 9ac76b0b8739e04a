"""Issue 14's figures: each blind-spot mutant against the gate at the default budget for five
seeds (which rule is named), the stated "full coverage" budget for five seeds (rule sides left),
and the default gate run against the mock on a port (wall seconds).

    python bench/gate_verdicts.py            # ~1 min on 2 cores
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mockserver
from contracts import gate
from tests.contracts import _mutants

SEEDS = range(5)


def _mock() -> object:
    return mockserver.transport(mockserver.MockConfig(accepted_keys=frozenset({_mutants.KEY})))


def main() -> int:
    bad = 0
    for name in _mutants.BLIND_SPOTS:
        named = []
        for seed in SEEDS:
            rule, backend = _mutants.blind_spot(name, _mock())  # type: ignore[arg-type]
            result = gate.run(gate.GateConfig(transport=backend, key=_mutants.KEY, seed=seed,
                                              progress=False, sleep=lambda s: None))
            named.append(result.violated == [rule.id] and result.exit_code == 1)
        bad += not all(named)
        print(f"{name:42} killed naming {rule.id}: {sum(named)}/{len(named)} seeds")
    need = gate.required_requests()
    for seed in SEEDS:
        result = gate.run(gate.GateConfig(transport=_mock(), key=_mutants.KEY, seed=seed,
                                          budget=need, progress=False))
        bad += bool(result.uncovered)
        print(f"budget {need} (stated), seed {seed}: {result.status}, rule sides left "
              f"{dict(result.uncovered) or 'none'}")
    with mockserver.LiveServer(mockserver.MockConfig()) as live:
        started = time.monotonic()
        result = gate.run(gate.GateConfig(base_url=live.url, progress=False))
        print(f"default gate run on a port: {result.status}, {result.requests} requests, "
              f"{time.monotonic() - started:.2f} s wall")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
