"""Hypothesis strategies for ModelsLab request bodies, built from `spec/modelslab.yaml`.

Compose them in your own tests::

    from hypothesis import given
    from contracts import V6, strategies as ms
    from contracts.rules import STEPS_CAP
    from contracts.vocabulary import OUTSIDE

    @given(ms.valid_requests(V6))
    def test_my_client_accepts(body): ...

    @given(ms.boundaries(rule=STEPS_CAP, side=OUTSIDE))
    def test_steps_are_capped(case): ...

`valid_requests` gives bodies in every documented wire form (numbers as strings, yes/no or
true/false flags, strengths as a comma string or a number, nulls for optional fields);
`boundary_cases` lists, per rule, payloads just inside and just outside each limit;
`invalid_requests` breaks exactly one rule of a valid body. Bodies hold
`contracts.vocabulary.KEY` where the API key goes: substitute yours before sending.
"""

from contracts.strategies import _coverage_cases, _request_cases, _response_cases
from contracts.strategies._boundaries import (
    Case,
    boundary,
    boundary_cases,
)
from contracts.strategies._explore import boundaries, cases, invalid_requests, valid_cases
from contracts.strategies._forms import flag, integer, number, strengths, upscale
from contracts.strategies._requests import (
    LORA_IDS,
    MODEL_ID,
    PROMPTS,
    base,
    canonical,
    encoded,
    loras,
    valid_requests,
    wire_value,
    with_fields,
)

# imported for their registrations (_coverage_cases after the other two, which it imports)
del _coverage_cases, _request_cases, _response_cases

__all__ = [
    "LORA_IDS",
    "MODEL_ID",
    "PROMPTS",
    "Case",
    "base",
    "boundaries",
    "boundary",
    "boundary_cases",
    "canonical",
    "cases",
    "encoded",
    "flag",
    "integer",
    "invalid_requests",
    "loras",
    "number",
    "strengths",
    "upscale",
    "valid_cases",
    "valid_requests",
    "wire_value",
    "with_fields",
]
