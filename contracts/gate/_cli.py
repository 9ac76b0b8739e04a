"""`modelslab-contract gate`: options, the key from the environment, reports, exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from contracts.gate import _report
from contracts.gate._result import EXIT_COULD_NOT_RUN
from contracts.gate._run import DEFAULT_BUDGET, DEFAULT_DEADLINE, DEFAULT_EXPLORE, GateConfig, run
from contracts.vocabulary import MOCK_KEY

DEFAULT_KEY_ENV = "MODELSLAB_API_KEY"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gate", help="prove that a backend keeps the contract",
                       description="Send boundary payloads (then random ones) to a backend and "
                       "judge every rule. Exit 0 conforms, 1 violations, 2 could not run.")
    p.add_argument("--base-url", default=None,
                   help="origin of the backend (e.g. https://modelslab.com); "
                   "default: the mock, in process")
    p.add_argument("--key-env", default=DEFAULT_KEY_ENV,
                   help=f"environment variable holding the API key (default {DEFAULT_KEY_ENV})")
    p.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                   help=f"most requests to send, fetches and downloads included "
                   f"(default {DEFAULT_BUDGET})")
    p.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE, metavar="SECONDS",
                   help="most seconds the whole run may take (default: %(default)g)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random exploration")
    p.add_argument("--explore", type=int, default=DEFAULT_EXPLORE,
                   help=f"random cases after the boundaries (default {DEFAULT_EXPLORE})")
    p.add_argument("--report-dir", type=Path, default=None,
                   help="write gate.json, gate.junit.xml, gate.md and gate.html here")
    p.add_argument("--model-id", action="append", default=None,
                   help="model id(s) to generate with (default: midjourney)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    key = os.environ.get(args.key_env, "")
    if args.base_url and not key:
        print(f"gate: the environment variable {args.key_env} holds no API key",
              file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if args.budget < 1:
        print("gate: --budget must be at least 1", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    config = GateConfig(base_url=args.base_url, key=key or MOCK_KEY, budget=args.budget,
                        deadline=args.deadline, seed=args.seed, explore=args.explore,
                        model_ids=tuple(args.model_id or GateConfig.model_ids),
                        progress=False if args.no_progress else None)
    result = run(config)
    _report.print_summary(result)
    if args.report_dir is not None:
        for path in _report.write(result, args.report_dir).values():
            print(f"wrote {path}")
    return result.exit_code
