"""The canonical request: what a generation body means once its wire forms are coerced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from contracts.rules import Rule


def _frozen() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which field, and a sentence a person understands."""

    rule: Rule
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"[{self.rule}]{where} {self.message}"


@dataclass(frozen=True)
class Lora:
    id: str
    #: 1.0 when the request named the LoRA without a strength.
    strength: float
    strength_given: bool = True


@dataclass(frozen=True)
class GenerationRequest:
    """A valid generation request with every default applied and every limit enforced."""

    endpoint: str
    key: str
    model_id: str
    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    samples: int
    #: The effective number of steps, after the cap.
    steps: int
    #: The number of steps as sent (or the default), before the cap.
    steps_requested: int
    guidance_scale: float
    #: None means "random": the backend picks one and echoes it in meta.seed.
    seed: int | None
    loras: tuple[Lora, ...]
    scheduler: str
    #: Image files are `upscale` times larger than width x height.
    upscale: int
    clip_skip: int
    flags: Mapping[str, bool]
    #: Every other documented field's canonical value (enums, vae, ip_adapter_*, ...).
    options: Mapping[str, Any] = field(default_factory=_frozen)
    webhook: str | None = None
    track_id: int | str | None = None
    #: Fields the contract does not know: passed through, never an error.
    extras: Mapping[str, Any] = field(default_factory=_frozen)
    #: Documented-but-unsupported fields a flux model ignored (empty for other models).
    ignored: tuple[str, ...] = ()

    def flag(self, name: str) -> bool:
        return self.flags[name]

    @property
    def lora_ids(self) -> str | None:
        return lora_text(self.loras)[0]

    @property
    def lora_strengths(self) -> str | None:
        return lora_text(self.loras)[1]


#: The text forms of the last LoRA tuples asked for, by identity of the tuple (the parser
#: shares one tuple among the requests that name the same LoRAs): built once, not per echo.
_LORA_TEXT: dict[int, tuple[tuple[Lora, ...], str | None, str | None]] = {}


def lora_text(loras: tuple[Lora, ...]) -> tuple[str | None, str | None]:
    """(ids, strengths) as the API echoes them: "a,b" and "0.6,1", or None when none."""
    if not loras:
        return None, None
    known = _LORA_TEXT.get(id(loras))
    if known is not None and known[0] is loras:  # (the tuple it holds keeps its id alive)
        return known[1], known[2]
    ids = ",".join([lo.id for lo in loras]) or None
    strengths = ",".join([_plain(lo.strength) for lo in loras])
    if len(_LORA_TEXT) >= 256:
        _LORA_TEXT.clear()
    _LORA_TEXT[id(loras)] = (loras, ids, strengths)
    return ids, strengths


def _plain(number: float) -> str:
    """0.45 -> "0.45", 1.0 -> "1": how the real API echoes strengths."""
    return f"{number:g}" if number != int(number) else str(int(number))


@dataclass(frozen=True)
class FetchRequest:
    """A fetch of a queued job, whichever of the forms it came in."""

    endpoint: str
    key: str
    request_id: str


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing: a request, or every violation found (never both)."""

    request: GenerationRequest | FetchRequest | None
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return self.request is not None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the rules broken, for display, JSON and comparisons in tests."""
        return tuple(v.rule.id for v in self.violations)


class ContractViolation(ValueError):
    """Raised by `validate` with the first violation; `.violations` holds them all."""

    def __init__(self, violations: tuple[Violation, ...]) -> None:
        super().__init__(str(violations[0]) if violations else "invalid request")
        self.violations = violations
