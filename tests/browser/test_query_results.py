"""The query page's results in a real browser: compact rows and keyboard rating.

Drives Debian's Chromium with Playwright against pytest-django's live server, on the demo case
(its field spec has a thumbnail and four sub fields, ten rows a query). Screenshots go to
/tmp/searchbench-browser-results*.png for a human look.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.testing import browser_page, demo

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
MAX_ROW_PX = 80
SCREENSHOT = Path("/tmp/searchbench-browser-results.png")


@pytest.fixture
def query_page(live_server, demo, browser_page):
    """The first query of the demo case, signed in as the demo user, on a laptop's screen."""
    from django.db import connections

    page = browser_page
    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", demo.username)
    page.fill("#id_password", demo.password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#case-table")
    page.click("#case-table a:has-text('Demo: outdoor gear search')")
    page.wait_for_selector("#queries")
    page.click("#queries tr.query-row >> nth=0 >> a")
    page.wait_for_selector("#results li.doc")
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
    page.screenshot(path=str(SCREENSHOT))
    assert max(heights) <= MAX_ROW_PX, heights
    # Scrolled to the first result, eight or more rows are whole on the screen.
    page.locator("#results li.doc").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    top = page.locator("#results li.doc").first.bounding_box()["y"]
    whole = [b for b in boxes if b["y"] - boxes[0]["y"] + top + b["height"] <= LAPTOP["height"]]
    assert len(whole) >= 8, heights
    # The rating control sits at the same place on every row.
    lefts = {round(f.bounding_box()["x"]) for f in page.locator("#results form.rating").all()}
    assert len(lefts) == 1, lefts
    page.screenshot(path=str(SCREENSHOT))
