"""Serve one benchmark target on a loopback port: the mock (one uvicorn worker) or the ceiling.

    python bench/_serve.py mock PORT [--loop auto|asyncio|uvloop] [--http auto|h11|httptools]
                                     [--config '{"error_mode": "http"}']
    python bench/_serve.py ceiling PORT [...]
    python bench/_serve.py floor PORT [...]
    python bench/_serve.py mock PORT --engine-time FILE   # also time the engine in situ


The ceiling is a bare ASGI app that drains the request body and answers a fixed JSON body of
the same size as the mock's success body: what uvicorn itself can do on this machine, so the
mock's figure can be read as a share of it. The floor is the mock served as ever (its
protocol, its direct path) with the engine taken out: its direct answers are the ceiling's
fixed body, so the mock's figure can be split into what the engine costs and what the rest
does. Not part of the package; not run by the tests.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn

#: A success body shaped and sized like the mock's (one output link, a full `meta`).
_META = {"prompt": "ultra realistic close up portrait of a lighthouse at dusk",
         "model_id": "midjourney", "negative_prompt": "blurry, low quality",
         "scheduler": "UniPCMultistepScheduler", "W": 512, "H": 512, "guidance_scale": 7.5,
         "seed": 12345, "steps": 20, "n_samples": 1, "clip_skip": 2, "upscale": "no",
         "lora": "contrast-fix,yae-miko-genshin", "lora_strength": "1,1",
         **{k: "no" for k in ("safety_checker", "enhance_prompt", "tomesd",
                              "use_karras_sigmas", "multi_lingual", "panorama",
                              "self_attention", "highres_fix", "base64", "temp")},
         "safety_checker_type": "sensitive_content_text", "enhance_style": None,
         "algorithm_type": "none", "vae": None, "embeddings_model": None,
         "ip_adapter_id": None, "ip_adapter_scale": 0.6, "ip_adapter_image": None}
_LINK = "http://127.0.0.1:8000/generations/1-0-6578f6f55c.png"
FIXED = json.dumps({"status": "success", "generationTime": 0.45, "id": 1, "output": [_LINK],
                    "proxy_links": [_LINK], "nsfw_content_detected": False, "meta": _META},
                   separators=(",", ":")).encode()
_HEADERS = [(b"content-type", b"application/json"),
            (b"content-length", str(len(FIXED)).encode())]


async def ceiling(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI app can do: drain the body, answer a constant."""
    if scope["type"] != "http":
        while scope["type"] == "lifespan":
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": FIXED})


def _floor(direct: Any) -> Any:
    """The mock's direct answerer with the engine taken out: every answer is `FIXED`."""
    lines = b"content-type: application/json\r\ncontent-length: %d\r\nvary: Origin\r\n" \
        % len(FIXED)

    class Floor(type(direct)):  # type: ignore[misc]
        def answer(self, *args: Any, **kwargs: Any) -> Any:
            return 200, lines, FIXED, 0.0

    return Floor(direct.engine)


def _time_engine(direct: Any, out: str) -> None:
    """Time `Direct.answer` (the engine's `handle_later`, with the direct path's origin and
    framing around it) in the served process, and write {"requests", "us"} to `out` at exit:
    the engine's cost in situ, beside the in-process figure of bench/profile.py (two clock
    reads a request: opt-in, not for the headline run). The `Direct` is timed, not the
    engine: a compiled engine's methods cannot be replaced (README, "Compiled hot path")."""
    import atexit
    import signal
    import sys
    import time

    answer, clock = direct.answer, time.perf_counter
    total = [0, 0.0]

    def timed(*args: Any) -> Any:
        started = clock()
        try:
            return answer(*args)
        finally:
            total[0] += 1
            total[1] += clock() - started

    direct.answer = timed
    atexit.register(lambda: Path(out).write_text(json.dumps(
        {"requests": total[0], "us": total[1] / max(total[0], 1) * 1e6})))
    # uvicorn raises the SIGTERM it caught again once it has shut down: an exit, not a kill,
    # so the figure is written.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", choices=("mock", "ceiling", "floor"))
    parser.add_argument("port", type=int)
    parser.add_argument("--loop", default="auto")
    parser.add_argument("--http", default="auto")
    parser.add_argument("--config", default="{}", help="MockConfig settings as JSON")
    parser.add_argument("--engine-time", default=None, metavar="FILE",
                        help="write the engine's mean wall time per direct request here")
    args = parser.parse_args()
    if args.target in ("mock", "floor"):
        from mockserver import MockConfig, create_app
        app: Any = create_app(MockConfig().replace(**json.loads(args.config)))
        if args.target == "floor":
            app.direct = _floor(app.direct)
        elif args.engine_time:
            _time_engine(app.direct, args.engine_time)
    else:
        app = ceiling
    # "module:Class" names a protocol class (e.g. the mock's one-write protocol).
    http: Any = args.http
    if ":" in http:
        from uvicorn.importer import import_from_string
        http = import_from_string(http)
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, loop=args.loop,
                http=http, access_log=False, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
