"""Judgment coverage: how much of the top of a ranking was judged."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from searchbench.domain.metrics._arith import cut, safe_div
from searchbench.domain.metrics.ranking import NONPOOL, UNJUDGED, Ranked
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray


def unjudged_at(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """unj_k: docs in the top k without a judgment (absent from the qrels or negative) / k."""
    top = r.rel[:, : cut(r, spec.cutoff)]
    count = ((top == NONPOOL) | (top == UNJUDGED)).sum(axis=1)
    return safe_div(count, spec.cutoff or 0)


def judged_at(r: Ranked, spec: MeasureSpec) -> FloatArray:
    """Judged@k: docs in the top k with a judgment (qrel >= 0) / k."""
    top = r.rel[:, : cut(r, spec.cutoff)]
    return safe_div((top >= 0).sum(axis=1).astype(np.float64), spec.cutoff or 0)


_REL_CHARS = {NONPOOL: "-", UNJUDGED: "."}


def relstring(r: Ranked, spec: MeasureSpec) -> npt.NDArray[np.object_]:
    """The grades of the top k docs as text: a digit per judged doc ('>' above 9), '-' for a doc
    outside the qrels, '.' for a pooled but unjudged one. Per query only."""
    k = 10 if spec.cutoff is None else spec.cutoff
    top = r.rel[:, : cut(r, k)].tolist()
    out = []
    for q, row in enumerate(top):
        chars = []
        for code in row[: int(r.num_ret[q])]:
            if code > 9:
                chars.append(">")
            elif code >= 0:
                chars.append(str(code))
            else:
                chars.append(_REL_CHARS.get(code, "<"))
        out.append("".join(chars))
    return np.array(out, dtype=np.object_)
