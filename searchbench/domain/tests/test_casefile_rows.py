"""A case file warns when `try.rows` is shallower than its scorer or a measure reads.

Below rank `rows` a relevant document counts as not found, so AP over `rows: 10` quietly gave
MAP 0.061 on a test collection where the whole ranking gives 0.177. The depth comes from the
parsed measure (`metrics.measure_depth`), Quepid's scorers read their `@k`, JavaScript is unknown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.domain.casefile import load_case


def warnings(tmp_path: Path, scoring: str, rows: int | None = None) -> list[str]:
    rows_line = f", rows: {rows}" if rows is not None else ""
    (tmp_path / "scorer.js").write_text("setScore(1);\n")
    path = tmp_path / "case.yaml"
    path.write_text(
        "case: Depth\n"
        "endpoint: {engine: local, index: demo}\n"
        f"try: {{template: '#$query##'{rows_line}}}\n"
        f"{scoring}\n"
        "queries:\n"
        '  - {query: flat plate, ratings: {"1": 1}}\n'
    )
    return load_case(path).warnings


def test_ap_over_ten_rows_is_a_warning_at_the_scorer_line(tmp_path: Path) -> None:
    [warning] = warnings(tmp_path, "scorer: AP", rows=10)
    assert warning.startswith(f"{tmp_path / 'case.yaml'}:4: scorer: AP reads the whole ranking")
    assert "try.rows fetches 10 per query" in warning
    assert "raise try.rows to 1000" in warning


def test_the_default_rows_count_too(tmp_path: Path) -> None:
    [warning] = warnings(tmp_path, "scorer: map")
    assert "map reads the whole ranking but try.rows fetches 10" in warning


@pytest.mark.parametrize(
    "measure",
    ["AP", "map", "MAP", "R@500", "recall_1000", "Rprec", "bpref", "nDCG", "ndcg", "RR", "ERR"],
)
def test_measures_deeper_than_the_rows_are_warned_about(tmp_path: Path, measure: str) -> None:
    [warning] = warnings(tmp_path, f"scorer: nDCG@10\nmeasures: [{measure}]", rows=100)
    assert warning.startswith(f"{tmp_path / 'case.yaml'}:5: measures: {measure} reads")


def test_a_cut_off_measure_needs_its_k(tmp_path: Path) -> None:
    found = warnings(tmp_path, "scorer: nDCG@10\nmeasures: [P@20, ndcg_cut_10, AP@5]", rows=10)
    assert len(found) == 1
    assert "measures: P@20 reads the top 20 but try.rows fetches 10" in found[0]
    assert "raise try.rows to 20" in found[0]


def test_quepid_scorers_need_their_k(tmp_path: Path) -> None:
    [warning] = warnings(tmp_path, "scorer: quepid:AP@10", rows=5)
    assert "scorer: quepid:AP@10 reads the top 10 but try.rows fetches 5" in warning
    assert warnings(tmp_path, "scorer: quepid:AP@10", rows=10) == []


@pytest.mark.parametrize(
    ("scoring", "rows"),
    [
        ("scorer: nDCG@10", 10),
        ("scorer: P@20\nmeasures: [nDCG@10, quepid:nDCG@20]", 20),
        ("scorer: AP\nmeasures: [bpref, recall_1000]", 1000),  # trec_eval's run depth
        ("scorer: {js: scorer.js}", 1),  # JavaScript: nobody can tell, no warning
        ("scorer: nDCG@10\nmeasures: [num_q, num_rel]", 10),  # counts of the qrels
    ],
)
def test_deep_enough_is_quiet(tmp_path: Path, scoring: str, rows: int) -> None:
    assert warnings(tmp_path, scoring, rows=rows) == []
