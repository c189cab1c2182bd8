"""The query list's sorts by last change (last rated) and by the change since the previous try."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_case_workspace import FakeRun, listed
from searchbench.cases.tests.test_views import client_for


def record(world, try_, scores_by_text: dict[str, float], errors=()):
    from searchbench.cases import history

    ids = dict(world.case.queries.values_list("text", "pk"))
    scores = {str(ids[t]): s for t, s in scores_by_text.items() if t not in errors}
    failed = {str(ids[t]): "engine said no" for t in errors}
    return history.record(world.case, try_, world.case.scorer, FakeRun(scores, failed), None, "run")


def second_try(world):
    from searchbench.cases import services

    return services.create_try(
        world.case, parent=world.try_, query_template=world.try_.query_template,
        endpoint=world.endpoint,
    )  # fmt: skip


@pytest.fixture
def four(world):
    from searchbench.cases import services

    services.add_queries(world.case, [{"text": "socks"}, {"text": "jacket"}])
    return world


@pytest.mark.django_db
def test_it_sorts_by_the_change_since_the_previous_try(four):
    world = four
    record(world, world.try_, {"red boots": 0.5, "tent": 0.5, "socks": 0.2, "jacket": 0.9})
    later = second_try(world)
    # A run of the same try in between does not count as "the previous try".
    record(world, later, {"red boots": 0.1, "tent": 0.5, "socks": 0.6, "jacket": 0.0})
    record(
        world, later, {"red boots": 0.2, "tent": 0.5, "socks": 0.7, "jacket": 0.0},
        errors=("jacket",),
    )  # fmt: skip
    client = client_for(world.owner)
    # Drops first: boots -0.3, tent 0, socks +0.5; jacket failed now: no change, last.
    assert listed(client, world.case, sort="change") == ["red boots", "tent", "socks", "jacket"]
    assert listed(client, world.case, sort="-change") == ["socks", "tent", "red boots", "jacket"]
    page = parse(
        client.get(reverse("cases:detail", args=[world.case.pk]), {"sort": "change"}).content
    )
    shown = {r.select("td a")[0].text: r for r in page.select("#queries tr.query-row")}
    assert shown["red boots"].one("small.change.down").text == "▼ -0.300"
    assert shown["socks"].one("small.change.up").text == "▲ +0.500"
    assert shown["tent"].one("small.change").text == "± 0.000"
    assert shown["jacket"].select("small.change") == []


@pytest.mark.django_db
def test_without_a_previous_try_the_change_sort_keeps_the_order(four):
    world = four
    record(world, world.try_, {"red boots": 0.5, "tent": 0.1, "socks": 0.2, "jacket": 0.9})
    client = client_for(world.owner)
    assert listed(client, world.case, sort="change") == listed(client, world.case)


@pytest.mark.django_db
def test_another_scorers_run_is_not_the_previous_try(four):
    from searchbench.cases.models import ScoreHistory

    world = four
    record(world, world.try_, {"red boots": 0.9, "tent": 0.1, "socks": 0.2, "jacket": 0.9})
    ScoreHistory.objects.update(scorer_name="nDCG@10")
    record(world, second_try(world), {"red boots": 0.1, "tent": 0.5, "socks": 0.2, "jacket": 0.0})
    page = parse(
        client_for(world.owner)
        .get(reverse("cases:detail", args=[world.case.pk]), {"sort": "change"})
        .content
    )
    assert page.select("#queries small.change") == []


@pytest.mark.django_db
def test_it_sorts_by_last_rated_with_never_rated_last(four):
    from searchbench.cases.models import Rating

    world = four
    socks = world.case.queries.get(text="socks")
    Rating.objects.create(query=socks, doc_id="s1", rating=1)
    now = timezone.now()
    Rating.objects.filter(query=world.q_tent).update(rated_at=now - timedelta(days=2))
    Rating.objects.filter(query=world.q_boots).update(rated_at=now - timedelta(days=1))
    Rating.objects.filter(query=socks).update(rated_at=now)
    client = client_for(world.owner)
    assert listed(client, world.case, sort="changed") == ["socks", "red boots", "tent", "jacket"]
    page = parse(
        client.get(reverse("cases:detail", args=[world.case.pk]), {"sort": "changed"}).content
    )
    assert page.select("#queries tr.query-row small.last-rated")[0].text == f"{now:%Y-%m-%d %H:%M}"
    assert len(page.select("#queries small.last-rated")) == 3  # jacket: never rated


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["changed", "change", "-change"])
def test_the_new_sorts_cost_the_same_sql_for_10_or_300_queries(world, sort):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from searchbench.cases.tests.test_case_workspace import grow

    client = client_for(world.owner)
    url = reverse("cases:detail", args=[world.case.pk])
    counted = []
    for more in (8, 290):
        grow(world, more)
        record(world, second_try(world), {})
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"sort": sort}).status_code == 200
        counted.append(len(captured))
    assert counted[0] == counted[1], counted
