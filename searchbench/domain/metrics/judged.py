"""Judgment coverage: how much of the top of a ranking was judged."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics._arith import cut, safe_div
from searchbench.domain.metrics.ranking import NONPOOL, UNJUDGED, Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def unjudged_at(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """unj_k: docs in the top k without a judgment (absent from the qrels or negative) / k."""
    top = r.rel[:, : cut(r, spec.cutoff)]
    count = ((top == NONPOOL) | (top == UNJUDGED)).sum(axis=1)
    return safe_div(count, spec.cutoff or 0)


def judged_at(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Judged@k: docs in the top k with a judgment (qrel >= 0) / k."""
    top = r.rel[:, : cut(r, spec.cutoff)]
    return safe_div((top >= 0).sum(axis=1).astype(np.float64), spec.cutoff or 0)
