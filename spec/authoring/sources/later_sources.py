"""Facts that come from outside the five pages, as DESIGN.md records them.

The vendor's later error catalogue adds size limits; observed real responses add the quirks a
faithful reader must survive. Kept apart so the ledger can say where each one comes from.
"""

from spec.authoring._facts import Fact, Source
from spec.endpoints import V6

ERROR_CATALOGUE = Source(
    id="error-catalogue",
    title="vendor error catalogue (later; recorded in DESIGN.md)",
    url="DESIGN.md#decisions-already-taken",
    endpoint=V6,
    params={
        "width": Fact(minimum=256, multiple_of=8),
        "height": Fact(minimum=256, multiple_of=8),
    },
    claims={
        "messages": ("Invalid Api Key", "Rate limit exceeded", "Model id not found",
                     "Failed, Try Again"),
        "validation_message_type": "object of field -> list of messages",
    },
)

OBSERVED_API = Source(
    id="observed-api",
    title="observed real responses (recorded in DESIGN.md)",
    url="DESIGN.md#decisions-already-taken",
    endpoint=V6,
    params={},
    claims={
        "processing_message_key": "messege",
        "pending_output": "",
        "response_id_types": ("integer", "string", "null"),
        "statuses": ("success", "processing", "error", "failed"),
        "fetch_forms": ("/api/v6/images/fetch/{id} with {key}",
                        "/api/v6/images/fetch with {key, request_id}"),
        "v4_fetch_forms": ("/api/v4/dreambooth/fetch", "/api/v4/dreambooth/fetch/{id}",
                           "/api/v3/dreambooth/fetch/{id}"),
        "lora_strength_echo_without_strengths": 1,
        "flux_warning": True,
        "documented_fetch_form": "POST /api/v6/images/fetch with {key, request_id}",
    },
)
