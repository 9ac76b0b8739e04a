"""One commit for the requests of one event-loop turn on a shared store (`Engine.grouped`,
which the ASGI app awaits; `jobs.GROUP_COMMIT`). No request is answered before its writes
are committed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mockserver.jobs import GROUP_COMMIT, Store
from mockserver.response import MockResponse


class GroupCommit:
    """The commit shared by the requests of the current loop turn on `store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiter: asyncio.Future[None] | None = None

    async def run(self, handle: Callable[[], MockResponse]) -> MockResponse:
        """`handle()` with its writes left to the turn's commit, awaited before it returns."""
        token = GROUP_COMMIT.set(True)
        try:
            response = handle()
        finally:
            GROUP_COMMIT.reset(token)
        if getattr(self.store, "uncommitted", False):
            waiter = self._waiter
            if waiter is None:
                loop = asyncio.get_running_loop()
                waiter = self._waiter = loop.create_future()
                loop.call_soon(self._commit_group)
            await waiter  # (shared by the turn's requests: cancelled only at shutdown)
        return response

    def _commit_group(self) -> None:
        waiter, self._waiter = self._waiter, None
        assert waiter is not None
        try:
            self.store.commit()  # type: ignore[attr-defined]
        except Exception as exc:  # the group's requests fail: their writes are not stored
            if not waiter.done():
                waiter.set_exception(exc)
        else:
            if not waiter.done():
                waiter.set_result(None)
