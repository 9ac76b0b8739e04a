"""Issue 11's two figures for parallel test runs against one shared mock.

1. `pytest -n 3 --modelslab-base-url URL` at one served mock, `--runs` times in a row (the
   mock is never restarted between runs): each test configures its mock (a marker), resets it,
   makes queued jobs and follows them through fetch, and reads its own journal; a run passes
   when every test passes.
2. `pytest -n 3 --modelslab-base-url URL --modelslab-budget 2`: how many requests reached the
   mock, counted in its own journal (the run's summary states its count too).

Everything listens on 127.0.0.1. Run from the repository root with the project's venv:
`python bench/shared_runs.py --runs 10`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

#: Tests each run holds: they collide if scoping leaks (a reset, a marker, a job id).
PROJECT = textwrap.dedent('''
    import httpx
    import pytest


    V6 = "/api/v6/images/text2img"


    def _post(server, path, body):
        return httpx.post(server.url + path, json=body, timeout=10, trust_env=False).json()


    @pytest.mark.parametrize("n", range(12))
    @pytest.mark.modelslab(queue="always", eta=0.05)
    def test_queued_jobs_are_mine(modelslab_server, modelslab_contract, n):
        sent = [{"key": "k", "model_id": "m", "prompt": f"fox {n} {i}", "seed": n * 10 + i}
                for i in range(3)]
        made = [_post(modelslab_server, V6, body) for body in sent]
        assert [m["status"] for m in made] == ["processing"] * 3
        for body, m in zip(sent, made):
            done = modelslab_contract.follow(body, m, interval=0.02,
                                             client=httpx.Client(trust_env=False))
            assert done["status"] == "success", done
            assert done["meta"]["seed"] == body["seed"]
        mine = [e for e in modelslab_server.journal if e["kind"] == "request"]
        assert len([e for e in mine if e["path"] == V6]) == 3, mine


    @pytest.mark.parametrize("n", range(12))
    def test_a_reset_forgets_only_mine(modelslab_server, n):
        first = _post(modelslab_server, V6, {"key": "k", "model_id": "m", "prompt": f"cat {n}"})
        assert first["status"] == "success"
        modelslab_server.reset()
        assert modelslab_server.journal == []
        fetched = _post(modelslab_server, f"/api/v6/images/fetch/{first['id']}", {"key": "k"})
        assert fetched["status"] == "error", fetched


    @pytest.mark.parametrize("n", range(12))
    @pytest.mark.modelslab(failure_rate=1.0)
    def test_my_settings_are_mine(modelslab_server, n):
        answer = httpx.post(modelslab_server.url + V6, timeout=10, trust_env=False,
                            json={"key": "k", "model_id": "m", "prompt": f"owl {n}"})
        assert answer.json()["status"] == "failed", answer.text
''')

BUDGET = textwrap.dedent('''
    import httpx
    import pytest


    @pytest.mark.parametrize("n", range(6))
    def test_one_request(modelslab_server, n):
        answer = httpx.post(modelslab_server.url + "/api/v6/images/text2img", timeout=10,
                            json={"key": "k", "model_id": "m", "prompt": f"fox {n}"},
                            trust_env=False)
        assert answer.json()["status"] == "success"
''')


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _journal(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(url + "/__mock/journal", timeout=10) as answer:
        data = json.loads(answer.read())
    return list(data["entries"] if isinstance(data, dict) else data)


def _reset(url: str) -> None:
    request = urllib.request.Request(url + "/__mock/reset", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def _pytest(project: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODELSLAB_API_KEY": "bench-secret-key"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "xdist", "-n", "3",
                           "-p", "no:cacheprovider", f"--modelslab-base-url={url}", *extra],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--store", default=None, help="the mock's --store (default: memory)")
    args = parser.parse_args()
    port = _port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "contracts.cli", "mock", "--host", "127.0.0.1",
               "--port", str(port)]
    if args.store:
        command += ["--store", args.store]
    mock = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/__mock/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp)
            (project / "test_shared.py").write_text(PROJECT, encoding="utf-8")
            passed = 0
            for run in range(1, args.runs + 1):
                done = _pytest(project, url)
                ok = done.returncode == 0
                passed += ok
                last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
                print(f"run {run:2d}: {'pass' if ok else 'FAIL'}  {last}", flush=True)
                if not ok:
                    print(done.stdout[-3000:])
            print(f"pytest -n 3 at one shared mock: {passed} of {args.runs} runs passed")
            (project / "test_shared.py").unlink()
            (project / "test_budget.py").write_text(BUDGET, encoding="utf-8")
            _reset(url)  # (the journal is bounded: count from an empty one)
            before = len([e for e in _journal(url) if e.get("kind") == "request"])
            done = _pytest(project, url, "--modelslab-budget=2")
            after = len([e for e in _journal(url) if e.get("kind") == "request"])
            summary = [line for line in done.stdout.splitlines() if "of a budget of" in line]
            print(f"--modelslab-budget 2 -n 3: {after - before} request(s) reached the mock "
                  f"(its journal); the run says: {summary[-1] if summary else '?'}")
        return 0 if passed == args.runs and after - before <= 2 else 1
    finally:
        mock.terminate()
        mock.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
