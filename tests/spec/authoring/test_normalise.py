"""The generated files are committed, byte for byte, and the ledger resolves every conflict."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import spec
from spec import authoring
from spec.authoring import LEDGER_PATH, SOURCES, Fact, LedgerError, Source, render_ledger


def test_committed_files_are_up_to_date() -> None:
    stale = [o.path.name for o in authoring.normalise(check=True) if o.changed]
    assert not stale, f"run `modelslab-contract spec normalise`: {stale} are stale"


@pytest.mark.parametrize("name", ["modelslab.yaml", "LEDGER.md"])
def test_an_edit_to_a_generated_file_is_caught(tmp_path: Path, name: str) -> None:
    for path in (spec.SCHEMA_PATH, LEDGER_PATH):
        shutil.copy(path, tmp_path / path.name)
    assert not any(o.changed for o in authoring.normalise(check=True, directory=tmp_path))
    edited = tmp_path / name
    edited.write_text(edited.read_text(encoding="utf-8").replace("1024", "2048", 1),
                      encoding="utf-8")
    outcomes = {o.path.name: o.changed for o in authoring.normalise(check=True, directory=tmp_path)}
    assert outcomes[name] is True
    authoring.normalise(directory=tmp_path)
    assert not any(o.changed for o in authoring.normalise(check=True, directory=tmp_path))


def test_normalising_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    authoring.normalise(directory=tmp_path)
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    authoring.normalise(directory=tmp_path)
    assert first == {p.name: p.read_bytes() for p in tmp_path.iterdir()}


#: The conflicts the issue names, and the ledger row that resolves each.
REQUIRED_ROWS = {
    "steps: cap 20 vs 21/31/41 vs v4 50 vs default 31": "steps",
    "lora_strength integer vs comma-separated string": "lora-strength-type",
    "yes/no strings vs booleans": "flags",
    "upscale yes/no vs factor 1-3": "upscale",
    "numbers sent as strings": "numbers-as-strings",
    "track_id and id types": "ids",
    "message/messege": "message-key",
    "the two fetch forms": "fetch-forms",
    "HTTP 200 vs 4xx error bodies": "error-status",
    "safety_checker default": "safety-checker-default",
    "clip_skip default": "clip-skip-default",
    "width/height minimum and multiple of 8": "size-limits",
}


def _ledger_rows() -> dict[str, str]:
    text = LEDGER_PATH.read_text(encoding="utf-8")
    return {m.group(1): m.group(0) for m in re.finditer(r"(?m)^\| `([a-z0-9-]+)` \|.*$", text)}


@pytest.mark.parametrize(("conflict", "row_id"), sorted(REQUIRED_ROWS.items()))
def test_ledger_has_a_row_naming_its_sources(conflict: str, row_id: str) -> None:
    rows = _ledger_rows()
    assert row_id in rows, f"no ledger row for {conflict}"
    cited = {s.id for s in SOURCES if f"`{s.id}`:" in rows[row_id]}
    assert len(cited) >= 2, f"row {row_id} names {cited}: a conflict needs two sources"


def test_steps_row_names_every_disagreeing_page() -> None:
    row = _ledger_rows()["steps"]
    for source in ("v6-text2img-page", "v6-lora-page", "v6-lora-page-retired", "v6-openapi",
                   "v4-dreambooth-page"):
        assert f"`{source}`:" in row
    assert "21/31/41" in row and "defaults to 31" in row and "maximum 50" in row


def test_an_unresolved_conflict_stops_the_normaliser() -> None:
    lora_page = next(s for s in SOURCES if s.id == "v6-lora-page")
    params = dict(lora_page.params)
    params["ip_adapter_scale"] = Fact(minimum=0, maximum=12)
    changed = tuple(replace(s, params=params) if s is lora_page else s for s in SOURCES)
    with pytest.raises(LedgerError, match="ip_adapter_scale"):
        render_ledger(changed)


def test_a_row_citing_a_claim_that_does_not_exist_is_refused() -> None:
    stripped = tuple(replace(s, claims={}) if s.id == "observed-api" else s for s in SOURCES)
    with pytest.raises(LedgerError, match="observed-api"):
        render_ledger(stripped)


def test_sources_only_hold_facts() -> None:
    for source in SOURCES:
        assert isinstance(source, Source)
        for fact in source.params.values():
            assert isinstance(fact, Fact)
