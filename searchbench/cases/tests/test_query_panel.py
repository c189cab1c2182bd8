"""The query page's results panel: what the rating control shows and which score it shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import Rating, Scorer
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for, query_url
from searchbench.jobs.models import Job


def _panel(world, query, user=None):
    response = client_for(user or world.owner).get(query_url(world, query))
    assert response.status_code == 200
    return parse(response.content).one("#query-panel")


def _doc(panel, doc_id):
    return next(d for d in panel.select("li.doc") if d.attrs["data-doc-id"] == doc_id)


@pytest.mark.django_db
def test_a_rating_off_the_scorers_scale_is_shown_as_it_is_stored(world):
    # Rated 3 under a graded scorer, then the case moved to a binary one (0, 1).
    Rating.objects.filter(query=world.q_tent, doc_id="t1").update(rating=3)
    doc = _doc(_panel(world, world.q_tent), "t1")
    assert not [b for b in doc.select("form.rating button.rate") if "chosen" in b.classes]
    off = doc.one("form.rating .off-scale")
    assert off.text == "3"
    assert "not on" in off.attrs["title"] and "quepid:P@10" in off.attrs["title"]
    assert doc.attrs["data-rating"] == "3.0"


@pytest.mark.django_db
def test_the_clear_button_keeps_its_place_on_an_unrated_doc(world):
    panel = _panel(world, world.q_boots)
    rated, unrated = _doc(panel, "b1"), _doc(panel, "b3")
    assert not rated.one("button.clear").attrs.get("disabled")
    clear = unrated.one("button.clear")  # there, but unusable and invisible
    assert "disabled" in clear.attrs and "vacant" in clear.classes


@pytest.mark.django_db
def test_the_case_score_of_another_scorer_is_not_shown_under_the_new_name(world):
    services.run_case(world.case)  # scored with quepid:P@10
    world.case.scorer = Scorer.objects.get(name="nDCG@10")
    world.case.save()
    panel = _panel(world, world.q_boots)
    case_score = panel.one("#case-score-value")
    assert not case_score.select("span.score[data-s]")
    assert "not scored with nDCG@10 yet" in case_score.text
    assert panel.one("form.run-case button").text.startswith("Run")
    # The query's own score is searched and scored now, with the case's scorer.
    assert panel.one("#query-score span.score[data-s]")


@pytest.mark.django_db
def test_changing_the_scorer_in_the_settings_starts_a_run_with_it(world):
    services.run_case(world.case)
    ndcg = Scorer.objects.get(name="nDCG@10")
    response = client_for(world.owner).post(
        reverse("cases:settings", args=[world.case.pk]),
        {"name": world.case.name, "scorer": ndcg.pk, "teams": [world.team.pk], "options": "{}"},
    )
    assert response.status_code == 302
    job = Job.objects.filter(case=world.case, kind=Job.Kind.RUN).latest("pk")
    assert job.scorer_id == ndcg.pk
    # The workers ran it (synchronously in the tests): the newest history row is nDCG@10's.
    assert world.case.score_history.first().scorer_name == "nDCG@10"
    assert _panel(world, world.q_boots).one("#case-score-value span.score[data-s]")
