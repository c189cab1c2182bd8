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


@pytest.mark.django_db
def test_rating_buttons_say_what_they_do_and_whether_they_are_pressed(world):
    doc = _doc(_panel(world, world.q_tent), "t1")  # rated 1 under quepid:P@10 (0, 1)
    buttons = doc.select("form.rating button.rate")
    assert [b.attrs["aria-pressed"] for b in buttons[:2]] == ["false", "true"]
    assert buttons[1].attrs["aria-label"].startswith("Rate 1")
    assert doc.attrs["tabindex"] in ("0", "-1")


@pytest.mark.django_db
def test_rate_all_unrated_shown_rates_only_the_unrated_docs_shown(world):
    panel = _panel(world, world.q_boots)
    form = panel.one("form.rate-all")
    shown = {d.attrs["data-doc-id"] for d in panel.select("li.doc")}
    unrated = {d.attrs["data-doc-id"] for d in panel.select("li.doc") if not d.attrs["data-rating"]}
    assert {i.attrs["value"] for i in form.select("input[name=doc_id]")} == unrated
    assert unrated and "b1" not in unrated
    response = client_for(world.owner).post(
        query_url(world, world.q_boots, "cases:rate"),
        {"doc_id": sorted(unrated), "rating": "0"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200
    ratings = dict(Rating.objects.filter(query=world.q_boots).values_list("doc_id", "rating"))
    assert {d: ratings[d] for d in unrated} == dict.fromkeys(unrated, 0.0)
    assert ratings["b1"] == ratings["b2"] == 1.0  # the rated ones kept theirs
    after = parse(response.content).one("#query-panel")
    assert not after.select("form.rate-all")  # nothing unrated is shown any more
    assert shown == {d.attrs["data-doc-id"] for d in after.select("li.doc")}


@pytest.mark.django_db
def test_rate_all_is_all_or_nothing(world):
    response = client_for(world.owner).post(
        query_url(world, world.q_boots, "cases:rate"), {"doc_id": ["b3", " "], "rating": "1"}
    )
    assert response.status_code == 400
    assert not Rating.objects.filter(query=world.q_boots, doc_id="b3").exists()


@pytest.mark.django_db
def test_rated_but_not_returned_docs_are_listed_apart(world):
    Rating.objects.create(query=world.q_tent, doc_id="gone-1", rating=1)
    panel = _panel(world, world.q_tent)
    assert "gone-1" not in {d.attrs["data-doc-id"] for d in panel.select("#results li.doc")}
    missing = panel.select("#not-returned li")
    assert [m.attrs["data-doc-id"] for m in missing] == ["gone-1"]
    assert "1" in missing[0].one(".rated").text
    assert missing[0].one("form button.clear")  # a rating of a doc no longer returned can go


@pytest.mark.django_db
def test_a_reader_of_a_public_case_sees_no_old_scorer_query_score_either(world):
    services.run_case(world.case)  # P@10's per-query scores, stored in the history row
    services.take_snapshot(world.case, "before", user=world.owner)
    world.case.public = True
    world.case.scorer = Scorer.objects.get(name="nDCG@10")
    world.case.save()
    panel = _panel(world, world.q_boots, user=world.outsider)
    assert panel.one("#stored-results")
    assert not panel.select("#query-score span.score[data-s]")
    assert not panel.select("#case-score-value span.score[data-s]")
    assert "not scored with nDCG@10 yet" in panel.one("#case-score-value").text
    assert not panel.select("form.run-case")  # a reader cannot run it


@pytest.mark.django_db
def test_the_request_sent_to_the_engine_is_shown_for_debugging(world):
    raw = _panel(world, world.q_boots).one("details#raw-request")
    assert "red boots" in raw.one("pre.raw-sent").text
    assert "ms" in raw.one("summary").text


@pytest.mark.django_db
def test_the_stored_score_is_the_newest_runs_score_of_that_query(world):
    services.run_case(world.case)
    last = services.latest_history(world.case)
    for query in (world.q_boots, world.q_tent):
        stored = services.stored_query_result(world.case, query)
        assert stored.score == last.per_query.get(str(query.pk))
    assert stored.score is not None
