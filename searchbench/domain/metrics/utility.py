"""Set utility: a weighted sum over the retrieved/relevant contingency table."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray

DEFAULT_COEFFICIENTS = (1.0, -1.0, 0.0, 0.0)


def utility(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """p1 * rel_ret + p2 * nonrel_ret + p3 * rel_not_ret + p4 * nonrel_not_ret.

    The collection size is unknown, so the last cell is taken with 0 docs in the collection, as
    trec_eval does without -N. A query missing from the run scores 0 (trec_eval's -c rule).
    """
    p1, p2, p3, p4 = spec.values or DEFAULT_COEFFICIENTS
    level = r.level(spec.rel)
    a = r.num_rel_ret(level).astype(np.float64)
    n = r.num_ret.astype(np.float64)
    big_r = r.num_rel(level).astype(np.float64)
    value = p1 * a + p2 * (n - a) + p3 * (big_r - a) + p4 * (a - n - big_r)
    return np.where(r.missing, 0.0, value)
