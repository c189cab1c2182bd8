"""The Content-Security-Policy breaks nothing: Chromium reports no violation on the pages a person
uses, the scripts still run (explain toggles load over fetch) and scores keep their colours."""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_violates_the_policy(live_server, demo, browser_page):
    from django.db import connections

    try:
        _visit(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _visit(base, demo, page):
    from searchbench.cases.models import Case

    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    browser_sign_in(page, base, demo.username, demo.password)
    page.wait_for_selector("#case-table")

    case = Case.objects.get(pk=demo.case_id)
    query = case.queries.first()
    for path in [
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/settings",
        f"/cases/{case.pk}/tries/new",
        f"/explain/cases/{case.pk}/queries/{query.pk}/",
        "/scorers/new",
        "/endpoints/",
        "/teams/",
        "/accounts/me/",
        "/accounts/password/change/",
    ]:
        page.goto(base + path)
        page.wait_for_load_state("load")

    page.goto(base + f"/cases/{case.pk}/queries/{query.pk}/")
    page.wait_for_selector("#results li.doc")
    # The query score's colour comes from app.css by its data-s step, not an inline style.
    colour = page.eval_on_selector(
        "#query-score .score", "el => getComputedStyle(el).backgroundColor"
    )
    assert colour not in ("", "rgba(0, 0, 0, 0)", "transparent")
    # explain.js (a static script) loads the breakdown over fetch when a toggle opens.
    page.click("#results li.doc >> nth=0 >> details.explain-toggle summary")
    page.wait_for_selector("#results li.doc >> nth=0 >> .explain-slot table, .explain-slot p")
    assert violations == []
