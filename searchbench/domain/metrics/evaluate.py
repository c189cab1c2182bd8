"""evaluate(): qrels + run + measure names -> per-query and summary values."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from searchbench.domain.metrics.parse import parse_measures
from searchbench.domain.metrics.ranking import Ranked, build_ranked
from searchbench.domain.metrics.registry import MEASURES
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import FloatArray, QrelsTable, RunTable

MIN_GEO_MEAN = 0.00001

QrelsLike = Mapping[str, Mapping[str, int]] | QrelsTable
RunLike = Mapping[str, Mapping[str, float]] | RunTable


@dataclass
class Evaluation:
    """Values by measure label. ``values[label]`` is aligned with ``qids``."""

    qids: list[str]
    specs: dict[str, MeasureSpec]
    values: dict[str, FloatArray]
    aggregate: dict[str, float] = field(default_factory=dict)
    text: dict[str, dict[str, str]] = field(default_factory=dict)  # per-query-only text measures

    @cached_property
    def per_query(self) -> dict[str, dict[str, float]]:
        return {
            label: dict(zip(self.qids, vals.tolist(), strict=True))
            for label, vals in self.values.items()
        }


def summarise(values: FloatArray, how: str) -> float:
    if values.size == 0:
        return 0.0
    if how == "sum":
        return float(values.sum())
    if how == "gmean":
        return math.exp(float(np.log(np.maximum(values, MIN_GEO_MEAN)).mean()))
    return float(values.mean())


def _tables(qrels: QrelsLike, run: RunLike) -> tuple[QrelsTable, RunTable]:
    q = qrels if isinstance(qrels, QrelsTable) else QrelsTable.from_mapping(qrels)
    r = run if isinstance(run, RunTable) else RunTable.from_mapping(run)
    return q, r


def evaluate_ranked(ranked: Ranked, specs: Sequence[MeasureSpec]) -> Evaluation:
    values: dict[str, FloatArray] = {}
    aggregate: dict[str, float] = {}
    text: dict[str, dict[str, str]] = {}
    for spec in specs:
        info = MEASURES[spec.family]
        if info.aggregate == "text":
            text[spec.label] = dict(
                zip(ranked.qids, info.compute(ranked, spec).tolist(), strict=True)
            )
            continue
        vals = np.asarray(info.compute(ranked, spec), dtype=np.float64)
        values[spec.label] = vals
        aggregate[spec.label] = summarise(vals, info.aggregate)
    return Evaluation(list(ranked.qids), {s.label: s for s in specs}, values, aggregate, text)


def evaluate(
    qrels: QrelsLike,
    run: RunLike,
    measures: Sequence[str | MeasureSpec],
    rel_level: int = 1,
    complete: bool = False,
    max_depth: int | None = None,
    judged_only: bool = False,
) -> Evaluation:
    """Evaluate a run against qrels with trec_eval's rules.

    Queries are those in both the qrels and the run (``complete=True``: every qrels query, a
    missing one scoring 0). ``rel_level`` is the lowest relevant grade for binary measures;
    ``max_depth`` keeps only the top N docs per query; ``judged_only`` then drops unjudged docs.
    """
    specs = parse_measures(measures)
    qt, rt = _tables(qrels, run)
    ranked = build_ranked(
        qt,
        rt,
        rel_level=rel_level,
        complete=complete,
        max_depth=max_depth,
        judged_only=judged_only,
    )
    return evaluate_ranked(ranked, specs)
