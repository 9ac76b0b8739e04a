"""`modelslab-contract`: one console script, one subcommand per job.

Subcommands that need the mock import it lazily, inside the handler (see ARCHITECTURE.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

import spec

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def command(register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
            ) -> Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]:
    """Collect a function that adds one subcommand to the parser."""
    _COMMANDS.append(register)
    return register


def _spec_normalise(args: argparse.Namespace) -> int:
    from spec.authoring import normalise  # lazily: the pipeline loads every source page

    outcomes = normalise(check=args.check)
    stale = [o for o in outcomes if o.changed]
    for o in outcomes:
        state = ("stale" if args.check else "written") if o.changed else "up to date"
        print(f"{o.path.name}: {state}")
    return 1 if (args.check and stale) else 0


def _spec_diff(args: argparse.Namespace) -> int:
    try:
        other = yaml.safe_load(Path(args.other).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        print(f"cannot read {args.other}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(other, dict):
        print(f"{args.other} is not an OpenAPI document", file=sys.stderr)
        return 2
    from spec.authoring import diff_documents

    changes = diff_documents(spec.load_document(), other)
    for change in changes:
        print(change)
    print(f"{len(changes)} difference(s) from spec/modelslab.yaml" if changes
          else "no differences from spec/modelslab.yaml")
    return 1 if changes else 0


@command
def _spec(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("spec", help="the authoritative schema")
    inner = p.add_subparsers(dest="spec_command", required=True)
    n = inner.add_parser("normalise", help="regenerate spec/modelslab.yaml and spec/LEDGER.md")
    n.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    n.set_defaults(handler=_spec_normalise)
    d = inner.add_parser("diff", help="where another OpenAPI document differs from ours")
    d.add_argument("other", help="path to an OpenAPI document (YAML or JSON)")
    d.set_defaults(handler=_spec_diff)


# Subcommands owned by other modules register here, importing their module lazily.
# (mock: mockserver/cli.py; gate: contracts/gate/) -- keep one function per subcommand.


@command
def _gate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from contracts.gate import add_parser  # lazily: the gate pulls in httpx, rich, hypothesis

    add_parser(sub)


@command
def _mock(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from mockserver.cli import add_mock_command

    add_mock_command(sub)


_DESCRIPTION = ("Contract tests, a conformance gate and a local mock server for the ModelsLab "
                "image API.")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("modelslab-contract")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelslab-contract", description=_DESCRIPTION)
    parser.add_argument("--version", action="version",
                        version=f"modelslab-contract {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
