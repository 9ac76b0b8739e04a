"""Issue 10, High 1: every setting is checked by type and range, atomically, with a reason
that names it; a refused change leaves the mock answering as before (it never bricks)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver import MockConfig
from mockserver.config import SETTINGS
from tests.mockserver._support import ORIGIN, V6, Mock, body

# One row per class of nonsense: (setting, value) as JSON would carry it.
WRONG_TYPE = [
    ("origin", 5), ("origin", ["http://x"]), ("origin", "ftp://x"), ("origin", "http://a\nb"),
    ("queue", 1), ("queue", ["never"]), ("eta", "1"), ("eta", True), ("error_mode", None),
    ("quirks", "no"), ("quirks", 0), ("quirks", None), ("latency", True), ("latency", [1]),
    ("latency", {"ms": 1}), ("seed", 1.5), ("seed", "1"), ("seed", True),
    ("accepted_keys", 5), ("accepted_keys", [1]), ("accepted_keys", [""]),
    ("accepted_keys", {"a": 1}), ("rate_limit", True), ("rate_limit", "5"),
    ("webhook_hosts", 5), ("webhook_hosts", [5]), ("webhook_hosts", [None]),
    ("webhook_hosts", {"h": 1}), ("store", 5), ("max_jobs", 1.0), ("max_jobs", True),
    ("job_ttl", "60"), ("max_body_bytes", True), ("max_body_bytes", "65536"),
    ("failure_rate", True), ("failure_rate", "0.5"),
]
OUT_OF_RANGE = [
    ("eta", 1e10), ("eta", -1), ("latency", 1e12), ("latency", "99999999"),
    ("latency", "uniform:0-99999999"), ("latency", "normal:1000000,5"), ("latency", -5),
    ("seed", -1), ("seed", 2 ** 70), ("rate_limit", 0), ("rate_limit", 10 ** 12),
    ("max_jobs", 0), ("max_jobs", 10 ** 12), ("job_ttl", 0), ("job_ttl", 1e300),
    ("max_body_bytes", 0), ("max_body_bytes", 10 ** 12), ("failure_rate", 1.5),
    ("accepted_keys", ["k" * 5000]), ("webhook_hosts", ["h" * 300]),
    ("origin", "http://" + "a" * 5000),
]
NOT_FINITE = [("eta", float("nan")), ("eta", float("inf")), ("job_ttl", float("inf")),
              ("failure_rate", float("nan")), ("latency", float("inf"))]


def _admin(mock: Mock, method: str, path: str, raw: bytes = b"") -> tuple[int, Any]:
    response = mock.engine.handle(method, f"/__mock/{path}", {}, raw, ORIGIN)
    return response.status, response.json()


def _still_serves(mock: Mock) -> None:
    answer = mock.post(V6, body())
    assert answer.status == 200 and answer.json()["status"] == "success"
    assert _admin(mock, "GET", "health")[0] == 200
    assert _admin(mock, "POST", "reset")[0] == 200
    assert mock.post(V6, body()).json()["status"] == "success"


def test_every_setting_has_a_check() -> None:
    from mockserver.validate import CHECKS

    assert set(CHECKS) == set(SETTINGS)


@pytest.mark.parametrize(("name", "value"), WRONG_TYPE + OUT_OF_RANGE + NOT_FINITE)
def test_a_nonsense_value_is_refused_naming_the_setting_and_the_mock_still_serves(
        mock: Mock, name: str, value: Any) -> None:
    before = mock.engine.config
    # json.dumps writes NaN/Infinity, which json.loads reads back: what a client can send.
    status, answer = _admin(mock, "PUT", "config", json.dumps({name: value}).encode())

    assert status == 422 and name in answer["message"]
    assert mock.engine.config is before
    _still_serves(mock)


@pytest.mark.parametrize(("name", "value"), WRONG_TYPE + OUT_OF_RANGE + NOT_FINITE)
def test_a_nonsense_value_is_refused_in_python_too(name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=name):
        MockConfig().replace(**{name: value})


def test_a_change_is_all_or_nothing(mock: Mock) -> None:
    status, _ = _admin(mock, "PUT", "config",
                       json.dumps({"queue": "always", "eta": 1e10}).encode())

    assert status == 422
    assert mock.engine.config.queue == "never" and mock.engine.config.eta == 2.0


def test_the_reason_never_repeats_a_refused_key(mock: Mock) -> None:
    secret = "sk-" + "x" * 2000
    _, answer = _admin(mock, "PUT", "config", json.dumps({"accepted_keys": [secret]}).encode())

    assert "accepted_keys" in answer["message"] and secret not in answer["message"]


def test_latency_draws_stay_within_the_bound() -> None:
    import random

    from mockserver import limits
    from mockserver.config import Latency

    latency = Latency.parse("normal:50000,9000")
    draws = [latency.draw(random.Random(i)) for i in range(200)]
    assert max(draws) <= limits.MAX_LATENCY_MS / 1000


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"\\ud800": 1}', b'{"origin": "\\ud800"}',
                                 b'{"accepted_keys": ["\\udfff"]}', b"\xff\xfe", b"nul\0"])
def test_deep_or_surrogate_admin_bodies_are_422_not_500(mock: Mock, raw: bytes) -> None:
    status, answer = _admin(mock, "PUT", "config", raw)

    assert status == 422 and answer["status"] == "error"
    _still_serves(mock)
