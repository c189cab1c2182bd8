"""One judgment sheet, every measure: expected values written as the arithmetic that makes them."""

from __future__ import annotations

import math

import pytest

from searchbench.domain.metrics import evaluate
from searchbench.domain.metrics.average_precision import INFAP_EPSILON

QRELS = {
    "q1": {
        "d1": 2,  # highly relevant
        "d2": 0,  # judged, not relevant
        "d3": 1,  # relevant
        "d4": 1,  # relevant, never retrieved
        "d5": -1,  # in the pool, never judged
    },
    "q2": {"e1": 1},  # only with complete=True: not in the run
}
RUN = {
    "q1": {
        "d1": 0.9,  # rank 1, grade 2
        "d2": 0.8,  # rank 2, grade 0
        "d3": 0.7,  # rank 3, grade 1
        "d5": 0.6,  # rank 4, pooled but unjudged
        "d9": 0.5,  # rank 5, not in the qrels at all
    },
}
R = 3  # relevant docs of q1: d1, d3, d4
LOG2_3 = math.log2(3)


def value(measure: str, **options: object) -> float:
    ev = evaluate(QRELS, RUN, [measure], **options)  # type: ignore[arg-type]
    return ev.per_query[measure]["q1"]


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ("num_ret", 5),
        ("num_rel", R),
        ("num_rel_ret", 2),
        ("num_nonrel_judged_ret", 1),
        ("P_2", 1 / 2),
        ("P_5", 2 / 5),
        ("P_10", 2 / 10),  # divided by k even though only 5 came back
        ("P@5", 2 / 5),
        ("P(rel=2)@5", 1 / 5),  # only d1 reaches grade 2
        ("relative_P_2", 1 / 2),
        ("relative_P_10", 2 / R),
        ("recall_5", 2 / R),
        ("R@1", 1 / R),
        ("success_1", 1.0),
        ("Success@1", 1.0),
        ("map", (1 / 1 + 2 / 3) / R),
        ("AP", (1 / 1 + 2 / 3) / R),
        ("AP@2", (1 / 1) / R),
        ("map_cut_2", (1 / 1) / R),
        ("recip_rank", 1.0),
        ("RR", 1.0),
        ("Rprec", 2 / 3),  # 2 relevant in the top R = 3
        ("Rprec_mult_2.00", 2 / 6),  # cutoff floor(2 * 3 + 0.9) = 6, beyond the 5 retrieved
        ("bpref", (1 + (1 - 1 / 1)) / R),  # d1 beats the 1 judged non-rel, d3 does not
        ("set_P", 2 / 5),
        ("set_recall", 2 / R),
        ("set_relative_P", 2 / 3),
        ("set_map", (2 * 2) / (5 * R)),
        ("set_F", 2 * (2 / 5) * (2 / R) / ((2 / 5) + (2 / R))),
        ("iprec_at_recall_0.00", 1.0),
        ("iprec_at_recall_0.60", 2 / 3),  # round(0.6 * 3) = 2 relevant: reached at rank 3
        ("iprec_at_recall_1.00", 0.0),  # d4 is never retrieved
        ("ndcg", (2 + 1 / 2) / (2 + 1 / LOG2_3 + 1 / 2)),
        ("nDCG", (2 + 1 / 2) / (2 + 1 / LOG2_3 + 1 / 2)),
        ("ndcg_cut_2", 2 / (2 + 1 / LOG2_3)),
        ("nDCG@2", 2 / (2 + 1 / LOG2_3)),
        ("nDCG(gain=exp)@2", 3 / (3 + 1 / LOG2_3)),  # gains 2^2 - 1 = 3 and 2^1 - 1 = 1
        ("ERR@5", 3 / 4 + (1 - 3 / 4) * (1 - 0) * (1 / 4) / 3),  # R(g) = (2^g - 1) / 2^2
        ("ERR(max=4)@1", (2**2 - 1) / 2**4),
        ("RBP(p=0.8)", 0.2 * (1.0 + 0.5 * 0.8**2)),  # grades 0..2 rescaled to 0..1
        ("RBP(p=0.8,rel=1)", 0.2 * (1.0 + 0.8**2)),  # binary gain
        ("rbp", 0.1 * (1.0 + 0.5 * 0.9**2)),
        ("rbp_resid", 0.9**5 + 0.1 * (0.9**3 + 0.9**4)),  # d5 and d9 unjudged
        ("unj_5", 2 / 5),
        ("Judged@5", 3 / 5),
        ("Judged@2", 2 / 2),
        ("binG", (1 / math.log2(3 + 0 - 1) + 1 / math.log2(3 + 2 - 2)) / R),
        (
            "infAP",
            (
                1
                + (
                    1 / 3
                    + (2 / 3) * ((1 + 1) / 2) * ((1 + INFAP_EPSILON) / (2 + 2 * INFAP_EPSILON))
                )
            )
            / R,
        ),
        ("utility", 1 * 2 - 1 * 3),  # +1 per relevant retrieved, -1 per other retrieved
    ],
)
def test_it_computes_each_measure_from_the_sheet(measure: str, expected: float) -> None:
    assert value(measure) == pytest.approx(expected, abs=1e-9)


def test_eleven_point_average_takes_its_recall_points() -> None:
    ev = evaluate(QRELS, RUN, ["11pt_avg.0,1"])
    assert ev.per_query["11pt_avg_0,1"]["q1"] == pytest.approx((1.0 + 0.0) / 2)


def test_it_uses_the_relevance_level_for_binary_measures_only() -> None:
    assert value("map", rel_level=2) == pytest.approx(1.0)  # only d1 is relevant, at rank 1
    assert value("num_rel", rel_level=2) == 1
    # ndcg's gain is the grade itself, whatever -l says.
    assert value("ndcg", rel_level=2) == pytest.approx(value("ndcg"))


def test_it_breaks_score_ties_by_docno_descending() -> None:
    qrels = {"q": {"a": 1, "b": 0}}
    run = {"q": {"a": 1.0, "b": 1.0}}  # tie: "b" > "a", so b is ranked first
    ev = evaluate(qrels, run, ["P_1", "recip_rank"])
    assert ev.per_query["P_1"]["q"] == 0.0
    assert ev.per_query["recip_rank"]["q"] == 1 / 2


def test_it_ignores_input_order_and_sorts_by_score() -> None:
    run = {"q1": dict(reversed(list(RUN["q1"].items())))}
    assert (
        evaluate(QRELS, run, ["map"]).aggregate["map"]
        == evaluate(QRELS, RUN, ["map"]).aggregate["map"]
    )


def test_it_scores_missing_queries_as_zero_only_when_complete() -> None:
    plain = evaluate(QRELS, RUN, ["map", "num_q"])
    complete = evaluate(QRELS, RUN, ["map", "num_q"], complete=True)
    assert plain.qids == ["q1"]
    assert complete.qids == ["q1", "q2"]
    assert complete.per_query["map"]["q2"] == 0.0
    assert complete.aggregate["map"] == pytest.approx(plain.aggregate["map"] / 2)
    assert complete.aggregate["num_q"] == 2


def test_it_skips_run_queries_without_judgments() -> None:
    run = {**RUN, "q9": {"x": 1.0}}
    assert evaluate(QRELS, run, ["map"]).qids == ["q1"]


def test_it_caps_the_depth() -> None:
    assert value("num_ret", max_depth=2) == 2
    assert value("P_5", max_depth=2) == pytest.approx(1 / 5)
    assert value("map", max_depth=2) == pytest.approx(1 / R)


def test_it_sums_counts_and_averages_the_rest() -> None:
    qrels = {"a": {"x": 1}, "b": {"y": 1}}
    run = {"a": {"x": 1.0}, "b": {"z": 1.0, "y": 0.5}}
    ev = evaluate(qrels, run, ["num_ret", "P_1", "gm_map"])
    assert ev.aggregate["num_ret"] == 1 + 2
    assert ev.aggregate["P_1"] == pytest.approx((1 + 0) / 2)
    assert ev.aggregate["gm_map"] == pytest.approx(math.sqrt(1.0 * 0.5))


def test_it_floors_the_geometric_mean() -> None:
    ev = evaluate({"a": {"x": 1}, "b": {"y": 1}}, {"a": {"x": 1.0}, "b": {"z": 1.0}}, ["gm_map"])
    assert ev.aggregate["gm_map"] == pytest.approx(math.sqrt(1.0 * 0.00001))


def test_it_keeps_the_name_as_asked() -> None:
    ev = evaluate(QRELS, RUN, ["nDCG@2", "ndcg_cut_2", "ndcg_cut.2"])
    assert set(ev.aggregate) == {"nDCG@2", "ndcg_cut_2"}  # ndcg_cut.2 expands to ndcg_cut_2
    assert ev.aggregate["nDCG@2"] == ev.aggregate["ndcg_cut_2"]


def test_it_gives_zero_for_empty_input() -> None:
    ev = evaluate({}, {}, ["map", "num_q"])
    assert ev.qids == [] and ev.aggregate == {"map": 0.0, "num_q": 0.0}


def test_custom_gains_change_ndcg() -> None:
    ev = evaluate(QRELS, RUN, ["ndcg.1=3,2=9"])
    # d1 gain 9 at rank 1, d3 gain 3 at rank 3; ideal 9, 3, 3.
    expected = (9 + 3 / 2) / (9 + 3 / LOG2_3 + 3 / 2)
    assert ev.per_query["ndcg_1=3,2=9"]["q1"] == pytest.approx(expected)


def test_relstring_shows_the_top_of_the_ranking() -> None:
    ev = evaluate(QRELS, RUN, ["relstring"])
    assert ev.text["relstring"]["q1"] == "201.-"


def test_zscores_standardise_each_query(tmp_path: object) -> None:
    from pathlib import Path

    from searchbench.domain.metrics.zscores import MISSING_ZSCORE, read_zscores, to_zscores

    path = Path(str(tmp_path)) / "z"
    path.write_text("q1 map 0.5 0.25\nq1 P_5 0.4 0\n")
    ev = to_zscores(evaluate(QRELS, RUN, ["map", "P_5", "P_10"]), read_zscores(path))
    assert ev.per_query["Zmap"]["q1"] == pytest.approx(((1 + 2 / 3) / R - 0.5) / 0.25)
    assert ev.per_query["ZP_5"]["q1"] == 0.0  # equal to the mean, stddev 0
    assert ev.per_query["ZP_10"]["q1"] == MISSING_ZSCORE  # not in the file


def test_judged_only_evaluates_the_condensed_list() -> None:
    # d9 (unpooled) moved to the top: d9, d1 (2), d2 (0), d3 (1), d5 (pooled, unjudged)
    ev = evaluate(QRELS, {"q1": {**RUN["q1"], "d9": 9.0}}, ["num_ret", "P_3", "recip_rank"])
    assert ev.per_query["recip_rank"]["q1"] == 1 / 2  # d9 first
    condensed = evaluate(
        QRELS,
        {"q1": {**RUN["q1"], "d9": 9.0}},
        ["num_ret", "P_3", "recip_rank", "unj_5"],
        judged_only=True,
    )
    assert condensed.per_query["num_ret"]["q1"] == 3  # d1, d2, d3
    assert condensed.per_query["recip_rank"]["q1"] == 1.0
    assert condensed.per_query["P_3"]["q1"] == pytest.approx(2 / 3)
    assert condensed.per_query["unj_5"]["q1"] == 0.0
