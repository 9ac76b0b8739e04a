"""The endpoints today's clients call (issue 9): v7, realtime, v3 text2img and dreambooth, with
parameters in the query string, the key in a `key` header, and an optional model list."""

from __future__ import annotations

from typing import Any

import pytest

import spec
from mockserver import MockConfig
from mockserver.config import model_list
from tests.mockserver._support import ORIGIN, V4, V6, Mock, body, make_mock

V7, V7_FETCH = spec.V7, "/api/v7/images/fetch/{}"
REALTIME, REALTIME_FETCH = spec.REALTIME, "/api/v6/realtime/fetch/{}"
V3, V3_FETCH = spec.V3, "/api/v3/fetch/{}"
V3DB, V3DB_FETCH = spec.V3_DREAMBOOTH, "/api/v3/dreambooth/fetch/{}"
QUEUE = {"Prefer": "status=processing"}


def _raw(mock: Mock, target: str, raw: bytes = b"", headers: dict[str, str] | None = None,
         ) -> Any:
    return mock.engine.handle("POST", target, headers or {}, raw, ORIGIN)


def test_v7_takes_the_cli_body_without_model_id_and_is_fetched_by_id(mock: Mock) -> None:
    cli_body = {"key": "k", "prompt": "p", "width": 1024, "height": 1024, "samples": 1}

    queued = mock.post(V7, cli_body, QUEUE).json()
    mock.clock.advance(10)
    done = mock.post(V7_FETCH.format(queued["id"]), {"key": "k"}).json()

    assert queued["status"] == "processing"
    assert queued["fetch_result"] == ORIGIN + V7_FETCH.format(queued["id"])
    assert done["status"] == "success" and len(done["output"]) == 1
    assert done["meta"]["model_id"] == "flux"  # ledger `v7-params`: the default model
    assert "future_links" not in done  # the CLI would download each link twice


def test_v7_checks_aspect_ratio(mock: Mock) -> None:
    ok = mock.post(V7, body(aspect_ratio="16:9")).json()
    bad = mock.post(V7, body(aspect_ratio="5:4")).json()

    assert ok["status"] == "success"
    assert bad["status"] == "error" and "aspect_ratio" in bad["message"]


def test_realtime_has_no_model_id_and_its_own_fetch(mock: Mock) -> None:
    answer = mock.post(REALTIME, {"key": "k", "prompt": "p", "width": "512"}).json()
    queued = mock.post(REALTIME, {"key": "k", "prompt": "p"}, QUEUE).json()
    mock.clock.advance(10)
    fetched = mock.post(REALTIME_FETCH.format(queued["id"]), {"key": "k"}).json()
    elsewhere = mock.post(f"/api/v6/images/fetch/{queued['id']}", {"key": "k"}).json()

    assert answer["status"] == "success" and answer["meta"]["model_id"] == "realtime"
    assert answer["meta"]["safety_checker"] == "no"  # its own default (RT OpenAPI)
    assert fetched["status"] == "success"
    assert elsewhere["status"] == "error"  # a v6 fetch does not find a realtime job


def test_realtime_rejects_what_its_limits_reject(mock: Mock) -> None:
    answer = mock.post(REALTIME, {"key": "k", "prompt": "p", "samples": 5}).json()

    assert answer["status"] == "error" and "samples" in answer["message"]


def test_instant_response_queues_at_once(mock: Mock) -> None:
    answer = mock.post(REALTIME, {"key": "k", "prompt": "p", "instant_response": True}).json()

    assert answer["status"] == "processing"
    assert answer["fetch_result"].endswith(REALTIME_FETCH.format(answer["id"]))


def test_v3_reads_the_query_string_and_the_key_header_with_an_empty_body(mock: Mock) -> None:
    # The former brand's client: every parameter in the query, an empty body, a `key` header.
    answer = _raw(mock, V3 + "?prompt=a%20red%20fox&width=256&height=256&samples=2",
                  headers={"key": "k"}).json()

    assert answer["status"] == "success", answer
    assert answer["meta"]["prompt"] == "a red fox"
    assert (answer["meta"]["W"], answer["meta"]["H"], len(answer["output"])) == (256, 256, 2)
    assert answer["meta"]["model_id"] == "runwayml/stable-diffusion-v1-5"


def test_v3_jobs_are_fetched_by_their_own_paths(mock: Mock) -> None:
    text = mock.post(V3, {"key": "k", "prompt": "p"}, QUEUE).json()
    dream = mock.post(V3DB, body(key="k"), QUEUE).json()  # one key: jobs are the key's
    v4 = mock.post(V4, body(key="k"), QUEUE).json()
    mock.clock.advance(10)

    assert mock.post(V3_FETCH.format(text["id"]), {"key": "k"}).json()["status"] == "success"
    assert dream["fetch_result"] == ORIGIN + V3DB_FETCH.format(dream["id"])
    assert mock.post(V3DB_FETCH.format(dream["id"]), {"key": "k"}).json()["status"] == "success"
    # v3 and v4 dreambooth are one job family; v3 text2img is not part of it.
    assert mock.post(V3DB_FETCH.format(v4["id"]), {"key": "k"}).json()["status"] == "success"
    assert mock.post(V3_FETCH.format(dream["id"]), {"key": "k"}).json()["status"] == "error"


def test_an_absolute_form_target_is_routed_by_its_path(mock: Mock) -> None:
    job = mock.post(V3, {"key": "k", "prompt": "p"}, QUEUE).json()
    mock.clock.advance(10)

    answer = _raw(mock, "https://stablediffusionapi.com" + V3_FETCH.format(job["id"]),
                  headers={"key": "k"}).json()

    assert answer["status"] == "success"


@pytest.mark.parametrize(("body_key", "header", "used"), [
    ("body", "header", "body"),      # the body's key wins
    (None, "header", "header"),      # the header fills in
    ("", "header", "header"),        # an empty body key is no key
    ("", None, ""),                  # nothing else: the empty key is invalid
])
def test_the_key_header_and_the_body_key_combine(body_key: str | None, header: str | None,
                                                 used: str) -> None:
    # Only the key that must be used is accepted: a 200 shows which one was.
    mock = make_mock(accepted_keys=frozenset({used or "body"}), error_mode="http")
    sent: dict[str, Any] = {"model_id": "sdxl", "prompt": "p"}
    if body_key is not None:
        sent["key"] = body_key
    headers = {"key": header} if header else {}

    response = mock.post(V6, sent, headers)

    assert response.status == (401 if used == "" else 200), response.body


def test_the_query_string_never_beats_the_body(mock: Mock) -> None:
    answer = mock.engine.handle("POST", V6 + "?width=256&samples=3", {}, b'{"key": "k", '
                                b'"model_id": "sdxl", "prompt": "p", "width": 512}',
                                ORIGIN).json()

    assert (answer["meta"]["W"], answer["meta"]["n_samples"]) == (512, 3)


def test_a_model_list_refuses_unknown_models_in_both_modes() -> None:
    http = make_mock(models=frozenset({"sdxl"}), error_mode="http")
    legacy = make_mock(models=frozenset({"sdxl"}))

    refused = http.post(V6, body(model_id="nope"))
    legacy_answer = legacy.post(V6, body(model_id="nope"))

    assert refused.status == 404
    assert refused.json() == {"status": "error", "message": "Model not found: nope"}
    assert legacy_answer.status == 200
    assert legacy_answer.json() == {"status": "error", "message": "Model id not found"}
    assert http.post(V6, body(model_id="sdxl")).status == 200
    # v7's default model is never refused: the CLI sends no model_id.
    assert http.post(V7, {"key": "k", "prompt": "p"}).status == 200


def test_without_a_model_list_any_model_is_accepted(mock: Mock) -> None:
    assert mock.post(V6, body(model_id="my-private-model")).json()["status"] == "success"


def test_the_public_preset_is_the_documented_ids() -> None:
    public = model_list("public")
    mock = make_mock(MockConfig().replace(models="public,mine"), error_mode="http")

    assert {"flux", "midjourney", "sdxl", "imagen-4", "seedream-4"} <= public
    assert public == set(spec.contract().public_models)
    assert mock.post(V6, body(model_id="mine")).status == 200
    assert mock.post(V6, body(model_id="imagen-3")).status == 200
    assert mock.post(V6, body(model_id="other")).status == 404


def test_flux_steps_cap_at_50_and_others_at_20(mock: Mock) -> None:
    flux = mock.post(V6, body(model_id="flux", num_inference_steps=40)).json()
    other = mock.post(V6, body(num_inference_steps=40)).json()
    above = mock.post(V6, body(model_id="fluxdev", num_inference_steps=80)).json()

    assert (flux["meta"]["steps"], other["meta"]["steps"], above["meta"]["steps"]) == (40, 20, 50)
