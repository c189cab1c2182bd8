"""Retrieval measures with trec_eval 10.0 semantics, vectorised over queries with numpy.

from searchbench.domain.metrics import evaluate
ev = evaluate(qrels, run, ["nDCG@10", "map", "P_10"])
ev.per_query["nDCG@10"]["q1"]; ev.aggregate["map"]
"""

from searchbench.domain.metrics.evaluate import Evaluation, evaluate
from searchbench.domain.metrics.parse import (
    UnknownMeasure,
    measure_depth,
    parse_measure,
    parse_measures,
)
from searchbench.domain.metrics.registry import GROUPS, MEASURES, MeasureInfo
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.tables import QrelsTable, RunTable

__all__ = [
    "GROUPS",
    "MEASURES",
    "Evaluation",
    "MeasureInfo",
    "MeasureSpec",
    "QrelsTable",
    "RunTable",
    "UnknownMeasure",
    "evaluate",
    "measure_depth",
    "parse_measure",
    "parse_measures",
]
