"""books.reports: the book's agreement numbers and a judge's calibration, read from the rows."""

from __future__ import annotations

from typing import Any

import pytest

from searchbench.books import reports, services
from searchbench.books.models import Judge, Judgement
from searchbench.cases import services as case_services
from searchbench.domain import agreement as agreement_numbers
from searchbench.domain.agreement import RatingMatrix

pytestmark = pytest.mark.django_db

CANT = Judgement.State.CANT_RATE


def _judge(world: Any, name: str) -> Judge:
    return Judge.objects.create(
        name=name, owner=world.owner, base_url="http://127.0.0.1:9/v1", model="m",
        prompt_template="{{query}}",
    )  # fmt: skip


def _judge_book(world: Any, book: Any, judge_ratings: dict[str, float | None]) -> Judge:
    """olive and tom judge the book's 4 pairs; a judge rates them as given."""
    pairs = {p.doc_id: p for p in book.pairs.all()}
    for doc, olive, tom in [("b1", 3, 3), ("b2", 2, 1), ("b3", 0, 0), ("t1", 1, None)]:
        services.record_judgement(pairs[doc], rater=world.owner, rating=olive)
        if tom is None:
            services.record_judgement(pairs[doc], rater=world.teammate, state=CANT)
        else:
            services.record_judgement(pairs[doc], rater=world.teammate, rating=tom)
    judge = _judge(world, "gpt judge")
    for doc, rating in judge_ratings.items():
        if rating is None:
            services.record_judgement(pairs[doc], judge=judge, state=CANT)
        else:
            services.record_judgement(pairs[doc], judge=judge, rating=rating)
    return judge


AGREES = {"b1": 3, "b2": 2, "b3": 0, "t1": 1}  # the consensus: b2's 2 and 1 → 1.5 → 2


def test_the_book_agreement_names_every_rater_and_equals_the_domain(world, book) -> None:
    judge = _judge_book(world, book, {"b1": 3, "b2": 1, "b3": None})
    result = reports.book_agreement(book)
    names = result.numbers.raters
    assert sorted(names) == sorted(["olive", "tom", judge.name])
    assert result.keys["olive"] == f"u{world.owner.pk}" and result.judges == [judge]
    # the same numbers as the domain's on the matrix written out by hand
    rows = [
        ("b1", "olive", 3), ("b2", "olive", 2), ("b3", "olive", 0), ("t1", "olive", 1),
        ("b1", "tom", 3), ("b2", "tom", 1), ("b3", "tom", 0), ("t1", "tom", None),
        ("b1", judge.name, 3), ("b2", judge.name, 1), ("b3", judge.name, None),
    ]  # fmt: skip
    expected = agreement_numbers.agreement(
        RatingMatrix.from_ratings(
            ((("red boots" if d != "t1" else "tent", d), r, v) for d, r, v in rows),
            (0, 1, 2, 3),
        )
    )
    assert result.numbers.alpha == expected.alpha
    assert result.numbers.to_json()["cohen_kappa"] == expected.to_json()["cohen_kappa"]
    assert result.numbers.scale == (0, 1, 2, 3)


def test_raters_with_the_same_name_are_told_apart(world, book) -> None:
    pair = book.pairs.first()
    services.record_judgement(pair, rater_email="olive", rating=1)
    services.record_judgement(pair, rater=world.owner, rating=1)
    names = reports.rater_names(book)
    assert names[f"u{world.owner.pk}"] == f"olive (u{world.owner.pk})"
    assert names["e:olive"] == "olive (e:olive)"


def test_a_judge_that_agrees_changes_no_score(world, book) -> None:
    judge = _judge_book(world, book, AGREES)
    case_services.take_snapshot(world.case, "try 1")
    report = reports.judge_calibration(book, judge)
    assert report.humans == ["olive", "tom"] and report.rule == "Quepid's rule"
    assert report.agreement.pairs == 4 and report.agreement.kappa.unweighted == 1.0
    assert report.agreement.bias == 0.0
    (effect,) = report.cases
    assert effect.case == world.case and effect.without_snapshot == []
    (tried,) = effect.effect.tries
    assert tried.name == "try 1" and set(tried.per_query) == {"red boots", "tent"}
    assert tried.human == tried.judge > 0 and tried.ci == (0.0, 0.0)


def test_a_judge_that_rates_everything_0_scores_0_and_tries_without_snapshot_are_named(
    world, book
) -> None:
    judge = _judge_book(world, book, {"b1": 0, "b2": 0, "b3": 0, "t1": 0})
    case_services.take_snapshot(world.case, "first try")
    second = case_services.create_try(
        world.case,
        query_template='{"query": "#$query##", "fields": ["body"]}',
        field_spec="id:id title:title body",
        endpoint=world.endpoint,
        rows=1,
    )
    case_services.take_snapshot(world.case, "second try")
    third = case_services.create_try(
        world.case, query_template="{}", field_spec="id:id", endpoint=world.endpoint
    )
    report = reports.judge_calibration(book, judge)
    assert report.agreement.bias == pytest.approx(-(3 + 2 + 0 + 1) / 4)
    (effect,) = report.cases
    assert [t.name for t in effect.effect.tries] == ["try 1", f"try {second.number}"]
    assert effect.without_snapshot == [third]
    for tried in effect.effect.tries:
        assert tried.judge == 0.0 and tried.human > 0.0
        assert tried.ci[1] < 0.0  # judge − human: below 0 with every resample
    assert effect.effect.scorer == "quepid:P@10"


def test_a_case_without_snapshots_has_no_effect_and_says_which_tries(world, book) -> None:
    judge = _judge_book(world, book, AGREES)
    (effect,) = reports.judge_calibration(book, judge).cases
    assert effect.effect is None and effect.without_snapshot == [world.try_]
    assert reports.has_judged(book, judge)
    assert not reports.has_judged(book, _judge(world, "idle"))


def test_a_book_without_a_scale_and_one_grade_throughout_has_undefined_numbers(world, book):
    book.scale = []
    book.save()
    judge = _judge(world, "gpt judge")
    for pair in book.pairs.all():
        services.record_judgement(pair, rater=world.owner, rating=2)
        services.record_judgement(pair, rater=world.teammate, rating=2)
        services.record_judgement(pair, judge=judge, rating=2)
    result = reports.book_agreement(book).numbers
    assert result.scale == (2.0,) and set(result.alpha.values()) == {None}
    report = reports.judge_calibration(book, judge)
    assert report.scale == (2.0,) and report.agreement.pairs == 4
    assert report.agreement.kappa.unweighted is None and report.agreement.bias == 0.0
