"""What one requested measure means once its name is parsed (see ``parse.py``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureSpec:
    label: str  # the name as the user asked for it (or trec_eval's expanded name)
    family: str  # a key of MEASURES
    cutoff: int | None = None
    value: float | None = (
        None  # a recall point, a multiple of R, a persistence, a beta, a max grade
    )
    values: tuple[float, ...] = ()  # utility coefficients, 11pt_avg recall points
    gains: tuple[tuple[int, float], ...] = ()  # custom gain per grade (ndcg.1=3,2=9)
    rel: int | None = None  # relevance level for this measure only (ir_measures' rel=)
    exp_gain: bool = False  # gain 2^g - 1 instead of g
