"""evaluate(): qrels + run + measure names -> per-query and summary values."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from searchbench.domain.metrics.judgment_groups import evaluate_groups
from searchbench.domain.metrics.parse import parse_measures
from searchbench.domain.metrics.ranking import Ranked, build_ranked, eval_qids
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
    qt, rt = _tables(qrels, run)
    return evaluate_tables(
        qt,
        rt,
        parse_measures(measures),
        rel_level=rel_level,
        complete=complete,
        max_depth=max_depth,
        judged_only=judged_only,
    )


def evaluate_tables(
    qrels: QrelsTable,
    run: RunTable,
    specs: Sequence[MeasureSpec],
    *,
    rel_level: int = 1,
    complete: bool = False,
    max_depth: int | None = None,
    judged_only: bool = False,
) -> Evaluation:
    """evaluate() on tables and parsed specs; also the judgment-group measures."""
    grouped = [s for s in specs if MEASURES[s.family].judgment_groups]
    plain = [s for s in specs if not MEASURES[s.family].judgment_groups]
    several_groups = qrels.group is not None and len(np.unique(qrels.group)) > 1
    if several_groups:
        refused = [s.label for s in plain if s.family != "num_q"]
        if refused:
            raise ValueError(
                f"{', '.join(refused)}: needs qrels without judgment groups; with judgment "
                "groups only num_q, map_avgjg, P_avgjg and Rprec_mult_avgjg are defined"
            )
        qids = eval_qids(qrels, run, complete)
        ones = np.ones(len(qids))
        ev = Evaluation(
            qids,
            {s.label: s for s in plain},
            {s.label: ones for s in plain},
            {s.label: float(len(qids)) for s in plain},
        )
    else:
        ranked = build_ranked(
            qrels,
            run,
            rel_level=rel_level,
            complete=complete,
            max_depth=max_depth,
            judged_only=judged_only,
        )
        ev = evaluate_ranked(ranked, plain)
    if grouped:
        values = evaluate_groups(
            qrels,
            run,
            ev.qids,
            grouped,
            rel_level=rel_level,
            complete=complete,
            max_depth=max_depth,
            judged_only=judged_only,
        )
        for spec in grouped:
            ev.specs[spec.label] = spec
            ev.values[spec.label] = values[spec.label]
            ev.aggregate[spec.label] = summarise(values[spec.label], "mean")
    return ev
