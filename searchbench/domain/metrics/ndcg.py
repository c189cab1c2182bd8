"""Normalised discounted cumulative gain (Jarvelin & Kekalainen) with trec_eval's conventions.

Gain is linear in the grade (the grade itself) unless overridden; the discount is 1/log2(rank+1);
the ideal ranking is built from ALL judged docs with positive gain, however short the run.
``ndcg`` uses the whole run and the whole ideal list; ``ndcg_cut_k`` cuts both at k.
"""

from __future__ import annotations

import math

import numpy as np

from searchbench.domain.metrics._arith import cut, safe_div
from searchbench.domain.metrics.gains import (
    discounts,
    gain_levels,
    gain_lookup,
    grade_gains,
    ideal_dcg,
    ranked_gains,
)
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def ndcg(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """DCG(run cut at k) / DCG(ideal cut at k); no cutoff means the whole of both."""
    gains = grade_gains(r, spec)
    depth = cut(r, spec.cutoff)
    dcg = (ranked_gains(r, gains, depth) * discounts(depth)[None, :]).sum(axis=1)
    return safe_div(dcg, ideal_dcg(r, gains, spec.cutoff))


class _Ideal:
    """Walks the ideal ranking one position at a time, exactly as trec_eval's loops do."""

    def __init__(self, levels: list[tuple[float, int]]) -> None:
        self.levels = levels
        self.cur = len(levels) - 1
        self.gain = levels[self.cur][0] if self.cur >= 0 else 0.0
        self.num_at_level = 0

    def step(self) -> float:
        self.num_at_level += 1
        while self.cur >= 0 and self.num_at_level > self.levels[self.cur][1]:
            self.num_at_level = 1
            self.cur -= 1
            self.gain = self.levels[self.cur][0] if self.cur >= 0 else 0.0
        return self.gain


def _per_query(r: Ranked, spec: MeasureSpec) -> list[tuple[list[float], _Ideal]]:
    out = []
    for q in range(r.n_queries):
        table = gain_lookup(r, q, spec)
        codes = r.rel[q, : r.num_ret[q]].tolist()
        out.append(([table.get(c, 0.0) for c in codes], _Ideal(gain_levels(r, q, spec))))
    return out


def ndcg_rel(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """nDCG averaged over the ranks of relevant docs (trec_eval's ndcg_rel)."""
    values = []
    for results, ideal in _per_query(r, spec):
        rdcg = idcg = total = 0.0
        num_rel = num_rel_ret = 0
        i, n = 0, len(results)
        while i < n and ideal.gain > 0.0:
            g = results[i]
            if g != 0:
                rdcg += g / math.log2(i + 2)
            ig = ideal.step()
            if ig > 0.0:
                num_rel += 1
                idcg += ig / math.log2(i + 2)
            if g > 0:
                total += rdcg / idcg
                num_rel_ret += 1
            i += 1
        while i < n:
            g = results[i]
            if g != 0:
                rdcg += g / math.log2(i + 2)
            if g > 0:
                total += rdcg / idcg
                num_rel_ret += 1
            i += 1
        while ideal.gain > 0.0:
            ig = ideal.step()
            if ig > 0.0:
                num_rel += 1
                idcg += ig / math.log2(i + 2)
            i += 1
        if idcg > 0:
            total += (num_rel - num_rel_ret) * rdcg / idcg
        values.append(total / num_rel if total > 0.0 else 0.0)
    return np.array(values, dtype=np.float64)


def r_ndcg(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """nDCG averaged at each rank where the ideal gain changes (trec_eval's Rndcg)."""
    values = []
    num_rel = r.num_rel(r.level(spec.rel))
    for q, (results, ideal) in enumerate(_per_query(r, spec)):
        if num_rel[q] == 0:
            values.append(0.0)
            continue
        rdcg = idcg = total = 0.0
        changes = 0
        old = ideal.gain
        i, n = 0, len(results)
        while i < n and ideal.gain > 0.0:
            g = results[i]
            ig = ideal.step()
            if old != ig:
                if idcg > 0.0:
                    total += rdcg / idcg
                    changes += 1
                old = ig
            if g != 0:
                rdcg += g / math.log2(i + 2)
            if ig > 0.0:
                idcg += ig / math.log2(i + 2)
            i += 1
        if i < n:
            while i < n:
                g = results[i]
                if g != 0:
                    rdcg += g / math.log2(i + 2)
                i += 1
            if idcg > 0.0:
                total += rdcg / idcg
                changes += 1
        while ideal.gain > 0.0:
            ig = ideal.step()
            if old != ig:
                if idcg > 0.0:
                    total += rdcg / idcg
                    changes += 1
                old = ig
            if ig > 0.0:
                idcg += ig / math.log2(i + 2)
            i += 1
        values.append(total / changes if changes else 0.0)
    return np.array(values, dtype=np.float64)
