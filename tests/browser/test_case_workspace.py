"""The case page as a workspace in a real browser: paste 50 queries, page through the list, and
the header (case score, counts, sparkline) stays in view while the list scrolls.

Leaves screenshots case.png and case-scrolled.png (searchbench.testing.screenshot)."""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_pastes_queries_pages_through_them_and_keeps_the_header(live_server, demo, browser_page):
    from django.db import connections

    try:
        _workspace_in_the_browser(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _paste(page, lines: list[str]) -> None:
    page.fill("#query-add textarea[name=text]", "\n".join(lines))
    page.click("#query-add button[type=submit]")
    page.wait_for_selector("ul.messages")


def _workspace_in_the_browser(base, demo, page):
    from searchbench.cases.models import Query

    browser_sign_in(page, base, demo.username, demo.password)
    page.goto(f"{base}/cases/{demo.case_id}/")
    screenshot(page, "case")
    before = Query.objects.filter(case_id=demo.case_id).count()

    pasted = [f"pasted query {n:02d}" for n in range(50)]
    _paste(page, pasted[:25] + [""] + pasted[25:])
    assert "Added 50 queries." in page.inner_text("ul.messages")
    assert Query.objects.filter(case_id=demo.case_id).count() == before + 50
    page.fill("#id_q", "pasted query")
    page.click("#query-filter button[type=submit]")
    page.wait_for_url("**q=pasted+query**")
    listed = page.locator("#queries tr.query-row td:nth-child(2) a").all_inner_texts()
    assert listed == pasted
    assert page.inner_text("#query-count") == str(before + 50)

    # Past 100 queries the list pages; the header's count follows.
    _paste(page, [f"more query {n:02d}" for n in range(40)] + ["pasted query 00"])
    assert "Skipped 1 duplicate" in page.inner_text("ul.messages")
    total = before + 90
    assert page.locator("#queries tr.query-row").count() == 100
    assert f"of {total}" in page.inner_text("#query-pager")
    page.click("#query-page-next")
    page.wait_for_url("**page=2**")
    assert page.locator("#queries tr.query-row").count() == total - 100
    assert page.inner_text("#query-count") == str(total)
    page.select_option("#id_show", "unrated")  # applies at once (app.js)
    page.wait_for_url("**show=unrated**")
    assert page.locator("#queries tr.query-row:not(.unrated)").count() == 0

    # The header stays in view when the page scrolls to its end.
    page.goto(f"{base}/cases/{demo.case_id}/")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 500")
    box = page.evaluate(
        "(() => { const r = document.getElementById('case-head').getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom}; })()"
    )
    assert box["top"] == 0 and 0 < box["bottom"] < 300, box
    assert page.is_visible("#case-score .score") and page.is_visible("#case-head h1")
    screenshot(page, "case-scrolled")
