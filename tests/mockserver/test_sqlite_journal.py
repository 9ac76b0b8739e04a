"""The SQLite store's journal ring (`mockserver._sqlite_journal`): a turn's entries written in
one go, around the end of the ring and back, read back whole and in order."""

from __future__ import annotations

import json
from pathlib import Path

from mockserver import Engine, MockConfig, SqliteStore
from mockserver.jobs import GROUP_COMMIT
from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, body


def test_entries_written_a_turn_at_a_time_wrap_around_the_ring_and_read_back_whole(
        tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.sqlite", journal_bytes=16 * 1024)
    engine = Engine(MockConfig(), clock=FakeClock(), store=store, webhooks=RecordingSender())
    sent: list[str] = []
    try:
        for turn in range(40):  # ~2 KiB an entry: the ring wraps every ~8 entries
            token = GROUP_COMMIT.set(True)
            try:
                for n in range(1 + turn % 5):  # turns of 1 to 5 requests
                    prompt = f"turn {turn} request {n} " + "x" * (turn * 7 % 300)
                    sent.append(prompt)
                    engine.handle("POST", V6, {"content-type": "application/json"},
                                  json.dumps(body(prompt=prompt)).encode(), ORIGIN)
            finally:
                GROUP_COMMIT.reset(token)
            store.commit()

            kept = store.journal.entries()
            prompts = [entry["body"]["prompt"] for entry in kept]
            seqs = [entry["seq"] for entry in kept]
            assert prompts == sent[len(sent) - len(prompts):], turn  # the newest, in order
            assert seqs == list(range(len(sent) - len(kept) + 1, len(sent) + 1))
            assert [entry["response"]["meta"]["prompt"] for entry in kept] == prompts
            assert min(len(sent), 4) <= len(kept) <= 16  # the oldest dropped, none garbled
        assert len(kept) < len(sent) - 100  # (it went round many times)
    finally:
        engine.close()
