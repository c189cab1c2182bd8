"""Expected reciprocal rank (Chapelle, Metzler, Zhang & Grinspan 2009)."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics._arith import cut
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def err(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """ERR@k = sum_r (1/r) R_r prod_{i<r} (1 - R_i), with R = (2^g - 1) / 2^max.

    ``max`` is the top grade of the scale; by default the highest grade in the qrels. Unjudged
    docs have g = 0; grades above ``max`` are capped at it.
    """
    top = float(r.max_grade if spec.value is None else spec.value)
    depth = cut(r, spec.cutoff)
    grades = np.clip(r.rel[:, :depth], 0, max(top, 0)).astype(np.float64)
    stop = (np.exp2(grades) - 1.0) / np.exp2(top)
    reach = np.cumprod(1.0 - stop, axis=1)
    reach = np.concatenate([np.ones((r.n_queries, 1)), reach[:, :-1]], axis=1)[:, :depth]
    return np.asarray((reach * stop / r.ranks()[:, :depth]).sum(axis=1), dtype=np.float64)
