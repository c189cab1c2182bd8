"""Is the difference real? Paired significance tests, bootstrap intervals, multiple-test corrections.

Everything is paired by query: ``a`` is the baseline's per-query scores, ``b`` the other run's,
in the same query order, and the difference is ``d = b - a``. All p-values are two-sided.

- :func:`paired_ttest` is Student's paired t-test; the t distribution's tail comes from the
  regularized incomplete beta function (continued fraction), so no scipy at run time.
- :func:`wilcoxon` follows scipy's default ``wilcoxon(b, a)`` rules (scipy >= 1.13): zero
  differences are dropped, no continuity correction, and ``method="auto"`` picks the exact null
  distribution when there are at most 50 differences and neither ties nor zeros, an exact
  sign-flip enumeration when there are ties or zeros and at most 13 differences, and the normal
  approximation (with the tie correction of the variance) otherwise.
- :func:`permutation_test` flips the signs of the differences (exactly, over all 2**n sign
  patterns, when that is no more than ``n_resamples``; otherwise seeded random flips).
- :func:`bootstrap_ci` is the seeded percentile bootstrap of the mean difference
  (:func:`bootstrap_cis` for several runs against one baseline, resampled once).
- :func:`adjust` applies Holm or Bonferroni to a family of p-values.
- :func:`kendall_tau` is Kendall's τ-b between two orders (scipy's ``kendalltau`` default).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]

DEFAULT_RESAMPLES = 10_000
_BATCH_CELLS = 4_000_000  # resample rows × queries per batch: bounds memory to ~32 MB


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float
    method: str  # how the p-value was obtained, e.g. "exact", "normal approximation"


def _differences(a: Sequence[float] | Vector, b: Sequence[float] | Vector) -> Vector:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"paired samples must be two equally long lists ({x.shape} vs {y.shape})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("paired samples must be finite numbers")
    return y - x


# -- distributions -------------------------------------------------------------------------------


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz), for x < (a + 1) / (a + b + 2)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if not (a > 0 and b > 0):
        raise ValueError("betainc needs a > 0 and b > 0")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(x, a, b) / a
    return 1.0 - front * _beta_continued_fraction(1.0 - x, b, a) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 0.0
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def normal_sf(z: float) -> float:
    """P(Z > z) for the standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


# -- tests ---------------------------------------------------------------------------------------


def paired_ttest(a: Sequence[float] | Vector, b: Sequence[float] | Vector) -> TestResult:
    """Student's paired t-test on ``b - a`` (scipy's ``ttest_rel(b, a)``).

    No differences at all (every pair equal) gives p = 1; fewer than two pairs gives NaN.
    """
    d = _differences(a, b)
    n = d.size
    if n < 2:
        return TestResult(math.nan, math.nan, "t-test: too few pairs")
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        if mean == 0.0:
            return TestResult(0.0, 1.0, "t-test: no differences")
        return TestResult(math.copysign(math.inf, mean), 0.0, "t-test")
    t = mean / (sd / math.sqrt(n))
    return TestResult(t, t_two_sided_p(t, n - 1), "t-test")


def _rank_average(values: Vector) -> tuple[Vector, Vector]:
    """Average ranks (1-based) of ``values`` and the sizes of the tie groups."""
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_vals[1:] != sorted_vals[:-1]])
    sizes = np.diff(np.r_[starts, values.size]).astype(np.float64)
    # Positions start..start+size-1 share the mean rank start + (size + 1) / 2.
    group_rank = starts + (sizes + 1.0) / 2.0
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(group_rank, sizes.astype(np.int64))
    return ranks, sizes


def _signed_rank_pmf(n: int) -> Vector:
    """Exact null distribution of W+ for n untied non-zero differences."""
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.float64)
    counts[0] = 1.0
    top = 0
    for rank in range(1, n + 1):
        # Each rank is either in W+ or not: shift-and-add, from the top down.
        counts[rank : top + rank + 1] += counts[: top + 1].copy()
        top += rank
    return counts / 2.0**n


def _all_sign_patterns(n: int) -> npt.NDArray[np.int8]:
    bits = (np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)) & 1
    return (1 - 2 * bits).astype(np.int8)


def wilcoxon(a: Sequence[float] | Vector, b: Sequence[float] | Vector) -> TestResult:
    """Wilcoxon signed-rank test on ``b - a``, matching scipy's default ``wilcoxon(b, a)``.

    The statistic is min(W+, W-), as scipy reports it for a two-sided test.
    """
    d = _differences(a, b)
    n_all = d.size
    nonzero = d[d != 0.0]
    count = nonzero.size
    if count == 0:
        return TestResult(0.0, 1.0, "Wilcoxon: no differences")
    ranks, ties = _rank_average(np.abs(nonzero))
    r_plus = float(ranks[nonzero > 0].sum())
    r_minus = float(ranks[nonzero < 0].sum())
    statistic = min(r_plus, r_minus)
    has_ties = bool(np.any(ties > 1))
    has_zeros = count < n_all

    if n_all <= 50 and not (has_ties or has_zeros):
        pmf = _signed_rank_pmf(count)
        upper = float(pmf[int(math.floor(r_plus)) :].sum())  # P(W+ >= r)
        lower = float(pmf[: int(math.ceil(r_plus)) + 1].sum())  # P(W+ <= r)
        return TestResult(statistic, min(1.0, 2.0 * min(upper, lower)), "Wilcoxon: exact")

    if n_all <= 13:
        # scipy enumerates every sign pattern of all n differences (zeros included).
        signs = _all_sign_patterns(n_all)
        ranks_all = np.zeros(n_all, dtype=np.float64)
        ranks_all[d != 0.0] = ranks
        null = ((signs * np.sign(d)) > 0).astype(np.float64) @ ranks_all
        gamma = abs(np.finfo(np.float64).eps * 100 * r_plus)
        less = float(np.count_nonzero(null <= r_plus + gamma)) / null.size
        greater = float(np.count_nonzero(null >= r_plus - gamma)) / null.size
        p = min(1.0, 2.0 * min(less, greater))
        return TestResult(statistic, p, "Wilcoxon: exact sign-flip (ties or zeros)")

    mean = count * (count + 1.0) / 4.0
    var = (count * (count + 1.0) * (2.0 * count + 1.0) - float(np.sum(ties**3 - ties)) / 2.0) / 24.0
    z = (r_plus - mean) / math.sqrt(var)
    p = min(1.0, 2.0 * normal_sf(abs(z)))
    return TestResult(statistic, p, "Wilcoxon: normal approximation")


def _batches(total: int, n: int) -> list[int]:
    rows = max(1, _BATCH_CELLS // max(n, 1))
    return [min(rows, total - start) for start in range(0, total, rows)]


def permutation_test(
    a: Sequence[float] | Vector,
    b: Sequence[float] | Vector,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> TestResult:
    """Paired sign-flip permutation test of the mean difference (two-sided).

    Exact over all 2**n sign patterns when that is at most ``n_resamples``; otherwise
    ``n_resamples`` seeded random patterns and p = (hits + 1) / (n_resamples + 1).
    """
    d = _differences(a, b)
    n = d.size
    if n == 0:
        return TestResult(math.nan, math.nan, "permutation: no pairs")
    observed = float(d.mean())
    if not np.any(d):
        return TestResult(0.0, 1.0, "permutation: no differences")
    gamma = abs(np.finfo(np.float64).eps * 100 * observed)
    threshold = abs(observed) - gamma
    if n <= 30 and 2**n <= n_resamples:
        null = (_all_sign_patterns(n) @ d) / n
        hits = int(np.count_nonzero(np.abs(null) >= threshold))
        return TestResult(observed, hits / null.size, "permutation: exact")
    rng = np.random.default_rng(seed)
    hits = 0
    for rows in _batches(n_resamples, n):
        signs = rng.integers(0, 2, size=(rows, n), dtype=np.int8) * 2 - 1
        null = (signs @ d) / n
        hits += int(np.count_nonzero(np.abs(null) >= threshold))
    return TestResult(observed, (hits + 1) / (n_resamples + 1), f"permutation: {n_resamples} flips")


def bootstrap_ci(
    a: Sequence[float] | Vector,
    b: Sequence[float] | Vector,
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``b - a``, resampling queries (seeded)."""
    return bootstrap_cis(a, [b], confidence=confidence, n_resamples=n_resamples, seed=seed)[0]


def bootstrap_cis(
    a: Sequence[float] | Vector,
    others: Sequence[Sequence[float] | Vector],
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """:func:`bootstrap_ci` of each of ``others`` against ``a``, the same numbers as one call
    each: with one seed every call resamples the very same queries, so they are drawn once and
    each run's differences are read through them (drawing is half the work at 10,000 queries)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    diffs = [_differences(a, b) for b in others]
    n = diffs[0].size if diffs else 0
    if n == 0:
        return [(math.nan, math.nan)] * len(diffs)
    rng = np.random.default_rng(seed)
    means = np.empty((len(diffs), n_resamples), dtype=np.float64)
    done = 0
    for rows in _batches(n_resamples, n):
        idx = rng.integers(0, n, size=(rows, n))
        for k, d in enumerate(diffs):
            means[k, done : done + rows] = d[idx].mean(axis=1)
        done += rows
    tail = (1.0 - confidence) / 2.0
    bounds = np.quantile(means, [tail, 1.0 - tail], axis=1)
    return [(float(low), float(high)) for low, high in bounds.T]


def kendall_tau(x: Sequence[float] | Vector, y: Sequence[float] | Vector) -> float | None:
    """Kendall's τ-b of two scorings of the same things: (concordant − discordant pairs) over
    the square root of (pairs not tied in x) × (pairs not tied in y). 1: the same order, −1: the
    reverse. None when undefined: fewer than two things, or every value tied in x or in y.
    All pairs at once (O(n²) memory): meant for tens of things, such as a case's tries."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("kendall_tau needs two equally long 1-d sequences")
    upper = np.triu_indices(a.size, k=1)
    da = np.sign(a[:, None] - a[None, :])[upper]
    db = np.sign(b[:, None] - b[None, :])[upper]
    untied_a, untied_b = np.count_nonzero(da), np.count_nonzero(db)
    if untied_a == 0 or untied_b == 0:
        return None
    return float((da * db).sum() / math.sqrt(untied_a * untied_b))


# -- multiple comparisons ------------------------------------------------------------------------


def _holm(p: Sequence[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    running = 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (m - step) * p[i]))
        adjusted[i] = running
    return adjusted


def _bonferroni(p: Sequence[float]) -> list[float]:
    return [min(1.0, len(p) * value) for value in p]


def _none(p: Sequence[float]) -> list[float]:
    return list(p)


@dataclass(frozen=True)
class Correction:
    name: str
    description: str
    adjust: Callable[[Sequence[float]], list[float]]


CORRECTIONS: dict[str, Correction] = {
    c.name: c
    for c in (
        Correction("holm", "Holm step-down: controls the family-wise error rate, more power than "
                   "Bonferroni.", _holm),
        Correction("bonferroni", "Bonferroni: each p-value times the number of comparisons.",
                   _bonferroni),
        Correction("none", "No correction: each comparison on its own.", _none),
    )
}  # fmt: skip


def adjust(p_values: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values for one family of comparisons (NaN stays NaN and is not counted)."""
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; one of {', '.join(CORRECTIONS)}")
    known = [i for i, p in enumerate(p_values) if not math.isnan(p)]
    adjusted = CORRECTIONS[method].adjust([p_values[i] for i in known])
    out = [math.nan] * len(p_values)
    for i, value in zip(known, adjusted, strict=True):
        out[i] = value
    return out


@dataclass(frozen=True)
class SignificanceTest:
    name: str
    description: str
    run: Callable[[Vector, Vector, int], TestResult]


TESTS: dict[str, SignificanceTest] = {
    t.name: t
    for t in (
        SignificanceTest("ttest", "Paired Student's t-test on the per-query differences.",
                         lambda a, b, seed: paired_ttest(a, b)),
        SignificanceTest("wilcoxon", "Wilcoxon signed-rank test (scipy's default rules).",
                         lambda a, b, seed: wilcoxon(a, b)),
        SignificanceTest("permutation", "Paired sign-flip permutation test of the mean "
                         "difference (exact for small samples, else 10,000 seeded flips).",
                         lambda a, b, seed: permutation_test(a, b, seed=seed)),
    )
}  # fmt: skip


# -- comparing runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One run's row for one measure. The baseline's row has delta 0 and no test."""

    name: str
    mean: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    significant: bool


def compare(
    samples: Mapping[str, Sequence[float] | Vector],
    *,
    test: str = "ttest",
    correction: str = "holm",
    alpha: float = 0.05,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> list[Comparison]:
    """Compare each sample with the first (the baseline), paired by position (query).

    The p-values of one call are one family for ``correction`` (the runs compared on one
    measure). ``significant`` means the adjusted p-value is below ``alpha``.
    """
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; one of {', '.join(TESTS)}")
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; one of {', '.join(CORRECTIONS)}")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be between 0 and 1")
    names = list(samples)
    if len(names) < 2:
        raise ValueError("compare needs a baseline and at least one other sample")
    base = np.asarray(samples[names[0]], dtype=np.float64)
    rows: list[tuple[str, float, float, tuple[float, float], float]] = []
    others = [np.asarray(samples[name], dtype=np.float64) for name in names[1:]]
    cis = bootstrap_cis(base, others, confidence=confidence, n_resamples=n_resamples, seed=seed)
    for name, other, ci in zip(names[1:], others, cis, strict=True):
        result = TESTS[test].run(base, other, seed)
        rows.append((name, float(other.mean()), float((other - base).mean()), ci, result.p_value))
    adjusted = adjust([row[4] for row in rows], correction)
    base_mean = float(base.mean()) if base.size else math.nan
    out = [Comparison(names[0], base_mean, 0.0, math.nan, math.nan, math.nan, math.nan, False)]
    for (name, mean, delta, (low, high), p), p_adj in zip(rows, adjusted, strict=True):
        significant = not math.isnan(p_adj) and p_adj < alpha
        out.append(Comparison(name, mean, delta, low, high, p, p_adj, significant))
    return out
