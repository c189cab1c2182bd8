"""The case page's list in a real browser: keys move between queries, Enter shows a query's
results in place, digits rate there (the query page's keys) and the query's badge and the case
score change without a reload; Esc goes back to the list, Enter hides the results; ↑ moves a
query in the case's order.

Leaves screenshots case-list-expanded.png and case-list-rated.png."""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keys_expand_a_query_in_the_list_and_rate_it(live_server, demo, browser_page):
    from django.db import connections

    try:
        _list_in_the_browser(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _focused_query(page) -> str:
    return page.evaluate("document.activeElement.dataset.queryId || ''")


def _list_in_the_browser(base, demo, page):
    from searchbench.cases import services
    from searchbench.cases.models import Case, Query, Rating, ScoreHistory

    # A second run, so the header shows the change since the previous one (it follows ratings).
    services.run_case(Case.objects.get(pk=demo.case_id))
    previous = ScoreHistory.objects.first().score
    browser_sign_in(page, base, demo.username, demo.password)
    page.goto(f"{base}/cases/{demo.case_id}/")
    assert page.inner_text("#score-change").strip() == "± 0.000"
    rows = page.locator("#queries tr.query-row")
    ids = [rows.nth(i).get_attribute("data-query-id") for i in range(3)]

    # j/k and the arrows move the focus between queries.
    page.keyboard.press("j")
    assert _focused_query(page) == ids[0]
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    assert _focused_query(page) == ids[2]
    page.keyboard.press("k")
    assert _focused_query(page) == ids[1]

    # Enter shows its results under its row; the first result takes the focus.
    page.keyboard.press("Enter")
    page.wait_for_selector("#queries tr.query-expansion #results li.doc")
    assert page.locator("tr.query-expansion").count() == 1
    assert rows.nth(1).locator("button.expand").get_attribute("aria-expanded") == "true"
    page.wait_for_function("document.activeElement.matches('#results li.doc')")
    screenshot(page, "case-list-expanded")

    # A digit rates the focused result, as on the query page: the scale's value, one request.
    doc = page.locator("#results li.doc").first
    doc_id = doc.get_attribute("data-doc-id")
    current = doc.get_attribute("data-rating") or ""
    key, value = ("0", "0.0") if current in ("3.0", "2.0", "1.0") else ("3", "3.0")
    history_before = ScoreHistory.objects.count()
    before_row = page.inner_text(f"#q-{ids[1]} td.query-score")
    before_case = page.inner_text("#case-score .score")
    page.keyboard.press(key)
    page.wait_for_selector(f"#results li.doc[data-doc-id='{doc_id}'][data-rating='{value}']")
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old",
        arg=[f"#q-{ids[1]} td.query-score", before_row],
    )
    page.wait_for_function(
        "old => document.querySelector('#case-score .score').innerText !== old", arg=before_case
    )
    assert Rating.objects.get(query_id=int(ids[1]), doc_id=doc_id).rating == float(value)
    assert ScoreHistory.objects.count() == history_before  # folded into the newest row
    latest = ScoreHistory.objects.first()
    assert page.inner_text("#case-score .score").strip() == f"{latest.score:.3f}"
    assert page.inner_text(f"#q-{ids[1]} td.query-score").strip() == (
        f"{latest.per_query[ids[1]]:.3f}"
    )
    change = round(latest.score - previous, 3)
    sign = "▲ +" if change > 0 else "▼ " if change < 0 else "± "
    assert page.inner_text("#score-change").strip() == f"{sign}{change:.3f}"
    assert page.url.endswith(f"/cases/{demo.case_id}/")  # no navigation
    screenshot(page, "case-list-rated")

    # j moves between results there; Esc goes back to the query, Enter hides its results.
    page.keyboard.press("j")
    page.wait_for_function("document.activeElement.matches('#results li.doc')")
    page.keyboard.press("Escape")
    assert _focused_query(page) == ids[1]
    page.keyboard.press("Enter")
    assert page.locator("tr.query-expansion").count() == 0
    page.keyboard.press("j")
    assert _focused_query(page) == ids[2]

    # ↑ moves the third query above the second, on the page and in the case's order.
    page.locator(f"#q-{ids[2]} form.move button[value=up]").click()
    page.wait_for_function(
        "id => document.querySelectorAll('#queries tr.query-row')[1].dataset.queryId === id",
        arg=ids[2],
    )
    order = list(
        Query.objects.filter(case_id=demo.case_id)
        .order_by("position", "pk")
        .values_list("pk", flat=True)[:3]
    )
    assert [str(pk) for pk in order] == [ids[0], ids[2], ids[1]]
