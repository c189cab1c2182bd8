"""Binary preference (Buckley & Voorhees 2004): robust to incomplete judgments."""

from __future__ import annotations

import numpy as np

from searchbench.domain.metrics._arith import exclusive_cumsum, safe_div
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def bpref(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Mean over relevant docs of 1 - min(judged non-relevant above, R) / min(judged non-relevant, R).

    Only judged docs take part: unjudged and unpooled docs are skipped, not counted as misses.
    """
    level = r.level(spec.rel)
    num_rel = r.num_rel(level)
    num_nonrel = r.rel_levels[:, : max(level, 0)].sum(axis=1)
    above = exclusive_cumsum((r.rel >= 0) & (r.rel < level))
    penalty = safe_div(
        np.minimum(above, num_rel[:, None]), np.minimum(num_nonrel, num_rel)[:, None]
    )
    per_doc = np.where(above > 0, 1.0 - penalty, 1.0)
    total = np.where(r.is_rel(level), per_doc, 0.0).sum(axis=1)
    return safe_div(total, num_rel)
