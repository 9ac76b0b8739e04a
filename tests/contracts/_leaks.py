"""Issue 10 (judge raw, scrub only output): a key echoed by a backend in several encodings, and
the check that a text shown to a person carries it in none of them.

`echoes(key)` is what a hostile backend puts in its replies; `revealed(text, key)` decodes
the text every way a reader could (JSON escapes, twice over; HTML entities; URL encoding;
base64 at every offset) and names each decoding in which the key, or its distinctive middle,
can still be read.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import re
from urllib.parse import quote, unquote_plus

#: A key with characters every encoding treats differently ("/" -> "\\/", "+" -> "%2B").
KEY = "sk-live/0123456789+abcdef"
#: Its distinctive middle: found in a decoding, the key leaked.
CORE = "0123456789"


def unicode_escaped(key: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in key)


def echoes(key: str) -> dict[str, str]:
    """Encoding -> the key so encoded, as it sits inside a JSON string's raw bytes."""
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    return {"base64": b64(key), "base64 at offset 1": b64(f"tok:{key}."),
            "base64 at offset 2": b64(f"tokn:{key}"), "raw": key,
            "json": json.dumps(key)[1:-1].replace("/", "\\/"), "url": quote(key, safe=""),
            "unicode": unicode_escaped(key)}


def echo_field(key: str) -> bytes:
    """`"echo": [...]` as raw JSON bytes (no encoder in between) holding every echo."""
    return b'"echo": [' + b", ".join(f'"{v}"'.encode() for v in echoes(key).values()) + b"]"


_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
_B64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _json_unescaped(text: str) -> str:
    text = _UNICODE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\/", "/").replace('\\"', '"').replace("\\\\", "\\")


def _base64_decoded(text: str) -> str:
    out = []
    for token in _B64.findall(text):
        for start in range(4):
            chunk = token[start:].rstrip("=")
            chunk = chunk[:len(chunk) - len(chunk) % 4] if len(chunk) % 4 == 1 else chunk
            chunk += "=" * (-len(chunk) % 4)
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                with contextlib.suppress(binascii.Error, ValueError):
                    out.append(decode(chunk).decode("latin-1"))
    return "\n".join(out)


def revealed(text: str, key: str = KEY, core: str = CORE) -> list[str]:
    """The decodings of `text` in which `key` (or `core`) can be read; empty when none."""
    found = []
    once = _json_unescaped(text)
    for name, decoded in (("plain", text), ("json", once), ("json twice", _json_unescaped(once)),
                          ("html", html.unescape(text)), ("url", unquote_plus(text))):
        for variant, shown in ((name, decoded), (f"base64 in {name}", _base64_decoded(decoded))):
            if key in shown or core in shown:
                found.append(variant)
    return found
