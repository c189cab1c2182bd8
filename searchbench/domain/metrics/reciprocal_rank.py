"""Reciprocal rank of the first relevant doc."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics._arith import cut
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def reciprocal_rank(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """1 / rank of the first relevant doc (within the top k if a cutoff is given), else 0."""
    is_rel = r.is_rel(r.level(spec.rel))[:, : cut(r, spec.cutoff)]
    if is_rel.shape[1] == 0:
        return np.zeros(r.n_queries)
    first = np.argmax(is_rel, axis=1)
    return np.where(is_rel.any(axis=1), 1.0 / (first + 1.0), 0.0)
