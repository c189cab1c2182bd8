"""How far an LLM judge can stand in for the human raters: its agreement with their consensus on
the pairs both judged, and what using its ratings instead of theirs does to a case's score and to
the ranking of the case's tries. Pure: no Django (the books' service reads the rows).

- **Consensus**: the human ratings of a pair combined by the book's aggregation rule
  (``domain.aggregation``: Quepid's, median, majority or mean, put on the scale): the rating the
  book would sync into its cases. A pair counts when it has a consensus and a judge rating.
- **Agreement**: Cohen's κ (unweighted and quadratic) of consensus (rows) against judge
  (columns) over the scale, the confusion matrix, and the judge's **bias**, the mean of
  (judge − consensus); also κ of the judge against each human rater on the pairs both rated.
- **Score effect**: for each ranking (a try's stored results), each query's score with the
  scorer given, from the consensus ratings and from the judge's, on the same pairs (those both
  have), over the queries that have at least one such pair. The case score is the mean over those
  queries; the difference judge − human has a seeded bootstrap confidence interval over queries
  (``stats.bootstrap_ci``). Kendall's τ-b between the tries' orders by the two case scores says
  whether the judge's ratings would rank the tries the same way (1: the same order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from searchbench.domain import aggregation
from searchbench.domain.agreement import (
    PairKappa,
    RatingMatrix,
    check_scale,
    default_scale,
    grade_positions,
    pair_kappa,
)
from searchbench.domain.scoring import ScorerRef, score_case
from searchbench.domain.stats import bootstrap_ci, kendall_tau

Pair = tuple[str, str]  # (query text, doc id)
JUDGE = "\x00judge"  # the judge's row in a matrix with the human raters (no rater is named so)


@dataclass(frozen=True)
class Agreement:
    pairs: int  # pairs with a consensus and a judge rating
    kappa: PairKappa  # consensus (rows) against judge (columns); .confusion is the matrix
    bias: float | None  # mean (judge − consensus); None without pairs
    per_rater: dict[str, PairKappa]  # the judge against each human rater
    judge_cant_rate: int  # pairs with a consensus the judge answered "can't rate"
    scale: tuple[float, ...]  # the grades it was computed over
    consensus: dict[Pair, float] = field(repr=False)
    judge: dict[Pair, float] = field(repr=False)  # the judge's ratings on the compared pairs


def consensus(
    human: Iterable[tuple[Pair, str, float | None]], rule: str, scale: Sequence[float]
) -> dict[Pair, float]:
    """Each pair's human consensus by the aggregation rule; pairs without a rating have none."""
    by_pair: dict[Pair, list[float]] = {}
    for pair, _, rating in human:
        if rating is not None:
            by_pair.setdefault(pair, []).append(float(rating))
    out: dict[Pair, float] = {}
    for pair, ratings in by_pair.items():
        value = aggregation.aggregate(rule, ratings, scale)
        if value is not None:
            out[pair] = value
    return out


def agreement(
    human: Sequence[tuple[Pair, str, float | None]],
    judge: Mapping[Pair, float | None],
    *,
    rule: str,
    scale: Sequence[float] | None = None,
) -> Agreement:
    """The judge against the human raters. ``human``: (pair, rater, rating or None) a judgement;
    ``judge``: the judge's rating of each pair it judged (None: can't rate); ``scale``: the
    grades (None: every integer from the lowest rating, human or judge's, to the highest).
    AgreementError for a rating off the scale."""
    if scale is None:
        everyone = [*(r for _, _, r in human), *judge.values()]
        grades = default_scale(r for r in everyone if r is not None)
    else:
        grades = check_scale(scale)
    agreed = consensus(human, rule, grades)
    rated = {p: float(r) for p, r in judge.items() if r is not None}
    compared = [p for p in agreed if p in rated]
    cant = sum(1 for p in agreed if p in judge and judge[p] is None)
    truth = np.array([agreed[p] for p in compared], dtype=np.float64)
    theirs = np.array([rated[p] for p in compared], dtype=np.float64)
    kappa = pair_kappa(grade_positions(truth, grades), grade_positions(theirs, grades), len(grades))
    bias = float((theirs - truth).mean()) if compared else None
    rows = [*human, *((p, JUDGE, r) for p, r in judge.items())]
    matrix = RatingMatrix.from_ratings(rows, grades)
    judge_row = matrix.row(JUDGE) if JUDGE in matrix.raters else None
    per_rater = {
        rater: pair_kappa(matrix.row(rater), judge_row, len(grades))
        for rater in matrix.raters
        if rater != JUDGE and judge_row is not None
    }
    return Agreement(
        pairs=len(compared),
        kappa=kappa,
        bias=bias,
        per_rater=per_rater,
        judge_cant_rate=cant,
        scale=grades,
        consensus={p: agreed[p] for p in compared},
        judge={p: rated[p] for p in compared},
    )


# --- the effect on the case ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranked:
    id: str


@dataclass(frozen=True)
class Ranking:
    """One try's stored results: each query's doc ids in rank order, and how many the engine
    found (Quepid's scorers read it)."""

    name: str
    docs: Mapping[str, Sequence[str]]
    num_found: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TryEffect:
    name: str
    human: float  # the case score from the consensus ratings
    judge: float  # … from the judge's
    per_query: dict[str, tuple[float, float]]  # query → (human, judge)
    ci: tuple[float, float]  # bootstrap interval of the mean of judge − human over queries

    @property
    def difference(self) -> float:
        return self.judge - self.human


@dataclass(frozen=True)
class ScoreEffect:
    scorer: str
    tries: list[TryEffect]
    tau: float | None  # Kendall's τ-b of the tries' orders; None with fewer than two tries
    same_order: bool  # the judge's ratings rank the tries as the humans' do


def _as_ratings(values: Mapping[Pair, float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for (query, doc), rating in values.items():
        out.setdefault(query, {})[doc] = rating
    return out


def _order(scores: Sequence[float]) -> list[int]:
    """Indexes from the best score down; ties keep the given order."""
    return sorted(range(len(scores)), key=lambda i: -scores[i])


def score_effect(
    scorer: ScorerRef,
    rankings: Sequence[Ranking],
    calibrated: Agreement,
    *,
    options: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> ScoreEffect:
    """Each ranking scored from the consensus and from the judge, on the pairs both rated."""
    human = _as_ratings(calibrated.consensus)
    judge = _as_ratings(calibrated.judge)
    tries: list[TryEffect] = []
    for ranking in rankings:
        queries = [q for q in ranking.docs if q in human]
        results = {q: [_Ranked(d) for d in ranking.docs[q]] for q in queries}
        by_human = score_case(scorer, results, human, ranking.num_found, options)
        by_judge = score_case(scorer, results, judge, ranking.num_found, options)
        a = [by_human.per_query.get(q, 0.0) for q in queries]
        b = [by_judge.per_query.get(q, 0.0) for q in queries]
        tries.append(
            TryEffect(
                name=ranking.name,
                human=float(np.mean(a)) if a else 0.0,
                judge=float(np.mean(b)) if b else 0.0,
                per_query={q: (x, y) for q, x, y in zip(queries, a, b, strict=True)},
                ci=bootstrap_ci(a, b, confidence=confidence, seed=seed),
            )
        )
    human_scores = [t.human for t in tries]
    judge_scores = [t.judge for t in tries]
    return ScoreEffect(
        scorer=scorer.name,
        tries=tries,
        tau=kendall_tau(human_scores, judge_scores) if len(tries) >= 2 else None,
        same_order=_order(human_scores) == _order(judge_scores),
    )
