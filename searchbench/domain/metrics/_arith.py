"""Small array helpers shared by the measure modules."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.tables import FloatArray, Int64Array


def safe_div(num: npt.ArrayLike, den: npt.ArrayLike) -> FloatArray:
    """num / den, and 0 where den is 0 (trec_eval leaves such values at 0)."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(n, d).shape, dtype=np.float64)
    np.divide(n, d, out=out, where=d != 0)
    return out


def rel_at_each(r: Ranked, level: int, ks: Int64Array) -> Int64Array:
    """Relevant docs in the top ks[q] of each query q (ks may be 0 or exceed the depth)."""
    if r.depth == 0:
        return np.zeros(r.n_queries, dtype=np.int64)
    cum = r.cum_rel(level)
    idx = np.clip(ks, 1, r.depth) - 1
    got = cum[np.arange(r.n_queries), idx]
    return np.where(ks > 0, got, 0).astype(np.int64)


def exclusive_cumsum(mask: npt.NDArray[Any]) -> Int64Array:
    """How many True cells come before each cell of its row."""
    cum = np.cumsum(mask, axis=1, dtype=np.int64)
    return cum - mask.astype(np.int64)


def cut(r: Ranked, k: int | None) -> int:
    return r.depth if k is None else max(0, min(k, r.depth))
