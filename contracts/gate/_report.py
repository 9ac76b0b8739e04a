"""Render a `GateResult`: JSON, JUnit XML, Markdown, HTML and a terminal table."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from contracts.checks import Outcome
from contracts.gate._result import CONFORMS, FAULTED, NOT_EXERCISED, VIOLATED, GateResult

_MAX_FAULTS = 50


def _violation(o: Outcome) -> dict[str, Any]:
    return {"side": o.side, "endpoint": o.endpoint, "expected": o.expected, "seen": o.seen,
            "payload": o.payload}


def to_json(result: GateResult) -> dict[str, Any]:
    """The whole result as JSON-able data (payloads hold the key placeholder, never the key)."""
    rules = {}
    for rule_id, tally in result.tallies.items():
        rule = tally.rule
        rules[rule_id] = {
            "title": rule.title,
            "phase": rule.phase,
            "verdict": tally.verdict,
            "sides": {side: {"passed": c[0], "violated": c[1]} for side, c in tally.sides.items()},
            "faults": tally.faults,
            "violations": [_violation(o) for o in tally.minimal()],
        }
    return {
        "target": result.target,
        "status": result.status,
        "exit_code": result.exit_code,
        "seed": result.seed,
        "budget": result.budget,
        "requests": result.requests,
        "exchanges": result.exchanges,
        "seconds": round(result.seconds, 3),
        "phases": result.phases,
        "aborted": result.aborted,
        "summary": {v: sum(1 for t in result.tallies.values() if t.verdict == v)
                    for v in (CONFORMS, VIOLATED, NOT_EXERCISED, FAULTED)},
        "rules": rules,
        "fault_count": len(result.faults),
        "faults": [{"endpoint": f.endpoint, "rule": f.rule.id if f.rule else None,
                    "reply": f.reply,
                    "payload": f.payload} for f in result.faults[:_MAX_FAULTS]],
    }


def _dump(value: Any) -> str:
    return json.dumps(value, indent=None, sort_keys=True, default=str)


def to_junit(result: GateResult) -> str:
    """One testcase per rule: failure when violated, error on faults, skipped when not run."""
    suite = ET.Element("testsuite", name="modelslab-contract gate", tests=str(len(result.tallies)),
                       time=f"{result.seconds:.3f}")
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for rule_id, tally in result.tallies.items():
        case = ET.SubElement(suite, "testcase", classname="modelslab_contract.rules",
                             name=rule_id)
        verdict = tally.verdict
        if verdict == VIOLATED:
            counts["failures"] += 1
            first = tally.minimal(1)[0]
            failure = ET.SubElement(case, "failure", message=f"expected {first.expected}")
            failure.text = "\n".join(f"{o.side}: expected {o.expected}; saw {o.seen}\n"
                                     f"payload: {_dump(o.payload)}" for o in tally.minimal())
        elif verdict == FAULTED:
            counts["errors"] += 1
            ET.SubElement(case, "error", message=f"{tally.faults} backend fault(s)")
        elif verdict == NOT_EXERCISED:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message="not exercised")
    for name, n in counts.items():
        suite.set(name, str(n))
    props = ET.SubElement(suite, "properties")
    for name in ("target", "seed", "budget", "requests", "status"):
        ET.SubElement(props, "property", name=name, value=str(getattr(result, name)))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _rows(result: GateResult) -> list[tuple[str, str, str, str]]:
    rows = []
    for rule_id, tally in result.tallies.items():
        sides = ", ".join(f"{s} {c[0] + c[1]}" for s, c in sorted(tally.sides.items())) or "-"
        note = ""
        if tally.violations:
            first = tally.minimal(1)[0]
            note = f"expected {first.expected}; saw {first.seen}"
        elif tally.faults:
            note = f"{tally.faults} fault(s)"
        rows.append((rule_id, tally.verdict, sides, note))
    return rows


def _headline(result: GateResult) -> str:
    return (f"{result.status.upper()} (exit {result.exit_code}): {result.target}, "
            f"{result.requests}/{result.budget} requests, seed {result.seed}, "
            f"{result.seconds:.1f}s" + (f"; stopped: {result.aborted}" if result.aborted else ""))


def to_markdown(result: GateResult) -> str:
    lines = ["# ModelsLab contract gate", "", _headline(result), "",
             "| rule | verdict | exercised (side: exchanges) | note |", "|---|---|---|---|"]
    for rule_id, verdict, sides, note in _rows(result):
        lines.append(f"| `{rule_id}` | {verdict} | {sides} | {note.replace('|', '/')[:200]} |")
    for rule_id, tally in result.tallies.items():
        if not tally.violations:
            continue
        lines += ["", f"## `{rule_id}` violated: {tally.rule.title}"]
        for o in tally.minimal():
            lines += ["", f"- {o.side}, `{o.endpoint}`: expected {o.expected}; saw {o.seen}",
                      "", "  ```json", f"  {_dump(o.payload)}", "  ```"]
    if result.faults:
        lines += ["", f"## Backend faults ({len(result.faults)})", "",
                  "No rule verdict was drawn from these.", ""]
        lines += [f"- `{f.endpoint}` ({f.rule or 'explore'}): {f.reply}"
                  for f in result.faults[:20]]
    return "\n".join(lines) + "\n"


def to_html(result: GateResult) -> str:
    esc = html.escape
    colour = {CONFORMS: "#1a7f37", VIOLATED: "#cf222e", FAULTED: "#9a6700",
              NOT_EXERCISED: "#57606a"}
    rows = "\n".join(
        f"<tr><td><code>{esc(r)}</code></td><td style='color:{colour[v]}'>{esc(v)}</td>"
        f"<td>{esc(s)}</td><td>{esc(n)}</td></tr>" for r, v, s, n in _rows(result))
    details = []
    for rule_id, tally in result.tallies.items():
        for o in tally.minimal():
            details.append(f"<h3><code>{esc(rule_id)}</code> ({esc(o.side or '')})</h3>"
                           f"<p>expected {esc(o.expected)}; saw {esc(o.seen)}</p>"
                           f"<pre>{esc(json.dumps(o.payload, indent=2, default=str))}</pre>")
    faults = "".join(f"<li><code>{esc(f.endpoint)}</code>: {esc(f.reply)}</li>"
                     for f in result.faults[:20])
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            "<title>ModelsLab contract gate</title></head><body>"
            f"<h1>ModelsLab contract gate</h1><p>{esc(_headline(result))}</p>"
            "<table border='1' cellpadding='4'><tr><th>rule</th><th>verdict</th>"
            f"<th>exercised</th><th>note</th></tr>{rows}</table>"
            + ("<h2>Violations</h2>" + "".join(details) if details else "")
            + (f"<h2>Backend faults ({len(result.faults)})</h2><ul>{faults}</ul>"
               if faults else "") + "</body></html>\n")


def write(result: GateResult, directory: Path) -> dict[str, Path]:
    """Write every report into `directory`; returns format -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"json": ("gate.json", json.dumps(to_json(result), indent=2, default=str) + "\n"),
             "junit": ("gate.junit.xml", to_junit(result)),
             "markdown": ("gate.md", to_markdown(result)),
             "html": ("gate.html", to_html(result))}
    out = {}
    for fmt, (name, text) in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        out[fmt] = path
    return out


def print_summary(result: GateResult, *, file: Any = None) -> None:
    """A table on the terminal (plain text when not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file, highlight=False)
    table = Table(title="ModelsLab contract gate")
    for name in ("rule", "verdict", "exercised", "note"):
        table.add_column(name, overflow="fold")
    style = {CONFORMS: "green", VIOLATED: "red", FAULTED: "yellow", NOT_EXERCISED: "dim"}
    for rule_id, verdict, sides, note in _rows(result):
        table.add_row(rule_id, f"[{style[verdict]}]{verdict}[/]", sides, note[:160])
    console.print(table)
    console.print(_headline(result), markup=False)
