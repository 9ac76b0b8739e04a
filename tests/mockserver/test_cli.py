"""`modelslab-contract mock`: its options, the config they make, and a real start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from contracts.cli import build_parser
from mockserver.cli import DEFAULT_PORT, banner, config_from_args


def _args(*argv: str) -> object:
    return build_parser().parse_args(["mock", *argv])


def test_no_arguments_mean_the_documented_defaults() -> None:
    args = _args()
    config = config_from_args(args)  # type: ignore[arg-type]

    assert (args.host, args.port, args.workers) == ("127.0.0.1", DEFAULT_PORT, 1)  # type: ignore[attr-defined]
    assert DEFAULT_PORT == 4010
    assert (config.queue, config.error_mode, config.quirks, config.store) == \
        ("never", "legacy", True, "memory")
    assert config.accepted_keys is None and config.rate_limit is None


def test_every_option_reaches_the_config() -> None:
    config = config_from_args(_args(  # type: ignore[arg-type]
        "--queue", "workload", "--eta", "0.5", "--error-mode", "http", "--no-quirks",
        "--latency", "uniform:50-200", "--seed", "7", "--key", "a", "--key", "b",
        "--rate-limit", "30", "--store", "sqlite:/tmp/x.sqlite", "--webhook-host", "hooks.lan",
        "--origin", "http://mock.lan:4010", "--max-jobs", "50"))

    assert config.queue == "workload" and config.eta == 0.5 and config.error_mode == "http"
    assert config.quirks is False and config.latency == "uniform:50-200" and config.seed == 7
    assert config.accepted_keys == frozenset({"a", "b"}) and config.rate_limit == 30
    assert config.store == "sqlite:/tmp/x.sqlite" and config.max_jobs == 50
    assert config.webhook_hosts == ("127.0.0.1", "localhost", "::1", "hooks.lan")
    assert config.origin == "http://mock.lan:4010"


def test_several_workers_imply_a_sqlite_store() -> None:
    config = config_from_args(_args("--workers", "3"))  # type: ignore[arg-type]

    assert config.store.startswith("sqlite:") and config.store.endswith(".sqlite")
    assert not Path(config.store.removeprefix("sqlite:")).exists()  # made when the mock starts


def test_bad_values_are_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args("--queue", "sometimes")
    assert "invalid choice" in capsys.readouterr().err


def test_the_banner_says_where_and_how() -> None:
    text = banner("http://127.0.0.1:4010", config_from_args(_args()))  # type: ignore[arg-type]

    assert "listening on http://127.0.0.1:4010" in text
    assert "curl -s http://127.0.0.1:4010/api/v6/images/text2img" in text
    curl_body = text.split("-d '")[1].split("'")[0]
    assert json.loads(curl_body)["key"] == "test-key"


def test_the_banner_never_shows_a_configured_key() -> None:
    config = config_from_args(_args("--key", "s3cr3t-key-1234"))  # type: ignore[arg-type]
    text = banner("http://127.0.0.1:4010", config)
    assert "s3cr3t-key-1234" not in text
    assert "ONE-OF-YOUR---key-VALUES" in text


def test_the_mock_subcommand_starts_and_answers(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from contracts.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "mock", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        lines = [first] + [process.stdout.readline() for _ in range(5)]
        url = first.strip().rsplit(" ", 1)[-1]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url + "/__mock/health", timeout=5) as answer:
            health = json.load(answer)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)

    assert first.startswith("modelslab-contract mock listening on http://127.0.0.1:")
    assert not url.endswith(":0") and health["status"] == "ok"
    assert any("curl -s" in line for line in lines)


def test_the_module_imports_only_the_standard_library() -> None:
    code = ("import sys; import mockserver.cli; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'httpx', 'PIL', 'mockserver.engine')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout

    assert out.strip() == "[]"


def test_the_workers_config_reads_back_as_the_config() -> None:
    """`--workers N` hands the config to each worker as JSON: it must read back (a derived
    field in it once made every worker fail to start)."""
    from mockserver.app import config_from_json
    from mockserver.cli import _to_json

    config = config_from_args(_args("--workers", "2", "--latency", "uniform:5-10", "--key",  # type: ignore[arg-type]
                                    "a"))

    assert config_from_json(_to_json(config)) == config
