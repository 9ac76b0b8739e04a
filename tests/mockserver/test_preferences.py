"""`Prefer` values the mock does not know are refused with the known ones named; the ones
that took effect come back in `Preference-Applied` (RFC 7240), readable cross-origin."""

from __future__ import annotations

import httpx
import pytest

import spec
from mockserver import LiveServer
from mockserver.preferences import applied, unknown
from tests.mockserver._support import V6, Mock, body


@pytest.mark.parametrize("prefer", ["error=bogus", "status=sometimes", "eta=soon", "eta=-1",
                                    "status=processing, error=rate-limit"])
def test_an_unknown_value_answers_the_error_shape_naming_the_known_ones(
        mock: Mock, prefer: str) -> None:
    answer = mock.post(V6, body(), {"Prefer": prefer})

    assert answer.status == 200 and answer.json()["status"] == "error"
    message = answer.json()["message"]
    assert "is not known" in message and "error=failed|invalid_key|" in message
    assert "status=processing|success" in message and "eta=SECONDS" in message
    assert "preference-applied" not in answer.headers
    entry = mock.engine.journal.entries()[-1]
    assert (entry["outcome"], entry["prefer"]) == ("validation", prefer)
    assert entry["response"] == answer.json()


def test_in_http_mode_it_has_the_validation_status(http_mock: Mock) -> None:
    """The catalogue's validation status (400: ledger `error-status`), like any bad input."""
    validation = spec.contract().errors["validation"]["http"]

    assert validation == 400
    assert http_mock.post(V6, body(), {"Prefer": "error=bogus"}).status == validation


def test_unknown_preference_names_are_ignored_as_rfc_7240_asks(mock: Mock) -> None:
    answer = mock.post(V6, body(), {"Prefer": "respond-async, return=minimal, code=429"})

    assert answer.json()["status"] == "success" and "preference-applied" not in answer.headers


@pytest.mark.parametrize(("prefer", "status", "header"), [
    ("status=processing", "processing", "status=processing"),
    ("eta=3", "processing", "eta=3"),
    ("status=processing; eta=3", "processing", "status=processing, eta=3"),
    ("status=success", "success", "status=success"),
    ("error=rate_limit", "error", "error=rate_limit"),
    ('error="invalid_key"', "error", "error=invalid_key"),
])
def test_what_took_effect_is_named_in_preference_applied(
        mock: Mock, prefer: str, status: str, header: str) -> None:
    answer = mock.post(V6, body(), {"Prefer": prefer})

    assert answer.json()["status"] == status
    assert answer.headers["preference-applied"] == header


def test_a_preference_that_did_not_decide_the_answer_is_not_named(mock: Mock) -> None:
    job = mock.generate()["id"]
    fetched = mock.post(f"/api/v6/images/fetch/{job}", {"key": "k"},
                        {"Prefer": "status=processing"})
    invalid = mock.post(V6, body(width=1), {"Prefer": "status=processing"})

    assert "preference-applied" not in fetched.headers
    assert "preference-applied" not in invalid.headers
    assert applied("status=processing", "processing", generation=False) == []
    assert unknown("status=processing, eta=2, error=server") is None


def test_a_refused_header_names_nothing_applied(mock: Mock) -> None:
    answer = mock.post(V6, body(), {"Prefer": "error=validation, status=sometimes"})

    assert "is not known" in answer.json()["message"]
    assert "preference-applied" not in answer.headers


def test_browsers_may_read_preference_applied() -> None:
    with LiveServer() as live, httpx.Client(trust_env=False) as http:
        answer = http.post(live.url + V6, json=body(),
                           headers={"Prefer": "eta=1", "Origin": "http://localhost:3000"})

    assert answer.headers["preference-applied"] == "eta=1"
    assert "preference-applied" in answer.headers["access-control-expose-headers"].lower()
