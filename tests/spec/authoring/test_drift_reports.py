"""The committed drift reports (spec/drift-*.txt) are what `spec diff` says today, and each is
explained by a ledger row (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.cli import main
from spec.authoring._resolutions import ROWS
from tests._seeds import SEEDS

SPEC = Path(__file__).resolve().parents[3] / "spec"
VENDOR = SEEDS.parent / "vendor-docs-2026"
REPORTS = sorted(SPEC.glob("drift-*.txt"))


def test_both_reports_are_committed_and_explained() -> None:
    assert [p.name for p in REPORTS] == ["drift-community-openapi.txt", "drift-flux-openapi.txt"]
    rows = {r.id: r for r in ROWS}
    for report in REPORTS:
        row = rows[report.stem]
        assert "Adopted" in row.resolution and "Rejected" in row.resolution
        assert report.read_text(encoding="utf-8").startswith("# `modelslab-contract spec diff`")


@pytest.mark.parametrize("report", [p for p in REPORTS if (VENDOR / p.read_text(
    encoding="utf-8").split("vendor-docs-2026/", 1)[1].split()[0]).exists()],
    ids=lambda p: p.name)
def test_a_report_is_current(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = report.read_text(encoding="utf-8").splitlines()
    source = VENDOR / lines[0].split("vendor-docs-2026/", 1)[1].split()[0]

    main(["spec", "diff", str(source)])

    assert capsys.readouterr().out.splitlines() == lines[2:]
