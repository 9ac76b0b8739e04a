"""The gate against the mock: conforms, covers every rule, keeps its budget and the key."""

from __future__ import annotations

import gc
import io
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from contracts import RULES, client, gate, redaction
from contracts.cli import main
from contracts.gate._run import explore_cases
from contracts.rules import rule
from tests.contracts import _leaks, _mutants

mockserver = pytest.importorskip("mockserver")

SECRET = "sk-test-DO-NOT-LEAK-4242"


def _mock(**settings: object) -> httpx.BaseTransport:
    config = mockserver.MockConfig(accepted_keys=frozenset({SECRET}), **settings)
    transport: httpx.BaseTransport = mockserver.transport(config)
    return transport


def _sides(report: dict[str, object]) -> dict[str, set[str]]:
    rules = report["rules"]
    assert isinstance(rules, dict)
    return {r: set(info["sides"]) for r, info in rules.items()}


def test_default_cli_run_conforms_writes_reports_and_never_shows_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MY_KEY", SECRET)
    started = time.monotonic()
    code = main(["gate", "--key-env", "MY_KEY", "--report-dir", str(tmp_path), "--no-progress"])
    seconds = time.monotonic() - started
    out = capsys.readouterr()
    assert code == 0, out.out
    assert seconds < 60
    report = json.loads((tmp_path / "gate.json").read_text())
    print(f"default run: {report['requests']} requests, {report['exchanges']} exchanges, "
          f"{seconds:.1f}s, phases {report['phases']}")
    assert report["summary"]["conforms"] == len(RULES)
    sides = _sides(report)
    for rule_id in RULES:
        assert sides[rule_id] == set(rule(rule_id).sides), rule_id
    assert report["requests"] <= gate.DEFAULT_BUDGET
    junit = ET.parse(tmp_path / "gate.junit.xml").getroot()
    assert {c.get("name", "").split(":")[0] for c in junit.iter("testcase")} == set(RULES)
    assert junit.get("failures") == "0"
    for path in tmp_path.iterdir():
        assert SECRET not in path.read_text(), path
    assert SECRET not in out.out + out.err
    assert "conforms" in (tmp_path / "gate.md").read_text()
    assert "<table" in (tmp_path / "gate.html").read_text()


def test_the_stated_budget_covers_every_rule_on_each_side() -> None:
    need = gate.required_requests()
    result = gate.run(gate.GateConfig(transport=_mock(), key=SECRET, budget=need,
                                      progress=False))
    report = gate.to_json(result)
    assert result.exit_code == 0
    assert report["requests"] <= need
    sides = _sides(report)
    missing = {r: set(rule(r).sides) - sides[r] for r in RULES if set(rule(r).sides) - sides[r]}
    assert not missing
    print(f"budget {need}: cover phase {result.phases}, {result.requests} requests")


def test_the_budget_is_never_exceeded() -> None:
    for budget in (1, 7, 23):
        result = gate.run(gate.GateConfig(transport=_mock(), key=SECRET, budget=budget,
                                          explore=5, progress=False))
        assert result.requests <= budget


def test_the_gate_runs_against_the_mock_on_a_port(tmp_path: Path) -> None:
    config = mockserver.MockConfig(accepted_keys=frozenset({SECRET}), quirks=True)
    with mockserver.LiveServer(config) as server:
        result = gate.run(gate.GateConfig(base_url=server.url, key=SECRET, budget=120,
                                          explore=10, progress=False))
    gc.collect()  # settle the server's sockets here, not in whichever test runs next
    assert result.exit_code == 0, gate.to_markdown(result)
    assert not [r for r, t in result.tallies.items() if t.verdict != gate.CONFORMS]
    gate.write_reports(result, tmp_path)
    assert all(SECRET not in p.read_text() for p in tmp_path.iterdir())


def test_http_error_mode_and_queued_jobs_also_conform() -> None:
    result = gate.run(gate.GateConfig(transport=_mock(error_mode="http", queue="always", eta=0),
                                      key=SECRET, budget=120, explore=10, progress=False))
    assert result.exit_code == 0, gate.to_markdown(result)


class Flaky(httpx.BaseTransport):
    """Every `every`-th request times out, answers 502 (HTML) or 429 with Retry-After."""

    def __init__(self, inner: httpx.BaseTransport, every: int = 3) -> None:
        self.inner, self.every, self.n = inner, every, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.n += 1
        if self.n % self.every == 0:
            trouble = (self.n // self.every) % 3
            if trouble == 0:
                raise httpx.ReadTimeout("timed out", request=request)
            if trouble == 1:
                return httpx.Response(502, text="<html>Bad Gateway</html>")
            return httpx.Response(429, headers={"Retry-After": "0"},
                                  json={"status": "error", "message": "Rate limit exceeded"})
        return self.inner.handle_request(request)


@pytest.mark.parametrize("every", [2, 3, 7])
def test_faults_are_never_violations(every: int) -> None:
    backoff = client.Backoff(retries=0, base=0)
    result = gate.run(gate.GateConfig(transport=Flaky(_mock(), every), key=SECRET, budget=150,
                                      explore=10, progress=False, backoff=backoff,
                                      sleep=lambda s: None))
    assert result.violated == [], gate.to_markdown(result)
    assert result.faults
    assert result.exit_code in (0, 2)
    assert "Backend faults" in gate.to_markdown(result)


def test_retries_ride_out_occasional_faults() -> None:
    result = gate.run(gate.GateConfig(transport=Flaky(_mock(), 5), key=SECRET, budget=200,
                                      explore=10, progress=False, sleep=lambda s: None))
    assert result.violated == []
    assert result.exit_code == 0, gate.to_markdown(result)


def test_a_backend_that_always_fails_could_not_run() -> None:
    result = gate.run(gate.GateConfig(transport=Flaky(_mock(), 1), key=SECRET, budget=50,
                                      progress=False, sleep=lambda s: None))
    assert result.exit_code == gate.EXIT_COULD_NOT_RUN
    assert result.violated == []


def test_an_unreachable_backend_could_not_run(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    result = gate.run(gate.GateConfig(base_url="http://127.0.0.1:9", key=SECRET, budget=40,
                                      progress=False, sleep=lambda s: None))
    assert result.exit_code == gate.EXIT_COULD_NOT_RUN
    assert result.aborted
    assert result.requests < 40
    assert SECRET not in json.dumps(gate.to_json(result))


def test_a_refused_key_could_not_run() -> None:
    result = gate.run(gate.GateConfig(transport=_mock(), key="not-the-key", budget=60,
                                      progress=False))
    assert result.exit_code == gate.EXIT_COULD_NOT_RUN, gate.to_markdown(result)
    assert result.violated == []


def test_without_a_key_the_cli_sends_the_mock_s_and_says_so_when_it_fails(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.contracts._pytester import no_mock_origin as not_a_mock

    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with not_a_mock() as url:
        assert main(["gate", "--base-url", url, "--key-env", "NO_SUCH_KEY_VAR",
                     "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "$NO_SUCH_KEY_VAR is empty, so the mock's test key was sent" in err


def test_a_key_echoed_by_the_backend_is_scrubbed() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content.startswith(b"{") else {}
        return httpx.Response(401, json={"status": "error",
                                         "message": f"Invalid Api Key {body.get('key')}"})
    result = gate.run(gate.GateConfig(transport=httpx.MockTransport(echo), key=SECRET,
                                      budget=10, progress=False, sleep=lambda s: None))
    text = json.dumps(gate.to_json(result)) + gate.to_markdown(result) + gate.to_html(result) \
        + gate.to_junit(result)
    assert SECRET not in text
    assert redaction.REDACTED in text


class _Echoing(httpx.BaseTransport):
    """The mock, but every JSON answer also echoes the key in every encoding (raw, JSON- and
    \\u-escaped, URL- and base64-encoded), and every 10th answer is a 503 echoing it too."""

    def __init__(self, inner: httpx.BaseTransport, key: str) -> None:
        self.inner, self.key, self.calls = inner, key, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        echo = _leaks.echo_field(self.key)
        if request.method == "POST" and self.calls % 10 == 0:
            return httpx.Response(503, content=b"busy {" + echo + b"}")
        response = self.inner.handle_request(request)
        content = response.read()
        if not content.startswith(b"{"):
            return response
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-encoding")}
        return httpx.Response(response.status_code, headers=headers,
                              content=b"{" + echo + b", " + content[1:])


def test_every_report_hides_a_key_echoed_in_any_encoding(tmp_path: Path) -> None:
    """Judge raw, scrub only output: the replies (and so the violations and faults the gate
    records) hold the key in every encoding; no report shows it in any."""
    key = _leaks.KEY
    mock = mockserver.transport(mockserver.MockConfig(accepted_keys=frozenset({key})))
    broken = _mutants.mutant(RULES["response.schema"], mock)  # so that there are violations
    result = gate.run(gate.GateConfig(transport=_Echoing(broken, key), key=key, budget=60,
                                      explore=5, progress=False, sleep=lambda s: None,
                                      backoff=client.Backoff(base=0.0, cap=0.0, retries=0)))
    raw = json.dumps([[o.seen for t in result.tallies.values() for o in t.violations],
                      [f.reply for f in result.faults]])
    assert result.faults and result.violated and _leaks.revealed(raw), raw[:300]

    files = gate.write_reports(result, tmp_path)
    out = io.StringIO()
    gate.print_summary(result, file=out)
    shown = {fmt: path.read_bytes().decode() for fmt, path in files.items()}
    shown["terminal"] = out.getvalue()
    assert set(shown) == {"json", "junit", "markdown", "html", "terminal"}
    for fmt, text in shown.items():
        assert _leaks.revealed(text) == [], fmt
    assert redaction.REDACTED in shown["json"]
    assert result.violated == [r for r, v in json.loads(shown["json"])["rules"].items()
                               if v["verdict"] == "violated"]


def test_exploration_is_reproducible_from_the_seed() -> None:
    a = [c.body for c in explore_cases(20, seed=7)]
    b = [c.body for c in explore_cases(20, seed=7)]
    c = [c.body for c in explore_cases(20, seed=8)]
    assert a == b
    assert a != c
