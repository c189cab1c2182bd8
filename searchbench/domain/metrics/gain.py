"""Gain-based measures from trec_eval: binG and G."""

from __future__ import annotations

import math

import numpy as np

from searchbench.domain.metrics._arith import safe_div
from searchbench.domain.metrics.ndcg import _per_query
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def bin_g(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """binG: binary gain, each relevant doc discounted by log2(2 + non-relevant docs above it)."""
    level = r.level(spec.rel)
    is_rel = r.is_rel(level)
    cum = r.cum_rel(level)
    i = np.arange(r.depth, dtype=np.float64)[None, :]
    arg = np.where(is_rel, 3.0 + i - cum, 2.0)
    total = np.where(is_rel, 1.0 / np.log2(arg), 0.0).sum(axis=1)
    return safe_div(total, r.num_rel(level))


def g_measure(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """G: graded gain discounted by the gain still missing against the ideal (trec_eval's m_G)."""
    values = []
    for results, ideal in _per_query(r, spec):
        results_g = sum_results = sum_ideal = sum_cost = 0.0
        min_cost = 1.0
        i, n = 0, len(results)
        while i < n and ideal.gain > 0.0:
            g = results[i]
            sum_results += g
            ig = ideal.step()
            if ig > 0.0:
                sum_ideal += ig
            sum_cost += ig if ig >= min_cost else min_cost
            if g != 0:
                results_g += g / math.log2(2 + sum_cost - sum_results)
            i += 1
        while i < n:
            g = results[i]
            sum_results += g
            sum_cost += min_cost
            if g != 0:
                results_g += g / math.log2(2 + sum_cost - sum_results)
            i += 1
        while ideal.gain > 0.0:
            ig = ideal.step()
            if ig > 0.0:
                sum_ideal += ig
            i += 1
        values.append(results_g / sum_ideal if sum_ideal > 0.0 else 0.0)
    return np.array(values, dtype=np.float64)
