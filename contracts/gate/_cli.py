"""`modelslab-contract gate`: options, the key from the environment, reports, exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from contracts.gate import _report, _settings
from contracts.gate._result import DEFAULT_FAULT_THRESHOLD, EXIT_COULD_NOT_RUN
from contracts.gate._run import DEFAULT_BUDGET, DEFAULT_DEADLINE, DEFAULT_EXPLORE, GateConfig, run
from contracts.vocabulary import MOCK_KEY

DEFAULT_KEY_ENV = "MODELSLAB_API_KEY"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gate", help="prove that a backend keeps the contract",
                       description="Send boundary payloads (then random ones) to a backend and "
                       "judge every rule. Exit 0: every rule conforms on each side; 1: a rule "
                       "is violated; 2: no full verdict (the target is not this API, it "
                       "redirects, too many faults, or a rule side was not exercised). Options "
                       "also come from MODELSLAB_CONTRACT_<OPTION> environment variables and "
                       "[tool.modelslab-contract] in pyproject.toml (the command line wins, "
                       "then the environment, then the file).")
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
    p.add_argument("--no-progress", action="store_true",
                   help="no progress (default: a bar on a terminal, lines in a log)")
    p.add_argument("--fault-threshold", type=float, default=DEFAULT_FAULT_THRESHOLD,
                   help="share of exchanges that may end in a backend fault (timeout, 5xx, "
                   f"429) before the run gives no verdict, exit 2 (default "
                   f"{DEFAULT_FAULT_THRESHOLD})")
    p.set_defaults(handler=main)
    try:
        p.set_defaults(**_settings.defaults())
    except _settings.SettingsError as exc:
        p.set_defaults(settings_error=str(exc))


def main(args: argparse.Namespace) -> int:
    error = getattr(args, "settings_error", None)
    if error:
        print(f"gate: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    key = os.environ.get(args.key_env, "")
    if args.budget < 1:
        print("gate: --budget must be at least 1", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if not 0 <= args.fault_threshold <= 1:
        print("gate: --fault-threshold must be between 0 and 1", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    config = GateConfig(base_url=args.base_url, key=key or MOCK_KEY, budget=args.budget,
                        deadline=args.deadline, seed=args.seed, explore=args.explore,
                        model_ids=tuple(args.model_id or GateConfig.model_ids),
                        progress=False if args.no_progress else None,
                        fault_threshold=args.fault_threshold)
    result = run(config)
    _report.print_summary(result)
    if args.base_url and not key and result.exit_code:
        print(f"gate: ${args.key_env} is empty, so the mock's test key was sent: set it to "
              "your API key for a real backend", file=sys.stderr)
    if args.report_dir is not None:
        for path in _report.write(result, args.report_dir).values():
            print(f"wrote {path}")
    return result.exit_code
