"""The aggregation rules on their edge cases (the ratings are one pair's judgements)."""

from __future__ import annotations

import itertools

import pytest

from searchbench.domain.aggregation import RULES, aggregate, round_half_away, to_scale

SCALE = [0, 1, 2, 3]


@pytest.mark.parametrize(
    "ratings, expected",
    [
        ([2], 2),  # one judgement: itself
        ([3, 0], 2),  # two: mean 1.5, rounded half away from zero
        ([1, 2], 2),  # mean 1.5 -> 2
        ([0, 1], 1),  # mean 0.5 -> 1
        ([2, 2], 2),
        ([3, 3, 3], 3),  # three that agree: their value
        ([3, 2, 3], 2),  # three that disagree: the lowest of them
        ([0, 3, 3], 0),
        ([3, 3, 3, 0], 3),  # four: the top three (3, 3, 3) agree; the 0 is not among them
        ([3, 3, 1, 0], 1),  # four: top three 3, 3, 1 disagree -> 1
        ([2, 1, 1, 1], 1),  # top three 2, 1, 1 -> 1
        ([0, 0, 0, 0, 3], 0),  # top three 3, 0, 0 -> 0
    ],
)
def test_quepid_rule(ratings: list[float], expected: float | None) -> None:
    assert aggregate("quepid", ratings, SCALE) == expected


def test_quepid_rule_mean_of_two_unrounded_before_scale() -> None:
    assert RULES["quepid"]([1, 2]) == 1.5
    assert RULES["quepid"]([3, 2, 2, 1]) == 2  # top three 3, 2, 2 -> 2


@pytest.mark.parametrize(
    "ratings, expected",
    [
        ([2], 2),
        ([1, 2], 2),  # (1 + 2) / 2 = 1.5 -> 2
        ([0, 3], 2),  # 1.5 -> 2
        ([0, 1, 3], 1),
        ([0, 1, 2, 3], 2),  # (1 + 2) / 2 -> 2
        ([0, 0, 1, 3], 1),  # (0 + 1) / 2 = 0.5 -> 1
        ([3, 0, 0, 0], 0),
    ],
)
def test_median(ratings: list[float], expected: float | None) -> None:
    assert aggregate("median", ratings, SCALE) == expected


@pytest.mark.parametrize(
    "ratings, expected",
    [
        ([2], 2),
        ([1, 2], 1),  # a tie: the lowest of the tied
        ([3, 3, 0], 3),
        ([0, 3, 3, 0], 0),  # tie 0 / 3 -> 0
        ([1, 2, 2, 3, 3], 2),  # tie 2 / 3 -> 2
        ([3, 1, 1, 2], 1),
    ],
)
def test_majority(ratings: list[float], expected: float | None) -> None:
    assert aggregate("majority", ratings, SCALE) == expected


@pytest.mark.parametrize(
    "ratings, expected",
    [
        ([2], 2),
        ([1, 2], 2),  # 1.5 -> 2
        ([0, 1, 1], 1),  # 0.67 -> 1
        ([0, 0, 1], 0),  # 0.33 -> 0
        ([0, 1, 2, 3], 2),  # 1.5 -> 2
        ([3, 3, 3, 0], 2),  # 2.25 -> 2
    ],
)
def test_mean(ratings: list[float], expected: float | None) -> None:
    assert aggregate("mean", ratings, SCALE) == expected


@pytest.mark.parametrize("rule", list(RULES))
def test_no_rating_no_aggregate_and_the_order_does_not_matter(rule: str) -> None:
    assert aggregate(rule, [], SCALE) is None
    ratings = [3, 0, 2, 2, 1]
    results = {aggregate(rule, list(p), SCALE) for p in itertools.permutations(ratings)}
    assert len(results) == 1


def test_unknown_rule() -> None:
    with pytest.raises(ValueError, match="unknown aggregation rule 'vote': one of quepid"):
        aggregate("vote", [1], SCALE)


@pytest.mark.parametrize(
    "value, expected",
    [(0.5, 1), (1.5, 2), (2.5, 3), (2.4999, 2), (-0.5, -1), (-1.5, -2), (0.0, 0), (-0.2, 0)],
)
def test_round_half_away_from_zero(value: float, expected: float) -> None:
    assert round_half_away(value) == expected
    assert str(round_half_away(-0.2)) == "0.0"  # not -0.0


def test_a_scale_of_fractions_takes_the_nearest_grade() -> None:
    scale = [0, 0.5, 1]
    assert to_scale(0.7, scale) == 0.5
    assert to_scale(0.75, scale) == 1  # a tie goes away from zero
    assert to_scale(0.25, scale) == 0.5
    assert aggregate("mean", [0.5, 1, 1], scale) == 1  # 0.83 -> 1
    assert to_scale(1.5) == 2  # no scale: whole numbers


def test_a_whole_number_scale_with_gaps_gives_one_of_its_grades() -> None:
    # 0, 1, 3: the mean of 1 and 3 rounds to 2, which the scale does not have (a sync would write
    # a rating the case's scorer refuses). The nearest grade wins; a tie goes away from zero.
    scale = [0, 1, 3]
    assert aggregate("mean", [1, 3], scale) == 3
    assert to_scale(2.0, scale) == 3
    assert to_scale(1.9, scale) == 1
    assert to_scale(2.1, scale) == 3
    assert to_scale(1.4, scale) == 1
    assert to_scale(0.5, scale) == 1  # Quepid's rounding where it lands on a grade
    assert aggregate("median", [0, 1, 3, 3], scale) == 3
