"""Precision family: P@k, relative P, R-precision and its multiples, success, set precision, F."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics._arith import rel_at_each, safe_div
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def precision_at(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """P_k = relevant in the top k / k, even when fewer than k docs were retrieved."""
    k = spec.cutoff or 0
    return safe_div(r.rel_at(r.level(spec.rel), k), k)


def relative_precision(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """relative_P_k = relevant in the top k / min(k, R); 0 when R = 0."""
    level = r.level(spec.rel)
    k = spec.cutoff or 0
    return safe_div(r.rel_at(level, k), np.minimum(k, r.num_rel(level)))


def r_precision(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Rprec = relevant in the top R / R (R = number of relevant docs)."""
    level = r.level(spec.rel)
    num_rel = r.num_rel(level)
    look = np.minimum(r.num_ret, num_rel)
    return np.where(look > 0, safe_div(rel_at_each(r, level, look), num_rel), 0.0)


def r_precision_mult(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Rprec_mult_x = precision at rank floor(x * R + 0.9) (trec_eval's rounding)."""
    level = r.level(spec.rel)
    ks = np.floor((spec.value or 0.0) * r.num_rel(level) + 0.9).astype(np.int64)
    return safe_div(rel_at_each(r, level, ks), ks)


def success(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """success_k = 1 if any relevant doc is in the top k."""
    return (r.rel_at(r.level(spec.rel), spec.cutoff or 0) > 0).astype(np.float64)


def set_precision(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """set_P = relevant retrieved / retrieved."""
    return safe_div(r.num_rel_ret(r.level(spec.rel)), r.num_ret)


def set_relative_precision(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """set_relative_P = relevant retrieved / min(retrieved, R)."""
    level = r.level(spec.rel)
    return safe_div(r.num_rel_ret(level), np.minimum(r.num_ret, r.num_rel(level)))


def set_f(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """set_F = (beta + 1) P R / (beta P + R) over the whole retrieved set (beta default 1)."""
    level = r.level(spec.rel)
    beta = 1.0 if spec.value is None else spec.value
    hits = r.num_rel_ret(level)
    p = safe_div(hits, r.num_ret)
    rec = safe_div(hits, r.num_rel(level))
    return np.where(hits > 0, safe_div((beta + 1.0) * p * rec, beta * p + rec), 0.0)
