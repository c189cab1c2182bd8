"""The join and sort that feed every measure: table input, dict input and the slow path agree."""

from __future__ import annotations

import numpy as np
import pytest

from searchbench.domain.metrics import QrelsTable, RunTable, evaluate, tables
from searchbench.domain.metrics.ranking import DuplicateDocument, build_ranked

MEASURES = ["map", "P_10", "ndcg_cut_10", "bpref", "recip_rank", "infAP", "Rndcg", "G", "unj_10"]


def synthetic(seed: int) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    rng = np.random.default_rng(seed)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in range(30):
        docs = [f"d{i}" for i in rng.choice(200, size=40, replace=False)]
        qrels[f"q{q}"] = {d: int(rng.integers(-1, 4)) for d in docs[:15]}
        # coarse scores make many ties, so the docno tie-break is exercised
        run[f"q{q}"] = {d: float(rng.integers(0, 5)) for d in docs[5:] + [f"x{q}"]}
    return qrels, run


def test_dict_and_table_inputs_agree() -> None:
    qrels, run = synthetic(3)
    from_dicts = evaluate(qrels, run, MEASURES)
    from_tables = evaluate(QrelsTable.from_mapping(qrels), RunTable.from_mapping(run), MEASURES)
    assert from_dicts.aggregate == from_tables.aggregate


def test_hash_collisions_fall_back_to_an_exact_join(monkeypatch: pytest.MonkeyPatch) -> None:
    qrels, run = synthetic(4)
    expected = evaluate(qrels, run, MEASURES).per_query
    # Every document hashes alike: all keys of a query collide.
    monkeypatch.setattr(tables, "hash_bytes", lambda values: np.zeros(len(values), np.uint64))
    got = evaluate(qrels, run, MEASURES).per_query
    for measure in MEASURES:
        assert got[measure] == pytest.approx(expected[measure]), measure


def test_it_ranks_by_score_then_docno_descending() -> None:
    qrels = QrelsTable.from_mapping({"q": {"b": 1, "a": 2, "c": 0}})
    run = RunTable.from_mapping({"q": {"a": 1.0, "c": 2.0, "b": 1.0, "z": 0.0}})
    ranked = build_ranked(qrels, run)
    # c (2.0), then the 1.0 tie b before a, then z (not in the qrels: -1)
    assert ranked.rel.tolist() == [[0, 1, 2, -1]]


def test_it_refuses_a_document_judged_twice() -> None:
    qrels = QrelsTable(
        ["q"], np.array([0, 0]), np.array([b"a", b"a"]), np.array([1, 0], dtype=np.int64)
    )
    with pytest.raises(DuplicateDocument, match="judged twice"):
        build_ranked(qrels, RunTable.from_mapping({"q": {"a": 1.0}}))


def test_the_hash_table_join_agrees_with_the_row_join(monkeypatch: pytest.MonkeyPatch) -> None:
    from searchbench.domain.metrics import ranking

    qrels, run = synthetic(5)
    expected = evaluate(qrels, run, MEASURES).aggregate
    monkeypatch.setattr(ranking, "_BROADCAST_BUDGET", 0)
    assert evaluate(qrels, run, MEASURES).aggregate == expected


def test_row_order_of_a_table_does_not_matter() -> None:
    qrels, run = synthetic(6)
    table = RunTable.from_mapping(run)
    shuffled = np.random.default_rng(0).permutation(len(table.score))
    mixed = RunTable(table.qids, table.query[shuffled], table.doc[shuffled], table.score[shuffled])
    assert evaluate(qrels, mixed, MEASURES).aggregate == evaluate(qrels, run, MEASURES).aggregate


def test_infinite_scores_sort_and_tie_like_any_other() -> None:
    qrels = QrelsTable.from_mapping({"q": {"a": 1, "b": 2}})
    inf = float("inf")
    run = RunTable.from_mapping({"q": {"a": -inf, "b": -inf, "c": 1.0, "d": inf}})
    # d (+inf), c (1.0), then the -inf tie: b before a (docno descending)
    assert build_ranked(qrels, run).rel.tolist() == [[-1, -1, 2, 1]]


def test_ids_join_whatever_the_width_of_either_side() -> None:
    # numpy stores ids at the longest id's width: S3 in one table, S32 in the other.
    qrels = {"q": {"abc": 1, "a-much-longer-judged-document-id": 1}}
    run = {"q": {"abc": 2.0, "x": 1.0}}
    assert evaluate(qrels, run, ["num_rel_ret"]).aggregate["num_rel_ret"] == 1
    assert (
        tables.hash_bytes(np.array([b"abc"], dtype="S3"))[0]
        == (tables.hash_bytes(np.array([b"abc"], dtype="S32"))[0])
    )
