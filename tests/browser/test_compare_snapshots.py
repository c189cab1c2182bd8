"""Comparing two snapshots in a real browser: pick them on the compare page, see the case-level
delta with its test, and per query the docs side by side with titles and movements.

Leaves screenshots tries.png and compare.png.
"""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_compares_two_snapshots(live_server, demo, browser_page):
    from django.db import connections

    try:
        _compare_in_the_browser(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _compare_in_the_browser(base, demo, page):
    from searchbench.cases import services
    from searchbench.cases.models import Case

    case = Case.objects.get(pk=demo.case_id)
    first = services.take_snapshot(case, "description only")
    current = case.current_try()
    services.create_try(
        case,
        parent=current,
        query_template='{"query": "#$query##", "fields": ["title^3", "description"]}',
        field_spec=current.field_spec,
        endpoint=current.endpoint,
    )
    second = services.take_snapshot(case, "title boost")

    browser_sign_in(page, base, demo.username, demo.password)
    page.wait_for_selector("#case-table")

    page.goto(f"{base}/cases/{case.pk}/tries/")
    screenshot(page, "tries")
    page.click("#compare-link")
    page.select_option("#compare-a", f"snapshot-{first.pk}")
    page.select_option("#compare-b", f"snapshot-{second.pk}")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#compare-summary")

    assert page.inner_text("#compare-base th") == "snapshot “description only” (baseline)"
    assert page.inner_text("#compare-other th") == "snapshot “title boost”"
    delta = float(page.inner_text("#compare-other td.delta"))
    assert delta == pytest.approx(second.score - first.score, abs=1e-4)
    assert page.inner_text("#compare-other td.p-value") != ""
    # Biggest change first; docs side by side with titles, and somewhere a doc moved.
    deltas = [
        abs(float(x))
        for x in page.locator("#compare-queries tr.compare-query").evaluate_all(
            "rows => rows.map(r => r.dataset.delta)"
        )
    ]
    assert deltas == sorted(deltas, reverse=True) and deltas[0] > 0
    first_docs = page.locator("#compare-queries tr.compare-docs").first
    title = first_docs.locator("ol.docs-b li").first.inner_text()
    doc_id = first_docs.locator("ol.docs-b li").first.get_attribute("data-doc-id")
    assert title and doc_id and not title.startswith(doc_id)  # a title, not the bare id
    moves = set(page.locator("ol.docs-b li[data-move]").evaluate_all(
        "items => items.map(i => i.dataset.move)"
    ))  # fmt: skip
    assert moves - {"same"}
    screenshot(page, "compare")
