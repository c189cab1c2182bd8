"""Counts: how many docs were retrieved, judged relevant, and both."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def num_q(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """1 per evaluated query; the summary is the number of queries."""
    return np.ones(r.n_queries)


def num_ret(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Retrieved docs (after -M)."""
    return r.num_ret.astype(np.float64)


def num_rel(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Judged relevant docs (qrel >= level), retrieved or not."""
    return r.num_rel(r.level(spec.rel)).astype(np.float64)


def num_rel_ret(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Relevant docs retrieved."""
    return r.num_rel_ret(r.level(spec.rel)).astype(np.float64)


def num_nonrel_judged_ret(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Retrieved docs judged non-relevant (0 <= qrel < level)."""
    level = r.level(spec.rel)
    judged_nonrel = (r.rel >= 0) & (r.rel < level)
    return np.asarray(judged_nonrel.sum(axis=1), dtype=np.float64)
