"""The issue's acceptance line end to end: an LLM judge judges a 100-pair book as a job (through
the stand-in chat-completions server's fault shapes), and the calibration report compares it with
two human raters."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from searchbench.books import judges, reports, services
from searchbench.books.tests.test_judges import (  # noqa: F401 (fixtures)
    CANT_RATE,
    make_book,
    make_judge,
    quick_backoff,
    server,
    shape_of,
)

pytestmark = pytest.mark.django_db


def test_a_judged_100_pair_book_is_calibrated_against_two_raters(world, server) -> None:  # noqa: F811
    book = make_book(world.owner)  # pair n: doc d<n>, the stand-in answers grade n % 4
    pairs = {int(p.doc_id[1:]): p for p in book.pairs.all()}
    for n, pair in pairs.items():
        services.record_judgement(pair, rater=world.owner, rating=n % 4)  # olive: the grade
        tom = min(3, n % 4 + 1) if n % 5 == 0 else n % 4  # tom: one higher, one pair in 5
        services.record_judgement(pair, rater=world.teammate, rating=tom)
    judge = make_judge(world.owner, server)
    job = judges.start_judging(book, judge, user=world.owner)
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 100)

    report = reports.judge_calibration(book, judge).agreement
    cant = [n for n in pairs if shape_of(n) in CANT_RATE]
    assert report.judge_cant_rate == len(cant) == 12 and report.pairs == 88
    # Quepid's rule on two ratings: their mean, halves away from zero (tom's +1 wins the tie).
    rated = [n for n in sorted(pairs) if n not in cant]
    consensus = [min(3, n % 4 + 1) if n % 5 == 0 else n % 4 for n in rated]
    judged = [n % 4 for n in rated]
    assert [report.consensus[("query " + str(n // 5), f"d{n}")] for n in rated] == consensus
    for weights, ours in ((None, report.kappa.unweighted), ("quadratic", report.kappa.quadratic)):
        theirs = cohen_kappa_score(consensus, judged, labels=[0, 1, 2, 3], weights=weights)
        assert ours == pytest.approx(theirs, abs=1e-9)
    assert report.bias == pytest.approx(
        sum(j - c for j, c in zip(judged, consensus, strict=True)) / 88
    )
    assert report.bias < 0  # tom's higher grades lift the consensus above the judge
    assert report.per_rater["olive"].unweighted == 1.0  # the judge answers olive's grades
    assert report.per_rater["tom"].items == 88 and report.per_rater["tom"].unweighted < 1.0
