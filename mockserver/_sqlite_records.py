"""Journal entries as a SQLite store's ring keeps them (see `mockserver._sqlite_journal`):
redacted and encoded on the way in, shown as `Record.to_json` on the way out."""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

import orjson

from contracts.redaction import (
    SECRET_FIELDS,
    holds_secret,
    redact_body,
    redact_key,
    scrub_value,
    secrets_in,
)
from mockserver.journal import RESPONSE_CHARS, Delivery, Entry, Record, scrubbed_response
from mockserver.limits import JOURNAL_PREFER_CHARS
from mockserver.request import CONTAINERS, decode

#: A record's head: kind (0 request, 1 webhook), response cut (0/1), scope, data and response
#: lengths, the job (-1 none), the whole response's length in characters (when cut).
HEAD = struct.Struct("<BBHIIqq")


def _encode(entry: Entry) -> tuple[bytes, bytes | None]:
    """An entry as stored: its fields as JSON, and a request's response body. What the file
    holds is redacted as the journal shows it (keys in their `redact_key` form, the request's
    secrets scrubbed from the response); the rest of `Record.to_json` runs when it is read."""
    if type(entry) is not Record:
        assert isinstance(entry, Delivery)
        return _dumps([entry.job, entry.url, entry.outcome, entry.attempts, entry.status,
                       entry.error, entry.reason]), None
    prefer = entry.prefer
    if prefer is not None and len(prefer) > JOURNAL_PREFER_CHARS:
        prefer = prefer[:JOURNAL_PREFER_CHARS] + "..."
    body: Any = entry.body
    response = entry.response
    if isinstance(body, bytes | bytearray | memoryview):  # the bytes as sent
        body = decode(bytes(body))
        if not isinstance(body, Mapping):
            body = None
    secrets: list[str] = []
    if body is not None:
        if not CONTAINERS.isdisjoint(map(type, body.values())):
            secrets = list(secrets_in(body))  # (secret fields inside too)
            body = redact_body(body)
        else:  # the usual flat body: its secret fields' names remembered
            names = _secret_names(body)
            if names:
                secrets = [str(v) for n in names if (v := body[n]) not in (None, "")]
                body = dict(body)
                for name in names:
                    body[name] = redact_key(body[name])
    fields: list[Any] = [entry.time, entry.method, entry.path, entry.status, entry.outcome,
                         entry.json_body, entry.key, body, prefer, entry.rules, entry.job,
                         entry.latency_ms]
    data = _dumps(fields)
    # (As `Record.to_json`: the key echoed in any other field hidden, and in the answer, in
    # any form: it may echo a field, e.g. the prompt. One search for both, the usual case
    # being that neither holds it.)
    if secrets and holds_secret(body, secrets, text := data.decode("utf-8", "replace"),
                                also=response.decode("utf-8", "replace") if response else ""):
        if holds_secret(body, secrets, text):
            fields[7] = scrub_value(body, secrets, keyed=True)
            data = _dumps(fields)
        if response is not None:
            response = scrubbed_response(response, secrets)
    return data, response


def _dumps(fields: list[Any]) -> bytes:
    try:
        return orjson.dumps(fields)
    except TypeError:  # what orjson refuses (an integer past 64 bits in a body): the stdlib's
        return json.dumps(fields, separators=(",", ":")).encode()


def _secret_names(body: Mapping[str, Any]) -> tuple[Any, ...]:
    """The body's fields named as secrets (`SECRET_FIELDS`, any case): remembered per set of
    field names, which clients repeat."""
    fields = tuple(body)
    names = _SECRET_NAMES.get(fields)
    if names is None:
        names = tuple(k for k in fields if str(k).lower() in SECRET_FIELDS)
        if len(_SECRET_NAMES) >= 256:
            _SECRET_NAMES.clear()
        _SECRET_NAMES[fields] = names
    return names


#: Field names of recent bodies -> those that are secrets (at most 256 sets).
_SECRET_NAMES: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _decode(kind: str, scope: str, seq: int, data: bytes, response: bytes | None
            ) -> dict[str, Any]:
    """A stored entry as the journal shows it (`to_json`)."""
    try:
        fields = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN and the like, written by the stdlib
        fields = json.loads(data)
    if kind == "request":
        (when, method, path, status, outcome, json_body, key, body, prefer, rules, job,
         latency) = fields
        shown = Record(when, method, path, status, outcome, json_body, key, None, prefer,
                       tuple(rules) if rules is not None else None, job, response, latency,
                       scope).to_json(seq)
        if body is not None:  # stored redacted: not redacted again (a second hash)
            shown["body"] = body
        return shown
    job, url, outcome, attempts, status, error, reason = fields
    return Delivery(job, url, outcome, attempts, status, error, reason, scope).to_json(seq)


def encode_record(entry: Entry, most: int) -> bytes:
    """One entry as the ring stores it (`_encode`'s fields, redacted). A response longer
    than the journal shows is kept cut, with its length (what `Record.to_json` shows)."""
    data, response = _encode(entry)
    scope = entry.scope.encode()
    cut, chars = 0, 0
    if response is not None and len(response) > 4 * RESPONSE_CHARS:
        text = response.decode("utf-8", "replace")
        cut, chars = 1, len(text)
        response = text[:RESPONSE_CHARS].encode()
    size = HEAD.size + len(scope) + len(data) + (len(response) if response else 0)
    if size > most:  # (a body is at most JOURNAL_BODY_BYTES: only a huge one gets here)
        # Shown as a note only: the answer goes too (kept, it could outgrow a small ring).
        data, response, cut, chars = orjson.dumps(["(too large to keep)"]), None, 0, 0
    job = entry.job if entry.job is not None else -1
    return b"".join((HEAD.pack(1 if entry.kind == "webhook" else 0, cut, len(scope),
                                len(data), 0xFFFFFFFF if response is None else len(response),
                                job, chars), scope, data, response or b""))


def show_record(seq: int, record: bytes, kind: str | None, scope: str | None
           ) -> dict[str, Any] | None:
    """A record as the journal shows it, if it is of `kind` and `scope` (None: any)."""
    webhook, cut, scope_len, data_len, response_len, _, chars = HEAD.unpack_from(record, 0)
    if kind is not None and kind != ("webhook" if webhook else "request"):
        return None
    at = HEAD.size
    own = record[at:at + scope_len].decode()
    if scope is not None and own != scope:
        return None
    at += scope_len
    data = record[at:at + data_len]
    at += data_len
    response = None if response_len == 0xFFFFFFFF else record[at:at + response_len]
    if data == b'["(too large to keep)"]':
        return {"kind": "webhook" if webhook else "request", "seq": seq,
                "note": "entry too large to keep"}
    if cut and response is not None:
        shown = _decode("request", own, seq, data, None)
        text = response.decode("utf-8", "replace")
        shown["response"] = text + f"... ({chars} characters)"
        return shown
    return _decode("webhook" if webhook else "request", own, seq, data, response)
