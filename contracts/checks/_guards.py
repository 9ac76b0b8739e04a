"""What a check may assume, said once: the parsed request, the class of the answer, and guard
decorators (schemathesis' style) that answer "not applicable" before a check runs::

    @OUTPUT_COUNT.check(sides=(INSIDE,))
    @only_generation
    @only_accepted
    def _output_count(rule: Rule, ex: Exchange) -> Outcome: ...
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from contracts.checks._model import Exchange, Outcome, Reply, not_applicable
from contracts.model import GenerationRequest, Parsed
from contracts.parse import parse
from contracts.reply import ACCEPTED, REJECTED, classify
from contracts.rules import GENERATION, Rule
from contracts.vocabulary import INVALID_KEY

CheckFunction = Callable[[Rule, Exchange], Outcome]
#: The `status` values of a body that is no error: the job succeeded or is queued.
LIVE = ("success", "processing")


@lru_cache(maxsize=512)
def _parse_cached(endpoint: str, text: str, path_id: str | None) -> Parsed:
    return parse(endpoint, text, path_id=path_id)


def parsed(ex: Exchange) -> Parsed:
    """`contracts.parse` of the exchange's request (cached)."""
    if isinstance(ex.body, str | bytes):
        return parse(ex.endpoint, ex.body, path_id=ex.path_id)
    try:
        text = json.dumps(ex.body, sort_keys=True)
    except (TypeError, ValueError):
        return parse(ex.endpoint, ex.body, path_id=ex.path_id)
    return _parse_cached(ex.endpoint, text, ex.path_id)


def key_is_ours(body: Any) -> bool:
    """The body carries the caller's key (not none, not the known-invalid one)."""
    return isinstance(body, Mapping) and isinstance(body.get("key"), str) \
        and body["key"] not in ("", INVALID_KEY)


def kind(ex: Exchange, reply: Reply | None = None) -> str:
    """ACCEPTED, REJECTED, FAULT or UNCLEAR: the answer (or `reply`) to the exchange."""
    r = reply or ex.reply
    return classify(r, key_is_ours=key_is_ours(ex.body))


def generation(ex: Exchange) -> GenerationRequest | None:
    """The valid generation request sent with our key, if that is what the exchange was."""
    if ex.endpoint not in GENERATION or not key_is_ours(ex.body):
        return None
    request = parsed(ex).request
    return request if isinstance(request, GenerationRequest) else None


def request_of(ex: Exchange) -> GenerationRequest:
    """The generation request of an exchange that passed `only_generation`."""
    request = generation(ex)
    if request is None:
        raise TypeError("request_of() needs a check guarded by @only_generation")
    return request


def live_replies(ex: Exchange) -> Iterator[Reply]:
    """The answer and the final fetch, where they are a 2xx success or processing body."""
    for reply in (ex.reply, ex.final):
        if reply is not None and reply.status_field in LIVE and 200 <= reply.status < 300:
            yield reply


def guard(applies: Callable[[Rule, Exchange], bool],
          why: Callable[[Exchange], str] | None = None
          ) -> Callable[[CheckFunction], CheckFunction]:
    """A decorator: the check runs only where `applies(rule, exchange)`, otherwise it is not
    applicable (with `why(exchange)` as the reason)."""
    def decorate(function: CheckFunction) -> CheckFunction:
        @functools.wraps(function)
        def guarded(rule: Rule, ex: Exchange) -> Outcome:
            if not applies(rule, ex):
                return not_applicable(rule, why(ex) if why else "")
            return function(rule, ex)
        return guarded
    return decorate


#: Only exchanges that sent our key.
only_our_key = guard(lambda rule, ex: key_is_ours(ex.body))
#: Only valid generation requests sent with our key.
only_generation = guard(lambda rule, ex: generation(ex) is not None)
#: Only exchanges the backend accepted (not rejected, not a fault).
only_accepted = guard(lambda rule, ex: kind(ex) == ACCEPTED)
#: Only exchanges the backend accepted or rejected (a fault or an unclear answer is no verdict).
only_answered = guard(lambda rule, ex: kind(ex) in (ACCEPTED, REJECTED), why=kind)
#: Only exchanges with downloaded output images.
only_with_images = guard(lambda rule, ex: bool(ex.images))
