"""Quepid's built-in scorers, checked against their definitions written out as arithmetic."""

from __future__ import annotations

import math

import pytest

from searchbench.domain.scorers import (
    SCORERS,
    RankedDoc,
    ScoringInput,
    UnknownScorer,
    get_scorer,
)


def ranked(*ratings: float | None) -> ScoringInput:
    """Returned docs d0, d1, … with these ratings (None = unrated); all ratings stored."""
    docs = [RankedDoc(f"d{i}", {"title": f"doc {i}"}, r) for i, r in enumerate(ratings)]
    stored = {d.id: d.rating for d in docs if d.rating is not None}
    return ScoringInput(docs=docs, ratings=stored, num_found=len(docs))


def score(name: str, inp: ScoringInput) -> float | None:
    return get_scorer(name).score(inp)


def log2(x: float) -> float:
    return math.log2(x)


def test_it_reproduces_the_acceptance_numbers_for_ratings_0_3_1() -> None:
    inp = ranked(0, 3, 1)  # ideal [3, 1, 0]
    dcg = (2**3 - 1) / log2(3) + (2**1 - 1) / log2(4)
    ideal = (2**3 - 1) / log2(2) + (2**1 - 1) / log2(3)
    assert score("quepid:DCG@10", inp) == pytest.approx(dcg)
    assert score("quepid:DCG@10", inp) == pytest.approx(4.9165, abs=1e-4)
    assert score("quepid:nDCG@10", inp) == pytest.approx(dcg / ideal)
    assert score("quepid:nDCG@10", inp) == pytest.approx(0.6443, abs=1e-4)
    assert score("quepid:CG@10", inp) == 4
    assert score("quepid:RR@10", inp) == 0.5


def test_it_scores_a_perfect_top_10_below_1_unless_the_ideal_is_cut() -> None:
    docs = [RankedDoc(f"d{i}", {}, 3) for i in range(10)]
    stored = {f"d{i}": 3.0 for i in range(15)}  # five more perfect docs were not returned
    inp = ScoringInput(docs=docs, ratings=stored, num_found=100)
    top10 = sum(7 / log2(i + 2) for i in range(10))
    all15 = sum(7 / log2(i + 2) for i in range(15))
    assert score("quepid:nDCG@10", inp) == pytest.approx(top10 / all15)
    assert score("quepid:nDCG@10", inp) < 1  # type: ignore[operator]
    assert score("quepid:NDCG_CUT@10", inp) == pytest.approx(1.0)


def test_it_pads_the_cut_ideal_with_zeros_when_fewer_docs_are_rated() -> None:
    inp = ranked(None, 2)  # one rated doc, returned second
    assert score("quepid:NDCG_CUT@10", inp) == pytest.approx((3 / log2(3)) / 3)


def test_it_builds_the_ideal_from_integer_truncated_ratings() -> None:
    inp = ScoringInput(docs=[RankedDoc("a", {}, 2.7)], ratings={"a": 2.7}, num_found=1)
    # The top list keeps 2.7; the ideal list uses 2.
    assert score("quepid:nDCG@10", inp) == pytest.approx((2**2.7 - 1) / (2**2 - 1))


def test_it_takes_ratings_of_returned_docs_from_the_stored_ratings() -> None:
    docs = [RankedDoc("x", {}), RankedDoc("y", {})]
    inp = ScoringInput(docs=docs, ratings={"y": 1, "z": 1}, num_found=2)
    assert score("quepid:P@10", inp) == 0.5
    assert score("quepid:RR@10", inp) == 0.5
    # AP divides by all relevant ratings, z included: (1/2) / 2
    assert score("quepid:AP@10", inp) == pytest.approx(0.25)


def test_it_counts_unrated_docs_as_zero() -> None:
    inp = ranked(None, 3, None)
    assert score("quepid:CG@10", inp) == 3
    assert score("quepid:DCG@10", inp) == pytest.approx(7 / log2(3))
    assert score("quepid:P@10", inp) == pytest.approx(1 / 3)


def test_precision_divides_by_what_was_returned_up_to_k() -> None:
    assert score("quepid:P@10", ranked(1, 0, 1)) == pytest.approx(2 / 3)
    assert score("quepid:P@2", ranked(1, 0, 1)) == pytest.approx(1 / 2)
    assert score("quepid:P@10", ranked(*([1] * 12))) == 1.0
    assert score("quepid:P@10", ranked()) == 0.0


def test_average_precision_is_not_capped_at_k() -> None:
    docs = [RankedDoc("a", {}, 1), RankedDoc("b", {}, 0), RankedDoc("c", {}, 1)]
    stored = {"a": 1.0, "b": 0.0, "c": 1.0, "d": 1.0, "e": 1.0}  # four relevant overall
    inp = ScoringInput(docs=docs, ratings=stored, num_found=3)
    assert score("quepid:AP@10", inp) == pytest.approx((1 / 1 + 2 / 3) / 4)
    assert score("quepid:AP@2", inp) == pytest.approx((1 / 1) / 4)


def test_average_precision_without_relevant_ratings_is_nan_shown_as_zero() -> None:
    assert score("quepid:AP@10", ranked(0, 0)) == 0.0
    assert score("quepid:AP@10", ranked()) == 0.0


def test_reciprocal_rank_looks_only_at_the_top_k() -> None:
    assert score("quepid:RR@10", ranked(0, 0, 2)) == pytest.approx(1 / 3)
    assert score("quepid:RR@2", ranked(0, 0, 2)) == 0.0
    assert score("quepid:RR@10", ranked(None, None)) == 0.0


def test_err_uses_the_cascade_with_max_grade_3() -> None:
    inp = ranked(3, 1, 2)
    g = [(2**3 - 1) / 8, (2**1 - 1) / 8, (2**2 - 1) / 8]
    expected = g[0] / 1 + (1 - g[0]) * g[1] / 2 + (1 - g[0]) * (1 - g[1]) * g[2] / 3
    assert score("quepid:ERR@10", inp) == pytest.approx(expected)
    assert score("quepid:ERR@10", ranked()) == 0.0


def test_it_accepts_any_depth_and_ignores_case() -> None:
    inp = ranked(*([3] * 20))
    assert score("quepid:cg@5", inp) == 15
    assert score("quepid:CG@20", inp) == 60
    assert score("quepid:CG", inp) == 30  # no @k means 10
    assert get_scorer("quepid:ndcg@7").name == "quepid:nDCG@7"


@pytest.mark.parametrize(
    "name", ["nDCG@10", "quepid:nope@10", "quepid:nDCG@0", "quepid:nDCG@x", "quepid:"]
)
def test_it_rejects_unknown_names_listing_the_known_ones(name: str) -> None:
    with pytest.raises(UnknownScorer) as err:
        get_scorer(name)
    assert name in str(err.value)


def test_negative_scores_clamp_to_zero() -> None:
    # A negative rating gives a negative gain; Quepid shows the query score as 0.
    inp = ranked(-1, -1)
    assert score("quepid:DCG@10", inp) == 0.0
    assert score("quepid:CG@10", inp) == 0.0


def test_the_registry_has_scales_and_labels() -> None:
    assert set(SCORERS) == {
        f"quepid:{k}@10" for k in ("nDCG", "NDCG_CUT", "DCG", "CG", "P", "AP", "RR", "ERR")
    }
    graded = ("nDCG", "NDCG_CUT", "DCG", "CG", "ERR")
    for name, info in SCORERS.items():
        assert info.name == name and info.description and info.label
        if name.removeprefix("quepid:").removesuffix("@10") in graded:
            assert info.scale == [0, 1, 2, 3]
            assert info.labels == {0: "Poor", 1: "Fair", 2: "Good", 3: "Perfect"}
        else:
            assert info.scale == [0, 1]
        assert set(info.labels) == set(info.scale)
        assert get_scorer(name).scale == info.scale
