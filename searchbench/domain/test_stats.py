"""Significance tests against scipy (a dev-only dependency) on many random datasets."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
import scipy.special as spsp
import scipy.stats as sps

from searchbench.domain import stats

Vector = npt.NDArray[np.float64]


def datasets(count: int, seed: int) -> list[tuple[Vector, Vector]]:
    """Score-like paired samples: continuous, rounded (ties and zeros), and graded."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = int(rng.integers(2, 150))
        a = rng.random(n)
        style = i % 4
        if style == 0:
            b = a + rng.normal(0.03, 0.2, n)
        elif style == 1:
            a, b = np.round(a, 1), np.round(a + rng.normal(0.0, 0.3, n), 1)
        elif style == 2:
            b = a.copy()
            moved = rng.random(n) < 0.5
            b[moved] += rng.integers(-2, 3, int(moved.sum())) / 4
        else:
            a, b = rng.integers(0, 4, n) / 3, rng.integers(0, 4, n) / 3
        out.append((a, b))
    return out


def test_betainc_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    for _ in range(2000):
        a, b = rng.uniform(0.05, 200, 2)
        x = rng.random()
        assert stats.betainc(a, b, x) == pytest.approx(spsp.betainc(a, b, x), rel=1e-9, abs=1e-14)


def test_paired_ttest_matches_scipy_on_1000_datasets() -> None:
    for a, b in datasets(1000, seed=1):
        ours = stats.paired_ttest(a, b)
        ref = sps.ttest_rel(b, a)
        if math.isnan(ref.pvalue):  # every pair equal: scipy says NaN, we say "no difference"
            assert ours.p_value == 1.0
            continue
        assert ours.statistic == pytest.approx(ref.statistic, rel=1e-9)
        assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_wilcoxon_matches_scipys_default_on_1000_datasets() -> None:
    methods = set()
    for a, b in datasets(1000, seed=2):
        ours = stats.wilcoxon(a, b)
        methods.add(ours.method)
        if not np.any(b - a):
            assert ours.p_value == 1.0
            continue
        ref = sps.wilcoxon(b, a)
        assert ours.statistic == pytest.approx(ref.statistic)
        assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)
    # The data exercised every branch of scipy's "auto" rule.
    assert {m.split(":")[1].strip() for m in methods} >= {
        "exact",
        "exact sign-flip (ties or zeros)",
        "normal approximation",
    }


def test_wilcoxon_small_samples_hit_the_exact_branches() -> None:
    no_ties = stats.wilcoxon([0, 0, 0, 0, 0], [0.1, -0.2, 0.3, 0.4, 0.5])
    assert no_ties.p_value == pytest.approx(sps.wilcoxon([0.1, -0.2, 0.3, 0.4, 0.5]).pvalue)
    with_zero = stats.wilcoxon([0, 0, 0, 0, 0], [0.0, -0.2, 0.2, 0.4, 0.5])
    assert with_zero.p_value == pytest.approx(sps.wilcoxon([0.0, -0.2, 0.2, 0.4, 0.5]).pvalue)


def test_permutation_test_matches_scipys_exact_sign_flip() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(3, 12))
        a, b = rng.random(n), rng.random(n)
        ours = stats.permutation_test(a, b)
        ref = sps.permutation_test(
            (b - a,), np.mean, permutation_type="samples", alternative="two-sided"
        )
        assert ours.method == "permutation: exact"
        assert ours.p_value == pytest.approx(ref.pvalue)


def test_permutation_test_is_seeded_and_agrees_with_the_t_test_on_large_samples() -> None:
    rng = np.random.default_rng(4)
    a = rng.random(300)
    b = a + rng.normal(0.02, 0.15, 300)
    first = stats.permutation_test(a, b, seed=11)
    assert first == stats.permutation_test(a, b, seed=11)
    assert first.p_value != stats.permutation_test(a, b, seed=12).p_value
    assert first.p_value == pytest.approx(stats.paired_ttest(a, b).p_value, abs=0.02)
    assert stats.permutation_test(a, a).p_value == 1.0


def test_bootstrap_ci_is_seeded_and_covers_the_mean_difference() -> None:
    rng = np.random.default_rng(5)
    a = rng.random(200)
    b = a + rng.normal(0.1, 0.2, 200)
    low, high = stats.bootstrap_ci(a, b, seed=1)
    assert (low, high) == stats.bootstrap_ci(a, b, seed=1)
    assert low < float(np.mean(b - a)) < high
    # The percentile interval is close to the normal-theory one for a mean.
    half = 1.96 * float(np.std(b - a, ddof=1)) / math.sqrt(200)
    assert high - low == pytest.approx(2 * half, rel=0.1)
    ref = sps.bootstrap((b - a,), np.mean, method="percentile", random_state=0)
    assert low == pytest.approx(ref.confidence_interval.low, abs=0.01)
    assert high == pytest.approx(ref.confidence_interval.high, abs=0.01)


def test_bootstrap_cis_draws_once_and_gives_each_runs_own_interval() -> None:
    # 1,000 queries: 10,000 resamples take three batches, so the batching is covered too.
    rng = np.random.default_rng(6)
    a = rng.random(1000)
    others = [a + rng.normal(shift, 0.2, 1000) for shift in (0.0, 0.05, -0.1)]
    together = stats.bootstrap_cis(a, others, seed=3)
    assert together == [stats.bootstrap_ci(a, b, seed=3) for b in others]  # to the bit
    assert stats.bootstrap_cis(a, [], seed=3) == []
    with pytest.raises(ValueError, match="paired samples"):
        stats.bootstrap_cis(a, [others[0], others[1][:10]])


def test_kendall_tau_matches_scipys_tau_b_with_ties() -> None:
    rng = np.random.default_rng(7)
    for size in (2, 3, 5, 8, 20):
        for _ in range(50):
            x = rng.integers(0, 4, size).astype(float)  # ties on purpose
            y = x + rng.integers(-2, 3, size).astype(float)
            ours = stats.kendall_tau(x, y)
            theirs = sps.kendalltau(x, y).statistic
            if math.isnan(theirs):
                assert ours is None
            else:
                assert ours is not None and abs(ours - theirs) < 1e-12


def test_kendall_tau_by_hand_and_when_undefined() -> None:
    assert stats.kendall_tau([0.3, 0.5, 0.4], [0.2, 0.6, 0.5]) == 1.0  # same order
    assert stats.kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    # one swap among 3 tries: 2 concordant pairs, 1 discordant → (2 − 1) / 3
    assert stats.kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert stats.kendall_tau([1.0], [2.0]) is None
    assert stats.kendall_tau([1, 1, 1], [1, 2, 3]) is None
    with pytest.raises(ValueError):
        stats.kendall_tau([1, 2], [1, 2, 3])


def test_holm_and_bonferroni_adjust_like_the_textbook() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, made monotone.
    assert stats.adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.adjust(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert stats.adjust(p, "none") == p
    adjusted = stats.adjust([0.01, math.nan, 0.02], "bonferroni")
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1])
    with pytest.raises(ValueError, match="holm"):
        stats.adjust(p, "sidak")


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="equally long"):
        stats.paired_ttest([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        stats.wilcoxon([1, math.nan], [1, 2])


def test_degenerate_samples() -> None:
    assert math.isnan(stats.paired_ttest([1.0], [2.0]).p_value)
    assert stats.paired_ttest([0, 0, 0], [1, 1, 1]).p_value == 0.0
    assert stats.paired_ttest([0.5, 0.5], [0.5, 0.5]).p_value == 1.0
    assert stats.wilcoxon([0.5, 0.5], [0.5, 0.5]).p_value == 1.0


def test_compare_reports_each_run_against_the_first() -> None:
    rng = np.random.default_rng(6)
    base = rng.random(80)
    same = base + rng.normal(0.0, 0.01, 80)
    better = np.clip(base + 0.2 + rng.normal(0.0, 0.05, 80), 0, None)
    rows = stats.compare({"base": base, "same": same, "better": better}, test="ttest")
    assert [r.name for r in rows] == ["base", "same", "better"]
    assert rows[0].delta == 0.0 and math.isnan(rows[0].p_value)
    p = [sps.ttest_rel(same, base).pvalue, sps.ttest_rel(better, base).pvalue]
    holm = stats.adjust(p, "holm")
    assert rows[1].p_value == pytest.approx(p[0]) and rows[2].p_value == pytest.approx(p[1])
    assert rows[1].p_adjusted == pytest.approx(holm[0])
    assert rows[2].significant and rows[2].delta == pytest.approx(float(np.mean(better - base)))
    assert rows[2].ci_low < rows[2].delta < rows[2].ci_high
    assert rows == stats.compare({"base": base, "same": same, "better": better}, test="ttest")
    with pytest.raises(ValueError, match="ttest"):
        stats.compare({"a": base, "b": base}, test="sign")
