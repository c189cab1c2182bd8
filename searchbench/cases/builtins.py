"""Built-in Scorer rows, derived from the scorer and measure registries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Measures offered as case scorers besides the quepid: ones. Any name parse_measure accepts works
# with score_case; these are the ones a relevance engineer reaches for first.
MEASURE_SCORERS: tuple[str, ...] = ("nDCG@10", "AP@10", "P@10", "RR@10", "ERR@10", "R@10")
GRADED_SCALE = [0.0, 1.0, 2.0, 3.0]
GRADED_LABELS = {"0": "Irrelevant", "1": "Related", "2": "Relevant", "3": "Perfect"}


@dataclass(frozen=True)
class BuiltinScorer:
    name: str
    description: str
    scale: list[float]
    labels: dict[str, str]


def builtin_scorers() -> list[BuiltinScorer]:
    from searchbench.domain.scorers import SCORERS
    from searchbench.domain.scoring import UnknownScorerError, check_scorer

    found: list[BuiltinScorer] = []
    for name, scorer in SCORERS.items():
        labels = {_key(v): str(label) for v, label in dict(scorer.labels).items()}
        found.append(
            BuiltinScorer(
                name=name,
                description=_describe(scorer, f"Quepid's {name.split(':', 1)[-1]}"),
                scale=[float(v) for v in scorer.scale],
                labels=labels,
            )
        )
    for name in MEASURE_SCORERS:
        try:
            check_scorer(name)
        except UnknownScorerError:
            continue
        found.append(
            BuiltinScorer(
                name=name,
                description=f"{name} as trec_eval computes it (graded ratings, gain = rating)",
                scale=list(GRADED_SCALE),
                labels=dict(GRADED_LABELS),
            )
        )
    return found


def _key(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _describe(obj: Any, fallback: str) -> str:
    text = getattr(obj, "description", None) or getattr(obj, "help", None)
    return str(text) if text else fallback


def sync_builtin_scorers(using: str = "default") -> int:
    """Create or update one Scorer row per built-in; returns how many rows changed."""
    from searchbench.cases.models import Scorer

    changed = 0
    for builtin in builtin_scorers():
        values = {
            "kind": Scorer.Kind.BUILTIN,
            "description": builtin.description,
            "scale": builtin.scale,
            "labels": builtin.labels,
        }
        row = Scorer.objects.using(using).filter(name=builtin.name).first()
        if row is None:
            Scorer.objects.using(using).create(name=builtin.name, **values)
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.save(using=using)
            changed += 1
    return changed
