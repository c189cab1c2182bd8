"""Agreement numbers against the reference libraries (krippendorff, scikit-learn) on random data
with missing values, and the edge cases where they are undefined."""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from searchbench.domain.agreement import (
    LEVELS,
    AgreementError,
    Level,
    RatingMatrix,
    agreement,
    confusion,
    default_scale,
    kappa_of_confusion,
    krippendorff_alpha,
    pair_kappas,
    parse_scale,
    rater_bias,
)

SEEDS = range(12)


def _random_matrix(seed: int) -> RatingMatrix:
    """3–6 raters × 20–80 items on a scale of 0..3 (or 1, 2, 4, 8 for unequal steps), about a
    third missing; raters agree more than chance (a true grade plus noise)."""
    rng = np.random.default_rng(seed)
    raters, items = int(rng.integers(3, 7)), int(rng.integers(20, 81))
    scale = (0.0, 1.0, 2.0, 3.0) if seed % 2 == 0 else (1.0, 2.0, 4.0, 8.0)
    truth = rng.integers(0, len(scale), size=items)
    noise = rng.integers(-1, 2, size=(raters, items)) * (rng.random((raters, items)) < 0.4)
    at = np.clip(truth[None, :] + noise, 0, len(scale) - 1)
    values = np.asarray(scale)[at].astype(np.float64)
    values[rng.random((raters, items)) < 0.35] = np.nan
    names = tuple(f"r{i}" for i in range(raters))
    return RatingMatrix(names, tuple(range(items)), values, scale)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", LEVELS)
def test_alpha_equals_the_krippendorff_library(seed: int, level: Level) -> None:
    matrix = _random_matrix(seed)
    ours = krippendorff_alpha(matrix, level)
    theirs = krippendorff.alpha(
        reliability_data=matrix.values,
        value_domain=list(matrix.scale),
        level_of_measurement=level,
    )
    assert ours is not None and abs(ours - float(theirs)) < 1e-9


def test_alpha_is_krippendorffs_own_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the 4 coders × 12
    # units example with missing values: nominal 0.743, interval 0.849.
    nan = math.nan
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    matrix = RatingMatrix(("A", "B", "C", "D"), tuple(range(12)), np.array(data), (1, 2, 3, 4, 5))
    assert round(krippendorff_alpha(matrix, "nominal") or 0, 3) == 0.743
    assert round(krippendorff_alpha(matrix, "interval") or 0, 3) == 0.849
    assert round(krippendorff_alpha(matrix, "ordinal") or 0, 3) == 0.815


@pytest.mark.parametrize("seed", SEEDS)
def test_kappa_equals_scikit_learn_on_the_items_both_rated(seed: int) -> None:
    matrix = _random_matrix(seed)
    labels = list(matrix.scale)
    for (a, b), kappa in pair_kappas(matrix).items():
        x, y = matrix.values[matrix.raters.index(a)], matrix.values[matrix.raters.index(b)]
        both = ~np.isnan(x) & ~np.isnan(y)
        assert kappa.items == int(both.sum())
        for weights, ours in ((None, kappa.unweighted), ("quadratic", kappa.quadratic)):
            theirs = cohen_kappa_score(x[both], y[both], labels=labels, weights=weights)
            assert ours is not None and abs(ours - theirs) < 1e-9, (a, b, weights)


def test_quadratic_weights_come_from_positions_not_values() -> None:
    # On 0, 1, 3 a 0-vs-3 disagreement is two steps: the same κ as 0-vs-2 on 0, 1, 2.
    a = RatingMatrix.from_ratings(
        [(i, "a", x) for i, x in enumerate([0, 1, 3, 3])]
        + [(i, "b", y) for i, y in enumerate([0, 1, 3, 0])],
        scale=(0, 1, 3),
    )
    b = RatingMatrix.from_ratings(
        [(i, "a", x) for i, x in enumerate([0, 1, 2, 2])]
        + [(i, "b", y) for i, y in enumerate([0, 1, 2, 0])],
        scale=(0, 1, 2),
    )
    assert pair_kappas(a)[("a", "b")].quadratic == pair_kappas(b)[("a", "b")].quadratic


def test_unused_grades_of_the_scale_still_count_for_kappa() -> None:
    ratings = [(i, "a", x) for i, x in enumerate([0, 1, 1, 0])]
    ratings += [(i, "b", y) for i, y in enumerate([0, 1, 0, 0])]
    narrow = pair_kappas(RatingMatrix.from_ratings(ratings, scale=(0, 1)))[("a", "b")]
    wide = pair_kappas(RatingMatrix.from_ratings(ratings, scale=(0, 1, 2, 3)))[("a", "b")]
    assert narrow.unweighted == wide.unweighted  # unused grades: zero rows and columns
    assert wide.confusion.shape == (4, 4) and wide.confusion.tolist()[0] == [2, 0, 0, 0]
    assert wide.confusion.tolist()[1] == [1, 1, 0, 0]


def test_bias_is_the_mean_difference_from_the_other_raters_mean() -> None:
    matrix = RatingMatrix.from_ratings(
        [
            ("q1", "ann", 3), ("q1", "bob", 1), ("q1", "cy", 2),  # ann +2, bob -2, cy 0
            ("q2", "ann", 2), ("q2", "bob", 2),  # ann 0, bob 0
            ("q3", "ann", 1),  # nobody else: not counted
        ]
    )  # fmt: skip
    bias = rater_bias(matrix)
    assert (bias["ann"].mean, bias["ann"].items) == ((3 - 1.5 + 0) / 2, 2)
    assert (bias["bob"].mean, bias["bob"].items) == ((1 - 2.5 + 0) / 2, 2)
    assert (bias["cy"].mean, bias["cy"].items) == (0.0, 1)


def test_the_default_scale_is_every_integer_from_lowest_to_highest() -> None:
    assert default_scale([3, 1, 1]) == (1, 2, 3)
    assert default_scale([0, 2.5, math.nan]) == (0, 1, 2, 2.5, 3)
    assert default_scale([]) == ()
    assert parse_scale(" 0, 1,2 ,3") == (0, 1, 2, 3)
    for bad in ("0,x", "1", "2,1", "0,0,1", "0,inf"):
        with pytest.raises(AgreementError):
            parse_scale(bad)


def test_a_rating_off_the_given_scale_is_an_error_naming_it() -> None:
    with pytest.raises(AgreementError, match=r"rating\(s\) 4, 7 not on the scale 0, 1, 2, 3"):
        RatingMatrix.from_ratings([(1, "a", 4), (1, "b", 7), (2, "a", 1)], scale=(0, 1, 2, 3))
    with pytest.raises(AgreementError, match=r"rating\(s\) 1 not on the scale $"):
        RatingMatrix.from_ratings([(1, "a", 1)], scale=())
    assert RatingMatrix.from_ratings([], scale=()).positions.shape == (0, 0)


def test_undefined_numbers_are_none_one_rater() -> None:
    result = agreement(RatingMatrix.from_ratings([(1, "a", 1), (2, "a", 2)]))
    assert result.alpha == {"nominal": None, "ordinal": None, "interval": None}
    assert result.kappa == {}
    assert (result.bias["a"].mean, result.bias["a"].items) == (None, 0)


def test_undefined_numbers_are_none_no_overlap() -> None:
    matrix = RatingMatrix.from_ratings([(1, "a", 1), (2, "b", 2), (3, "a", 0), (4, "b", 3)])
    result = agreement(matrix)
    assert all(a is None for a in result.alpha.values())
    kappa = result.kappa[("a", "b")]
    assert (kappa.unweighted, kappa.quadratic, kappa.items) == (None, None, 0)
    assert result.bias["a"].mean is None and result.bias["a"].items == 0


def test_undefined_numbers_are_none_all_the_same_grade() -> None:
    ratings = [(i, r, 2) for i in range(5) for r in ("a", "b", "c")]
    for scale in (None, (0, 1, 2, 3)):
        result = agreement(RatingMatrix.from_ratings(ratings, scale=scale))
        assert all(a is None for a in result.alpha.values())
        assert all(k.unweighted is None and k.quadratic is None for k in result.kappa.values())
        assert result.bias["a"].mean == 0.0
    # scikit-learn has no value either (NaN, with a warning) where ours is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(cohen_kappa_score([2, 2], [2, 2], labels=[0, 1, 2, 3]))


def test_perfect_agreement_is_one() -> None:
    ratings = [(i, r, i % 4) for i in range(8) for r in ("a", "b")]
    result = agreement(RatingMatrix.from_ratings(ratings))
    assert result.alpha == {"nominal": 1.0, "ordinal": 1.0, "interval": 1.0}
    assert result.kappa[("a", "b")].unweighted == 1.0


def test_cant_rate_is_missing_and_json_has_the_documented_shape() -> None:
    matrix = RatingMatrix.from_ratings(
        [("q", "bob", 1), ("q", "ann", 1), ("p", "ann", 0), ("p", "bob", None), ("z", "cy", None)]
    )
    assert matrix.raters == ("ann", "bob") and matrix.items == ("q", "p")
    doc = agreement(matrix).to_json()
    assert list(doc) == ["items", "raters", "krippendorff_alpha", "cohen_kappa"]
    assert doc["items"] == 2 and doc["raters"] == ["ann", "bob"]
    assert doc["cohen_kappa"] == {"ann|bob": {"unweighted": None, "quadratic": None, "items": 1}}


def test_kappa_of_a_confusion_matrix_by_hand() -> None:
    # 50 items: agreement 0.7, chance (0.5·0.6 + 0.5·0.4) = 0.5 → κ = (0.7 − 0.5)/(1 − 0.5) = 0.4
    assert kappa_of_confusion([[20, 5], [10, 15]]) == pytest.approx(0.4)
    assert kappa_of_confusion([[0, 0], [0, 0]]) is None
    a, b = np.array([0, 1, -1, 2]), np.array([0, 2, 1, -1])
    assert confusion(a, b, 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
