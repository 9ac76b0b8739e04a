"""`spec diff`: where another OpenAPI document differs from ours, rule by rule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import spec
from contracts.cli import main
from spec.authoring import diff_documents
from tests._seeds import vendor_openapi

V6 = "POST /api/v6/images/text2img"


def _ours() -> dict[str, Any]:
    return copy.deepcopy(dict(spec.load_document()))


def _props(doc: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = doc["components"]["schemas"]["Text2ImgRequest"]["properties"]
    return props


def test_identical_documents_have_no_difference() -> None:
    assert diff_documents(_ours(), _ours()) == []


def test_each_kind_of_change_is_reported() -> None:
    theirs = _ours()
    props = _props(theirs)
    props["samples"]["maximum"] = 8
    props["width"]["maximum"] = 512
    props["scheduler"]["enum"] = [*props["scheduler"]["enum"], "NewScheduler"]
    props["safety_checker_type"]["enum"].remove("black")
    del props["tomesd"]
    props["style_preset"] = {"type": "string"}
    del theirs["paths"]["/api/v3/dreambooth/fetch/{id}"]
    found = {str(c) for c in diff_documents(_ours(), theirs)}
    assert f"widened  {V6} samples: maximum 4 -> 8" in found
    assert f"narrowed {V6} width: maximum 1024 -> 512" in found
    assert f"widened  {V6} scheduler: enum value added: 'NewScheduler'" in found
    assert f"narrowed {V6} safety_checker_type: enum value removed: 'black'" in found
    assert f"removed  {V6} tomesd: parameter missing from the other" in found
    assert f"added    {V6} style_preset: parameter only in the other" in found
    assert "removed  POST /api/v3/dreambooth/fetch/{id}: endpoint missing from the other " \
           "document" in found


def test_the_vendor_document_differs_where_the_ledger_says() -> None:
    vendor = vendor_openapi()
    if vendor is None:
        pytest.skip("the vendor pages (../shared/seeds) are not beside this checkout")
    found = {str(c) for c in diff_documents(_ours(), vendor)}
    assert f"narrowed {V6} num_inference_steps: maximum added: 20" in found
    assert f"changed  {V6} num_inference_steps: default 20 -> 31" in found
    assert f"changed  {V6} clip_skip: default 1 -> 2" in found


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = tmp_path / "same.yaml"
    same.write_text(yaml.safe_dump(_ours()), encoding="utf-8")
    assert main(["spec", "diff", str(same)]) == 0
    theirs = _ours()
    _props(theirs)["samples"]["maximum"] = 8
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(theirs), encoding="utf-8")
    assert main(["spec", "diff", str(other)]) == 1
    assert "samples: maximum 4 -> 8" in capsys.readouterr().out
    assert main(["spec", "diff", str(tmp_path / "missing.yaml")]) == 2


def test_cli_normalise_check_passes_on_the_committed_files() -> None:
    assert main(["spec", "normalise", "--check"]) == 0
