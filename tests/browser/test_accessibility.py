"""The screens the workflow test does not pass through, checked as it checks its own: axe-core
(no serious or critical violation of WCAG 2.1 A/AA or axe's best practices) and a focus mark on
each of the first keyboard stops (tests/browser/axe.py). On the demo (its case has a run,
ratings, thumbnails and explanations), signed in as its user.
"""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo
from tests.browser import axe

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _screens(case_id: int) -> dict[str, str]:
    from urllib.parse import quote

    from searchbench.cases import services
    from searchbench.cases.models import Case, Scorer, SnapshotDoc
    from searchbench.indexes.models import LocalIndex

    case = Case.objects.get(pk=case_id)
    snapshot = services.take_snapshot(case, "before")
    query = case.queries.order_by("position").first()
    docs = SnapshotDoc.objects.filter(
        snapshot_query__snapshot=snapshot, snapshot_query__query=query
    )
    first, second = (d.doc_id for d in docs.order_by("position")[:2])
    # A custom scorer of the demo's user, so that its edit page is checked (the demo has none:
    # falling back to the new-scorer page checked that page twice and the edit page never).
    scorer, _ = Scorer.objects.get_or_create(
        name="a11y custom",
        defaults={"owner": case.owner, "scale": [0, 1], "code": "setScore(1);"},
    )
    index = LocalIndex.objects.first()
    at = f"/cases/{case.pk}"
    on_query = f"/explain/cases/{case.pk}/queries/{query.pk}"
    return {
        "case-list": "/",
        "case": f"{at}/",
        "query": f"{at}/queries/{query.pk}/",
        "history": f"{at}/history/",
        "try": f"{at}/tries/1/",
        "snapshot": f"{at}/snapshots/{snapshot.pk}/",
        "import": f"{at}/import",
        "explain-query": f"{on_query}/",
        "explain-doc": f"{on_query}/doc?doc={quote(first)}",
        "explain-compare": f"{on_query}/compare?doc={quote(first)}&doc={quote(second)}",
        "compare": f"{at}/compare?a=snapshot-{snapshot.pk}&b=try-1",
        "moved": f"{on_query}/moved?a=snapshot-{snapshot.pk}&b=try-1&doc={quote(first)}",
        "scorers": "/scorers/",
        "scorer-new": "/scorers/new",
        "scorer-edit": f"/scorers/{scorer.pk}/edit",
        "endpoints": "/endpoints/",
        "indexes": "/indexes/",
        "index": f"/indexes/{index.pk}/" if index else "/indexes/",
        "index-new": "/indexes/new",
        "books": "/books/",
        "book-new": "/books/new",
        "teams": "/teams/",
        "me": "/accounts/me/",
        "tokens": "/accounts/tokens/",
        "password": "/accounts/password/change/",
        # Not /api/v1/docs: that page is django-ninja's Swagger UI, its markup and colours not
        # ours (axe finds its summary buttons nested, low-contrast labels, no lang attribute).
    }


def test_the_other_screens_are_accessible(live_server, demo, browser_page):
    from django.db import connections

    try:
        problems, notes = _check(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py
    print("\naxe, moderate and minor:", *notes or ["none"], sep="\n  ")
    assert problems == [], "\n".join(problems)


def _check(base: str, demo, page) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    page.goto(base + "/accounts/login/")
    for name, path in [
        ("login", "/accounts/login/"),
        ("password-reset", "/accounts/password/reset/"),
    ]:
        page.goto(base + path)
        failing, others = axe.findings(page, name)
        problems += failing + axe.unmarked_focus(page, name)
        notes += others
    browser_sign_in(page, base, demo.username, demo.password)
    for name, path in _screens(demo.case_id).items():
        response = page.goto(base + path)
        assert response is not None and response.ok, (name, path, response and response.status)
        page.wait_for_load_state("networkidle")
        failing, others = axe.findings(page, name)
        problems += failing + axe.unmarked_focus(page, name)
        notes += others
    return problems, notes
