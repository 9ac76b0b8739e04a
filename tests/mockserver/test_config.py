"""MockConfig: defaults from the spec, validation with reasons, latency forms, the public API."""

from __future__ import annotations

import random

import pytest

import mockserver
import spec
from mockserver import MockConfig
from mockserver.config import Latency


def test_the_defaults_are_sane_and_the_limit_comes_from_the_spec() -> None:
    config = MockConfig()

    assert config.max_body_bytes == spec.contract().limits["max_body_bytes"]
    assert (config.queue, config.error_mode, config.quirks, config.seed) == \
        ("never", "legacy", True, 0)
    assert config.webhook_hosts == ("127.0.0.1", "localhost", "::1")
    assert config.store == "memory" and config.max_jobs == 10_000 and config.job_ttl == 3600


@pytest.mark.parametrize(("changes", "says"), [
    ({"queue": "sometimes"}, "queue"), ({"error_mode": "loud"}, "error_mode"),
    ({"eta": -1}, "eta"), ({"rate_limit": 0}, "rate_limit"), ({"max_jobs": 0}, "max_jobs"),
    ({"store": "redis"}, "store"), ({"latency": "soon"}, "latency"),
    ({"failure_rate": 2}, "failure_rate"), ({"colour": "red"}, "unknown")])
def test_bad_settings_are_refused_with_a_reason(changes: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        MockConfig().replace(**changes)


def test_json_forms_are_accepted_and_keys_never_shown() -> None:
    config = MockConfig().replace(accepted_keys=["a", "b"], webhook_hosts="hooks.lan")

    assert config.accepted_keys == frozenset({"a", "b"})
    assert config.webhook_hosts == ("hooks.lan",)
    assert config.to_json()["accepted_keys"] == "2 key(s)"


@pytest.mark.parametrize(("value", "kind", "low", "high"), [
    (None, "none", 0, 0), (0, "none", 0, 0), (120, "fixed", 120, 120), ("75", "fixed", 75, 75),
    ("uniform:50-200", "uniform", 50, 200), ("normal:100,30", "normal", 100, 30)])
def test_latency_forms(value: object, kind: str, low: float, high: float) -> None:
    latency = Latency.parse(value)  # type: ignore[arg-type]

    assert (latency.kind, latency.a, latency.b) == (kind, low, high)
    assert latency.draw(random.Random(0)) >= 0


def test_the_latency_is_parsed_once_when_the_settings_are_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[object] = []
    parse = Latency.parse

    def counting(value: float | str | None) -> Latency:
        parsed.append(value)
        return parse(value)

    monkeypatch.setattr(Latency, "parse", counting)
    config = MockConfig().replace(latency="uniform:50-200")
    changed = config.replace(eta=1.0)

    assert parsed == [None, "uniform:50-200", "uniform:50-200"]  # once per config made
    assert config.delay == Latency("uniform", 50, 200) == changed.delay
    assert "delay" not in config.to_json() and config.to_json()["latency"] == "uniform:50-200"
    with pytest.raises(ValueError, match="unknown setting"):
        config.replace(delay=Latency())  # not a setting


@pytest.mark.parametrize("value", ["-5", "uniform:9-1", "gamma:1", True, float("inf")])
def test_bad_latencies_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="latency"):
        Latency.parse(value)  # type: ignore[arg-type]


def test_the_public_names_are_exported_lazily() -> None:
    for name in mockserver.__all__:
        assert getattr(mockserver, name) is not None
    assert mockserver.__all__ == sorted(mockserver.__all__)
    with pytest.raises(AttributeError):
        mockserver.nothing  # noqa: B018


@pytest.mark.parametrize("changes", [
    {"accepted_keys": ["k"]}, {"accepted_keys": {"k"}}, {"accepted_keys": "k"},
    {"models": ["m"]}, {"models": "m"}, {"webhook_hosts": ["127.0.0.1"]},
    {"webhook_hosts": "127.0.0.1"}])
def test_settings_made_with_json_forms_serve_as_those_given_by_replace(
        changes: dict[str, object]) -> None:
    """`MockConfig(accepted_keys=[...])` was kept a list (a set, a string): `replace` converts
    the JSON forms, the constructor did not, and the compiled engine (setup.py) refused the
    list where its annotations say frozenset or tuple: every generation answered 500."""
    from mockserver import Engine
    from tests.mockserver._support import RecordingSender

    config = MockConfig(**changes)  # type: ignore[arg-type]
    sender = RecordingSender()
    engine = Engine(config, webhooks=sender, timers=False)
    try:
        response = engine.handle(
            "POST", "/api/v6/images/text2img", {"content-type": "application/json"},
            b'{"key": "k", "model_id": "m", "prompt": "p", "webhook": "http://127.0.0.1/h"}',
            "http://x")
    finally:
        engine.close()
    assert response.json()["status"] == "success", response.body
    assert [url for url, _ in sender.sent] == ["http://127.0.0.1/h"]
    assert config == MockConfig().replace(**changes)


@pytest.mark.parametrize("name", ["eta", "job_ttl", "failure_rate"])
def test_a_whole_number_given_for_a_seconds_or_share_setting_is_kept_as_a_float(
        name: str) -> None:
    """`MockConfig(eta=1)` kept the int: the pure build answered `"eta":1` where the compiled
    one (its annotations say float) answered `"eta":1.0`, for the same settings and request."""
    value = 1 if name != "failure_rate" else 0
    config = MockConfig(**{name: value})  # type: ignore[arg-type]
    assert type(getattr(config, name)) is float
    assert type(getattr(MockConfig().replace(**{name: value}), name)) is float
