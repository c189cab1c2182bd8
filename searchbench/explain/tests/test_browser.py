"""Explain in a real browser: open a doc's breakdown in place, pick two docs, see why one is above.

Drives Debian's Chromium with Playwright against pytest-django's live server and the demo case.
Leaves screenshots explain-doc.png, explain-compare.png and explain-top.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from searchbench.testing import browser_page, browser_sign_in, screenshot

__all__ = ["browser_page"]  # the fixture, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(tmp_path))
    from searchbench.demo.setup import setup_demo

    return setup_demo(tmp_path, echo=lambda _line: None)


def test_it_explains_in_place_and_compares_two_picked_docs(
    live_server: Any, demo: Any, browser_page: Any
) -> None:
    from django.db import connections

    try:
        _explain_in_the_browser(live_server, demo, browser_page)
    finally:
        connections.close_all()  # Playwright's thread has its own connection (see test_rating_flow)


def _explain_in_the_browser(live_server: Any, demo: Any, page: Any) -> None:
    from searchbench.cases.models import Case

    browser_sign_in(page, live_server.url, demo.username, demo.password)
    case = Case.objects.get(pk=demo.case_id)
    query = case.queries.first()
    page.goto(f"{live_server.url}/cases/{case.pk}/queries/{query.pk}/")
    page.wait_for_selector("#results li.doc")

    first = page.locator("#results li.doc").first
    first.locator("details.explain-toggle summary").click()
    # fetched in place: the clause table appears inside the result row, no navigation
    first.locator("table.clause-table tr.clause").first.wait_for()
    assert page.url.endswith(f"/queries/{query.pk}/")
    screenshot(page, "explain-doc", full_page=True)

    picks = page.locator("input[data-explain-pick]")
    assert picks.count() >= 3
    for i in (2, 0, 1):  # a third pick drops the oldest (doc #3)
        picks.nth(i).check()
    assert [picks.nth(i).is_checked() for i in range(3)] == [True, True, False]
    page.click("[data-compare-button]")
    page.wait_for_selector("#compare-headline")
    assert page.inner_text("#compare-headline").startswith("#1 ")
    assert page.locator("#compare-table tbody tr").count() >= 1
    screenshot(page, "explain-compare", full_page=True)

    page.goto(f"{live_server.url}/explain/cases/{case.pk}/queries/{query.pk}/?n=5")
    assert page.locator("#clause-contributions svg rect").count() >= 1
    screenshot(page, "explain-top", full_page=True)
