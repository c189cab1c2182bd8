"""A judge's calibration in a real browser: a book filled from the demo case, judged by two
people and an LLM judge (its judgements written as its job writes them), two tries with a
snapshot each; the book page shows the agreement numbers and links to the calibration page,
which draws the confusion matrix as a heat map and the effect on the case.

Leaves screenshots book-agreement.png and calibration.png.
"""

from __future__ import annotations

import random

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_judge_is_calibrated_against_two_raters(live_server, demo, browser_page):
    from django.db import connections

    try:
        _calibrate_in_the_browser(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _judged_book(demo):
    """The demo case's rated docs as a book; ann and bob rate near the case's grade, the judge
    one grade higher where it errs (a biased judge)."""
    from django.contrib.auth import get_user_model

    from searchbench.books import services as books
    from searchbench.books.models import Book, Judge, Pair
    from searchbench.cases.models import Case, Rating

    case = Case.objects.get(pk=demo.case_id)
    owner = case.owner
    book = Book.objects.create(name="Gear book", owner=owner, scale=[0, 1, 2, 3])
    book.cases.add(case)
    users = get_user_model().objects
    ann = users.create_user("ann", password="pw")
    bob = users.create_user("bob", password="pw")
    judge = Judge.objects.create(
        name="small-llm", owner=owner, base_url="http://127.0.0.1:9/v1", model="m",
        prompt_template="{{query}}",
    )  # fmt: skip
    rng = random.Random(12)
    ratings = Rating.objects.filter(query__case=case).select_related("query")
    per_query: dict[int, int] = {}
    for rating in ratings.order_by("query__position", "doc_id"):
        per_query[rating.query_id] = per_query.get(rating.query_id, 0) + 1
        if per_query[rating.query_id] > 8:  # 8 pairs a query, every query
            continue
        pair = Pair.objects.create(
            book=book, query_text=rating.query.text, doc_id=rating.doc_id, doc_fields={}
        )
        grade = int(rating.rating)
        near = [grade, grade, grade, max(0, grade - 1), min(3, grade + 1)]
        books.record_judgement(pair, rater=ann, rating=rng.choice(near))
        books.record_judgement(pair, rater=bob, rating=rng.choice(near))
        high = min(3, grade + 1) if rng.random() < 0.35 else grade
        books.record_judgement(pair, judge=judge, rating=high)
    return case, book, judge


def _calibrate_in_the_browser(base, demo, page):
    from searchbench.cases import services

    case, book, judge = _judged_book(demo)
    services.take_snapshot(case, "description only")
    current = case.current_try()
    services.create_try(
        case,
        parent=current,
        query_template='{"query": "#$query##", "fields": ["title^3", "description"]}',
        field_spec=current.field_spec,
        endpoint=current.endpoint,
    )
    services.take_snapshot(case, "title boost")

    browser_sign_in(page, base, demo.username, demo.password)
    page.goto(f"{base}/books/{book.pk}/")
    page.wait_for_selector("#book-agreement")
    alpha = page.locator("#agreement-alpha td").all_inner_texts()
    assert alpha[0] == "all raters" and all(0 < float(a) <= 1 for a in alpha[1:])
    assert len(page.locator("#agreement-kappa tbody tr").all()) == 3  # ann, bob, small-llm
    page.locator("#book-agreement").scroll_into_view_if_needed()
    screenshot(page, "book-agreement")

    page.click("#calibration-links a")
    page.wait_for_selector("#confusion-heatmap")
    assert len(page.locator("#confusion-heatmap g.cell").all()) == 16
    bias = float(page.inner_text("#calibration-bias strong"))
    assert bias > 0  # the judge rates higher than the humans' consensus
    rows = page.locator(f"#effect-case-{case.pk} svg.effect-chart g.effect-row")
    assert rows.count() == 2  # one a try
    queries = page.locator(f"#effect-case-{case.pk} .effect-table tbody td:last-child")
    assert [int(n) for n in queries.all_inner_texts()] == [20, 20]  # the demo's 20 queries
    tau = page.inner_text(f"#effect-case-{case.pk} p.tau")
    assert "Kendall's τ between the tries' orders" in tau
    screenshot(page, "calibration", full_page=True)
