"""One commit for the requests of one event-loop turn on a shared store (`jobs.GROUP_COMMIT`).
No request is answered before its writes are committed: the ASGI app awaits `run`, the
direct path (`mockserver.direct`) hands `answer` what sends its answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from mockserver import bodies
from mockserver.jobs import GROUP_COMMIT, Store
from mockserver.response import MockResponse, json_response

log = logging.getLogger("modelslab_contract.mock")

#: Called once the turn's commit is done: with None, or with the failure that lost it.
Done = Callable[[BaseException | None], None]


def failed(error_mode: str) -> MockResponse:
    """The answer to a request whose writes the commit lost (a server error, in the API's
    own error shape, as `handler.dispatch` answers any other failure)."""
    return json_response(bodies.http_status("server", error_mode), bodies.error("server"))


class GroupCommit:
    """The commit shared by the requests of the current loop turn on `store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: list[Done] | None = None

    def answer(self, handle: Callable[[], MockResponse], error_mode: str,
               send: Callable[[MockResponse], None]) -> MockResponse | None:
        """`handle()` with its writes left to the turn's commit: its answer when it wrote
        nothing; else None, and `send` gets it once committed (`failed` if the commit lost
        its writes)."""
        token = GROUP_COMMIT.set(True)
        try:
            response = handle()
        finally:
            GROUP_COMMIT.reset(token)
        if not getattr(self.store, "uncommitted", False):
            return response
        if self._waiting is None:
            self._waiting = []
            asyncio.get_running_loop().call_soon(self._commit_group)
        self._waiting.append(lambda exc: send(response if exc is None else failed(error_mode)))
        return None

    async def run(self, handle: Callable[[], MockResponse], error_mode: str) -> MockResponse:
        """`answer`, awaited."""
        future: asyncio.Future[MockResponse] = asyncio.get_running_loop().create_future()
        now = self.answer(handle, error_mode,
                          lambda response: None if future.done() else future.set_result(response))
        return now if now is not None else await future  # (cancelled only at shutdown)

    def _commit_group(self) -> None:
        waiting, self._waiting = self._waiting or [], None
        error: BaseException | None = None
        try:
            self.store.commit()  # type: ignore[attr-defined]
        except Exception as exc:  # the group's requests fail: their writes are not stored
            log.error("the store could not commit %d request(s): %s", len(waiting),
                      type(exc).__name__)
            error = exc
        for done in waiting:
            try:
                done(error)
            except Exception:  # one answer that cannot be sent must not keep the others
                log.exception("answering a committed request failed")
