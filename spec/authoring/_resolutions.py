"""How each conflict between the sources was resolved, and why: the ledger's content.

A row `covers` the (parameter, attribute) conflicts the normaliser detects; `says` cites other
statements by reference (`param:NAME.ATTRIBUTE` or `claim:KEY`) so that what each source says is
always read from the source modules, never retyped here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    id: str
    topic: str
    resolution: str
    why: str
    covers: tuple[tuple[str, str], ...] = ()
    says: tuple[tuple[str, str], ...] = ()


_NUMBERS = ("width", "height", "samples", "num_inference_steps", "clip_skip")

ROWS: tuple[Row, ...] = (
    Row(
        id="steps",
        topic="num_inference_steps: range, cap and default",
        covers=(("num_inference_steps", "maximum"), ("num_inference_steps", "allowed"),
                ("num_inference_steps", "default")),
        says=(("v6-lora-page", "claim:response_example_steps_for_request_31"),
              ("v6-text2img-page", "claim:response_example_steps_for_request_31"),
              ("v4-dreambooth-page", "claim:response_example_steps_for_request_30")),
        resolution="v6: an integer of at least 1; any value above 20 is accepted and capped to "
                   "20, and meta.steps echoes the effective value; omitted means 20. v4: at least "
                   "1, capped at 50; omitted means 20.",
        why="Both current v6 pages and the OpenAPI's own maximum and description agree on 1-20 "
            "with a cap. The 21/31/41 list comes from a retired revision and contradicts that "
            "range. The OpenAPI's default of 31 lies above its own maximum, so it cannot be the "
            "effective default: the cap is. The v4 page states 1-50 for its own endpoint. The "
            "example responses echo 30 and 20 for requests of 31 and 30: copied examples, not "
            "evidence of another cap.",
    ),
    Row(
        id="flags",
        topic="on/off parameters: \"yes\"/\"no\" strings or JSON booleans",
        covers=(("safety_checker", "type"), ("safety_checker", "wire"),
                ("enhance_prompt", "type"), ("enhance_prompt", "default"),
                ("enhance_prompt", "wire"), ("use_karras_sigmas", "type"),
                ("use_karras_sigmas", "wire"), ("multi_lingual", "type"),
                ("multi_lingual", "wire"), ("base64", "type"), ("base64", "default"),
                ("highres_fix", "type"), ("highres_fix", "default"), ("temp", "type")),
        resolution="Accept \"yes\"/\"no\" and true/false (and the strings \"true\"/\"false\"), "
                   "case-insensitively; anything else is a field.type violation. meta echoes "
                   "\"yes\"/\"no\". Defaults are the pages' (enhance_prompt, tomesd, "
                   "use_karras_sigmas yes; the rest no).",
        why="Every page and every example uses \"yes\"/\"no\"; the OpenAPI types them boolean, "
            "and its enhance_prompt default ('yes') is not even a boolean. A client written "
            "from either source must work, so the wire accepts both and the echo keeps the "
            "form the real responses use.",
    ),
    Row(
        id="safety-checker-default",
        topic="safety_checker default",
        covers=(("safety_checker", "default"),),
        resolution="Default \"yes\" (the checker runs unless the request says \"no\").",
        why="Three pages say \"yes\"; only the OpenAPI says false. Failing safe is the better "
            "default for a contract: a client that relies on the checker being off must say so.",
    ),
    Row(
        id="numbers-as-strings",
        topic="integers sent as decimal strings",
        covers=tuple((n, "wire") for n in _NUMBERS),
        resolution="Integer fields accept a JSON integer, an integral JSON number (512.0) or a "
                   "decimal string (\"512\", surrounding spaces allowed). Number fields accept "
                   "a JSON number or a decimal string. Anything else is field.type.",
        why="Every example body on every page sends \"512\", \"1\", \"31\", \"2\" as strings "
            "while the tables and the OpenAPI type them integer. Rejecting the vendor's own "
            "examples would make the contract useless.",
    ),
    Row(
        id="guidance-type",
        topic="guidance_scale: integer or number",
        covers=(("guidance_scale", "type"), ("guidance_scale", "wire")),
        resolution="A number from 1 to 20 (7.5 is valid); omitted means 7.5.",
        why="The text-to-image table says integer, but every example sends 7.5 and the "
            "OpenAPI types it number with default 7.5.",
    ),
    Row(
        id="lora-strength-type",
        topic="lora_strength: integer or comma-separated string",
        covers=(("lora_strength", "type"), ("lora_strength", "wire")),
        resolution="A comma-separated string of numbers (\"0.45,0.55\") or a single JSON "
                   "number; each strength is in [0.1, 1].",
        why="The OpenAPI types it integer, which cannot hold 0.45 nor a list, while its own "
            "description and every page and example use a comma-separated string.",
    ),
    Row(
        id="lora-lists",
        topic="lora_model / lora_strength lists and their counts",
        says=(("v6-lora-page", "param:lora_model.type"),
              ("v6-lora-page", "param:lora_strength.type"),
              ("observed-api", "claim:lora_strength_echo_without_strengths")),
        resolution="lora_model is a comma-separated list of ids, each trimmed; strengths are "
                   "matched to ids by position and their counts must be equal (lora.count). "
                   "Strengths without ids are a mismatch; ids without strengths mean 1 each. "
                   "One trailing comma is tolerated (\"0.45,\"); an empty item elsewhere is "
                   "field.type.",
        why="The pages say \"each value as comma separated\" without saying what a mismatch "
            "means; a count mismatch cannot be applied unambiguously, so it is an error. "
            "Real responses echo 1 when no strength is sent. The LoRA page's Java sample "
            "sends \"0.45,\", so a single trailing separator must not break it.",
    ),
    Row(
        id="upscale",
        topic="upscale: \"yes\"/\"no\", boolean or factor 1-3",
        covers=(("upscale", "type"), ("upscale", "wire")),
        resolution="Accept \"no\"/false (factor 1), \"yes\"/true (factor 2) and a factor 1, 2 "
                   "or 3 as integer or string; anything else is upscale.range. Image files are "
                   "that many times larger; meta.W/H echo the request.",
        why="The LoRA and v4 pages say yes/no meaning 2x, the text-to-image page says a factor "
            "1, 2, 3, the OpenAPI says boolean. All three are consistent once yes means 2.",
    ),
    Row(
        id="ids",
        topic="track_id and response id types",
        covers=(("track_id", "type"),),
        says=(("v6-openapi", "claim:response_id_type"),
              ("observed-api", "claim:response_id_types")),
        resolution="track_id: an integer or a string, echoed unchanged in the webhook. Response "
                   "id: readers accept integer, string or null; the mock answers an integer.",
        why="The LoRA pages say integral, the text-to-image page and the OpenAPI say string; "
            "real responses carry ids in all three forms.",
    ),
    Row(
        id="message-key",
        topic="message or messege in processing bodies",
        says=(("v6-openapi", "claim:processing_fields"),
              ("observed-api", "claim:processing_message_key")),
        resolution="Readers accept either key; the mock sends messege while quirks are on "
                   "(the default) and message when they are off.",
        why="The OpenAPI documents message; real processing bodies misspell it.",
    ),
    Row(
        id="statuses",
        topic="status values and a pending output",
        says=(("v6-openapi", "claim:statuses"), ("observed-api", "claim:statuses"),
              ("observed-api", "claim:pending_output")),
        resolution="status is one of success, processing, error, failed (failed is treated as "
                   "an error). A pending fetch may carry output \"\" instead of a list.",
        why="The OpenAPI knows three statuses and an array output; real responses also say "
            "failed and send an empty string while a job is pending.",
    ),
    Row(
        id="fetch-forms",
        topic="the two fetch forms",
        says=(("v6-openapi", "claim:processing_fields"),
              ("observed-api", "claim:documented_fetch_form"),
              ("observed-api", "claim:fetch_forms"), ("observed-api", "claim:v4_fetch_forms")),
        resolution="Serve and accept both: POST /api/v6/images/fetch/{id} with {key}, and "
                   "POST /api/v6/images/fetch with {key, request_id}; v4 likewise, plus "
                   "/api/v3/dreambooth/fetch/{id}.",
        why="The documented form takes request_id in the body; fetch_result URLs in real "
            "responses and the official SDK put the id in the path.",
    ),
    Row(
        id="error-status",
        topic="error bodies: HTTP 200 or 4xx, message string or object",
        says=(("v6-openapi", "claim:error_http_statuses"),
              ("v6-openapi", "claim:error_message_type"),
              ("error-catalogue", "claim:validation_message_type")),
        resolution="Body {status: error, message} where message is a string or, for "
                   "validation, an object of field -> list of messages. HTTP status: legacy "
                   "mode (default) answers 200; http mode answers 401 key, 402 credits, 404 "
                   "unknown job, 422 validation, 429 rate limit with Retry-After. Readers "
                   "accept both.",
        why="The OpenAPI puts the error body both under 200 and under 400/401/500; the legacy "
            "API answers 200 with an object message for validation errors.",
    ),
    Row(
        id="clip-skip-default",
        topic="clip_skip default",
        says=(("v6-openapi", "param:clip_skip.default"),
              ("v6-lora-page", "claim:response_meta_clip_skip_when_not_sent")),
        resolution="Default 1; range 1 to 8.",
        why="The OpenAPI says 2, but the page's response for a request without clip_skip "
            "echoes 1: observed behaviour wins over a declared default.",
    ),
    Row(
        id="size-limits",
        topic="width/height minimum and multiple of 8",
        says=(("v6-text2img-page", "param:width.maximum"), ("v6-openapi", "param:width.maximum"),
              ("error-catalogue", "param:width.minimum"),
              ("error-catalogue", "param:width.multiple_of")),
        resolution="256 to 1024 and a multiple of 8, for width and height (size.range); "
                   "default 512. The minimum and the multiple come from the later error "
                   "catalogue, not from the pages.",
        why="The pages only state the maximum; the vendor's later error catalogue rejects "
            "sizes below 256 or not divisible by 8, and a backend that accepts them breaks "
            "clients that later meet the real API.",
    ),
    Row(
        id="samples",
        topic="samples minimum",
        says=(("v6-openapi", "param:samples.maximum"), ("v6-openapi", "param:samples.default"),
              ("v4-dreambooth-page", "param:samples.maximum")),
        resolution="1 to 4 (samples.range); output and future_links carry exactly that many "
                   "links.",
        why="Every source states the maximum 4 and none states a minimum; zero images is no "
            "answer, so 1 is the least.",
    ),
    Row(
        id="seed",
        topic="seed range",
        says=(("v6-openapi", "param:seed.type"),
              ("v6-text2img-page", "claim:response_example_seed")),
        resolution="null (a random seed, echoed in meta.seed) or an integer from 0 to 2^32-1 "
                   "(seed.range).",
        why="No source states a range; response examples echo seeds above 2^31, so the range "
            "is an unsigned 32-bit integer.",
    ),
    Row(
        id="algorithm-type",
        topic="algorithm_type values",
        covers=(("algorithm_type", "type"),),
        says=(("v6-lora-page", "claim:response_meta_algorithm_type"),),
        resolution="One of none, dpmsolver+++; \"no\" is accepted as a spelling of none.",
        why="The page says a free string with default none, the OpenAPI an enum; real "
            "responses echo \"no\".",
    ),
    Row(
        id="karras-tomesd-defaults",
        topic="tomesd and use_karras_sigmas defaults",
        covers=(("use_karras_sigmas", "default"),),
        says=(("v6-text2img-page", "param:tomesd.default"),
              ("v6-lora-page", "claim:response_meta_tomesd_when_not_sent")),
        resolution="Both default to \"yes\".",
        why="The text-to-image page and the OpenAPI agree on on; one example response echoes "
            "\"no\" for a request that did not send them, a single copied example against two "
            "statements.",
    ),
    Row(
        id="nullable",
        topic="null values and OpenAPI 3.0's nullable",
        covers=(("vae", "nullable"),),
        resolution="Every optional field accepts null, meaning not given (its default "
                   "applies). The schema says so with 3.1 type lists, not nullable.",
        why="Examples send null for seed, webhook, track_id, lora_model, lora_strength, vae "
            "and embeddings_model; the OpenAPI marks vae with 3.0's nullable, which 3.1 "
            "ignores, and openapi-core refuses to load the document.",
    ),
    Row(
        id="meta-keys",
        topic="meta key spellings",
        says=(("v6-text2img-page", "claim:response_meta_keys"),
              ("v6-lora-page", "claim:response_meta_keys"),
              ("v4-dreambooth-page", "claim:response_meta_keys")),
        resolution="The mock echoes safety_checker, lora and lora_strength; readers also accept "
                   "safetychecker and lora_model.",
        why="Older example responses spell them differently from the LoRA page's.",
    ),
    Row(
        id="flux",
        topic="flux models and unsupported parameters",
        says=(("v6-text2img-page", "claim:flux_models"),
              ("v6-text2img-page", "claim:flux_unsupported"),
              ("observed-api", "claim:flux_warning")),
        resolution="For flux, fluxschnell and fluxdev the unsupported parameters are accepted "
                   "and ignored, and the response carries a warning naming them "
                   "(flux.warning).",
        why="The page lists what flux ignores without saying it is an error; real responses "
            "warn instead of failing.",
    ),
)
