"""Z-scores (trec_eval's ``-Z FILE``): each per-query value standardised against reference runs.

The file has lines ``qid measure mean stddev`` (e.g. built from the TREC runs of a track). A
per-query value v becomes (v - mean) / stddev; with stddev 0 it is 0 if v equals the mean; a
(query, measure) pair missing from the file gets trec_eval's marker -1000000. The summary is then
taken over the z-scores with the measure's usual rule (sum, mean, or the geometric mean of the
log values).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from searchbench.domain.metrics.evaluate import MIN_GEO_MEAN, Evaluation, summarise
from searchbench.domain.metrics.registry import MEASURES
from searchbench.domain.metrics.tables import FloatArray

MISSING_ZSCORE = -1000000.0

ZTable = dict[tuple[str, str], tuple[float, float]]


class ZScoreFileError(ValueError):
    """A z-score file we refuse, naming the file and line."""


def read_zscores(path: str | os.PathLike[str]) -> ZTable:
    table: ZTable = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ZScoreFileError(f"{path}:0: cannot read: {exc.strerror or exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 4:
            raise ZScoreFileError(
                f"{path}:{number}: expected 4 fields (qid measure mean stddev), found {len(fields)}"
            )
        try:
            mean, stddev = float(fields[2]), float(fields[3])
        except ValueError:
            raise ZScoreFileError(f"{path}:{number}: mean and stddev must be numbers") from None
        table[(fields[0], fields[1])] = (mean, stddev)
    return table


def _standardise(value: float, mean: float, stddev: float) -> float:
    if stddev:
        return (value - mean) / stddev
    return 0.0 if value == mean else MISSING_ZSCORE


def to_zscores(ev: Evaluation, table: ZTable) -> Evaluation:
    """A new Evaluation whose measures are named ``Z<label>`` and hold z-scores."""
    values: dict[str, FloatArray] = {}
    aggregate: dict[str, float] = {}
    specs = {}
    for label, raw in ev.values.items():
        spec = ev.specs[label]
        how = MEASURES[spec.family].aggregate
        name = f"Z{label}"
        specs[name] = spec
        if spec.family == "num_q":  # a count of queries, not a per-query value
            values[name] = raw
            aggregate[name] = float(len(ev.qids))
            continue
        per_query = np.log(np.maximum(raw, MIN_GEO_MEAN)) if how == "gmean" else raw
        z = np.array(
            [
                _standardise(float(v), *table[(q, label)])
                if (q, label) in table
                else MISSING_ZSCORE
                for q, v in zip(ev.qids, per_query.tolist(), strict=True)
            ]
        )
        values[name] = z
        if how == "gmean":
            aggregate[name] = math.exp(float(z.mean())) if z.size else 0.0
        else:
            aggregate[name] = summarise(z, how)
    return Evaluation(list(ev.qids), specs, values, aggregate, dict(ev.text))
