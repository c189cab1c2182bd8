"""An LLM judge against two human raters: agreement with their consensus, and the effect of its
ratings on a case's score and on the order of the case's tries."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from searchbench.domain import calibration
from searchbench.domain.calibration import Ranking
from searchbench.domain.scoring import ScorerRef

SCALE = (0, 1, 2, 3)
HUMAN = [
    (("q1", "a"), "ann", 2), (("q1", "a"), "bob", 3),  # mean 2.5 → 3 (half away from zero)
    (("q1", "b"), "ann", 0), (("q1", "b"), "bob", 0),  # 0
    (("q1", "c"), "ann", 1), (("q1", "c"), "bob", 2),  # 1.5 → 2
    (("q2", "x"), "ann", 0), (("q2", "x"), "bob", 1),  # 0.5 → 1
    (("q2", "y"), "ann", 0), (("q2", "y"), "bob", None),  # bob can't rate: 0
    (("q2", "z"), "ann", None),  # nobody rated z: no consensus
]  # fmt: skip
JUDGE = {("q1", "a"): 3, ("q1", "b"): 2, ("q1", "c"): 0, ("q2", "x"): 0, ("q2", "y"): None}


def _agreement() -> calibration.Agreement:
    return calibration.agreement(HUMAN, JUDGE, rule="quepid", scale=SCALE)


def test_the_consensus_is_the_books_aggregation_rule() -> None:
    assert calibration.consensus(HUMAN, "quepid", SCALE) == {
        ("q1", "a"): 3.0,
        ("q1", "b"): 0.0,
        ("q1", "c"): 2.0,
        ("q2", "x"): 1.0,
        ("q2", "y"): 0.0,
    }
    assert calibration.consensus(HUMAN, "majority", SCALE)[("q1", "a")] == 2.0  # tie: lowest


def test_kappa_confusion_and_bias_against_the_consensus() -> None:
    result = _agreement()
    assert result.pairs == 4 and result.judge_cant_rate == 1  # y: the judge could not rate it
    truth, judged = [3, 0, 2, 1], [3, 2, 0, 0]  # a, b, c, x
    assert result.kappa.unweighted == pytest.approx(
        cohen_kappa_score(truth, judged, labels=list(SCALE)), abs=1e-9
    )
    assert result.kappa.quadratic == pytest.approx(
        cohen_kappa_score(truth, judged, labels=list(SCALE), weights="quadratic"), abs=1e-9
    )
    # rows: the consensus's grade, columns: the judge's
    assert result.kappa.confusion.tolist() == [
        [0, 0, 1, 0],  # b: consensus 0, judge 2
        [1, 0, 0, 0],  # x: consensus 1, judge 0
        [1, 0, 0, 0],  # c: consensus 2, judge 0
        [0, 0, 0, 1],  # a: consensus 3, judge 3
    ]
    assert result.bias == (0 + 2 - 2 - 1) / 4


def test_the_judge_against_each_human_rater() -> None:
    per_rater = _agreement().per_rater
    assert list(per_rater) == ["ann", "bob"]
    # ann rated a, b, c, x, y; the judge a, b, c, x (y can't rate) → 4 shared pairs
    ann = per_rater["ann"]
    assert ann.items == 4
    assert ann.quadratic == pytest.approx(
        cohen_kappa_score([2, 0, 1, 0], [3, 2, 0, 0], labels=list(SCALE), weights="quadratic"),
        abs=1e-9,
    )
    assert per_rater["bob"].items == 4


def test_no_judgements_of_the_judge_leave_every_number_undefined() -> None:
    result = calibration.agreement(HUMAN, {}, rule="mean", scale=SCALE)
    assert (result.pairs, result.bias, result.kappa.unweighted, result.per_rater) == (
        0,
        None,
        None,
        {},
    )


def test_the_judges_ratings_can_reverse_the_order_of_the_tries() -> None:
    # P@2 (a doc rated 1 or more is relevant), on the pairs both rated: a, b, c, x.
    one = Ranking("try 1", {"q1": ["a", "b", "c"], "q2": ["x", "y"]})
    two = Ranking("try 2", {"q1": ["c", "a", "b"], "q2": ["y", "x"], "q9": ["n"]})
    effect = calibration.score_effect(ScorerRef.parse("P@2"), [one, two], _agreement())
    first, second = effect.tries
    # human: try 1 q1 a(3) b(0) → 1/2, q2 x(1) y(−) → 1/2; try 2 q1 c(2) a(3) → 1, q2 → 1/2
    assert first.per_query == {"q1": (0.5, 1.0), "q2": (0.5, 0.0)}
    assert (first.human, first.judge) == (0.5, 0.5)
    # judge: try 2 q1 c(0) a(3) → 1/2, q2 y(−) x(0) → 0; q9 has no rated pair: not counted
    assert second.per_query == {"q1": (1.0, 0.5), "q2": (0.5, 0.0)}
    assert (second.human, second.judge) == (0.75, 0.25)
    assert second.difference == -0.5
    low, high = second.ci
    assert low <= -0.5 <= high
    assert effect.tau == -1.0 and effect.same_order is False
    assert effect.scorer == "P@2"


def test_one_try_has_no_tau_and_keeps_its_order() -> None:
    only = Ranking("try 1", {"q1": ["a", "b"]})
    effect = calibration.score_effect(ScorerRef.parse("P@2"), [only], _agreement())
    assert effect.tau is None and effect.same_order is True


def test_without_a_scale_every_integer_from_the_lowest_rating_is_the_scale() -> None:
    human = [(("q", "a"), "ann", 1), (("q", "b"), "ann", 4)]
    result = calibration.agreement(human, {("q", "a"): 2, ("q", "b"): None}, rule="mean")
    assert result.scale == (1, 2, 3, 4) and result.kappa.confusion.shape == (4, 4)
    one = calibration.agreement([(("q", "a"), "ann", 2)], {("q", "a"): 2}, rule="mean")
    assert one.scale == (2,) and one.kappa.unweighted is None and one.bias == 0.0
