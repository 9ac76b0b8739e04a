"""`modelslab-contract mock`: run the mock on a port.

Only the standard library is imported here at module level, so the other subcommands stay
fast; uvicorn and the engine are imported when the mock actually starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.config import MockConfig

DEFAULT_HOST = "127.0.0.1"
#: The documented port (Prism's default too, so frontends written against Prism just work).
DEFAULT_PORT = 4010


def add_mock_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `mock` subcommand to a `modelslab-contract` subparsers object."""
    p = sub.add_parser(
        "mock", help="run the ModelsLab mock server",
        description="Run a local ModelsLab: every endpoint of spec/modelslab.yaml with real "
                    "PNG images, the processing lifecycle, webhooks and an admin API under "
                    "/__mock/. With no options it listens on "
                    f"{DEFAULT_HOST}:{DEFAULT_PORT}.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    p.add_argument("--origin", default=None,
                   help="base of absolute URLs in answers (default: each request's Host)")
    p.add_argument("--scenario", default=None, metavar="NAME",
                   help="start from a preset (" + ", ".join(SCENARIO_NAMES) + "); the "
                        "options below override it")
    # The settings a preset changes default to None here: "not given", so they override it.
    p.add_argument("--queue", choices=("never", "always", "workload"), default=None,
                   help="when generations are queued as processing (default: never)")
    p.add_argument("--eta", type=float, default=None,
                   help="seconds a queued job takes (default: 2)")
    p.add_argument("--error-mode", choices=("legacy", "http"), default=None,
                   help="legacy: errors with HTTP 200, as the old API; http: the error-code "
                        "catalogue's statuses and messages")
    p.add_argument("--quirks", action=argparse.BooleanOptionalAction, default=None,
                   help="the real API's quirks: messege, output \"\", string ids (default: on)")
    p.add_argument("--latency", default=None,
                   help="added latency: milliseconds, 'uniform:50-200' or 'normal:100,30'")
    p.add_argument("--failure-rate", type=float, default=None, metavar="SHARE",
                   help="share of generations that fail with 'Failed, Try Again' (queued ones "
                        "end failed at their due time), 0 to 1 (default: 0)")
    p.add_argument("--seed", type=int, default=0, help="the mock's RNG seed (default: 0)")
    p.add_argument("--key", dest="keys", action="append", default=None, metavar="KEY",
                   help="accept only this API key (repeat for more; default: any non-empty)")
    p.add_argument("--rate-limit", type=int, default=None, metavar="N",
                   help="requests per key per minute (default: unlimited)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes; more than 1 implies a SQLite job store")
    p.add_argument("--store", default=None, metavar="STORE",
                   help="where the state lives: memory (default), sqlite:PATH (workers on one "
                        "host, survives restarts) or redis://HOST:PORT/DB (mocks on several "
                        "hosts share one state)")
    p.add_argument("--webhook-host", dest="webhook_hosts", action="append", default=None,
                   metavar="HOST", help="also allow webhooks to this host (loopback always is)")
    p.add_argument("--max-jobs", type=int, default=None, help="most jobs kept (default: 10000)")
    p.add_argument("--models", default=None, metavar="IDS",
                   help="accept only these model ids (comma-separated; 'public' = the "
                        "documented public ids); others get 'Model not found'")
    p.add_argument("--allow-host", dest="allow_hosts", action="append", default=None,
                   metavar="HOST", help="also let the admin API (/__mock/) answer to this "
                   "Host and Origin (loopback and the bound address always are; '*': any)")
    p.add_argument("--admin-token", default=None, metavar="TOKEN",
                   help="require 'Authorization: Bearer TOKEN' on the admin API (a shared "
                        "team mock); default: env MODELSLAB_MOCK_ADMIN_TOKEN, else none")
    p.add_argument("--shutdown-grace", type=float, default=None, metavar="SECONDS",
                   help="on SIGTERM, wait at most this long for requests in flight "
                        "(default: 5)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(handler=run)


#: The presets of `mockserver.config.SCENARIOS` (a test keeps them equal; this module imports
#: only the standard library).
SCENARIO_NAMES = ("default", "instant", "slow-queue", "spinner", "workload", "flaky",
                  "http-errors", "no-quirks", "rate-limited", "failing-jobs")
#: Options that override a scenario's setting when given (None means not given).
_PRESET_OPTIONS = ("queue", "eta", "error_mode", "quirks", "latency", "failure_rate",
                   "rate_limit")


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The `MockConfig` the options describe: the scenario's settings, then every option
    given (a SQLite store is chosen for several workers)."""
    import tempfile

    from mockserver.config import DEFAULT_WEBHOOK_HOSTS, SCENARIOS, MockConfig, model_list

    scenario = getattr(args, "scenario", None)
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"no scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    store = args.store or "memory"
    if args.workers > 1 and store == "memory":
        store = "sqlite:" + os.path.join(tempfile.gettempdir(),
                                         f"modelslab-mock-{os.getpid()}.sqlite")
    changes: dict[str, Any] = dict(SCENARIOS[scenario]) if scenario else {}
    changes.update({name: getattr(args, name) for name in _PRESET_OPTIONS
                    if getattr(args, name, None) is not None})
    changes.update({
        "origin": args.origin, "seed": args.seed, "store": store,
        "accepted_keys": frozenset(args.keys) if args.keys else None,
        "webhook_hosts": tuple(dict.fromkeys([*DEFAULT_WEBHOOK_HOSTS,
                                              *(args.webhook_hosts or ())])),
    })
    if args.max_jobs is not None:
        changes["max_jobs"] = args.max_jobs
    if args.models:
        changes["models"] = model_list(args.models)
    return MockConfig(**changes)


def banner(url: str, config: MockConfig, workers: int = 1, scenario: str | None = None
           ) -> str:
    """What the mock prints when it starts: where it listens, every setting, how to call it."""
    # Never print a configured key: the banner ends up in terminals and CI logs.
    key = "ONE-OF-YOUR---key-VALUES" if config.accepted_keys else "test-key"
    body = json.dumps({"key": key, "model_id": "sdxl", "prompt": "a red fox in the snow",
                       "width": 512, "height": 512, "samples": 1})
    keys = (f"{len(config.accepted_keys)} accepted key(s)" if config.accepted_keys
            else "any non-empty key")
    return "\n".join([
        f"modelslab-contract mock listening on {url}",
        (f"  scenario {scenario}: " if scenario else "  ")
        + f"queue {config.queue} (eta {config.eta:g}s), error mode {config.error_mode}, "
        f"quirks {'on' if config.quirks else 'off'}, latency {config.latency or 'none'}, "
        f"rate limit {f'{config.rate_limit}/min' if config.rate_limit else 'none'}, "
        f"failure rate {config.failure_rate:g}, seed {config.seed}",
        f"  {keys}, store {config.store}, max jobs {config.max_jobs} for {config.job_ttl:g}s, "
        f"webhooks to {' '.join(config.webhook_hosts)}, origin "
        f"{config.origin or 'from each request'}"
        + (f", {workers} workers" if workers > 1 else ""),
        f"  dashboard: {url}/__mock/   admin API: {url}/__mock/openapi.json",
        "  try:",
        f"    curl -s {url}/api/v6/images/text2img -H 'Content-Type: application/json' \\",
        f"      -d '{body}'",
        "",
    ])


def _to_json(config: MockConfig) -> str:
    """The settings for `app.config_from_json` (the workers'): settings only, no derived
    fields (`delay` is parsed from `latency`)."""
    from mockserver.config import SETTINGS

    data = {name: getattr(config, name) for name in SETTINGS}
    data["accepted_keys"] = sorted(config.accepted_keys) if config.accepted_keys else None
    data["webhook_hosts"] = list(config.webhook_hosts)
    data["models"] = None if config.models is None else sorted(config.models)
    return json.dumps(data)


def run(args: argparse.Namespace) -> int:
    """Start the mock and serve until interrupted."""
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"modelslab-contract mock: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from mockserver._protocol import http_protocol
    from mockserver.supervise import SHUTDOWN_GRACE

    grace = SHUTDOWN_GRACE if args.shutdown_grace is None else args.shutdown_grace

    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}"
    guard = {"allow_hosts": args.allow_hosts or [],
             "token": args.admin_token or os.environ.get("MODELSLAB_MOCK_ADMIN_TOKEN")}
    if args.workers > 1:
        from mockserver.app import ADMIN_ENV, CONFIG_ENV

        os.environ[CONFIG_ENV] = _to_json(config)
        os.environ[ADMIN_ENV] = json.dumps(guard)
        print(banner(url, config, args.workers, args.scenario), flush=True)
        try:
            uvicorn.run("mockserver.app:app_from_env", factory=True, host=args.host,
                        port=args.port, workers=args.workers, log_level=args.log_level,
                        access_log=False, http=http_protocol(),
                        timeout_graceful_shutdown=max(0, round(grace)))
        finally:
            if args.store is None:  # the temporary store we chose goes with the mock
                path = config.store.removeprefix("sqlite:")
                for leftover in (path, path + "-wal", path + "-shm", path + "-mock",
                                 path + "-mock-journal"):
                    with contextlib.suppress(OSError):
                        os.remove(leftover)
        return 0
    from mockserver.app import create_app, guard_from_json, settle_heap

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            settle_heap()
            if self.started:
                port = self.servers[0].sockets[0].getsockname()[1] if self.servers else args.port
                print(banner(f"http://{host}:{port}", config, scenario=args.scenario),
                      flush=True)

    Server(uvicorn.Config(create_app(config, guard=guard_from_json(json.dumps(guard))),
                          host=args.host, port=args.port,
                          log_level=args.log_level, access_log=False,
                          http=http_protocol(),
                          timeout_graceful_shutdown=max(0, round(grace)))).run()
    return 0
