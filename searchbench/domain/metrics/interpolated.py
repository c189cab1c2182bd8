"""Interpolated precision at recall points, and their average (11-point average precision)."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray

ELEVEN_POINTS = tuple(i / 10 for i in range(11))


def _iprec(r: Ranked, level: int, point: float) -> FloatArray:
    """Max precision at any rank at or below the one where recall reaches ``point``.

    The recall point becomes a number of relevant docs with round-half-away (trec_eval 10's
    ``lround``); a point beyond the relevant docs retrieved scores 0.
    """
    nq, depth = r.n_queries, r.depth
    if depth == 0:
        return np.zeros(nq)
    cum = r.cum_rel(level)
    valid = r.rel > -3
    precision = np.where(valid, cum / r.ranks(), 0.0)
    interpolated = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    hits = cum[:, -1]
    need = np.floor(point * r.num_rel(level) + 0.5).astype(np.int64)
    at = np.argmax(cum >= np.maximum(need, 1)[:, None], axis=1)
    value = interpolated[np.arange(nq), at]
    value = np.where(need == 0, interpolated[:, 0], value)
    return np.where(need > hits, 0.0, value)


def iprec_at_recall(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Interpolated precision at a recall point (0.0 ... 1.0)."""
    return _iprec(r, r.level(spec.rel), spec.value or 0.0)


def eleven_point_average(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Mean interpolated precision over recall points (default 0.0, 0.1, ... 1.0)."""
    points = spec.values or ELEVEN_POINTS
    level = r.level(spec.rel)
    return np.asarray(np.mean([_iprec(r, level, p) for p in points], axis=0), dtype=np.float64)
