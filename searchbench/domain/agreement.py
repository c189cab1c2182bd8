"""How far raters agree: Krippendorff's α, Cohen's κ per pair of raters, each rater's bias and
confusion matrices, over a raters × items matrix with missing values. numpy only, no Django.

The input is a :class:`RatingMatrix`: one row a rater, one column an item (a query–doc pair), a
rating or NaN (not judged, "can't rate" or "later": all missing alike). Every number is computed
over the **scale**, the ordered grades a rating may take, used or not: given (``--scale 0,1,2,3``)
or by default every integer from the lowest rating seen to the highest (plus any non-integer
rating seen, in its place). A rating off a given scale is an error, not dropped.

The formulas, in words (docs/agreement.md has them at length):

- **Krippendorff's α** = 1 − D_o / D_e. Within each item, every ordered pair of ratings by two
  different raters adds 1/(m − 1) to the coincidence matrix o[c, k] (m: the item's number of
  ratings; items with one rating add nothing). n_c are o's column sums, n their total.
  D_o = Σ o[c, k]·δ²(c, k) / n is the disagreement seen; D_e = Σ n_c·n_k·δ²(c, k) / (n(n − 1))
  the disagreement expected by chance. δ² is, for *nominal*, 0 for the same grade and 1
  otherwise; for *interval*, the squared difference of the grades' values; for *ordinal*, the
  square of (the n_g of the grades from c to k, both included) − (n_c + n_k)/2.
- **Cohen's κ** of two raters, on the items both rated: O is their confusion matrix over the
  scale (rows: the first rater's grade, columns: the second's) as proportions, E the outer
  product of its margins (what chance gives), κ = 1 − Σ W·O / Σ W·E. Unweighted: W = 1 off the
  diagonal, 0 on it. Quadratic: W[i, j] = (i − j)², i and j the grades' **positions** on the
  scale (so a scale 0, 1, 3 weighs 0→3 as 2 steps, not 3).
- **Bias** of a rater: the mean, over the items this rater and at least one other rated, of
  (this rater's rating − the mean of the other raters' ratings on the item), in the scale's units.
  Positive: rates higher than the others.

Undefined values are None, everywhere (JSON null): α with no item rated twice, or no
disagreement to expect (every rating the same grade: D_e = 0); κ with no item both raters rated,
or chance disagreement Σ W·E = 0 (both raters gave one and the same grade throughout); bias of a
rater who shares no item with another. A single rater therefore has α None and no κ pairs.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal", "interval"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")
Weights = Literal["unweighted", "quadratic"]
WEIGHTS: tuple[Weights, ...] = ("unweighted", "quadratic")
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
MISSING = -1  # a missing rating's grade index


class AgreementError(ValueError):
    """Input agreement cannot be computed on: a rating off the scale, a bad scale."""


# --- the scale ---------------------------------------------------------------------------------


def default_scale(ratings: Iterable[float]) -> tuple[float, ...]:
    """Every integer from the lowest rating to the highest, plus any non-integer rating seen."""
    seen = {float(r) for r in ratings if not math.isnan(r)}
    if not seen:
        return ()
    whole = range(math.floor(min(seen)), math.ceil(max(seen)) + 1)
    return tuple(sorted(seen | {float(g) for g in whole}))


def parse_scale(text: str) -> tuple[float, ...]:
    """``"0,1,2,3"`` → (0.0, 1.0, 2.0, 3.0): finite numbers, rising, at least two."""
    grades: list[float] = []
    for part in text.split(","):
        try:
            grade = float(part.strip())
        except ValueError:
            raise AgreementError(f"scale: {part.strip()!r} is not a number") from None
        if not math.isfinite(grade):
            raise AgreementError(f"scale: {part.strip()!r} is not a finite number")
        grades.append(grade)
    if len(grades) < 2:
        raise AgreementError("a scale needs at least two grades")
    return check_scale(grades)


def check_scale(grades: Sequence[float]) -> tuple[float, ...]:
    """The grades as a scale: rising, each once (one grade or none is a scale on which every
    number is undefined)."""
    scale = tuple(float(g) for g in grades)
    if any(b <= a for a, b in zip(scale, scale[1:], strict=False)):
        raise AgreementError(f"the scale's grades must rise, each once: {list(scale)}")
    return scale


def grade_positions(values: npt.ArrayLike, scale: Sequence[float]) -> Ints:
    """Each rating's position on the scale (MISSING for NaN); AgreementError for one off it."""
    array = np.asarray(values, dtype=np.float64)
    grades = np.asarray(scale, dtype=np.float64)
    present = ~np.isnan(array)
    if grades.size == 0:  # no grade: any rating is off the scale
        off = present
        at = np.zeros(array.shape, dtype=np.int64)
    else:
        at = np.minimum(
            np.searchsorted(grades, np.where(present, array, grades[0])), grades.size - 1
        )
        off = present & (grades[at] != array)
    if off.any():
        wrong = sorted({float(v) for v in array[off]})
        raise AgreementError(
            f"rating(s) {', '.join(f'{v:g}' for v in wrong[:10])} not on the scale "
            f"{', '.join(f'{g:g}' for g in scale)}"
        )
    return np.where(present, at, MISSING).astype(np.int64)


# --- the matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingMatrix:
    """Ratings of ``raters`` (rows) on ``items`` (columns), NaN where missing, on ``scale``."""

    raters: tuple[str, ...]
    items: tuple[Hashable, ...]
    values: Floats
    scale: tuple[float, ...]
    positions: Ints = field(init=False, repr=False)  # grade index per cell, MISSING if none

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.raters), len(self.items)):
            raise AgreementError("the matrix must have a row a rater and a column an item")
        object.__setattr__(self, "positions", grade_positions(self.values, self.scale))

    @classmethod
    def from_ratings(
        cls,
        ratings: Iterable[tuple[Hashable, str, float | None]],
        scale: Sequence[float] | None = None,
    ) -> RatingMatrix:
        """From (item, rater, rating) triples; a None rating ("can't rate") is missing, and
        raters and items with no rating at all are left out. Raters are sorted; items keep the
        order they first appear in. The last rating of a rater on an item wins."""
        rated = [(item, rater, float(r)) for item, rater, r in ratings if r is not None]
        raters = tuple(sorted({rater for _, rater, _ in rated}))
        items = tuple(dict.fromkeys(item for item, _, _ in rated))
        row = {rater: i for i, rater in enumerate(raters)}
        column = {item: j for j, item in enumerate(items)}
        values = np.full((len(raters), len(items)), np.nan)
        for item, rater, rating in rated:
            values[row[rater], column[item]] = rating
        grades = default_scale(values.ravel()) if scale is None else check_scale(scale)
        return cls(raters, items, values, grades)

    def row(self, rater: str) -> Ints:
        row: Ints = self.positions[self.raters.index(rater)]
        return row


# --- Krippendorff's α --------------------------------------------------------------------------


def value_counts(positions: Ints, grades: int) -> Ints:
    """items × grades: how many raters gave each grade on each item (positions: raters × items)."""
    items = positions.shape[1]
    counts = np.zeros((items, grades), dtype=np.int64)
    rater_idx, item_idx = np.nonzero(positions != MISSING)
    np.add.at(counts, (item_idx, positions[rater_idx, item_idx]), 1)
    return counts


def coincidences(counts: Ints) -> Floats:
    """Krippendorff's coincidence matrix from items × grades counts."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    c = counts[pairable].astype(np.float64)
    weighted = c / (m[pairable] - 1)[:, None]
    table: Floats = weighted.T @ c - np.diag(weighted.sum(axis=0))
    return table


def _distances(level: Level, scale: Floats, n_c: Floats) -> Floats:
    if level == "nominal":
        return 1.0 - np.eye(scale.size)
    if level == "interval":
        return (scale[:, None] - scale[None, :]) ** 2
    # ordinal: the marginals from c to k, both included, less half of the two ends'
    cumulative = np.concatenate(([0.0], np.cumsum(n_c)))
    low = np.minimum.outer(np.arange(scale.size), np.arange(scale.size))
    high = np.maximum.outer(np.arange(scale.size), np.arange(scale.size))
    between = cumulative[high + 1] - cumulative[low]
    ordinal: Floats = (between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2
    return ordinal


def krippendorff_alpha(matrix: RatingMatrix, level: Level = "interval") -> float | None:
    """Krippendorff's α of the matrix at a level of measurement; None when undefined."""
    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    scale = np.asarray(matrix.scale, dtype=np.float64)
    o = coincidences(value_counts(matrix.positions, scale.size))
    n_c = o.sum(axis=0)
    n = n_c.sum()
    if n < 2:
        return None
    d = _distances(level, scale, n_c)
    expected = (np.outer(n_c, n_c) * d).sum()
    if expected <= 0:
        return None
    return float(1.0 - (n - 1) * (o * d).sum() / expected)


# --- Cohen's κ and confusion matrices ------------------------------------------------------------


def confusion(a: Ints, b: Ints, grades: int) -> Ints:
    """grades × grades counts of the items both a and b rated: rows a's grade, columns b's."""
    both = (a != MISSING) & (b != MISSING)
    flat = np.bincount(a[both] * grades + b[both], minlength=grades * grades)
    return flat.reshape(grades, grades).astype(np.int64)


def weight_matrix(weights: Weights, grades: int) -> Floats:
    step = np.arange(grades)
    if weights == "unweighted":
        return 1.0 - np.eye(grades)
    if weights == "quadratic":
        return ((step[:, None] - step[None, :]) ** 2).astype(np.float64)
    raise AgreementError(f"unknown weights {weights!r}; one of {', '.join(WEIGHTS)}")


def kappa_of_confusion(table: npt.ArrayLike, weights: Weights = "unweighted") -> float | None:
    """Cohen's κ of a square confusion matrix; None when undefined (no items, no chance
    disagreement)."""
    counts = np.asarray(table, dtype=np.float64)
    n = counts.sum()
    if n == 0:
        return None
    w = weight_matrix(weights, counts.shape[0])
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    chance = (w * expected).sum()
    if chance <= 0:
        return None
    return float(1.0 - (w * counts).sum() / chance)


@dataclass(frozen=True)
class PairKappa:
    unweighted: float | None
    quadratic: float | None
    items: int  # the items both raters rated
    confusion: Ints = field(repr=False, compare=False)


def pair_kappa(a: Ints, b: Ints, grades: int) -> PairKappa:
    table = confusion(a, b, grades)
    return PairKappa(
        kappa_of_confusion(table, "unweighted"),
        kappa_of_confusion(table, "quadratic"),
        int(table.sum()),
        table,
    )


def pair_kappas(matrix: RatingMatrix) -> dict[tuple[str, str], PairKappa]:
    """κ for every pair of raters, keyed (a, b) with a < b (the raters are sorted)."""
    grades = len(matrix.scale)
    return {
        (matrix.raters[i], matrix.raters[j]): pair_kappa(
            matrix.positions[i], matrix.positions[j], grades
        )
        for i, j in combinations(range(len(matrix.raters)), 2)
    }


# --- bias --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bias:
    mean: float | None  # mean signed difference from the others' mean; None: no shared item
    items: int  # the items this rater and at least one other rated


def rater_bias(matrix: RatingMatrix) -> dict[str, Bias]:
    """Each rater's mean signed difference from the mean of the other raters, item by item."""
    values = matrix.values
    present = ~np.isnan(values)
    totals = np.where(present, values, 0.0).sum(axis=0)
    counts = present.sum(axis=0)
    others = counts - present  # how many others rated each item (per rater)
    shared = present & (others > 0)
    others_mean = np.divide(
        totals[None, :] - np.where(present, values, 0.0),
        others,
        out=np.zeros_like(values),
        where=shared,
    )
    diff = np.where(shared, values - others_mean, 0.0)
    n = shared.sum(axis=1)
    out: dict[str, Bias] = {}
    for r, rater in enumerate(matrix.raters):
        out[rater] = Bias(float(diff[r].sum() / n[r]) if n[r] else None, int(n[r]))
    return out


# --- all of it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    items: int
    raters: tuple[str, ...]
    scale: tuple[float, ...]
    alpha: dict[Level, float | None]
    kappa: dict[tuple[str, str], PairKappa]
    bias: dict[str, Bias]

    def to_json(self) -> dict[str, Any]:
        """The shape ``searchbench agreement --format json`` prints; pairs named "A|B", A < B."""
        return {
            "items": self.items,
            "raters": list(self.raters),
            "krippendorff_alpha": dict(self.alpha),
            "cohen_kappa": {
                f"{a}|{b}": {"unweighted": k.unweighted, "quadratic": k.quadratic, "items": k.items}
                for (a, b), k in self.kappa.items()
            },
        }


def agreement(matrix: RatingMatrix) -> Agreement:
    """Every agreement number of a matrix at once."""
    return Agreement(
        items=len(matrix.items),
        raters=matrix.raters,
        scale=matrix.scale,
        alpha={level: krippendorff_alpha(matrix, level) for level in LEVELS},
        kappa=pair_kappas(matrix),
        bias=rater_bias(matrix),
    )
