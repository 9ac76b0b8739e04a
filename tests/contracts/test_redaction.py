"""contracts.redaction: one marker, and keys kept out of messages, reports and journals."""

from __future__ import annotations

import pytest

from contracts import redaction
from contracts.redaction import REDACTED, redact, redact_body, redact_key, scrub, secrets_in, show

SECRET = "sk-live-0123456789abcdef"


def test_redaction_hides_key_fields_and_long_secrets_only() -> None:
    body = {"key": "k", "prompt": "a key k", "nested": [{"api_key": "x"}, f"see {SECRET}"]}

    assert redact(body, [SECRET, "k"]) == {
        "key": REDACTED, "prompt": "a key k", "nested": [{"api_key": REDACTED},
                                                          f"see {REDACTED}"]}
    assert redact(f"text with {SECRET}", [SECRET]) == f"text with {REDACTED}"
    assert redact({"key": None, "Authorization": ""}) == {"key": None, "Authorization": ""}


def test_scrub_hides_every_secret_whatever_its_length() -> None:
    assert scrub("key abc, again abc", ["abc", "", None]) == f"key {REDACTED}, again {REDACTED}"
    assert scrub("key abc", ["abc"], keyed=True) == f"key {redact_key('abc')}"


def test_redact_key_tells_keys_apart_without_showing_them() -> None:
    a, b = redact_key("key-a"), redact_key("key-b")

    assert a is not None and a.startswith("***") and len(a) == 9 and a != b
    assert redact_key("key-a") == a
    assert (redact_key(None), redact_key(""), redact_key(42)) == (None, "***", "***")
    assert redact_body({"Key": "key-a", "API_KEY": "key-b", "prompt": "p"}) == {
        "Key": a, "API_KEY": b, "prompt": "p"}


def test_the_key_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_REDACTED_SIZE", 3)
    first = [redact_key(f"key-{i}") for i in range(10)]

    assert len(redaction._redacted) <= 3
    assert [redact_key(f"key-{i}") for i in range(10)] == first
    assert len(set(first)) == 10


def test_show_is_one_redacted_line_cut_at_its_limit() -> None:
    assert show({"key": SECRET, "prompt": "a fox"}) == \
        '{"key": "<redacted>", "prompt": "a fox"}'
    long = show({"prompt": "x" * 5000})
    assert len(long) < redaction.SHOWN_CHARS + 40 and long.endswith("chars)")


def test_secrets_in_a_body_are_its_secret_fields() -> None:
    assert secrets_in({"key": SECRET, "x-api-key": "k2", "prompt": "p", "apikey": ""}) == \
        (SECRET, "k2")
    assert secrets_in(["not", "a", "mapping"]) == ()
