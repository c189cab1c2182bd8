from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest

from searchbench.domain.scoring import (
    UNRATED_COUNT_ZERO,
    UNRATED_LEAVE_OUT,
    InvalidScorerError,
    ScorerRef,
    UnknownScorerError,
    case_mean,
    case_mean_from_total,
    check_scorer,
    ranked_run,
    score_case,
    score_case_many,
    scorer_names,
)

L2_3 = math.log2(3)


@dataclass
class Doc:
    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    rating: float | None = None


def docs(*ids: str) -> list[Doc]:
    return [Doc(i) for i in ids]


RESULTS = {
    "q1": docs("d1", "d2", "d3"),
    "q2": [],  # rated, nothing returned (or the engine failed)
    "q3": docs("d9"),  # returned, never rated
}
RATINGS = {
    "q1": {
        "d1": 0,  # judged, not relevant
        "d2": 1,  # relevant
        "d3": 2,  # highly relevant
        "d4": 1,  # relevant, not returned
    },
    "q2": {"d5": 3},
}

# trec_eval: linear gain, discount log2(rank + 1), ideal from every judged doc.
Q1_NDCG = (0 + 1 / L2_3 + 2 / 2) / (2 + 1 / L2_3 + 1 / 2)
# relevant: d2 (rank 2), d3 (rank 3), d4 (not returned) -> R = 3
Q1_AP = (1 / 2 + 2 / 3) / 3


def test_ranked_run_gives_engine_order_scores_and_drops_duplicates() -> None:
    run = ranked_run({"q": docs("b", "a", "b", "c"), "e": []})
    assert run == {"q": [("b", 3.0), ("a", 2.0), ("c", 1.0)], "e": []}


def test_measures_follow_trec_eval_and_count_every_query() -> None:
    scores = score_case_many(["nDCG@10", "AP", "P@10"], RESULTS, RATINGS)
    nd = scores["nDCG@10"]
    assert nd.per_query == pytest.approx({"q1": Q1_NDCG, "q2": 0.0, "q3": 0.0})
    assert nd.score == pytest.approx(Q1_NDCG / 3)
    assert scores["AP"].per_query["q1"] == pytest.approx(Q1_AP)
    assert scores["P@10"].per_query["q1"] == pytest.approx(2 / 10)  # trec_eval: always /10


def test_the_case_score_counts_every_query_a_missing_one_as_zero() -> None:
    # q2 failed (no score): it still counts, as 0.
    assert case_mean({"q1": 1.0, "q3": 0.5}, ["q1", "q2", "q3"]) == pytest.approx((1 + 0 + 0.5) / 3)
    assert case_mean({"q1": 1.0}, []) == 0.0  # a case with no query shows 0, not NaN
    # The same rule from a sum and a count (the score history's packed arrays).
    assert case_mean_from_total(1.0 + 0.5, 3) == pytest.approx((1 + 0 + 0.5) / 3)
    assert case_mean_from_total(0.0, 0) == 0.0


def test_unrated_queries_count_zero_or_are_left_out_by_the_case_rule() -> None:
    # q1 rated and scored 1.0; q2 rated, failed at the engine (no score); q3 unrated (0).
    scores, keys, unrated = {"q1": 1.0, "q3": 0.0}, ["q1", "q2", "q3"], {"q3"}
    assert case_mean(scores, keys, unrated=unrated) == pytest.approx((1 + 0 + 0) / 3)
    assert case_mean(scores, keys, unrated=unrated, rule=UNRATED_COUNT_ZERO) == pytest.approx(1 / 3)
    # Left out: the mean over q1 and q2 (a failed rated query still counts 0).
    assert case_mean(scores, keys, unrated=unrated, rule=UNRATED_LEAVE_OUT) == pytest.approx(1 / 2)
    assert case_mean(scores, ["q3"], unrated=unrated, rule=UNRATED_LEAVE_OUT) == 0.0  # none rated
    # From a sum and counts: 3 queries, 1 unrated.
    assert case_mean_from_total(1.0, 3, unrated=1) == pytest.approx(1 / 3)
    assert case_mean_from_total(1.0, 3, unrated=1, rule=UNRATED_LEAVE_OUT) == pytest.approx(1 / 2)
    assert case_mean_from_total(0.0, 2, unrated=2, rule=UNRATED_LEAVE_OUT) == 0.0
    with pytest.raises(ValueError, match="one of count_zero, leave_out"):
        case_mean(scores, keys, rule="skip")


@pytest.mark.parametrize("scorer", ["nDCG@10", "quepid:P@10", "js"])
def test_every_kind_of_scorer_takes_the_case_score_by_the_one_rule(scorer: str) -> None:
    ref = ScorerRef.javascript("setScore(numReturned() / 10);") if scorer == "js" else scorer
    scored = score_case(ref, RESULTS, RATINGS)
    assert scored.score == case_mean(scored.per_query, RESULTS)


def test_engine_order_is_kept_even_when_ids_would_sort_differently() -> None:
    # trec_eval breaks score ties by docno; distinct scores len(docs)-i keep the engine order.
    results = {"q": docs("z", "a")}
    ratings = {"q": {"z": 1, "a": 0}}
    assert score_case("RR", results, ratings).per_query["q"] == 1.0


def test_quepid_scorers_use_exponential_gain_and_all_ratings() -> None:
    nd = score_case("quepid:nDCG@10", RESULTS, RATINGS)
    dcg = 0 + 1 / L2_3 + 3 / 2
    ideal = 3 + 1 / L2_3 + 1 / 2 + 0  # all four rated docs: 2,1,1,0 -> gains 3,1,1,0
    assert nd.per_query == pytest.approx({"q1": dcg / ideal, "q2": 0.0, "q3": 0.0})
    assert nd.score == pytest.approx(dcg / ideal / 3)
    p = score_case("quepid:P@10", RESULTS, RATINGS)
    assert p.per_query["q1"] == pytest.approx(2 / 3)  # over min(10, 3) returned
    ap = score_case("quepid:AP@10", RESULTS, RATINGS)
    assert ap.per_query["q1"] == pytest.approx(Q1_AP)


def test_js_scorer_scores_rated_queries_and_records_failures() -> None:
    cs = score_case(ScorerRef.javascript("setScore(numReturned() / 10);"), RESULTS, RATINGS)
    assert cs.per_query == pytest.approx({"q1": 0.3, "q2": 0.0, "q3": 0.0})
    code = "if (numReturned() === 0) { throw new Error('boom'); }\nsetScore(1);"
    bad = score_case(ScorerRef.javascript(code), RESULTS, RATINGS)
    assert bad.per_query == {"q1": 1.0, "q2": 0.0, "q3": 0.0}
    assert list(bad.errors) == ["q2"] and "boom" in bad.errors["q2"]


def test_check_scorer_refuses_unknown_names_with_a_suggestion() -> None:
    for name in ("nDCG@10", "map", "P_10", "ndcg_cut_10", "quepid:AP@10"):
        check_scorer(name)
    with pytest.raises(InvalidScorerError, match="given as code"):
        check_scorer("js:setScore(1)")  # JavaScript never travels as a name
    with pytest.raises(UnknownScorerError, match="nDCG"):
        check_scorer("nDGC@10")
    with pytest.raises(UnknownScorerError, match="quepid:"):
        check_scorer("quepid:nope@10")
    assert "quepid:nDCG@10" in scorer_names()


def test_measures_truncate_fractional_ratings_to_integer_grades() -> None:
    results = {"q": docs("a", "b")}
    ratings = {"q": {"a": 0.5, "b": 1.5}}  # grades 0 and 1: only b is relevant
    assert score_case("RR", results, ratings).per_query["q"] == 0.5
