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
                   "mode (default) answers 200; http mode answers the catalogue's statuses "
                   "(row error-http-codes: 400 validation, 401, 402, 403, 404, 429 with "
                   "Retry-After, 500, 503). Readers accept both.",
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

    # -- issue 9: the API as its clients call it today ------------------------------------
    Row(
        id="v7-params",
        topic="v7 text to image: parameters (no page documents v7)",
        covers=(("model_id", "required"), ("width", "default"), ("height", "default"),
                ("width", "minimum"), ("height", "minimum")),
        says=(("model-selection-guide", "claim:image_models"),
              ("modelslab-cli", "claim:sent_fields"),
              ("modelslab-py-providers", "param:aspect_ratio.enum"),
              ("modelslab-py-providers", "claim:size_parameter")),
        resolution="INFERRED, v7 having no page: POST /api/v7/images/text-to-image takes the "
                   "v6 text2img parameters with their v6 limits (width/height 256-1024, "
                   "multiples of 8, default 512; samples 1-4), steps capped at 50, plus "
                   "aspect_ratio (one of the SDK's values, aspect_ratio.enum). model_id is "
                   "optional and defaults to flux. No `size` parameter.",
        why="From the CLI: the field set and that model_id is omitted unless --model is "
            "given (so requiring it would break the official CLI); from the SDK's providers: "
            "aspect_ratio and its values; from the guide: that flux is the first image model "
            "and that sizes are plain integers. The CLI's 1024 defaults are the client's, not "
            "the API's; the SDK's 512 minimum is per model. No source names a `size` "
            "parameter for images, so it is not adopted.",
    ),
    Row(
        id="v7-fetch",
        topic="v7 fetch",
        says=(("modelslab-cli", "claim:fetch"),
              ("model-selection-guide", "claim:v7_fetch_documented"),
              ("modelslab-py-providers", "claim:fetch")),
        resolution="POST /api/v7/images/fetch/{id} with {key}; the id in the path only. A "
                   "success body carries no future_links (the CLI would download each image "
                   "twice).",
        why="INFERRED from the CLI, the only client that fetches v7 images; the guide's video "
            "fetch has the same form.",
    ),
    Row(
        id="realtime-shape",
        topic="realtime text to image: its own request",
        covers=(("base64", "wire"),),
        says=(("realtime-openapi", "claim:model_id"),
              ("realtime-openapi", "claim:safety_checker_default"),
              ("realtime-pages", "claim:sdk_only_fields"),
              ("realtime-pages", "claim:sdk_ranges")),
        resolution="Required key and prompt; no model_id (answers name the model "
                   "\"realtime\"); width/height and samples as v6 (size.range, samples.range); "
                   "safety_checker, base64 and instant_response are flags defaulting to no; "
                   "seed, webhook, track_id as v6. The SDK-only fields are accepted and "
                   "ignored like any unknown field. Numbers may travel as strings.",
        why="The OpenAPI states only maxima; the error catalogue's 256 minimum and multiple "
            "of 8 apply to text to image and realtime is text to image (see realtime-min-size). "
            "The wider ranges are one SDK's own checks, not the API's.",
    ),
    Row(
        id="realtime-min-size",
        topic="realtime width/height minimum",
        says=(("realtime-openapi", "param:width.maximum"),
              ("error-codes-page", "param:width.minimum")),
        resolution="256 to 1024, multiple of 8, as v6 (size.range).",
        why="One rule for every text-to-image endpoint; a realtime page that states a "
            "maximum only does not say smaller sizes work.",
    ),
    Row(
        id="instant-response",
        topic="realtime instant_response",
        says=(("realtime-openapi", "claim:instant_response"),),
        resolution="instant_response yes/true: the job is queued at once (processing with "
                   "future_links, fetched later) whatever the mock's queue policy; no/false: "
                   "the policy decides.",
        why="The OpenAPI describes it as answering at once instead of waiting for the image.",
    ),
    Row(
        id="v3-transport",
        topic="parameters in the query string; the key in a `key` header",
        says=(("stablediffusionapi-client", "claim:transport"),
              ("v3-text2img-page", "claim:key_transport"),
              ("modelslab-cli", "claim:key_transport")),
        resolution="On every endpoint, parameters may come in the query string as well as "
                   "the JSON body, and the key in a `key` header. Precedence: a body field "
                   "wins over the same query parameter; the key is the body's when it is a "
                   "non-empty string, else the query's, else the `key` header's. An empty body "
                   "with parameters in the query (or a key header) is a request of those "
                   "parameters. Query strings above max_query_bytes are not read.",
        why="The former brand's client sends only a query string and a header; the CLI sends "
            "the key both ways; the pages send a body. The body is what the pages document, "
            "so it wins; a header cannot override a key the body states, so a client that "
            "sends both never has its body key silently replaced.",
    ),
    Row(
        id="v3-steps",
        topic="v3 steps and v3 dreambooth parameters",
        covers=(("num_inference_steps", "allowed"),),
        says=(("v3-dreambooth-page", "param:num_inference_steps.maximum"),),
        resolution="v3 text2img and v3 dreambooth: steps at least 1, capped at 50 (as v4). "
                   "v3 dreambooth takes v4's parameters.",
        why="The v3 text2img page lists 21/31/41/51 but its own example sends 20; the v3 "
            "dreambooth page says 1-50.",
    ),
    Row(
        id="v3-model-id",
        topic="v3 text2img has no model_id",
        says=(("v3-text2img-page", "claim:model_id"),
              ("v3-dreambooth-page", "param:model_id.required")),
        resolution="v3 text2img: no model_id (a sent one is ignored); answers name "
                   "runwayml/stable-diffusion-v1-5. v3 dreambooth: model_id required.",
        why="As each page states.",
    ),
    Row(
        id="v3-fetch-paths",
        topic="v3 fetch paths",
        says=(("v3-text2img-page", "claim:fetch"), ("v3-dreambooth-page", "claim:fetch"),
              ("stablediffusionapi-client", "claim:fetch")),
        resolution="POST /api/v3/fetch/{id} fetches v3 text2img jobs; POST "
                   "/api/v3/dreambooth/fetch/{id} fetches v3 and v4 dreambooth jobs (one job "
                   "family). An absolute-form request target is routed by its path.",
        why="Each page names its own fetch; v3 dreambooth's fetch path was already served for "
            "v4 jobs and keeps doing so.",
    ),
    Row(
        id="proxy-links-type",
        topic="proxy_links: a list or an object of index -> link",
        says=(("flux-page", "claim:proxy_links_type"),
              ("flux-openapi", "claim:proxy_links_type"),
              ("community-openapi-2026", "claim:proxy_links_type"),
              ("realtime-openapi", "claim:proxy_links_type")),
        resolution="The response schema accepts both; the mock sends a list.",
        why="The flux page's example and field table show an object; every OpenAPI says a "
            "list. A reader must survive both; a list is what clients index.",
    ),
    Row(
        id="output-type",
        topic="output as an object (asked for by issue 9)",
        says=(("flux-page", "claim:proxy_links_type"), ("modelslab-cli", "claim:links_read")),
        resolution="NOT adopted: output stays a list of links (or \"\" while pending).",
        why="No vendor page or document shows an object output (only proxy_links is one), "
            "and the official CLI reads a list only: an object output downloads nothing.",
    ),
    Row(
        id="processing-id",
        topic="a processing answer without id",
        says=(("flux-page", "claim:processing_fields"),
              ("v3-dreambooth-page", "claim:processing_fields")),
        resolution="The schema no longer requires id in a processing answer (status only); "
                   "the mock always sends one.",
        why="Issue 9 quotes a fetch answer without id; no vendor page shows one (every "
            "documented processing body has an id), but tolerating it costs nothing and a "
            "fetch answer needs none: the id is in the path.",
    ),
    Row(
        id="meta-names",
        topic="meta sizes: W/H or width/height; n_samples optional",
        says=(("flux-page", "claim:meta_keys"), ("webhooks-page", "claim:success_meta")),
        resolution="meta.echo accepts width/height where W/H are absent, and does not require "
                   "n_samples when neither W nor H is sent (the flux form); the mock keeps "
                   "W, H, n_samples.",
        why="The flux page and the webhook examples name sizes width/height; the v3/v4/v6 "
            "examples W/H with n_samples.",
    ),
    Row(
        id="flux-steps",
        topic="flux steps range",
        covers=(("num_inference_steps", "minimum"),),
        says=(("flux-page", "param:num_inference_steps.default"),),
        resolution="For the flux family (flux, fluxschnell, fluxdev) on v6, steps are capped "
                   "at 50 instead of 20; minimum 1; omitted means the field's default.",
        why="The flux page says 20-50 and the flux OpenAPI 1-50: both put the top at 50. The "
            "page's floor of 20 contradicts the OpenAPI, and rejecting 1-19 would break "
            "clients that work today, so the floor stays 1.",
    ),
    Row(
        id="flux-clip-skip",
        topic="flux clip_skip maximum",
        covers=(("clip_skip", "maximum"),),
        resolution="1 to 8 for every model.",
        why="The flux page says 1-4; the flux and community OpenAPIs and the v4 page say 1-8.",
    ),
    Row(
        id="error-http-codes",
        topic="HTTP statuses of errors in http mode",
        says=(("error-codes-page", "claim:http_statuses"),
              ("error-codes-page", "claim:not_listed"),
              ("realtime-openapi", "claim:error_statuses")),
        resolution="http mode: 400 validation (was 422), 401 key, 402 credits, 403 premium "
                   "feature, 404 unknown job or model, 429 rate limit, 500 server, 503 "
                   "unavailable; 413 for an oversized body (a project limit). Legacy mode "
                   "(the default) answers every error with 200.",
        why="The catalogue lists 400/401/402/403/429/500/503; the realtime and community "
            "OpenAPIs add 404 for an unknown fetch id. 413 is a transport limit of ours.",
    ),
    Row(
        id="error-messages",
        topic="error messages",
        says=(("error-codes-page", "claim:messages"),
              ("error-codes-page", "claim:validation_message_type"),
              ("error-catalogue", "claim:messages")),
        resolution="http mode answers the catalogue's messages, and validation errors as one "
                   "plain string (\"prompt is required; width must be ...\"); legacy mode keeps "
                   "the observed legacy messages and the field -> list object.",
        why="The catalogue page is the vendor's current statement; the older strings "
            "(recorded in DESIGN.md as observed) are the legacy API's and stay in legacy mode.",
    ),
    Row(
        id="retry-after",
        topic="429: retry_after in the body and a Retry-After header",
        says=(("error-codes-page", "claim:retry_after"),
              ("modelslab-cli", "claim:retry_after_header")),
        resolution="A 429 (and, in legacy mode, its 200 body) carries retry_after (integer "
                   "seconds) in the body; the 429 also carries the same value in Retry-After.",
        why="The catalogue documents the body field; the official CLI reads only the header. "
            "The header is a project addition justified by that client.",
    ),
    Row(
        id="unknown-model",
        topic="an unknown model_id",
        says=(("error-codes-page", "claim:unknown_model_status"),
              ("model-selection-guide", "claim:image_models"),
              ("modelslab-py-providers", "claim:models")),
        resolution="Only when the mock is given a model list (--models ID,... or --models "
                   "public, the documented ids): a model_id outside it is answered \"Model not "
                   "found: <id>\" (http mode 404; legacy 200 with the legacy message). Without "
                   "a list any id is accepted. A default model_id (v7 without one) is never "
                   "refused.",
        why="The catalogue gives the message but no status; a missing model is a not-found, "
            "and 404 is what the CLI reports as such. The mock cannot know private models, so "
            "the check is opt-in.",
    ),
    Row(
        id="webhook-failure",
        topic="jobs that fail, and their webhook",
        says=(("webhooks-page", "claim:failure_payload"),
              ("webhooks-page", "claim:delivery"),
              ("observed-api", "claim:statuses"), ("modelslab-cli", "claim:failed_status")),
        resolution="A queued job may end failed: its fetch then answers {status: failed, id, "
                   "message} (+ track_id when given) and its webhook carries exactly status, "
                   "id, message, track_id. Forced by `Prefer: status=failed`, or by "
                   "failure_rate (a queued job fails when it ends; one answered at once fails "
                   "at once). Delivered like a success webhook (the mock's one retry); http "
                   "webhook URLs are allowed on the mock (the HTTPS rule is the real API's).",
        why="The webhooks page documents the failure payload; the observed API says failed.",
    ),
    Row(
        id="drift-community-openapi",
        topic="`spec diff` against the community-models OpenAPI (spec/drift-community-openapi.txt)",
        says=(("community-openapi-2026", "claim:drift_report"),),
        resolution="Adopted: nothing new (its steps maximum 20 is our cap already). Rejected: "
                   "img2img/inpaint/model_reload (not image text-to-image: out of scope); our "
                   "endpoints it lacks stay (other sources); single JSON types (rows "
                   "numbers-as-strings, flags, nullable); its defaults (rows steps, "
                   "safety-checker-default, flags, clip-skip-default, upscale, "
                   "karras-tomesd-defaults); removed minimums (size-limits, samples, seed, "
                   "lora-strength-type, upscale); lora_strength integer (lora-strength-type); "
                   "request_id string only (ids); enum value 'no' removed (algorithm-type); "
                   "parameters it lacks (embeddings_model, enhance_style, panorama, "
                   "self_attention, tomesd) stay, the pages document them.",
        why="The document repeats the older OpenAPI's choices that the ledger already "
            "resolved against the pages; it adds no image text-to-image fact we lack.",
    ),
    Row(
        id="drift-flux-openapi",
        topic="`spec diff` against the flux OpenAPI (spec/drift-flux-openapi.txt)",
        says=(("flux-openapi", "claim:drift_report"),),
        resolution="Adopted: steps maximum 50, for the flux family (flux-steps). Rejected: "
                   "its extra flux parameters (injected_noise_alpha, sigma_threshold, "
                   "true_cfg_scale, use_cfg_zero_star, use_zero_init, zero_steps) are passed "
                   "through as unknown fields, not validated (one model family's tuning); the "
                   "parameters it lacks stay (flux ignores them: the flux row); lora_strength "
                   "string-only and clip_skip null (already accepted); the other differences "
                   "as for the community document.",
        why="The flux document describes one model family on the shared endpoint; adopting "
            "its narrower field list for every model would break the others.",
    ),
)
