"""The try form's curator variables as sliders (issue #11: "curator variables with sliders"):
moved from the keyboard, they rewrite the JSON the form posts, and the new try has the value.
Leaves the screenshot try-sliders.png."""

from __future__ import annotations

import json

import pytest

from searchbench.testing import browser_page, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_slider_sets_a_curator_variable_of_the_next_try(live_server, demo, browser_page):
    from django.db import connections

    try:
        _slide(live_server, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow: Playwright's thread has its own


def _slide(live_server, demo, page):
    from searchbench.cases.models import Case

    case = Case.objects.get(pk=demo.case_id)
    current = case.current_try()
    current.curator_vars = {"boost": "2", "fuzz": 0.5, "field": "title"}
    current.save()

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", demo.username)
    page.fill("#id_password", demo.password)
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_server.url}/cases/{case.pk}/tries/new")
    page.wait_for_selector("#curator-sliders input[type=range]")
    # One slider a numeric variable, none for the text one; each has its label.
    names = page.eval_on_selector_all(
        "#curator-sliders input[type=range]", "els => els.map(e => e.dataset.name)"
    )
    assert sorted(names) == ["boost", "fuzz"]  # (PostgreSQL's jsonb keeps no key order)
    assert page.inner_text("label[for=curator-boost]") == "boost"

    page.focus("#curator-boost")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.focus("#curator-fuzz")
    page.keyboard.press("ArrowLeft")
    posted = json.loads(page.input_value("#id_curator_vars"))
    assert posted == {"boost": "5", "fuzz": 0.4, "field": "title"}  # strings stay strings
    assert page.inner_text("output[for=curator-boost]") == "5"
    screenshot(page, "try-sliders")

    # Typing in the JSON rebuilds the sliders.
    page.fill("#id_curator_vars", json.dumps({"boost": "5", "k": 7}))
    page.dispatch_event("#id_curator_vars", "input")
    assert page.eval_on_selector_all(
        "#curator-sliders input[type=range]", "els => els.map(e => e.dataset.name)"
    ) == ["boost", "k"]
    page.fill("#id_curator_vars", json.dumps(posted))
    page.click("#try-form button[type=submit]")
    page.wait_for_url(f"**/cases/{case.pk}/**")
    newest = case.tries.order_by("-number").first()
    assert newest.number == current.number + 1
    assert newest.curator_vars == {"boost": "5", "fuzz": 0.4, "field": "title"}
