"""Render a `GateResult`: JSON, JUnit XML, Markdown, HTML and a terminal table.

The result holds the run as it was judged (raw); each public renderer here first takes
`result.shown()`, the one point where the key is scrubbed from what a report shows."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from contracts.checks import Outcome
from contracts.gate._result import (
    CONFORMS,
    EXIT_COULD_NOT_RUN,
    FAULTED,
    NOT_EXERCISED,
    PARTIAL,
    VIOLATED,
    GateResult,
)
from contracts.rules import PROCESSING_FETCH

_MAX_FAULTS = 50


def _violation(o: Outcome) -> dict[str, Any]:
    return {"side": o.side, "endpoint": o.endpoint, "expected": o.expected, "seen": o.seen,
            "payload": o.payload}


def to_json(result: GateResult) -> dict[str, Any]:
    """The whole result as JSON-able data (payloads hold the key placeholder, and anything
    the backend echoed has the key scrubbed)."""
    result = result.shown()
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
                    for v in (CONFORMS, VIOLATED, PARTIAL, NOT_EXERCISED, FAULTED)},
        "required": result.required,
        "uncovered": {r: list(s) for r, s in result.uncovered.items()},
        "why": _why_not(result),
        "fault_threshold": result.fault_threshold,
        "rules": rules,
        "fault_count": len(result.faults),
        "faults": [{"endpoint": f.endpoint, "rule": f.rule.id if f.rule else None,
                    "reply": f.reply,
                    "payload": f.payload} for f in result.faults[:_MAX_FAULTS]],
    }


def _dump(value: Any) -> str:
    return json.dumps(value, indent=None, sort_keys=True, default=str)


def to_junit(result: GateResult) -> str:
    """One testcase per rule (its title in the name, its time, its properties): failure when
    violated, error on faults, skipped when a side was not exercised."""
    result = result.shown()
    suite = ET.Element("testsuite", name="modelslab-contract gate", tests=str(len(result.tallies)),
                       time=f"{result.seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    for name in ("target", "seed", "budget", "requests", "required", "status", "exit_code"):
        ET.SubElement(props, "property", name=name, value=str(getattr(result, name)))
    ET.SubElement(props, "property", name="faults", value=str(len(result.faults)))
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for rule_id, tally in result.tallies.items():
        case = ET.SubElement(suite, "testcase", classname="modelslab_contract.rules",
                             name=f"{rule_id}: {tally.rule.title}",
                             time=f"{tally.seconds:.3f}")
        cprops = ET.SubElement(case, "properties")
        for name, value in (("rule", rule_id), ("source", tally.rule.source),
                            ("phase", tally.rule.phase), ("verdict", tally.verdict),
                            *((f"side.{s}", f"{c[0]} passed, {c[1]} violated")
                              for s, c in sorted(tally.sides.items()))):
            ET.SubElement(cprops, "property", name=name, value=value)
        verdict = tally.verdict
        if verdict == VIOLATED:
            counts["failures"] += 1
            first = tally.minimal(1)[0]
            failure = ET.SubElement(case, "failure",
                                    message=f"expected {first.expected}; saw {first.seen}"[:500])
            failure.text = "\n".join(f"{o.side}: expected {o.expected}; saw {o.seen}\n"
                                     f"payload: {_dump(o.payload)}" for o in tally.minimal())
        elif verdict == FAULTED:
            counts["errors"] += 1
            ET.SubElement(case, "error", message=f"{tally.faults} backend fault(s)")
        elif verdict in (NOT_EXERCISED, PARTIAL):
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=f"not exercised: {_missing(tally)}")
    if result.exit_code == EXIT_COULD_NOT_RUN:
        # A run that could not judge is never a clean JUnit file.
        case = ET.SubElement(suite, "testcase", classname="modelslab_contract.gate",
                             name=f"gate verdict: {result.status}", time="0")
        counts["errors"] += 1
        ET.SubElement(case, "error", message=_why_not(result))
        suite.set("tests", str(len(result.tallies) + 1))
    for name, n in counts.items():
        suite.set(name, str(n))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _missing(tally: Any) -> str:
    return " and ".join(f"{s} side" for s in tally.missing) or "no side"


def _why_not(result: GateResult) -> str:
    """Why the run gives exit 2 (empty when it does not)."""
    if result.aborted:
        return f"stopped: {result.aborted}"
    if result.exchanges == 0:
        return "no exchange was made"
    if result.too_many_faults:
        return (f"{len(result.faults)} backend faults in {result.exchanges} exchanges, past "
                f"the threshold of {result.fault_threshold:.0%}")
    if result.uncovered:
        names = ", ".join(f"{r} ({'/'.join(s)})" for r, s in result.uncovered.items())
        return (f"incomplete: {len(result.uncovered)} rule(s) not exercised on every side "
                f"({names}); full coverage needs --budget {result.required} or more")
    return ""


def _rows(result: GateResult) -> list[tuple[str, str, str, str]]:
    rows = []
    for rule_id, tally in result.tallies.items():
        sides = ", ".join(f"{s} {c[0] + c[1]}" for s, c in sorted(tally.sides.items())) or "-"
        note = ""
        if tally.violations:
            first = tally.minimal(1)[0]
            note = f"expected {first.expected}; saw {first.seen}"
        elif tally.missing and rule_id in result.excluded:
            note = ("not judged here: the backend cannot reach the gate's webhook receiver "
                    "(it listens on 127.0.0.1 when the target is on this machine)")
        elif tally.missing:
            note = f"not exercised: {_missing(tally)}" + _QUEUED_NOTE.get(rule_id, "")
            if tally.faults:
                note += f"; {tally.faults} fault(s)"
        elif tally.faults:
            note = f"{tally.faults} fault(s)"
        rows.append((rule_id, tally.verdict, sides, note))
    return rows


_QUEUED_NOTE = {PROCESSING_FETCH.id: " (the backend queued no job by itself; the Prefer "
                "hint that asks for one is honoured by the mock alone)"}


def _headline(result: GateResult) -> str:
    why = _why_not(result)
    return (f"{result.status.upper()} (exit {result.exit_code}): {result.target}, "
            f"{result.requests}/{result.budget} requests (full coverage needs "
            f"{result.required}), seed {result.seed}, {result.seconds:.1f}s"
            + (f"; {why}" if why else ""))


def to_markdown(result: GateResult) -> str:
    result = result.shown()
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


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin-top:2rem}
.summary{border-radius:8px;padding:1rem 1.25rem;margin:1rem 0;color:#fff}
.summary.ok{background:#1a7f37}.summary.bad{background:#cf222e}.summary.warn{background:#9a6700}
.summary .big{font-size:1.4rem;font-weight:600}
.counts span{display:inline-block;margin-right:1.25rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa}code,pre{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.v{font-weight:600;white-space:nowrap}.conforms{color:#1a7f37}.violated{color:#cf222e}
.fault{color:#9a6700}.not-exercised,.partly-exercised{color:#57606a}
details{border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;padding:.5rem .8rem}
summary{cursor:pointer;font-weight:600}pre{background:#f6f8fa;padding:.6rem;overflow:auto;
border-radius:6px}dl{display:grid;grid-template-columns:8rem 1fr;gap:.2rem .8rem}
dt{color:#57606a}dd{margin:0}
"""


def to_html(result: GateResult) -> str:
    """One self-contained page: the summary first, then every rule, then the details of each
    violated rule (its minimal failing payload, what was expected and what was seen)."""
    result = result.shown()
    esc = html.escape
    tone = "ok" if result.exit_code == 0 else "bad" if result.exit_code == 1 else "warn"
    counts = {v: sum(1 for t in result.tallies.values() if t.verdict == v)
              for v in (CONFORMS, VIOLATED, PARTIAL, NOT_EXERCISED, FAULTED)}
    summary = (f"<section class='summary {tone}' id='summary'>"
               f"<div class='big'>{esc(result.status.upper())} (exit {result.exit_code})</div>"
               f"<div>{esc(_headline(result))}</div><div class='counts'>"
               + "".join(f"<span>{n} {esc(v)}</span>" for v, n in counts.items() if n)
               + "</div></section>")
    rows = "\n".join(
        f"<tr><td><code>{esc(r)}</code><br><small>{esc(result.tallies[r].rule.title)}</small>"
        f"</td><td class='v {v.replace(' ', '-')}'>{esc(v)}</td><td>{esc(s)}</td>"
        f"<td>{esc(n)}</td></tr>" for r, v, s, n in _rows(result))
    details = []
    for rule_id, tally in result.tallies.items():
        if not tally.violations:
            continue
        items = "".join(
            f"<dl><dt>side</dt><dd>{esc(o.side or '')}</dd><dt>endpoint</dt>"
            f"<dd><code>{esc(o.endpoint or '')}</code></dd><dt>expected</dt>"
            f"<dd>{esc(o.expected)}</dd><dt>seen</dt><dd>{esc(o.seen)}</dd>"
            f"<dt>payload</dt><dd><pre>{esc(json.dumps(o.payload, indent=2, default=str))}"
            f"</pre></dd></dl>" for o in tally.minimal())
        details.append(f"<details open class='violation' id='rule-{esc(rule_id)}'><summary>"
                       f"<code>{esc(rule_id)}</code>: {esc(tally.rule.title)} "
                       f"({len(tally.violations)} violation(s))</summary>{items}</details>")
    faults = "".join(f"<li><code>{esc(f.endpoint)}</code>: {esc(f.reply)}</li>"
                     for f in result.faults[:20])
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>ModelsLab contract gate: {esc(result.status)}</title>"
            f"<style>{_CSS}</style></head><body>"
            f"<h1>ModelsLab contract gate</h1>{summary}"
            + ("<h2>Violations: minimal failing payloads</h2>" + "".join(details)
               if details else "")
            + "<h2>Rules</h2><table><thead><tr><th>rule</th><th>verdict</th>"
            f"<th>exercised</th><th>note</th></tr></thead><tbody>{rows}</tbody></table>"
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
    """A table on a terminal; in a log (no terminal) a wide plain table that never wraps."""
    result = result.shown()
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file, highlight=False)
    plain = not console.is_terminal
    if plain:
        console = Console(file=file, highlight=False, width=200, no_color=True,
                          color_system=None)
    table = Table(title="ModelsLab contract gate", box=box.ASCII if plain else box.HEAVY_HEAD)
    for name in ("rule", "verdict", "exercised", "note"):
        table.add_column(name, overflow="fold", no_wrap=name != "note")
    style = {CONFORMS: "green", VIOLATED: "red", FAULTED: "yellow", NOT_EXERCISED: "dim",
             PARTIAL: "dim"}
    for rule_id, verdict, sides, note in _rows(result):
        table.add_row(rule_id, verdict if plain else f"[{style[verdict]}]{verdict}[/]", sides,
                      note[:160])
    console.print(table)
    console.print(_headline(result), markup=False)
