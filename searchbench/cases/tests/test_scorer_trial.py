"""The scorer editor: a new scorer starts from an example; "test on this query" runs the code in
the form on one query by the path a run takes, and shows the score or the error at its line."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import SCORER_POST, client_for

TEST_URL = "cases:scorer_test"


def trial(world, user, code: str, query=None):
    query = query or world.q_boots
    return client_for(user).post(
        reverse(TEST_URL), {**SCORER_POST, "code": code, "trial_query": str(query.pk)}
    )


@pytest.mark.django_db
def test_a_new_scorer_starts_from_the_example_and_offers_the_queries(world):
    from searchbench.cases.scorer_trial import EXAMPLE

    page = parse(client_for(world.owner).get(reverse("cases:scorer_new")).content)
    assert page.one("#id_code").text == " ".join(EXAMPLE.split())  # the parser folds spaces
    options = [o.attrs["value"] for o in page.select("#id_trial_query option")]
    assert str(world.q_boots.pk) in options and str(world.q_tent.pk) in options
    button = page.one("#scorer-test")
    assert button.attrs["formaction"] == reverse(TEST_URL)
    assert page.one("#scorer-form").attrs["action"] == reverse("cases:scorer_new")


@pytest.mark.django_db
def test_a_syntax_error_is_shown_at_its_line(world):
    code = "var s = 0;\nvar t = 1;\nsetScore(s +);\n"
    page = parse(trial(world, world.owner, code).content)
    assert "line 3" in page.one("#trial-error").text
    lines = page.select("#trial-listing li")
    assert len(lines) == 3
    assert lines[2].attrs.get("id") == "error-line" and "setScore(s +)" in lines[2].text
    assert page.one("#id_code").text.startswith("var s = 0;")  # the code comes back as typed


@pytest.mark.django_db
def test_a_runtime_error_shows_its_message(world):
    code = "var nothing = null;\nsetScore(nothing.length);"
    page = parse(trial(world, world.owner, code).content)
    error = page.one("#trial-error").text
    assert "TypeError" in error and "line 2" in error
    assert "nothing.length" in page.one("#error-line").text


@pytest.mark.django_db
def test_a_good_scorer_shows_what_a_run_gives_for_that_query(world):
    from searchbench.cases import services
    from searchbench.cases.models import Scorer
    from searchbench.cases.scorer_trial import EXAMPLE

    page = parse(trial(world, world.teammate, EXAMPLE).content)
    shown = page.one("#trial-score").text
    assert page.select("#trial-error") == []
    custom = Scorer.objects.create(
        name="ap-example", kind=Scorer.Kind.CUSTOM, scale=[0, 1], code=EXAMPLE, owner=world.owner
    )
    world.case.scorer = custom
    world.case.save()
    run = services.run_case(world.case)
    expected = run.result.per_query()[str(world.q_boots.pk)]
    assert 0 < expected <= 1
    assert shown == f"{expected:.4f}"


@pytest.mark.django_db
def test_an_outsider_cannot_test_on_a_case_they_cannot_read(world):
    assert trial(world, world.outsider, "setScore(1);").status_code == 404
    assert trial(world, world.owner, "setScore(1);").status_code == 200


@pytest.mark.django_db
def test_the_test_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    response = client.post(reverse(TEST_URL), {**SCORER_POST, "trial_query": str(world.q_boots.pk)})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_reader_of_a_public_case_may_not_search_through_it(world):
    world.case.public = True
    world.case.save()
    assert trial(world, world.outsider, "setScore(1);").status_code == 403
    page = parse(client_for(world.outsider).get(reverse("cases:scorer_new")).content)
    assert page.select("#id_trial_query") == []  # not offered either
