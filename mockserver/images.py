"""Deterministic PNG placeholders: same (seed, prompt, index, size, upscale), same bytes.

Each image is a four-colour gradient with a few shapes, both drawn from a hash of its
parameters, with the prompt, seed and index written on it, so a person can tell images apart.
Pillow writes no timestamp or other metadata, and the compress level is fixed.

An upscaled image is drawn at its base size (at most 1024 x 1024: the spec's width and height
limits) and enlarged by its factor with nearest-neighbour resampling, as cheap as a PNG of its
final size can be made: a 3072 x 3072 file is never drawn pixel by pixel.

`ImageCache` renders in the calling thread by default; with `processes` > 0 it renders images
larger than `INLINE_PIXELS` in a bounded pool of that many child processes at low CPU priority
(`RENDER_NICE`), so big images never take the API's event loop or its share of the CPU, and
at most that many are being drawn at once (the memory a render needs is bounded by it). One
image asked for by several requests at once is rendered once.

The cache is each process's own, never in the shared store (`mockserver.jobs.Store`): an image
is a function of its key, so a mock that did not draw it draws the same bytes (no correctness
issue), while sharing the PNGs themselves would put up to `CACHE_BYTES` per mock through Redis
or SQLite, and sharing only the keys would tell a mock nothing it could serve.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import io
import logging
import multiprocessing
import os
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger("mockserver")

#: zlib level for PNGs: fast, and fixed so output is stable.
COMPRESS_LEVEL = 1
_MAX_PROMPT_LINES = 6
#: Bytes of PNGs the cache keeps (least recently used evicted first).
CACHE_BYTES = 64 * 1024 * 1024
#: Render processes of a served mock (`create_app`): images are drawn one at a time, away
#: from the API's process ...
RENDER_PROCESSES = 1
#: ... at this niceness: they take the CPU the API leaves.
RENDER_NICE = 10
#: Images of at most this many pixels (final size) are rendered in the calling thread even
#: with render processes: a few milliseconds each, less than the round trip to a process.
INLINE_PIXELS = 512 * 512


def _palette(digest: bytes, start: int, count: int) -> list[tuple[int, int, int]]:
    return [(digest[start + 3 * i], digest[start + 3 * i + 1], digest[start + 3 * i + 2])
            for i in range(count)]


def render_png(seed: int, prompt: str, index: int, width: int, height: int,
               upscale: int = 1) -> bytes:
    """A PNG of (`width` x `height`) times `upscale`, showing the prompt, seed, index and its
    size; drawn at `width` x `height` and enlarged (nearest neighbour) when `upscale` > 1."""
    final_w, final_h = width * upscale, height * upscale
    image = _draw(seed, prompt, index, width, height, final_w, final_h)
    if upscale > 1:
        image = image.resize((final_w, final_h), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=COMPRESS_LEVEL)
    return out.getvalue()


def _draw(seed: int, prompt: str, index: int, width: int, height: int, final_w: int,
          final_h: int) -> Image.Image:
    """The image at `width` x `height`; its colours and caption name the final size."""
    digest = hashlib.sha256(f"{seed}|{index}|{final_w}x{final_h}|{prompt}".encode(
        "utf-8", "replace")).digest()
    corners = Image.new("RGB", (2, 2))
    corners.putdata(_palette(digest, 0, 4))
    image = corners.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate(_palette(digest, 12, 3)):
        cx = digest[21 + i] * width // 256
        cy = digest[24 + i] * height // 256
        r = (digest[27 + i] % 64 + 32) * min(width, height) // 256
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=max(2, r // 8))
    _caption(draw, width, height, f"seed {seed}  #{index}  {final_w}x{final_h}", prompt)
    return image


def _caption(draw: ImageDraw.ImageDraw, width: int, height: int, header: str,
             prompt: str) -> None:
    size = max(10, min(width, height) // 24)
    font = ImageFont.load_default(size=size)
    per_line = max(8, int(width / (size * 0.55)))
    lines = textwrap.wrap(prompt, per_line) or [""]
    if len(lines) > _MAX_PROMPT_LINES:
        lines = [*lines[:_MAX_PROMPT_LINES - 1], lines[_MAX_PROMPT_LINES - 1][:-1] + "…"]
    text = "\n".join([header, *lines])
    box = draw.multiline_textbbox((0, 0), text, font=font)
    pad = size // 2
    top = height - (box[3] - box[1]) - 3 * pad
    draw.rectangle((0, top, width, height), fill=(0, 0, 0))
    draw.multiline_text((pad, top + pad), text, fill=(255, 255, 255), font=font)


#: (seed, prompt, index, width, height, upscale): what an image is a function of.
Key = tuple[int, str, int, int, int, int]


def _lower_priority() -> None:
    """Runs first in each render process (which stops when the mock that started it dies)."""
    from mockserver.supervise import watch_parent

    watch_parent()
    with contextlib.suppress(OSError):  # not permitted: it renders at normal priority
        os.nice(RENDER_NICE)


def _ready() -> bytes:
    return b""


class ImageCache:
    """Rendered PNGs, least recently used evicted past `max_bytes`.

    Args:
        processes: render in a pool of this many low-priority child processes (started on
            the first render, stopped by `close`); 0 renders in the calling thread.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES, *, processes: int = 0) -> None:
        self.max_bytes = max_bytes
        self.processes = processes
        self._items: OrderedDict[Key, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        #: Renders under way: later requests for the same image wait for the same one.
        self._rendering: dict[Key, concurrent.futures.Future[bytes]] = {}
        self.renders = 0

    def png(self, seed: int, prompt: str, index: int, width: int, height: int,
            upscale: int = 1) -> bytes:
        key = (seed, prompt, index, width, height, upscale)
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
            future = self._rendering.get(key)
            owner = future is None
            if future is None:
                future = self._rendering[key] = concurrent.futures.Future()
        if not owner:
            return future.result()
        try:
            data = self._render(key)
        except BaseException as exc:
            with self._lock:
                del self._rendering[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._rendering[key]
            self.renders += 1
            if key not in self._items:
                self._items[key] = data
                self._size += len(data)
            while self._size > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)
        future.set_result(data)
        return data

    def start(self) -> None:
        """Start the render processes now (else the first render does), and wait until they
        run: a served mock starts them before it takes requests, so their start-up (an
        interpreter importing Pillow, at normal priority) never competes with the API."""
        if self.processes > 0:
            self._render_with(_ready)

    def _render(self, key: Key) -> bytes:
        _, _, _, width, height, upscale = key
        if self.processes <= 0 or width * height * upscale * upscale <= INLINE_PIXELS:
            return render_png(*key)
        return self._render_with(render_png, *key)

    def _render_with(self, function: Callable[..., bytes], *args: object) -> bytes:
        with self._lock:
            if self._pool is None:
                # spawn: a fork of a process running an event loop and threads is unsafe.
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self.processes, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_lower_priority)
            pool = self._pool
        try:
            return pool.submit(function, *args).result()
        except concurrent.futures.BrokenExecutor as exc:
            # A child could not start (e.g. a `__main__` that spawn cannot import again) or
            # died: render here from now on rather than fail every image.
            log.warning("image render processes unavailable (%s): rendering in threads", exc)
            self.processes = 0
            self.close()
            return function(*args)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def close(self) -> None:
        """Stop the render processes (a later render starts them again)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __len__(self) -> int:
        return len(self._items)
