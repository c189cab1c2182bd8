"""Gain tables shared by the graded measures (nDCG family, G, rbp).

trec_eval's default gain of a grade is the grade itself; ``ndcg.1=3,2=9`` overrides some grades;
``nDCG(gain=exp)`` uses 2^g - 1. Unjudged and unpooled docs gain 0.
"""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def grade_gains(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """gain[grade] for grades 0 .. max grade."""
    grades = np.arange(r.rel_levels.shape[1], dtype=np.float64)
    gains = np.exp2(grades) - 1.0 if spec.exp_gain else grades.copy()
    for grade, gain in spec.gains:
        if 0 <= grade < len(gains):
            gains[grade] = gain
    return gains


def ranked_gains(r: Ranked, gains: FloatArray, depth: int | None = None) -> FloatArray:
    """[n_queries, depth] gain of each retrieved doc (of the first ``depth`` only, if given)."""
    rel = r.rel if depth is None else r.rel[:, :depth]
    if len(gains) == 0:
        return np.zeros(rel.shape)
    return np.where(rel >= 0, gains[np.clip(rel, 0, len(gains) - 1)], 0.0)


def discounts(n: int) -> FloatArray:
    """1 / log2(rank + 1) for ranks 1..n."""
    return 1.0 / np.log2(np.arange(2, n + 2, dtype=np.float64))


def ideal_dcg(r: Ranked, gains: FloatArray, k: int | None) -> FloatArray:
    """DCG of the ideal ranking: every judged doc with positive gain, best first, cut at k.

    Computed from per-grade counts without building the list: with the positive gains sorted
    g_1 > g_2 > ... and C_j docs at grade j or better, IDCG = sum_j (g_j - g_{j+1}) * D(C_j),
    where D(m) is the sum of the first m discounts.
    """
    order = np.argsort(-gains, kind="stable")
    order = order[gains[order] > 0]
    if order.size == 0:
        return np.zeros(r.n_queries)
    at_or_above = np.cumsum(r.rel_levels[:, order], axis=1)
    if k is not None:
        at_or_above = np.minimum(at_or_above, max(k, 0))
    longest = int(at_or_above.max()) if at_or_above.size else 0
    prefix = np.concatenate([[0.0], np.cumsum(discounts(longest))])
    g = gains[order]
    steps = g - np.append(g[1:], 0.0)
    return np.asarray((prefix[at_or_above] * steps[None, :]).sum(axis=1), dtype=np.float64)


def gain_levels(r: Ranked, q: int, spec: MeasureSpec) -> list[tuple[float, int]]:
    """trec_eval's GAINS for one query: (gain, judged docs) per grade, sorted by gain ascending."""
    counts = r.rel_levels[q]
    present = np.flatnonzero(counts)
    top = int(present.max()) + 1 if present.size else 0
    custom = dict(spec.gains)
    table: dict[int, float] = dict(custom)
    for grade in range(top):
        if grade not in table:
            table[grade] = float(2**grade - 1) if spec.exp_gain else float(grade)
    rows = [
        (gain, int(counts[grade]) if 0 <= grade < len(counts) else 0)
        for grade, gain in table.items()
    ]
    return sorted(rows, key=lambda row: row[0])


def gain_lookup(r: Ranked, q: int, spec: MeasureSpec) -> dict[int, float]:
    top = len(r.rel_levels[q])
    table = {g: (float(2**g - 1) if spec.exp_gain else float(g)) for g in range(top)}
    table.update(dict(spec.gains))
    return table
