"""What every scorer sees and returns: the per-query input, the scorer protocol, the case mean."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol


class UnknownScorer(KeyError):
    """A scorer name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown scorer"


class ScorerError(Exception):
    """A scorer failed on one query: bad code, a throw, a timeout, too much memory.

    ``line`` is the line in the user's own code when known (1-based); ``str()`` names it once,
    ``message`` is the text without it.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"{message} (line {line})" if line is not None else message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class RankedDoc:
    """One returned document, in rank order. ``rating`` is None when the doc is unrated."""

    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    rating: float | None = None


@dataclass(frozen=True)
class ScoringInput:
    """Everything a scorer may use for one query.

    ``ratings`` holds every rating stored for the query, including docs that were not returned.
    """

    docs: list[RankedDoc]
    ratings: dict[str, float] = field(default_factory=dict)
    num_found: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    def rating_of(self, index: int) -> float | None:
        """The rating of the returned doc at 0-based ``index`` (its own, else the stored one)."""
        doc = self.docs[index]
        if doc.rating is not None:
            return doc.rating
        return self.ratings.get(doc.id)

    def all_ratings(self) -> dict[str, float]:
        """Stored ratings plus any rating carried only by a returned doc."""
        merged = dict(self.ratings)
        for doc in self.docs:
            if doc.rating is not None and doc.id not in merged:
                merged[doc.id] = doc.rating
        return merged


class Scorer(Protocol):
    name: str
    scale: list[float]
    labels: dict[float, str]

    def score(self, inp: ScoringInput) -> float | None: ...


def finalize(value: Any) -> float | None:
    """Quepid's display rule for one query score: negative clamps to 0, NaN shows as 0."""
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return 0.0
    return max(number, 0.0)
