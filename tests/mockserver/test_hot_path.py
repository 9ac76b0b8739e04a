"""The hot path's shortcuts answer as the long way does: the prebuilt JSON encoder, and the
journal that redacts when it is read (decoding: test_request.py; the journal: test_journal.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.redaction import redact_key
from mockserver.response import dump
from tests.mockserver._support import V6, Mock


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True, False, "é\"\n\u2028"], "b": {"c": 1e16, "d": -0.0}},
    [], {}, "text", 3, 7.5, None, {1: 2}, {"big": 2**70},
])
def test_dump_is_the_compact_encoder(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(dump(value)) == json.loads(expected)
    assert dump(value).replace(b"e+", b"e") == expected.replace(b"e+", b"e")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_become_null_so_browsers_can_parse_every_answer(value: float) -> None:
    assert dump({"k": value}) == b'{"k":null}'


def test_dump_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError):
        dump({"x": object()})


def test_the_journal_of_the_engine_never_shows_a_key(mock: Mock) -> None:
    mock.post(V6, {"key": "sekrit", "model_id": "m", "prompt": "p", "api_key": "other"})
    (entry,) = mock.engine.journal.entries()
    assert entry["body"]["key"] == entry["key"] == redact_key("sekrit")
    assert entry["body"]["api_key"] == redact_key("other")
    assert "sekrit" not in json.dumps(entry) and "other" not in json.dumps(entry)

