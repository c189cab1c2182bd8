"""Recall family."""

from __future__ import annotations

from searchbench.domain.metrics._arith import safe_div
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def recall_at(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """recall_k = relevant in the top k / R; 0 when R = 0."""
    level = r.level(spec.rel)
    return safe_div(r.rel_at(level, spec.cutoff or 0), r.num_rel(level))


def set_recall(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """set_recall = relevant retrieved / R."""
    level = r.level(spec.rel)
    return safe_div(r.num_rel_ret(level), r.num_rel(level))
