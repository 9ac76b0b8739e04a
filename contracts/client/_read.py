"""Reading a backend's answer within bounds: its size once decoded, and its time.

A reply is read from the raw stream and decompressed here, never by httpx, so a small gzip
body that inflates to gigabytes stops at the cap (`MAX_REPLY_BYTES`, `MAX_DOWNLOAD_BYTES`)
after at most that much memory; and a backend that trickles its body is cut off at the
request's deadline, however often it sends a byte.
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

#: Largest decoded API reply (a JSON body) the client reads.
MAX_REPLY_BYTES = 8 * 1024 * 1024
#: Largest decoded output file (an image) the client downloads.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
#: What the client asks servers to compress with (those it can decode within bounds).
ACCEPT_ENCODING = "gzip, deflate"


class ReadRefused(Exception):
    """The answer was not read whole: too large, too slow, or in an unknown encoding."""


class _Inflater:
    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []
        if encoding in ("", "identity"):
            self._z: Any = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise ReadRefused(f"unsupported content-encoding {encoding[:40]!r}")

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise ReadRefused(f"the answer is larger than {self.cap} bytes")
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._keep(chunk)
            return
        try:
            data = self._z.decompress(chunk, self.cap + 1 - self.size)
            self._keep(data)
            while self._z.unconsumed_tail:
                self._keep(self._z.decompress(self._z.unconsumed_tail,
                                              self.cap + 1 - self.size))
        except zlib.error as exc:
            raise ReadRefused(f"undecodable compressed body: {exc}") from None

    def result(self) -> bytes:
        if self._z is not None:
            with contextlib.suppress(zlib.error):
                self._keep(self._z.flush())
        return b"".join(self.parts)


def _whole(content: bytes, cap: int) -> bytes:
    if len(content) > cap:
        raise ReadRefused(f"the answer is larger than {cap} bytes")
    return content


def _check(until: float | None) -> None:
    if until is not None and time.monotonic() > until:
        raise ReadRefused("the answer did not arrive before the deadline")


def read(response: Any, cap: int, until: float | None) -> bytes:
    """The decoded body of an httpx response opened with `stream`, within `cap` and `until`
    (a `time.monotonic` instant)."""
    if response.is_stream_consumed:  # made in memory (a mock transport): already whole
        return _whole(response.content, cap)
    inflater = _Inflater(response.headers.get("content-encoding", "").strip().lower(), cap)
    chunks: Iterator[bytes] = response.iter_raw(65536)
    for chunk in chunks:
        _check(until)
        inflater.feed(chunk)
    return inflater.result()


async def aread(response: Any, cap: int, until: float | None) -> bytes:
    """`read` for an httpx.AsyncClient's streamed response."""
    if response.is_stream_consumed:
        return _whole(response.content, cap)
    inflater = _Inflater(response.headers.get("content-encoding", "").strip().lower(), cap)
    chunks: AsyncIterator[bytes] = response.aiter_raw(65536)
    async for chunk in chunks:
        _check(until)
        inflater.feed(chunk)
    return inflater.result()
