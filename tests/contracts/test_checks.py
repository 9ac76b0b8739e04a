"""Checks: every rule has one, and each judges hand-made exchanges as it should."""

from __future__ import annotations

from typing import Any

import pytest

import spec
from contracts import RULES, Rule, checks, vocabulary
from contracts import strategies as ms
from contracts.checks import Exchange, Fetch, Image, Reply, _registry
from contracts.rules import rule

V6, V4 = spec.V6, spec.V4
BASE = ms.base(V6)


def success(samples: int = 1, **meta: Any) -> dict[str, Any]:
    links = [f"http://m/generations/{i}.png" for i in range(samples)]
    return {"status": "success", "generationTime": 1.0, "id": 7, "output": links,
            "proxy_links": links, "meta": {"W": 512, "H": 512, "n_samples": samples,
                                           "steps": 20, "seed": 5, **meta}}


def error(message: Any = "Validation failed") -> dict[str, Any]:
    return {"status": "error", "message": message}


def outcome(rule: str, body: Any, answer: Any, status: int = 200, **kw: Any) -> checks.Outcome:
    ex = Exchange(kw.pop("endpoint", V6), body, Reply.of(answer, status), **kw)
    (found,) = [o for o in checks.run_checks(ex, [rule])]
    return found


def test_every_rule_has_a_documented_check() -> None:
    registry = _registry.checks()
    assert set(registry) == set(RULES)
    for rule_id, found in registry.items():
        assert all(c.doc for c in found), rule_id
        assert rule(rule_id).sides


def test_request_rules_outside_must_be_rejected() -> None:
    body = {**BASE, "samples": 5}
    assert outcome("samples.range", body, error({"samples": ["too many"]})).verdict == "pass"
    bad = outcome("samples.range", body, success(5))
    assert (bad.verdict, bad.side) == ("violation", "outside")
    assert bad.payload == body and "error body" in bad.expected
    # http mode: a 422 is a rejection too
    assert outcome("samples.range", body, error(), 422).verdict == "pass"


def test_request_rules_inside_must_be_accepted() -> None:
    body = {**BASE, "samples": 4}
    good = outcome("samples.range", body, success(4))
    assert (good.verdict, good.side) == ("pass", "inside")
    bad = outcome("samples.range", body, error({"samples": ["no"]}))
    assert bad.verdict == "violation"
    # a rejection naming another field is no verdict on samples
    assert outcome("samples.range", body, error({"width": ["no"]})).verdict == "not applicable"


@pytest.mark.parametrize("answer,status", [
    (error("Rate limit exceeded"), 200), (error("Rate limit exceeded"), 429),
    ({"status": "error", "message": "Server error, try again later"}, 500),
    ({"status": "failed", "message": "Failed, Try Again"}, 200),
    (error("Invalid Api Key"), 200), (None, 502),
])
def test_faults_are_no_verdict(answer: Any, status: int) -> None:
    for body in ({**BASE, "samples": 5}, {**BASE, "samples": 2}):
        assert outcome("samples.range", body, answer, status).verdict == "not applicable"


def test_multi_rule_payloads_are_not_attributed() -> None:
    body = {**BASE, "samples": 5, "width": 7}
    assert outcome("samples.range", body, success()).verdict == "not applicable"


def test_steps_cap() -> None:
    body = {**BASE, "num_inference_steps": 21}
    assert outcome("steps.cap", body, success(steps=20)).verdict == "pass"
    bad = outcome("steps.cap", body, success(steps=21))
    assert (bad.verdict, bad.side) == ("violation", "outside")
    v4 = {**BASE, "num_inference_steps": "50"}
    assert outcome("steps.cap", v4, success(steps=50), endpoint=V4).side == "inside"
    assert outcome("steps.cap", v4, success(steps=20), endpoint=V4).verdict == "violation"


def test_response_schema_and_error_shape() -> None:
    assert outcome("response.schema", BASE, success()).verdict == "pass"
    assert outcome("response.schema", BASE, {**success(), "generationTime": "x"}).verdict \
        == "violation"
    assert outcome("response.schema", BASE, {"status": "processing", "id": None, "output": "",
                                             "messege": "wait", "eta": 2}).verdict == "pass"
    no_status = {"message": "Validation failed"}
    assert outcome("error.shape", {**BASE, "samples": 0}, no_status).verdict == "violation"
    # the schema check defers to error.shape for the same fault
    assert outcome("response.schema", BASE, no_status).verdict == "violation"
    both = checks.run_checks(Exchange(V6, BASE, Reply.of(no_status)),
                             ["response.schema", "error.shape"])
    assert [o.verdict for o in both] == ["not applicable", "violation"]
    assert outcome("error.shape", BASE, success(), 422).verdict == "violation"
    assert outcome("error.shape", BASE, error({"w": "not a list"})).verdict == "violation"


def test_meta_and_seed_echo() -> None:
    body = {**BASE, "seed": "42", "safety_checker": False, "lora_model": "a,b",
            "lora_strength": "0.5,0.7"}
    meta = {"seed": 42, "safety_checker": "no", "lora": "a,b", "lora_strength": "0.5,0.7"}
    assert outcome("meta.echo", body, success(**meta)).verdict == "pass"
    assert outcome("meta.echo", body, success(**{**meta, "safety_checker": False})).verdict \
        == "violation"
    assert outcome("meta.echo", body, success(**{**meta, "lora_strength": "1,1"})).verdict \
        == "violation"
    assert outcome("seed.echo", body, success(**meta)).verdict == "pass"
    assert outcome("seed.echo", body, success(seed=43)).verdict == "violation"
    random = outcome("seed.echo", BASE, success(seed=123))
    assert (random.verdict, random.side) == ("pass", "outside")


def test_output_count_and_auth_key() -> None:
    assert outcome("output.count", {**BASE, "samples": 2}, success(2)).verdict == "pass"
    assert outcome("output.count", {**BASE, "samples": 2}, success(3)).verdict == "violation"
    invalid = ms.base(V6, key=vocabulary.INVALID_KEY)
    assert outcome("auth.key", invalid, error("Invalid Api Key")).verdict == "pass"
    assert outcome("auth.key", invalid, success()).verdict == "violation"


def test_processing_fetch() -> None:
    links = ["http://m/a.png", "http://m/b.png"]
    first = {"status": "processing", "id": 9, "eta": 0, "fetch_result": "http://m/f/9",
             "future_links": links, "meta": success(2)["meta"]}
    done = {**success(2), "id": "9", "output": links}
    fetch = Fetch("/api/v6/images/fetch/{id}", {"key": vocabulary.KEY}, Reply.of(done), "9")
    body = {**BASE, "samples": 2}
    assert outcome("processing.fetch", body, first, fetches=(fetch,)).verdict == "pass"
    other = Fetch(fetch.endpoint, fetch.body, Reply.of({**done, "output": links[::-1]}),
                  "9")
    assert outcome("processing.fetch", body, first, fetches=(other,)).verdict == "violation"
    assert outcome("processing.fetch", body, first).verdict == "not applicable"


def test_fetch_unknown_flux_and_images() -> None:
    fetch_body = {"key": vocabulary.KEY, "request_id": vocabulary.UNKNOWN_ID}
    ep = "/api/v6/images/fetch"
    assert outcome("fetch.unknown", fetch_body, error("Request id not found"),
                   endpoint=ep).verdict == "pass"
    assert outcome("fetch.unknown", fetch_body, success(), endpoint=ep).verdict == "violation"
    flux = {**ms.base(V6, model_id="flux"), "negative_prompt": "x", "upscale": 2}
    assert outcome("flux.warning", flux, {**success(), "warning": "ignored"}).verdict == "pass"
    assert outcome("flux.warning", flux, success()).verdict == "violation"
    assert outcome("flux.warning", BASE, success()).verdict == "not applicable"
    body = {**BASE, "width": 256, "height": 320, "upscale": "yes"}
    good = (Image("http://m/0.png", 200, (512, 640)),)
    assert outcome("images.size", body, success(), images=good).verdict == "pass"
    bad = (Image("http://m/0.png", 200, (256, 320)),)
    assert outcome("images.size", body, success(), images=bad).verdict == "violation"
    # flux ignores upscale: the files keep the requested size
    flux_img = (Image("http://m/0.png", 200, (512, 512)),)
    assert outcome("images.size", flux, {**success(), "warning": "w"},
                   images=flux_img).verdict == "pass"
    lost = (Image("http://m/0.png", 502, None, "HTTP 502"),)
    assert outcome("images.size", body, success(), images=lost).verdict == "not applicable"


def test_check_exchange_for_the_plugin() -> None:
    found = checks.check_exchange(V6, {**BASE, "samples": 5}, 200, success(5))
    assert [o.rule.id for o in found if not o.ok] == ["samples.range"]
    assert next(o for o in found if not o.ok).field == "samples"


def test_importing_the_checks_loads_no_hypothesis() -> None:
    import subprocess
    import sys

    code = "import sys, contracts.checks; print(sorted(m for m in sys.modules " \
           "if m.split('.')[0] in ('hypothesis', 'contracts.strategies')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_guards_make_a_check_not_applicable_before_it_runs() -> None:
    ran: list[str] = []

    @checks.only_generation
    @checks.only_accepted
    def probe(rule: Rule, ex: Exchange) -> checks.Outcome:
        ran.append(ex.reply.short())
        return checks.passed(rule, vocabulary.INSIDE)

    rule = RULES["output.count"]
    assert probe(rule, Exchange(V6, BASE, Reply.of(success()))).verdict == "pass"
    for ex in (Exchange(V6, BASE, Reply.of(error())),            # rejected
               Exchange(V6, {**BASE, "samples": 9}, Reply.of(success())),  # invalid
               Exchange(V6, ms.base(V6, key=vocabulary.INVALID_KEY), Reply.of(success())),
               Exchange("/api/v6/images/fetch", BASE, Reply.of(success()))):
        found = probe(rule, ex)
        assert (found.verdict, found.rule) == ("not applicable", rule)
    assert len(ran) == 1


def test_a_check_gets_its_rule_and_never_restates_it() -> None:
    for rule_id, found in _registry.checks().items():
        for c in found:
            assert c.rule is RULES[rule_id]
    ex = Exchange(V6, {**BASE, "samples": 5}, Reply.of(success(5)))
    assert all(o.rule is c.rule for cs in _registry.checks().values() for c in cs
               for o in [c(ex)])
