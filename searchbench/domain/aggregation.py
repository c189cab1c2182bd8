"""One rating for a query–doc pair from its raters' judgements: the rules a book is synced into
its cases with.

Every rule takes the pair's ratings only: "can't rate" and "later" are no ratings and are left out
before (a pair with no rating has no aggregate: ``None``). None depends on the ratings' order.

- ``quepid`` — Quepid's rule (``RatingsManager#calculate_rating_from_judgements``): with fewer
  than three ratings, their mean; else the three highest ratings, their common value if they
  agree, else the lowest of them (optimistic in taking the top three, pessimistic when those
  disagree: so the lowest of the top three in both cases).
- ``median`` — the middle rating; with an even number, the mean of the two middle ones.
- ``majority`` — the most frequent rating; a tie goes to the lowest of the tied ratings (the
  pessimistic choice, as Quepid's rule makes when its raters disagree).
- ``mean`` — the mean of all ratings.

The value is then put on the scale (``to_scale``): rounded half away from zero to a whole
number when every grade of the scale is whole (Quepid rounds its explicit judgements so:
Ruby's ``Float#round``), else moved to the nearest grade (a tie to the one farther from zero).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

Rule = Callable[[Sequence[float]], float]


def quepid(ratings: Sequence[float]) -> float:
    if len(ratings) < 3:
        return sum(ratings) / len(ratings)
    top = sorted(ratings, reverse=True)[:3]
    return top[0] if len(set(top)) == 1 else min(top)


def median(ratings: Sequence[float]) -> float:
    ordered = sorted(ratings)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def majority(ratings: Sequence[float]) -> float:
    counts = Counter(ratings)
    most = max(counts.values())
    return min(value for value, n in counts.items() if n == most)


def mean(ratings: Sequence[float]) -> float:
    return sum(ratings) / len(ratings)


# The rules by name (the names of Book.Aggregation).
RULES: dict[str, Rule] = {"quepid": quepid, "median": median, "majority": majority, "mean": mean}


def round_half_away(value: float) -> float:
    """``value`` rounded to a whole number, halves away from zero (2.5 -> 3, -0.5 -> -1)."""
    return math.copysign(math.floor(abs(value) + 0.5), value) + 0.0


def to_scale(value: float, scale: Sequence[float] = ()) -> float:
    """``value`` as a grade: rounded half away from zero when the scale is whole numbers (or
    not given) and that lands on one of its grades, else the nearest grade of the scale (a tie
    to the grade farther from zero) — a scale with gaps (0, 1, 3) never gets a 2."""
    grades = [float(g) for g in scale]
    if all(g.is_integer() for g in grades):
        rounded = round_half_away(value)
        if not grades or rounded in grades:
            return rounded
    return min(grades, key=lambda g: (abs(g - value), -abs(g)))


def aggregate(rule: str, ratings: Sequence[float], scale: Sequence[float] = ()) -> float | None:
    """The pair's rating by ``rule`` (a name of ``RULES``), on ``scale``; None without ratings.
    ValueError names an unknown rule."""
    try:
        combine = RULES[rule]
    except KeyError:
        raise ValueError(f"unknown aggregation rule {rule!r}: one of {', '.join(RULES)}") from None
    if not ratings:
        return None
    return to_scale(combine([float(r) for r in ratings]), scale)
