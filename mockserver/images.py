"""Deterministic PNG placeholders: same (seed, prompt, index, size), same bytes.

Each image is a four-colour gradient with a few shapes, both drawn from a hash of its
parameters, with the prompt, seed and index written on it, so a person can tell images apart.
Pillow writes no timestamp or other metadata, and the compress level is fixed.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
import threading
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageFont

#: zlib level for PNGs: fast, and fixed so output is stable.
COMPRESS_LEVEL = 1
_MAX_PROMPT_LINES = 6


def _palette(digest: bytes, start: int, count: int) -> list[tuple[int, int, int]]:
    return [(digest[start + 3 * i], digest[start + 3 * i + 1], digest[start + 3 * i + 2])
            for i in range(count)]


def render_png(seed: int, prompt: str, index: int, width: int, height: int) -> bytes:
    """A `width` x `height` PNG showing the prompt, seed and index."""
    digest = hashlib.sha256(f"{seed}|{index}|{width}x{height}|{prompt}".encode(
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
    _caption(draw, width, height, f"seed {seed}  #{index}  {width}x{height}", prompt)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=COMPRESS_LEVEL)
    return out.getvalue()


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


Key = tuple[int, str, int, int, int]


class ImageCache:
    """Rendered PNGs, least recently used evicted past `max_bytes`."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Key, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.renders = 0

    def png(self, seed: int, prompt: str, index: int, width: int, height: int) -> bytes:
        key = (seed, prompt, index, width, height)
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
        data = render_png(seed, prompt, index, width, height)
        with self._lock:
            self.renders += 1
            if key not in self._items:
                self._items[key] = data
                self._size += len(data)
            while self._size > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)
        return data

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._items)
