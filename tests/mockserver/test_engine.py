"""The engine: faithful bodies, validation, Prefer scenarios, the processing lifecycle, keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import spec
from mockserver import Engine, MemoryStore, MockConfig, SqliteStore
from mockserver.jobs import Store
from tests.mockserver._support import (
    ORIGIN,
    V4,
    V6,
    FakeClock,
    Mock,
    RecordingSender,
    Wrapped,
    body,
    make_mock,
)

FETCH_FORMS = [  # (generation endpoint, fetch path, id in the body?)
    (V6, "/api/v6/images/fetch/{id}", False),
    (V6, "/api/v6/images/fetch", True),
    (V4, "/api/v4/dreambooth/fetch/{id}", False),
    (V4, "/api/v4/dreambooth/fetch", True),
    (V4, "/api/v3/dreambooth/fetch/{id}", False),
]


def _fetch(mock: Mock, form: str, job_id: int | str, by_body: bool) -> dict[str, Any]:
    if by_body:
        response = mock.post(form, {"key": "test-key", "request_id": job_id})
    else:
        response = mock.post(form.replace("{id}", str(job_id)), {"key": "test-key"})
    assert response.status == 200
    result: dict[str, Any] = response.json()
    return result


# -- success bodies ------------------------------------------------------------------------

def test_a_valid_request_gets_a_faithful_success_body(mock: Mock) -> None:
    answer = mock.generate(width=768, height="512", samples=3, seed=42, num_inference_steps=15,
                           guidance_scale="9", safety_checker=False, panorama="yes",
                           scheduler="DDIMScheduler", clip_skip=2)

    assert answer["status"] == "success"
    assert isinstance(answer["id"], int)
    assert isinstance(answer["generationTime"], float)
    assert len(answer["output"]) == 3 and answer["proxy_links"] == answer["output"]
    assert all(url.startswith(ORIGIN + "/generations/") for url in answer["output"])
    meta = answer["meta"]
    assert (meta["W"], meta["H"], meta["n_samples"], meta["seed"], meta["steps"]) == \
        (768, 512, 3, 42, 15)
    assert meta["guidance_scale"] == 9.0
    assert meta["scheduler"] == "DDIMScheduler" and meta["clip_skip"] == 2
    assert meta["safety_checker"] == "no" and meta["panorama"] == "yes"
    assert meta["enhance_prompt"] == "yes" and meta["base64"] == "no"
    assert meta["prompt"] == "a red fox" and meta["model_id"] == "sdxl"
    assert "warning" not in answer


def test_every_flag_is_echoed_as_yes_or_no(mock: Mock) -> None:
    flags = [f.name for f in spec.contract().generation[V6] if f.kind == "flag"]
    all_on: dict[str, Any] = {name: True for name in flags}
    all_off: dict[str, Any] = {name: "no" for name in flags}
    on = mock.generate(**all_on)["meta"]
    off = mock.generate(**all_off)["meta"]

    assert {on[name] for name in flags} == {"yes"}
    assert {off[name] for name in flags} == {"no"}


@pytest.mark.parametrize(("endpoint", "sent", "echoed"), [
    (V6, 25, 20), (V6, 20, 20), (V6, 1, 1), (V4, 60, 50), (V4, 30, 30), (V6, None, 20)])
def test_steps_are_capped_per_endpoint(mock: Mock, endpoint: str, sent: int | None,
                                       echoed: int) -> None:
    answer = mock.generate(endpoint, num_inference_steps=sent)

    assert answer["meta"]["steps"] == echoed


def test_multi_lora_is_echoed_with_its_strengths(mock: Mock) -> None:
    answer = mock.generate(lora_model="more_details, add_detail", lora_strength="0.45,0.55")

    assert answer["meta"]["lora"] == "more_details,add_detail"
    assert answer["meta"]["lora_strength"] == "0.45,0.55"


def test_loras_without_strengths_echo_strength_one_each(mock: Mock) -> None:
    answer = mock.generate(lora_model="a,b,c")

    assert answer["meta"]["lora"] == "a,b,c"
    assert answer["meta"]["lora_strength"] == "1,1,1"


def test_no_lora_echoes_null(mock: Mock) -> None:
    meta = mock.generate()["meta"]

    assert meta["lora"] is None and meta["lora_strength"] is None


def test_a_null_seed_is_drawn_from_the_mock_seed_and_echoed(mock: Mock) -> None:
    first = mock.generate(seed=None)["meta"]["seed"]
    again = make_mock()
    other = make_mock(seed=1)

    assert 0 <= first < 2 ** 32
    assert again.generate()["meta"]["seed"] == first
    assert other.generate()["meta"]["seed"] != first


def test_flux_models_warn_about_ignored_parameters(mock: Mock) -> None:
    answer = mock.generate(model_id="flux", negative_prompt="blurry", lora_model="a",
                           upscale="yes")

    assert "negative_prompt" in answer["warning"] and "lora_model" in answer["warning"]
    assert "upscale" in answer["warning"]
    assert answer["meta"]["lora"] is None and answer["meta"]["upscale"] == "no"


def test_output_has_exactly_samples_links(mock: Mock) -> None:
    for samples in (1, 2, 4):
        assert len(mock.generate(samples=samples)["output"]) == samples


def test_a_configured_origin_is_used_for_links() -> None:
    mock = make_mock(origin="https://images.example/")

    assert mock.generate()["output"][0].startswith("https://images.example/generations/")


# -- validation ------------------------------------------------------------------------------

def test_validation_errors_use_the_rules_messages_in_legacy_mode(mock: Mock) -> None:
    response = mock.post(V6, body(width=100, samples=9, lora_strength="0.5"))

    assert response.status == 200
    answer = response.json()
    assert answer["status"] == "error"
    assert answer["message"]["width"] == ["must be from 256 to 1024, got 100"]
    assert set(answer["message"]) == {"width", "samples"}


def test_validation_errors_are_400_with_a_plain_message_in_http_mode(http_mock: Mock) -> None:
    response = http_mock.post(V6, {"key": "test-key", "prompt": "x"})

    # The error-code catalogue's form (ledger `error-http-codes`, `error-messages`).
    assert response.status == 400
    assert response.json() == {"status": "error", "message": "model_id is required"}


def test_a_lora_count_mismatch_is_an_error(mock: Mock) -> None:
    answer = mock.post(V6, body(lora_model="a,b", lora_strength="0.5")).json()

    assert "lora_strength" in answer["message"]


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b"\xff\xfe", b'"text"'])
def test_bodies_that_are_not_json_objects_get_the_error_shape(mock: Mock, raw: bytes) -> None:
    response = mock.post(V6, raw)

    assert response.status == 200
    assert response.json()["status"] == "error"
    assert "body" in response.json()["message"]


def test_a_wrong_content_type_is_a_validation_error(http_mock: Mock) -> None:
    response = http_mock.post(V6, b"key=k&prompt=x",
                              {"content-type": "application/x-www-form-urlencoded"})

    assert response.status == 400
    assert "application/x-www-form-urlencoded" in response.json()["message"]


def test_a_json_object_is_read_whatever_its_content_type(mock: Mock) -> None:
    # `curl -d '{...}'` sends application/x-www-form-urlencoded
    response = mock.post(V6, body(), {"content-type": "application/x-www-form-urlencoded"})

    assert response.json()["status"] == "success"


def test_a_body_over_the_spec_limit_gets_413_in_both_modes(mock: Mock, http_mock: Mock) -> None:
    limit = spec.contract().limits["max_body_bytes"]
    big = body(prompt="x" * limit)

    for m in (mock, http_mock):
        response = m.post(V6, big)
        assert response.status == 413
        assert response.json()["status"] == "error"
    assert mock.post(V6, body(prompt="x" * (limit - 200))).status == 200


def test_unknown_paths_and_methods_get_the_error_shape(mock: Mock) -> None:
    unknown = mock.post("/api/v6/images/nope", body())
    wrong_method = mock.engine.handle("GET", V6, {}, b"", ORIGIN)

    assert unknown.status == 404 and unknown.json()["status"] == "error"
    assert wrong_method.status == 405 and wrong_method.json()["status"] == "error"


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=20), inner, max_size=5), max_leaves=20),
       st.sampled_from([V6, V4, "/api/v6/images/fetch", "/api/v4/dreambooth/fetch/12"]))
def test_no_input_gets_a_server_error(value: Any, path: str) -> None:
    mock = _FUZZ
    raw = json.dumps(value).encode()
    for candidate in (raw, raw[: len(raw) // 2]):
        response = mock.post(path, candidate)
        assert response.status == 200
        assert response.json()["status"] in ("success", "error", "processing")
        assert response.json().get("message") != spec.contract().errors["server"]["message"]


_FUZZ = make_mock(max_jobs=100)


# -- Prefer and errors on demand -------------------------------------------------------------

@pytest.mark.parametrize(("name", "status", "legacy_message", "http_message"), [
    ("invalid_key", 401, "Invalid Api Key", "Invalid API key"),
    ("rate_limit", 429, "Rate limit exceeded",
     "Rate limit exceeded. Maximum 5 queued requests allowed."),
    ("no_credits", 402, "Insufficient credits",
     "Insufficient credits. Please add more credits to continue."),
    ("premium", 403, "This feature requires a premium subscription",
     "This feature requires a premium subscription"),
    ("unknown_job", 404, "Request id not found", "Request id not found"),
    ("failed", 200, "Failed, Try Again", "Failed, Try Again"),
    ("server", 500, "Server error, try again later", "Internal server error. Please try again."),
    ("unavailable", 503, "Service temporarily unavailable. Please try again later.",
     "Service temporarily unavailable. Please try again later.")])
def test_prefer_error_forces_each_error(mock: Mock, http_mock: Mock, name: str, status: int,
                                        legacy_message: str, http_message: str) -> None:
    legacy = mock.post(V6, body(), {"Prefer": f"error={name}"})
    http = http_mock.post(V6, body(), {"prefer": f"error={name}"})

    assert legacy.status == 200
    assert http.status == status
    assert legacy.json()["message"] == legacy_message
    assert http.json()["message"] == http_message  # the error-code catalogue's
    for response in (legacy, http):
        assert response.json()["status"] == ("failed" if name == "failed" else "error")
    # `retry_after` is the catalogue's body field (http mode); the legacy body has none
    assert ("retry_after" in http.json()) == (name == "rate_limit")
    assert "retry_after" not in legacy.json()
    assert ("retry-after" in http.headers) == (name == "rate_limit")
    assert "retry-after" not in legacy.headers


def test_prefer_error_applies_to_fetch_too(mock: Mock) -> None:
    job = mock.generate(headers={"Prefer": "status=processing"})["id"]

    answer = mock.post(f"/api/v6/images/fetch/{job}", {"key": "test-key"},
                       {"Prefer": "error=failed"})

    assert answer.json()["status"] == "failed"


def test_the_empty_key_is_always_invalid(http_mock: Mock) -> None:
    response = http_mock.post(V6, body(key=""))

    assert response.status == 401
    assert response.json() == {"status": "error", "message": "Invalid API key"}


def test_only_accepted_keys_pass_when_configured() -> None:
    mock = make_mock(accepted_keys=frozenset({"good"}), error_mode="http")

    assert mock.post(V6, body(key="good")).status == 200
    assert mock.post(V6, body(key="bad")).status == 401
    assert mock.post("/api/v6/images/fetch/1", {"key": "bad"}).status == 401


def test_the_rate_limit_counts_per_key_per_minute() -> None:
    mock = make_mock(rate_limit=2, error_mode="http")

    statuses = [mock.post(V6, body(key="a")).status for _ in range(3)]
    other = mock.post(V6, body(key="b")).status
    limited = mock.post(V6, body(key="a"))
    mock.clock.advance(61)
    later = mock.post(V6, body(key="a")).status

    assert statuses == [200, 200, 429] and other == 200 and later == 200
    assert limited.json()["message"].startswith("Rate limit exceeded")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["retry_after"] == int(limited.headers["retry-after"])


def test_a_request_refused_before_the_rate_limit_does_not_count() -> None:
    mock = make_mock(rate_limit=1, error_mode="http")

    forced = mock.post(V6, body(), {"prefer": "error=no_credits"}).status
    oversized = mock.post(V6, body(prompt="x" * mock.engine.config.max_body_bytes)).status
    first = mock.post(V6, body()).status
    second = mock.post(V6, body()).status

    assert (forced, oversized, first, second) == (402, 413, 200, 429)


def test_the_rate_limit_in_legacy_mode_is_a_200_error_body() -> None:
    mock = make_mock(rate_limit=1)
    mock.post(V6, body())

    response = mock.post(V6, body())

    assert response.status == 200 and response.json()["status"] == "error"
    assert "retry-after" not in response.headers


def test_a_failure_rate_fails_a_seeded_share_of_requests() -> None:
    mock = make_mock(failure_rate=0.5)

    outcomes = [mock.generate()["status"] for _ in range(40)]
    again = make_mock(failure_rate=0.5)

    assert 5 < outcomes.count("failed") < 35
    assert outcomes == [again.generate()["status"] for _ in range(40)]


def test_latency_is_drawn_from_the_seed(mock: Mock) -> None:
    slow = make_mock(latency="uniform:50-200")
    twin = make_mock(latency="uniform:50-200")

    delays = [slow.post(V6, body()).delay for _ in range(5)]

    assert all(0.05 <= d <= 0.2 for d in delays)
    assert delays == [twin.post(V6, body()).delay for _ in range(5)]
    assert mock.post(V6, body()).delay == 0
    assert make_mock(latency=30).post(V6, body()).delay == pytest.approx(0.03)


# -- the processing lifecycle ----------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "form", "by_body"), FETCH_FORMS)
def test_a_queued_job_is_fetched_to_success_through_every_form(
        mock: Mock, endpoint: str, form: str, by_body: bool) -> None:
    queued = mock.generate(endpoint, {"Prefer": "status=processing"}, samples=2, seed=5)
    job = queued["id"]

    assert queued["status"] == "processing"
    assert isinstance(job, int) and queued["eta"] == 2.0
    assert queued["fetch_result"].startswith(ORIGIN + "/api/")
    assert queued["fetch_result"].endswith(f"/fetch/{job}")
    assert len(queued["future_links"]) == 2 and queued["meta"]["seed"] == 5
    assert queued["messege"] and "message" not in queued

    pending = _fetch(mock, form, job, by_body)
    mock.clock.advance(2.0)
    done = _fetch(mock, form, job, by_body)

    assert pending["status"] == "processing" and pending["output"] == ""
    assert str(pending["id"]) == str(job) and 0 < pending["eta"] <= 2.0
    assert done["status"] == "success" and done["id"] == job
    assert done["output"] == queued["future_links"]


def test_fetch_result_is_followed_as_given(mock: Mock) -> None:
    queued = mock.generate(V4, {"Prefer": "eta=0"})

    done = mock.post(queued["fetch_result"].removeprefix(ORIGIN), {"key": "test-key"}).json()

    assert done["status"] == "success" and done["output"] == queued["future_links"]


def test_without_quirks_processing_says_message_and_output_is_a_list() -> None:
    mock = make_mock(quirks=False, queue="always")
    job = mock.generate()["id"]

    pending = mock.post(f"/api/v6/images/fetch/{job}", {"key": "test-key"}).json()

    assert pending["message"] and "messege" not in pending
    assert pending["output"] == [] and pending["id"] == job


def test_prefer_eta_sets_the_wait(mock: Mock) -> None:
    job = mock.generate(headers={"Prefer": "eta=0.25"})

    assert job["eta"] == 0.25
    mock.clock.advance(0.2)
    assert _fetch(mock, "/api/v6/images/fetch", job["id"], True)["status"] == "processing"
    mock.clock.advance(0.05)
    assert _fetch(mock, "/api/v6/images/fetch", job["id"], True)["status"] == "success"


def test_a_non_queued_job_can_be_fetched_too(mock: Mock) -> None:
    answer = mock.generate()

    again = _fetch(mock, "/api/v6/images/fetch/{id}", answer["id"], False)

    assert again["status"] == "success" and again["output"] == answer["output"]


@pytest.mark.parametrize("job_id", ["999999", "abc", "0"])
def test_an_unknown_id_is_an_error(mock: Mock, http_mock: Mock, job_id: str) -> None:
    legacy = mock.post(f"/api/v6/images/fetch/{job_id}", {"key": "k"})
    http = http_mock.post("/api/v6/images/fetch", {"key": "k", "request_id": job_id})

    assert legacy.status == 200 and legacy.json()["status"] == "error"
    assert http.status == 404
    assert http.json() == {"status": "error", "message": "Request id not found"}


def test_a_job_is_fetched_only_through_its_own_api(mock: Mock) -> None:
    job = mock.generate(V6)["id"]

    other = mock.post(f"/api/v4/dreambooth/fetch/{job}", {"key": "test-key"}).json()
    assert other["status"] == "error"


def test_queue_always_and_workload_policies() -> None:
    always = make_mock(queue="always", eta=1.0)
    workload = make_mock(queue="workload")

    assert always.generate()["status"] == "processing"
    assert workload.generate()["status"] == "success"
    assert workload.generate(samples=4, width=1024, height=1024)["status"] == "processing"
    assert workload.generate(headers={"Prefer": "status=success"}, samples=4, width=1024,
                             height=1024)["status"] == "success"


def test_workload_queues_while_many_jobs_are_pending() -> None:
    mock = make_mock(queue="workload")
    for _ in range(8):
        mock.generate(headers={"Prefer": "status=processing"})

    assert mock.generate()["status"] == "processing"
    mock.clock.advance(10)
    assert mock.generate()["status"] == "success"


def test_an_unexpected_failure_is_a_server_error_without_the_key(
        mock: Mock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-secret-123456789"

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"store failed for {secret}")

    monkeypatch.setattr(mock.engine._applier, "store", Wrapped(mock.engine.store, put=boom))
    response = mock.post(V6, body(key=secret))

    assert response.json()["message"] == "Server error, try again later"
    assert secret not in caplog.text and "store failed" in caplog.text
    assert secret not in json.dumps(mock.engine.journal.entries())


def test_the_engine_works_with_its_defaults() -> None:
    engine = Engine(MockConfig())
    try:
        response = engine.handle("POST", V6, {}, json.dumps(body()).encode(), "http://x")
        assert response.json()["status"] == "success"
    finally:
        engine.close()


def test_a_job_without_an_eta_is_due_at_its_creation_time_as_a_float() -> None:
    engine = Engine(MockConfig(), clock=lambda: 1_000_000, timers=False)
    created = engine.handle("POST", V6, {"content-type": "application/json"},
                            json.dumps(body()).encode(), ORIGIN)
    assert created.status == 200, created.body
    listed = engine.handle("GET", "/__mock/jobs", {}, b"", ORIGIN).body
    assert b'"due":1000000.0,' in listed, listed


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_closed_engine_says_so_when_it_is_asked_again(tmp_path: Path, kind: str) -> None:
    """A request after `close` is its caller's mistake: a SQLite store raised a bare "mmap
    closed or invalid", and a memory store answered as if alive, with its timers and webhook
    sender stopped (its queued jobs' webhooks never sent)."""
    store: Store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "s.sqlite")
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    engine.close()

    for method, path in (("POST", V6), ("GET", "/__mock/health")):
        with pytest.raises(RuntimeError, match="the engine is closed"):
            engine.handle(method, path, {"content-type": "application/json"},
                          json.dumps(body()).encode(), ORIGIN)
    engine.close()  # (again: nothing to do)
