"""Average precision family: AP (map), AP cut at k, geometric-mean AP, set AP, inferred AP."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics._arith import cut, exclusive_cumsum, safe_div
from searchbench.domain.metrics.ranking import UNJUDGED, Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray

INFAP_EPSILON = 0.00001


def _ap(r: Ranked, level: int, k: int | None) -> FloatArray:
    depth = cut(r, k)
    is_rel = r.is_rel(level)[:, :depth]
    cum = r.cum_rel(level)[:, :depth]
    precision_at_rel = np.where(is_rel, cum / r.ranks()[:, :depth], 0.0)
    return safe_div(precision_at_rel.sum(axis=1), r.num_rel(level))


def average_precision(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """AP = sum over retrieved relevant docs of P@rank, divided by ALL relevant docs (R)."""
    return _ap(r, r.level(spec.rel), spec.cutoff)


def set_average_precision(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """set_map = set_P x set_recall = relevant_retrieved^2 / (retrieved x R)."""
    level = r.level(spec.rel)
    hits = r.num_rel_ret(level).astype(np.float64)
    return safe_div(hits * hits, r.num_ret * r.num_rel(level))


def inferred_ap(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """infAP (Yilmaz & Aslam): AP estimated when only a sample of the pool was judged.

    At a relevant doc at 0-based position j: 1/(j+1) + j/(j+1) * (judged-or-pooled above / j) *
    (relevant above + eps) / (judged above + 2 eps); docs outside the pool count as non-relevant,
    pooled-but-unjudged docs are skipped in the proportion. Summed and divided by R.
    """
    level = r.level(spec.rel)
    rel = r.rel
    is_rel = r.is_rel(level)
    nonrel_before = exclusive_cumsum((rel >= 0) & (rel < level))
    unjudged_before = exclusive_cumsum(rel == UNJUDGED)
    rel_before = r.cum_rel(level) - 1
    j = np.arange(r.depth, dtype=np.float64)[None, :]
    safe_j = np.where(j == 0, 1.0, j)
    above = (rel_before + nonrel_before + unjudged_before) / safe_j
    ratio = (rel_before + INFAP_EPSILON) / (rel_before + nonrel_before + 2 * INFAP_EPSILON)
    term = np.where(j == 0, 1.0, 1.0 / (j + 1.0) + (j / (j + 1.0)) * above * ratio)
    total = np.where(is_rel, term, 0.0).sum(axis=1)
    return safe_div(total, r.num_rel(level))
