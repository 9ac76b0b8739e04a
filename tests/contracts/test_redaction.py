"""contracts.redaction: one marker, and keys kept out of messages, reports and journals."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

import pytest

from contracts import redaction
from contracts.redaction import (
    MIN_SECRET,
    REDACTED,
    Scrubber,
    redact,
    redact_body,
    redact_key,
    scrub,
    secrets_in,
    show,
)
from tests.contracts import _leaks

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


def test_a_body_whose_names_are_not_strings_is_redacted_by_their_text() -> None:
    """(A dict made in Python: compiled, the annotation's `str` names raised TypeError.)"""
    assert redact_body({1: "one", None: {"key": "key-a"}}) == {1: "one",
                                                                None: {"key": redact_key("key-a")}}


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


def test_scrub_finds_the_key_in_every_encoding_and_cut_short() -> None:
    """Issue 10: what a backend echoes (raw, JSON-escaped once or twice, URL-, HTML- and
    base64-encoded at any offset) and a text cut at its limit before it was shown."""
    key = _leaks.KEY
    forms = list(_leaks.echoes(key).values())
    text = " | ".join([*forms, json.dumps(json.dumps(key)), html.escape(f'"{key}"'),
                       key[:MIN_SECRET + 3], _leaks.echoes(key)["base64"][:12]])

    assert _leaks.revealed(text)
    shown = scrub(text, [key])
    assert _leaks.revealed(shown) == [] and key[:MIN_SECRET] not in shown
    assert shown.count(REDACTED) == len(forms) + 4


def test_a_short_key_is_scrubbed_where_it_stands_alone_only() -> None:
    assert scrub('success: bad key s, "\\u0073", cw==', ["s"]) == \
        f'success: bad key {REDACTED}, "{REDACTED}", {REDACTED}'


def test_a_scrubber_hides_text_and_json_values_and_never_shows_its_secrets() -> None:
    hide = Scrubber([SECRET, "", None])

    assert hide(f"x {SECRET}") == f"x {REDACTED}"
    assert hide.value({SECRET: [f"a {SECRET}", 3, None]}) == {REDACTED: [f"a {REDACTED}", 3, None]}
    assert SECRET not in repr(hide) and bool(hide) and not Scrubber([""])
    assert Scrubber()("keep me") == "keep me"


def test_forms_sharing_a_head_are_each_hidden_to_their_end() -> None:
    """A key and its URL form share their first 10 characters: whichever is in the text, cut
    short or not, nothing of it is left after the marker."""
    key = "abcdefghij/klmnop"
    text = f"{key} | {quote(key, safe='')} | {quote(key, safe='').lower()[:14]} | {key[:12]}"

    assert scrub(text, [key]) == " | ".join([REDACTED] * 4)


def test_a_hostile_key_of_backslashes_is_scrubbed_in_one_pass() -> None:
    """A client's key and text full of backslashes (the journal scrubs both): each run of
    backslashes is read once (possessive), so this returns at once instead of trying every
    way to split the run between the key's characters."""
    key = "\\" * 30 + "x"  # main tried 2**30 splits of each run: a read never ended
    text = "\\" * 10_000 + "y " + json.dumps(key)

    shown = scrub(text, [key])  # (a run of 8 backslashes or more reads as the key cut short)
    assert shown.endswith(f'y "{REDACTED}"') and "x" not in shown
    assert scrub("\\" * 10_000, ["s"]) == "\\" * 10_000


@pytest.mark.parametrize("key", ["sk-\U0001F511-0123456789", "0123456789\U0001F511abc",
                                 "\U0001F600" * 8, "k\U0001F600"])
def test_a_key_past_the_bmp_is_hidden_where_json_escapes_it_as_a_surrogate_pair(key: str) -> None:
    """JSON written ASCII-only (`json.dumps`'s default) spells a character past U+FFFF as two
    \\uXXXX escapes, a surrogate pair, once or escaped again (JSON text inside JSON): the key
    was shown there, in whole, however long."""
    once, twice = json.dumps(key), json.dumps(json.dumps(key))
    text = f"a {once} b {twice} c {once.replace('d83d', 'D83D')}"

    assert scrub(text, [key]) == f'a "{REDACTED}" b "\\"{REDACTED}\\"" c "{REDACTED}"'
    assert redaction.holds_secret({}, [key], also=text)


def test_random_keys_are_hidden_in_every_encoding_whole_or_cut() -> None:
    """300 keys of awkward characters ('"', '\\', '/', '+', '%', '&', 'é'), each in one of
    its encodings, whole or cut short: no decoding of the text shown reads the key, or its
    first 8 characters."""
    import base64
    import random

    rng = random.Random(10)
    chars = 'abcdefXYZ0123456789-_/+="\\ é.%&<>'
    for _ in range(300):
        key = "".join(rng.choice(chars) for _ in range(rng.randint(10, 40)))
        forms = [key, json.dumps(key)[1:-1], json.dumps(json.dumps(key))[1:-1],
                 json.dumps(key).replace("/", "\\/")[1:-1], _leaks.unicode_escaped(key),
                 quote(key, safe=""), html.escape(key), base64.b64encode(key.encode()).decode(),
                 base64.urlsafe_b64encode(b"a" + key.encode()).decode()]
        form = rng.choice(forms)
        cut = rng.random() < 0.3
        shown = scrub(f"before {form[:len(form) * 3 // 4] if cut else form} after", [key])
        assert _leaks.revealed(shown, key, key[:MIN_SECRET]) == [], \
            (key, form, shown)


def test_holds_secret_says_exactly_when_scrub_value_would_hide_something() -> None:
    """The journal skips `scrub_value` when `holds_secret` says no: over random keys (long
    and short, plain or with quotes, backslashes and newlines) hidden in random places and
    forms of a nested body, and bodies without them, the two never disagree, whether it
    searches the body's strings or the JSON text that holds it, or that and another text."""
    import base64
    import random

    from contracts.redaction import holds_secret, scrub_value

    rng = random.Random(13)
    chars = 'abcXYZ0189-_/+="\\ é.%&<>u\n'
    plain = "abcXYZ0189-_/+=.%&<>u"  # (a key JSON writes as itself: the journal's text path)
    for _ in range(600):
        key = "".join(rng.choice(rng.choice([chars, plain]))
                      for _ in range(rng.randint(1, 24)))
        forms = [key, json.dumps(key)[1:-1], _leaks.unicode_escaped(key), quote(key, safe=""),
                 html.escape(key), base64.b64encode(b"xy" + key.encode()).decode(),
                 key[:rng.randint(1, len(key))], "plain text", "\\", "a\\u0041"]
        words = [rng.choice(forms) if rng.random() < 0.3 else
                 "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
                 for _ in range(6)]
        body = {"key": "redacted", words[0]: words[1], "nested": [words[2], {"x": words[3]}],
                "prompt": f"{words[4]} {words[5]}", "n": 3, "flag": None}
        hides = scrub_value(body, [key], keyed=True) != body
        text = json.dumps(["other", body], ensure_ascii=rng.random() < 0.3)
        assert holds_secret(body, [key]) == hides, (key, body)
        assert holds_secret(body, [key], text) == hides, (key, body)
        # `also` (a response searched in the same pass): true when either would be hidden
        also = f"{words[5]}{rng.choice(forms)}{words[0]}" if rng.random() < 0.5 else words[1]
        either = hides or scrub(also, [key], keyed=True) != also
        assert holds_secret(body, [key], text, also=also) == either, (key, body, also)
        assert holds_secret(body, [key], also=also) == either, (key, body, also)
    key = "\u00e9abc&-12345"  # (its HTML form, in text written ASCII-only, reads otherwise)
    body = {"prompt": f"see {html.escape(key)}"}
    assert holds_secret(body, [key], json.dumps(body)) and holds_secret(body, [key])
    assert not holds_secret({"a": "b"}, [])
    assert not holds_secret({"a": "b"}, ["", None])


def test_holds_secret_over_ascii_only_json_text_sees_letters_scrub_folds_to_ascii() -> None:
    """`scrub` matches a key's other forms in either case, and Python's case folding takes
    four non-ASCII letters (KELVIN SIGN, LONG S, dotted and dotless I) for k, s and i. JSON
    written ASCII-only (the stdlib's, which the SQLite journal falls back to for an integer
    past 64 bits or a lone surrogate) spells them as \\uXXXX escapes: the text search must
    not miss what `scrub_value` hides."""
    from contracts.redaction import holds_secret, scrub_value

    key = "sk-live-key/12345"  # (its URL-encoded form "sk-live-key%2F12345" differs)
    for folded in ("s\u212a-live-key%2F12345", "SK-LIVE-\u212aEY%2f12345"):
        body = {"key": "***", "prompt": folded, "n": 2 ** 70}
        assert scrub_value(body, [key], keyed=True) != body  # what the journal would hide
        assert holds_secret(body, [key])
        assert holds_secret(body, [key], json.dumps(["other", body]))
