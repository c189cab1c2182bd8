"""Scorers: Quepid's built-ins (native), Quepid custom scorers (sandboxed JavaScript).

``SCORERS`` is the registry table the UI, the CLI help and docs/scorers.md are derived from.
"""

from __future__ import annotations

from dataclasses import dataclass

from searchbench.domain.scorers.base import (
    RankedDoc,
    Scorer,
    ScorerError,
    ScoringInput,
    UnknownScorer,
    finalize,
)
from searchbench.domain.scorers.js import JsScorer
from searchbench.domain.scorers.quepid import KINDS, NAMESPACE, QuepidScorer, parse_quepid


@dataclass(frozen=True)
class ScorerInfo:
    """One row of the scorer table."""

    name: str
    label: str
    scale: list[float]
    labels: dict[float, str]
    description: str


SCORERS: dict[str, ScorerInfo] = {
    f"{NAMESPACE}{kind.key}@10": ScorerInfo(
        name=f"{NAMESPACE}{kind.key}@10",
        label=f"{kind.label} @10",
        scale=list(kind.scale),
        labels=dict(kind.labels),
        description=kind.description,
    )
    for kind in KINDS.values()
}


def scorers_table_markdown() -> str:
    """The Markdown table of SCORERS, as docs/scorers.md shows it (a test keeps them equal)."""
    rows = ["| name | label | scale | meaning |", "| --- | --- | --- | --- |"]
    for info in SCORERS.values():
        scale = ", ".join(f"{v:g} {info.labels[v]}" for v in info.scale)
        rows.append(f"| `{info.name}` | {info.label} | {scale} | {info.description} |")
    return "\n".join(rows) + "\n"


def get_scorer(name: str) -> QuepidScorer:
    """A built-in scorer by name: any ``quepid:KIND@k`` (KIND as in SCORERS, any depth k).

    Raises :class:`UnknownScorer` listing the known names.
    """
    return parse_quepid(name)


__all__ = [
    "SCORERS",
    "JsScorer",
    "QuepidScorer",
    "RankedDoc",
    "Scorer",
    "ScorerError",
    "ScorerInfo",
    "ScoringInput",
    "UnknownScorer",
    "finalize",
    "get_scorer",
    "scorers_table_markdown",
]
