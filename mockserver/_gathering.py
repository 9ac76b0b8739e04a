"""The served mock's writes (`mockserver._protocol`): one socket write per loop turn and
connection, and uvicorn's default header lines joined once."""

from __future__ import annotations

import asyncio
from typing import Any


class Gathering:
    """A transport proxy whose writes are joined and flushed at the end of the loop turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def default_lines(headers: list[tuple[bytes, bytes]]) -> bytes:
    """uvicorn's default headers (server, date) as header lines: joined once for each list
    (uvicorn makes a new one when the date changes, once a second)."""
    global _DEFAULTS
    known = _DEFAULTS  # (read once: servers in other threads may replace it meanwhile)
    if known[0] is not headers:
        known = _DEFAULTS = (headers, b"".join(b"%s: %s\r\n" % pair for pair in headers))
    return known[1]


_DEFAULTS: tuple[object, bytes] = (None, b"")
