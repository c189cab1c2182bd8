"""Quepid's built-in scorers, computed natively with Quepid's (not trec_eval's) semantics.

Quepid users bring cases whose numbers must not move, so these follow Quepid's client-side
definitions, which differ from trec_eval's in the ideal list, the gain and the depth:

- gain ``2**r - 1`` and discount ``log2(i + 2)`` for 0-based position ``i``; unrated counts 0;
- the ideal list is built from *all* ratings of the query (returned or not), truncated to
  integers and sorted descending;
- ``nDCG@k`` does not cut the ideal list at ``k`` (a perfect top k can score below 1),
  ``NDCG_CUT@k`` does;
- ``P@k``, ``AP@k`` and ``ERR@k`` look at the top ``min(k, n)`` of the ``n`` returned docs;
  ``AP@k`` divides by the number of relevant docs among all rated docs, not capped at ``k``.

Each function takes the ratings of the top docs (None = unrated) and the query's input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from searchbench.domain.scorers.base import ScoringInput, UnknownScorer, finalize

GRADED_SCALE: list[float] = [0.0, 1.0, 2.0, 3.0]
GRADED_LABELS: dict[float, str] = {0.0: "Poor", 1.0: "Fair", 2.0: "Good", 3.0: "Perfect"}
BINARY_SCALE: list[float] = [0.0, 1.0]
BINARY_LABELS: dict[float, str] = {0.0: "Irrelevant", 1.0: "Relevant"}

NAMESPACE = "quepid:"
DEFAULT_K = 10


def _top(inp: ScoringInput, k: int) -> list[float]:
    """Ratings of the top ``min(k, n)`` returned docs, unrated as 0."""
    depth = min(k, len(inp.docs))
    out = []
    for i in range(depth):
        rating = inp.rating_of(i)
        out.append(0.0 if rating is None else float(rating))
    return out


def _gain(rating: float) -> float:
    return float(2.0**rating - 1.0)


def _dcg(ratings: list[float]) -> float:
    return sum(_gain(r) / math.log2(i + 2) for i, r in enumerate(ratings))


def _ideal(inp: ScoringInput) -> list[float]:
    # Quepid truncates stored ratings to integers when it builds the ideal list.
    return sorted((float(math.trunc(r)) for r in inp.all_ratings().values()), reverse=True)


def ndcg(inp: ScoringInput, k: int) -> float:
    ideal = _dcg(_ideal(inp))
    return _dcg(_top(inp, k)) / ideal if ideal else 0.0


def ndcg_cut(inp: ScoringInput, k: int) -> float:
    ideal = _dcg(_ideal(inp)[:k])
    return _dcg(_top(inp, k)) / ideal if ideal else 0.0


def dcg(inp: ScoringInput, k: int) -> float:
    return _dcg(_top(inp, k))


def cg(inp: ScoringInput, k: int) -> float:
    return sum(_top(inp, k))


def precision(inp: ScoringInput, k: int) -> float:
    top = _top(inp, k)
    if not top:
        return 0.0
    return sum(1 for r in top if r > 0) / len(top)


def average_precision(inp: ScoringInput, k: int) -> float:
    relevant_total = sum(1 for r in inp.all_ratings().values() if r > 0)
    hits = 0
    total = 0.0
    for i, rating in enumerate(_top(inp, k)):
        if rating > 0:
            hits += 1
            total += hits / (i + 1)
    # 0/0 is NaN in Quepid, which the display rule turns into 0.
    return total / relevant_total if relevant_total else math.nan


def reciprocal_rank(inp: ScoringInput, k: int) -> float:
    for i, rating in enumerate(_top(inp, k)):
        if rating > 0:
            return 1.0 / (i + 1)
    return 0.0


def expected_reciprocal_rank(inp: ScoringInput, k: int) -> float:
    max_grade = GRADED_SCALE[-1]
    err = 0.0
    trust = 1.0
    for i, grade in enumerate(_top(inp, k)):
        useful = (2.0**grade - 1.0) / 2.0**max_grade
        err += trust * useful / (i + 1)
        trust *= 1.0 - useful
    return err


@dataclass(frozen=True)
class ScorerKind:
    """One row of the built-in scorer table (for the default depth of 10)."""

    key: str  # the name before "@k", as Quepid spells it
    label: str
    scale: list[float]
    labels: dict[float, str]
    description: str
    compute: Callable[[ScoringInput, int], float]


KINDS: dict[str, ScorerKind] = {
    kind.key: kind
    for kind in (
        ScorerKind(
            "nDCG",
            "nDCG (ideal from all ratings)",
            GRADED_SCALE,
            GRADED_LABELS,
            "DCG of the top k (gain 2^r-1, discount log2(i+2)) over the DCG of the ideal list of "
            "all the query's ratings, not cut at k: a perfect top k can score below 1.",
            ndcg,
        ),
        ScorerKind(
            "NDCG_CUT",
            "nDCG (ideal cut at k)",
            GRADED_SCALE,
            GRADED_LABELS,
            "Like nDCG, but the ideal list is cut at k, so a perfect top k scores 1.",
            ndcg_cut,
        ),
        ScorerKind(
            "DCG",
            "Discounted cumulative gain",
            GRADED_SCALE,
            GRADED_LABELS,
            "Sum over the top k of (2^rating - 1) / log2(position + 1); unrated counts 0.",
            dcg,
        ),
        ScorerKind(
            "CG",
            "Cumulative gain",
            GRADED_SCALE,
            GRADED_LABELS,
            "Sum of the ratings of the top k; unrated counts 0.",
            cg,
        ),
        ScorerKind(
            "P",
            "Precision",
            BINARY_SCALE,
            BINARY_LABELS,
            "Share of the top min(k, n) returned docs rated above 0; 0 when nothing is returned.",
            precision,
        ),
        ScorerKind(
            "AP",
            "Average precision",
            BINARY_SCALE,
            BINARY_LABELS,
            "Sum of the precision at each relevant position in the top min(k, n), divided by the "
            "number of relevant docs among all the query's ratings (not capped at k).",
            average_precision,
        ),
        ScorerKind(
            "RR",
            "Reciprocal rank",
            BINARY_SCALE,
            BINARY_LABELS,
            "1 / rank of the first doc rated above 0 in the top k, else 0.",
            reciprocal_rank,
        ),
        ScorerKind(
            "ERR",
            "Expected reciprocal rank",
            GRADED_SCALE,
            GRADED_LABELS,
            "Cascade model over the top min(k, n): gain (2^g - 1) / 2^3, "
            "ERR += trust * gain / rank, trust *= 1 - gain.",
            expected_reciprocal_rank,
        ),
    )
}


@dataclass(frozen=True)
class QuepidScorer:
    """A built-in scorer at a given depth, e.g. ``quepid:nDCG@10``."""

    kind: ScorerKind
    k: int

    @property
    def name(self) -> str:
        return f"{NAMESPACE}{self.kind.key}@{self.k}"

    @property
    def scale(self) -> list[float]:
        return list(self.kind.scale)

    @property
    def labels(self) -> dict[float, str]:
        return dict(self.kind.labels)

    def score(self, inp: ScoringInput) -> float | None:
        return finalize(self.kind.compute(inp, self.k))


_NAME = re.compile(r"^(?P<key>[A-Za-z_]+)(?:@(?P<k>\d+))?$")
_BY_LOWER = {key.lower(): kind for key, kind in KINDS.items()}


def parse_quepid(name: str) -> QuepidScorer:
    """``quepid:nDCG@10`` (any depth, case-insensitive; no ``@k`` means 10) → a scorer."""
    if not name.startswith(NAMESPACE):
        raise UnknownScorer(f"unknown scorer {name!r}: built-in names start with {NAMESPACE!r}")
    match = _NAME.match(name[len(NAMESPACE) :].strip())
    kind = _BY_LOWER.get(match.group("key").lower()) if match else None
    if match is None or kind is None:
        known = ", ".join(f"{NAMESPACE}{key}@10" for key in KINDS)
        raise UnknownScorer(f"unknown scorer {name!r}; known: {known} (any @k)")
    k = int(match.group("k")) if match.group("k") else DEFAULT_K
    if k < 1:
        raise UnknownScorer(f"scorer {name!r}: the depth after @ must be at least 1")
    return QuepidScorer(kind, k)
