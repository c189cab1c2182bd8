"""Rank-biased precision (Moffat & Zobel 2008) and its residual."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics.gains import grade_gains, ranked_gains
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray

DEFAULT_PERSISTENCE = 0.9


def _persistence(r: Ranked, spec: MeasureSpec) -> FloatArray:
    p = DEFAULT_PERSISTENCE if spec.value is None else spec.value
    return np.power(p, np.arange(r.depth, dtype=np.float64))[None, :]


def rbp(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """(1 - p) * sum_i gain_i * p^(i-1).

    Gains are the grades; when a query's gain table leaves [0, 1] it is rescaled to
    (g - min) / (max - min) over that query's grades (0 .. its highest judged grade), so graded
    qrels give 1 to the top grade. With ``rel=`` the gain is binary (grade >= rel).
    """
    p = DEFAULT_PERSISTENCE if spec.value is None else spec.value
    if spec.rel is not None:
        gains = r.is_rel(spec.rel).astype(np.float64)
    else:
        table = grade_gains(r, spec)
        levels = r.rel_levels
        top = np.where(
            levels.any(axis=1), levels.shape[1] - np.argmax(levels[:, ::-1] > 0, axis=1), 0
        )
        member = np.arange(levels.shape[1])[None, :] < top[:, None]
        for grade, _ in spec.gains:
            if 0 <= grade < levels.shape[1]:
                member[:, grade] = True
        lo = np.where(member, table[None, :], np.inf).min(axis=1)
        hi = np.where(member, table[None, :], -np.inf).max(axis=1)
        for grade, gain in spec.gains:
            if not 0 <= grade < levels.shape[1]:
                lo, hi = np.minimum(lo, gain), np.maximum(hi, gain)
        lo = np.where(np.isfinite(lo), lo, 0.0)
        hi = np.where(np.isfinite(hi), hi, 0.0)
        rescale = ((lo < 0) | (hi > 1)) & (hi > lo)
        raw = ranked_gains(r, table)
        scaled = (raw - lo[:, None]) / np.where(rescale, hi - lo, 1.0)[:, None]
        gains = np.where(rescale[:, None], np.where(r.rel >= 0, scaled, 0.0), raw)
    return np.asarray((1.0 - p) * (gains * _persistence(r, spec)).sum(axis=1), dtype=np.float64)


def rbp_residual(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """How much rbp could still rise if every unjudged doc (and everything below) were relevant."""
    p = DEFAULT_PERSISTENCE if spec.value is None else spec.value
    unjudged = (r.rel < 0) & (r.rel > -3)
    weight = _persistence(r, spec)
    tail = np.power(p, r.num_ret.astype(np.float64))
    value = tail + (1.0 - p) * np.where(unjudged, weight, 0.0).sum(axis=1)
    return np.where(unjudged.any(axis=1), value, 0.0)
