"""Each rule has a mutant backend breaking it; the gate names exactly that rule."""

from __future__ import annotations

import pytest

from contracts import RULES, Rule, gate
from tests.contracts import _mutants

mockserver = pytest.importorskip("mockserver")


def _mock() -> object:
    return mockserver.transport(mockserver.MockConfig(accepted_keys=frozenset({_mutants.KEY})))


@pytest.mark.parametrize("rule", list(RULES.values()), ids=str)
def test_the_gate_names_exactly_the_broken_rule(rule: Rule) -> None:
    transport = _mutants.mutant(rule, _mock())  # type: ignore[arg-type]
    result = gate.run(gate.GateConfig(transport=transport, key=_mutants.KEY, budget=80,
                                      explore=10, progress=False, sleep=lambda s: None))
    assert result.exit_code == gate.EXIT_VIOLATIONS, gate.to_markdown(result)
    assert result.violated == [rule.id], gate.to_markdown(result)
    violation = result.tallies[rule.id].minimal(1)[0]
    assert violation.rule is rule and violation.expected and violation.seen
    assert result.requests <= 80
