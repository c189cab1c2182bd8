"""The API's docs page works in a real browser on a closed network: Swagger UI from the app's own
static files renders the operations under the app's Content-Security-Policy, and "Try it out"
answers with the signed-in session (the CSRF header included on a write)."""

from __future__ import annotations

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_and_calls_the_api(live_server, demo, browser_page):
    from django.db import connections

    try:
        _docs(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _docs(base, demo, page):
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if "Content Security Policy" in msg.text
            or (msg.type == "error" and "Failed to load resource" not in msg.text)
            else None
        ),
    )
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    browser_sign_in(page, base, demo.username, demo.password)
    page.wait_for_selector("#case-table")

    page.goto(base + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "searchbench API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("#operations-cases-list_cases")
    # Try it out: GET /cases with the session.
    page.click("#operations-cases-list_cases .opblock-summary")
    page.click("#operations-cases-list_cases .try-out__btn")
    page.click("#operations-cases-list_cases .execute")
    page.wait_for_selector(
        "#operations-cases-list_cases .live-responses-table .response-col_status"
    )
    status = page.inner_text(
        "#operations-cases-list_cases .live-responses-table tbody .response-col_status"
    )
    assert status.strip().startswith("200")
    screenshot(page, "api-docs")
    assert [u for u in outside if not u.startswith("data:")] == []
    assert problems == [], problems
    assert [u for u in failed if not u.endswith("/favicon.ico")] == []  # the browser's own ask
