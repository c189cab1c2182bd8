"""The query page's results in a real browser: compact rows and keyboard rating.

Drives Debian's Chromium with Playwright against pytest-django's live server, on the demo case
(its field spec has a thumbnail and four sub fields, ten rows a query). Leaves screenshots
query-results.png and query-results-keyboard.png.
"""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
MAX_ROW_PX = 80


@pytest.fixture
def query_page(live_server, demo, browser_page):
    """The first query of the demo case, signed in as the demo user, on a laptop's screen."""
    from django.db import connections

    page = browser_page
    page.set_viewport_size(LAPTOP)
    browser_sign_in(page, live_server.url, demo.username, demo.password)
    page.wait_for_selector("#case-table")
    page.click("#case-table a:has-text('Demo: outdoor gear search')")
    page.wait_for_selector("#queries")
    page.click("#queries tr.query-row >> nth=0 >> a")
    page.wait_for_selector("#results li.doc")
    page.wait_for_load_state("load")  # the keys are a deferred script's: let it run first
    try:
        yield page
    finally:
        # Playwright's sync API runs the ORM on its own connection; close it so PostgreSQL can
        # drop the test database.
        connections.close_all()


def test_at_least_eight_compact_rows_fit_a_laptop_screen(query_page):
    page = query_page
    boxes = [row.bounding_box() for row in page.locator("#results li.doc").all()]
    assert len(boxes) >= 8
    heights = [round(b["height"]) for b in boxes]
    assert max(heights) <= MAX_ROW_PX, heights
    # Scrolled to the first result, eight or more rows are whole on the screen.
    page.locator("#results li.doc").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    top = page.locator("#results li.doc").first.bounding_box()["y"]
    whole = [b for b in boxes if b["y"] - boxes[0]["y"] + top + b["height"] <= LAPTOP["height"]]
    assert len(whole) >= 8, heights
    # The rating control sits at the same place on every row.
    lefts = {round(f.bounding_box()["x"]) for f in page.locator("#results form.rating").all()}
    assert len(lefts) == 1, lefts
    screenshot(page, "query-results")


def test_keyboard_rating_rates_the_focused_doc_and_both_scores_change(query_page):
    from searchbench.cases.models import Rating

    page = query_page
    query_text = page.inner_text("h1.query-text")
    first = page.locator("#results li.doc").first
    doc_id = first.get_attribute("data-doc-id")
    target = "0.0" if (first.get_attribute("data-rating") or "") in ("2.0", "3.0") else "3.0"
    digit = str(int(float(target)))  # the demo's scale is 0, 1, 2, 3: digit n is the nth value
    before_query = page.inner_text("#query-score")
    before_case = page.inner_text("#case-score-value")

    page.keyboard.press("j")  # nothing focused yet: j focuses the first result
    assert page.evaluate("document.activeElement.dataset.docId") == doc_id
    outline = first.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # the focused result is visible
    page.keyboard.press(digit)
    page.wait_for_selector(f"#results li.doc[data-doc-id='{doc_id}'][data-rating='{target}']")
    assert Rating.objects.get(query__text=query_text, doc_id=doc_id).rating == float(target)
    assert page.inner_text("#query-score") != before_query
    assert page.inner_text("#case-score-value") != before_case
    pressed = page.locator(f"#results li.doc[data-doc-id='{doc_id}'] button[aria-pressed=true]")
    assert pressed.get_attribute("value") == target
    # The focus stays on the rated doc in the new panel; j moves it down, k back up.
    assert page.evaluate("document.activeElement.dataset.docId") == doc_id
    page.keyboard.press("ArrowDown")
    second = page.locator("#results li.doc").nth(1).get_attribute("data-doc-id")
    assert page.evaluate("document.activeElement.dataset.docId") == second
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.docId") == doc_id
    screenshot(page, "query-results-keyboard")

    page.keyboard.press("x")  # clears it
    page.wait_for_selector(f"#results li.doc[data-doc-id='{doc_id}'][data-rating='']")
    assert not Rating.objects.filter(query__text=query_text, doc_id=doc_id).exists()


def test_rate_all_unrated_shown_in_the_browser(query_page):
    from searchbench.cases.models import Rating

    page = query_page
    query_text = page.inner_text("h1.query-text")
    unrated = page.locator("#results li.doc[data-rating='']")
    ids = [row.get_attribute("data-doc-id") for row in unrated.all()]
    assert ids  # the demo leaves some results of its first query unrated
    page.click("form.rate-all button[value='1.0']")
    page.wait_for_selector("form.rate-all", state="detached")
    stored = dict(
        Rating.objects.filter(query__text=query_text, doc_id__in=ids).values_list(
            "doc_id", "rating"
        )
    )
    assert stored == dict.fromkeys(ids, 1.0)
