"""Measures averaged over judgment groups (trec_eval's ``-R qrels_jg`` measures).

Several assessors (groups) judge the same topics; the qrels' second column names the group. A
``*_avgjg`` measure is its base measure computed against each group's judgments alone, then
averaged over the groups that judged the topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from searchbench.domain.metrics.ranking import build_ranked
from searchbench.domain.metrics.registry import MEASURES
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray, QrelsTable, RunTable

# *_avgjg family -> the family it averages
BASE = {"map_avgjg": "map", "P_avgjg": "P", "Rprec_mult_avgjg": "Rprec_mult"}


def evaluate_groups(
    qrels: QrelsTable,
    run: RunTable,
    qids: list[str],
    specs: Sequence[MeasureSpec],
    *,
    rel_level: int,
    complete: bool,
    max_depth: int | None,
    judged_only: bool,
) -> dict[str, FloatArray]:
    """Per-query values (aligned with ``qids``) of the judgment-group measures in ``specs``."""
    index = {q: i for i, q in enumerate(qids)}
    totals = {spec.label: np.zeros(len(qids)) for spec in specs}
    groups = np.zeros(len(qids))
    for _, table in qrels.groups():
        ranked = build_ranked(
            table,
            run,
            rel_level=rel_level,
            complete=complete,
            max_depth=max_depth,
            judged_only=judged_only,
        )
        rows = np.array([index[q] for q in ranked.qids], dtype=np.int64)
        groups[rows] += 1
        for spec in specs:
            base = replace(spec, family=BASE[spec.family])
            totals[spec.label][rows] += MEASURES[base.family].compute(ranked, base)
    return {label: total / np.maximum(groups, 1) for label, total in totals.items()}
