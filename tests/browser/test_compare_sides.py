"""Comparing three sides in a real browser: two snapshots and a try, picked on the compare page
(the "add a side" select), the summary with a row per side and the corrected p-values, the
per-query table with a column pair per side, then "why did this doc move" for a doc of a
snapshot and for a try (searched live, explain on). Both pages pass axe-core's WCAG 2.1 A/AA rules
(tests/browser/axe.py: no serious or critical violation).

Leaves screenshots compare-sides.png, compare-why-moved.png and compare-why-moved-try.png.
"""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot
from tests.browser import axe

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_compares_three_sides_and_explains_a_move(live_server, demo, browser_page):
    from django.db import connections

    try:
        _three_sides(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _three_sides(base, demo, page):
    from searchbench.cases import services
    from searchbench.cases.models import Case

    case = Case.objects.get(pk=demo.case_id)
    first = services.take_snapshot(case, "description only", explain=True)
    current = case.current_try()

    def new_try(name, fields):
        return services.create_try(
            case,
            parent=current,
            name=name,
            query_template='{"query": "#$query##", "fields": ' + fields + "}",
            field_spec=current.field_spec,
            endpoint=current.endpoint,
        )

    new_try("title boost", '["title^3", "description"]')
    second = services.take_snapshot(case, "title boost", explain=True)
    third = new_try("title only", '["title"]')
    services.run_case(case, try_=third)

    browser_sign_in(page, base, demo.username, demo.password)
    page.wait_for_selector("#case-table")
    page.goto(f"{base}/cases/{case.pk}/compare")
    page.select_option("#compare-a", f"snapshot-{first.pk}")
    page.select_option("#compare-b", f"snapshot-{second.pk}")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#compare-summary")
    # A third side through the "add a side" select the page offers.
    page.select_option("#compare-b2", f"try-{third.number}")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#compare-other-2")

    sides = page.locator("#compare-summary tr.compare-other").evaluate_all(
        "rows => rows.map(r => r.dataset.side)"
    )
    assert sides == [f"snapshot-{second.pk}", f"try-{third.number}"]
    assert "corrected as one family (holm)" in page.inner_text("main")
    for row in ("#compare-other", "#compare-other-2"):
        assert page.inner_text(f"{row} td.ci").startswith("[")
    # Biggest change of any side first; each query a score and delta per side.
    rows = page.locator("#compare-queries tr.compare-query")
    assert rows.first.locator("td.delta").count() == 2
    biggest = [abs(float(x)) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.delta)")]
    assert biggest == sorted(biggest, reverse=True) and biggest[0] > 0
    # The snapshot side lists its docs with movements; the try's side says runs keep no docs.
    docs = page.locator("#compare-queries tr.compare-docs").first
    assert docs.locator(f"ol[data-side='snapshot-{second.pk}'] li[data-move]").count() > 0
    assert "take a snapshot" in docs.locator(f"ol[data-side='try-{third.number}']").inner_text()
    screenshot(page, "compare-sides")
    assert axe.findings(page, "compare-sides")[0] == []  # no serious or critical violation

    # Why did this doc move: a doc of the second snapshot that moved against the first.
    moved = page.locator(
        f"ol[data-side='snapshot-{second.pk}'] li[data-move=up] a, "
        f"ol[data-side='snapshot-{second.pk}'] li[data-move=down] a"
    ).first
    moved.click()
    page.wait_for_selector("#moved-doc")
    place_a = page.inner_text("#moved-place-a")
    place_b = page.inner_text("#moved-place-b")
    assert "#" in place_a and "#" in place_b and place_a.split()[-2] != place_b.split()[-2]
    assert page.locator("#moved-fields tbody tr").count() > 0
    assert page.locator("#moved-clauses tbody tr").count() > 0
    assert "title" in page.inner_text("#moved-fields")  # the boost is on title
    screenshot(page, "compare-why-moved")
    assert axe.findings(page, "compare-why-moved")[0] == []

    # A try side: searched now with explain on, both rankings shown, a doc picked.
    page.go_back()
    page.locator("#compare-queries tr.compare-query").first.locator("td.delta a").nth(1).click()
    page.wait_for_selector("#moved-lists")
    assert page.locator("ol.docs-b li").count() > 0
    page.locator("ol.docs-b li a").first.click()
    page.wait_for_selector("#moved-doc")
    assert page.locator("#moved-place-b").inner_text().split()[-2].startswith("#")
    screenshot(page, "compare-why-moved-try")
