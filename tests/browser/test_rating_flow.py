"""A person's whole loop in a real browser: log in, open the demo case, rate a doc, see the score move.

Drives Debian's Chromium (apt-get install chromium) with Playwright against pytest-django's
live server. Leaves screenshots case-list.png and query.png.
"""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_rates_and_the_score_changes(live_server, demo, browser_page):
    from django.db import connections

    try:
        _rate_in_the_browser(live_server, demo, browser_page)
    finally:
        # Under Playwright's sync API the ORM runs in another context than pytest-django's, with
        # its own connection; close it or PostgreSQL cannot drop the test database afterwards.
        connections.close_all()


def _rate_in_the_browser(live_server, demo, page):
    from searchbench.cases.models import Rating, ScoreHistory

    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", demo.username)
    page.fill("#id_password", demo.password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#case-table")
    screenshot(page, "case-list")

    page.click("#case-table a:has-text('Demo: outdoor gear search')")
    page.wait_for_selector("#queries")
    listed_score = page.inner_text("#case-score .score")
    assert listed_score not in ("", "—")

    page.click("#queries tr.query-row >> nth=0 >> a")
    page.wait_for_selector("#results li.doc")
    first = page.locator("#results li.doc").first
    doc_id = first.get_attribute("data-doc-id")
    current = first.get_attribute("data-rating") or ""
    target = "0.0" if current in ("3.0", "2.0") else "3.0"
    before_query = page.inner_text("#query-score")
    before_case = page.inner_text("#case-score-value")
    history_before = ScoreHistory.objects.count()
    top_clauses = page.locator("#results li.doc .hot-matches").count()
    assert top_clauses  # the page's search explains its results

    first.locator(f"button.rate[value='{target}']").click()
    # The panel is swapped by fetch(); the chosen button of that doc shows the new rating.
    page.wait_for_selector(f"li.doc[data-doc-id='{doc_id}'][data-rating='{target}']")
    screenshot(page, "query")

    after_query = page.inner_text("#query-score")
    after_case = page.inner_text("#case-score-value")
    assert after_query != before_query
    assert after_case != before_case
    assert page.url.endswith("/")  # no navigation: the fragment came back over fetch
    # The rating's search asks for no explanations; the docs keep their top clauses anyway.
    assert page.locator("#results li.doc .hot-matches").count() == top_clauses
    assert Rating.objects.get(
        query__text=page.inner_text("h1.query-text"), doc_id=doc_id
    ).rating == float(target)
    assert ScoreHistory.objects.count() == history_before  # the newest row is updated in place
    latest = ScoreHistory.objects.first()
    assert latest.rated_at is not None
    assert f"{latest.score:.3f}" == after_case.strip()
