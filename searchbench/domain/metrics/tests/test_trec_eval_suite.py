"""Every value in trec_eval's own regression outputs, reproduced to +-0.0001.

The expected files (../shared/data/trec_eval/out.*) are parsed at test time; each line is
``measure qid value``. A line is *covered* when we compute that measure; the tests fail on any
covered value that differs, and the coverage test pins how many lines each file has that we do not
cover (so a regression in coverage is visible too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from searchbench.domain.formats.trec import load_qrels, load_run
from searchbench.domain.metrics import Evaluation, evaluate
from searchbench.domain.metrics.zscores import read_zscores, to_zscores

TOLERANCE = 0.0001

MEAS_PARAMS = [
    "iprec_at_recall..10,.20,.25,.75,.50",
    "P.5,7,3",
    "recall.20,2000",
    "Rprec_mult.5.0,0.2,0.35",
    "utility.2,-1,0,0",
    "11pt_avg..25,.5,.75",
    "ndcg.1=3,2=9,4=4.5",
    "ndcg_cut.10,20,23.4",
    "success.2,5,20",
]

# expected file -> (qrels, run, measures, evaluate() options), mirroring trec_eval's Makefile.
SUITE: dict[str, tuple[str, str, list[str], dict[str, Any]]] = {
    "out.test": ("qrels.test", "results.test", ["official"], {}),
    "out.test+comments": ("qrels.test.with-comments", "results.test", ["official"], {}),
    "out.comment.test": ("qrels.comment.test", "results.comment.test", ["official"], {}),
    "out.test.a": ("qrels.test", "results.test", ["all_trec"], {}),
    "out.test.aq": ("qrels.test", "results.test", ["all_trec"], {}),
    "out.test.aqc": ("qrels.test", "results.trunc", ["all_trec"], {"complete": True}),
    "out.test.aqcM": (
        "qrels.test",
        "results.trunc",
        ["all_trec"],
        {"complete": True, "max_depth": 100},
    ),
    "out.test.aql": (
        "qrels.rel_level",
        "results.test",
        ["all_trec", "relstring.20"],
        {"rel_level": 2},
    ),
    "out.test.meas_params": ("qrels.test", "results.test", MEAS_PARAMS, {}),
    "out.test.aqZ": ("qrels.test", "results.test", ["all_trec"], {"zscores": "zscores_file"}),
    "out.test.qrels_jg": ("qrels.123", "results.test", ["qrels_jg"], {"groups": True}),
    "out.test.qrels_jg+comments": (
        "qrels.comments.123",
        "results.test",
        ["qrels_jg"],
        {"groups": True},
    ),
}


@dataclass
class Check:
    covered: int = 0
    not_covered: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def _expected_path(name: str) -> str:
    return name.split("+")[0]


def _check(shared: Path, name: str) -> Check:
    qrels, run, measures, options = SUITE[name]
    options = dict(options)
    zscores = options.pop("zscores", None)
    groups = bool(options.pop("groups", False))
    folder = shared / "trec_eval"
    run_table = load_run(folder / run)
    qrels_table = load_qrels(folder / qrels, judgment_groups=groups)
    ev: Evaluation = evaluate(qrels_table, run_table, measures, **options)
    if zscores:
        ev = to_zscores(ev, read_zscores(folder / zscores))
    result = Check()
    for number, line in enumerate((folder / _expected_path(name)).read_text().splitlines(), 1):
        label, qid, expected = line.split()
        where = f"{_expected_path(name)}:{number} {label} {qid}"
        if label == "runid":
            result.covered += 1
            if expected != run_table.run_id:
                result.wrong.append(f"{where}: expected {expected}, got {run_table.run_id}")
        elif label in ev.text:
            result.covered += 1
            got_text = ev.text[label].get(qid)
            if f"'{got_text}'" != expected:
                result.wrong.append(f"{where}: expected {expected}, got '{got_text}'")
        elif label in ev.values:
            result.covered += 1
            got = ev.aggregate[label] if qid == "all" else ev.per_query[label].get(qid)
            if got is None or abs(got - float(expected)) > TOLERANCE:
                result.wrong.append(f"{where}: expected {expected}, got {got}")
        else:
            result.not_covered.append(label)
    return result


@pytest.mark.parametrize("name", list(SUITE))
def test_every_covered_value_matches_trec_eval(shared_data: Path, name: str) -> None:
    result = _check(shared_data, name)
    assert result.covered > 0
    assert result.wrong == []


def test_coverage_of_the_suite(shared_data: Path) -> None:
    totals = {name: _check(shared_data, name) for name in SUITE}
    report = {name: (c.covered, len(c.not_covered)) for name, c in totals.items()}
    print("trec_eval suite, (covered, not covered) values per file:", report)
    assert report == {
        "out.test": (30, 0),
        "out.test+comments": (30, 0),
        "out.comment.test": (30, 0),
        "out.test.a": (99, 0),
        "out.test.aq": (387, 0),
        "out.test.aqc": (387, 0),
        "out.test.aqcM": (387, 0),
        "out.test.aql": (387, 0),
        "out.test.meas_params": (88, 0),
        "out.test.aqZ": (387, 0),
        "out.test.qrels_jg": (82, 0),
        "out.test.qrels_jg+comments": (82, 0),
    }
