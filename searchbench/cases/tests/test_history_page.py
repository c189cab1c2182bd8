"""The history page (/cases/ID/history/): a chart of every run and the runs' table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_case_workspace import client_for, record_run


def runs(world, n: int, scorer=None) -> None:
    """n runs of the case, a minute apart, copies of one recorded run (with ``scorer``)."""
    from searchbench.cases.models import ScoreHistory

    row = record_run(world)
    if scorer is not None:
        ScoreHistory.objects.filter(pk=row.pk).update(scorer=scorer, scorer_name=scorer.name)
        row.refresh_from_db()
    start = row.created_at
    fields = [f.attname for f in row._meta.fields if f.attname != "id"]
    ScoreHistory.objects.bulk_create(
        ScoreHistory(**{name: getattr(row, name) for name in fields}) for _ in range(n - 1)
    )
    ids = ScoreHistory.objects.filter(case=world.case).order_by("id").values_list("pk", flat=True)
    for i, pk in enumerate(ids):
        ScoreHistory.objects.filter(pk=pk).update(created_at=start + timedelta(minutes=i))


def url(world) -> str:
    return reverse("cases:history", args=[world.case.pk])


@pytest.mark.django_db
@override_settings(SEARCHBENCH_HISTORY_KEEP_RUNS=0, SEARCHBENCH_HISTORY_KEEP_DAYS=0)
def test_the_chart_has_a_point_per_run_and_marks_the_scorer_change(world):
    from searchbench.cases.models import Scorer

    other = Scorer.objects.get(name="quepid:nDCG@10")
    runs(world, 3)
    runs(world, 1, scorer=other)
    page = parse(client_for(world.teammate).get(url(world)).content)
    dots = page.select("#history-chart svg.history-chart circle")
    assert len(dots) == 4
    changed = page.select("#history-chart svg.history-chart circle.changed")
    assert len(changed) == 1 and changed[0].attrs["data-changed"] == "scorer"
    assert "quepid:nDCG@10" in changed[0].one("title").text
    assert len(page.select("line.change-marker")) == 1
    title = dots[0].one("title").text
    assert "try 1 · quepid:P@10" in title and title.endswith("· run")


@pytest.mark.django_db
@override_settings(SEARCHBENCH_HISTORY_KEEP_RUNS=0, SEARCHBENCH_HISTORY_KEEP_DAYS=0)
def test_the_table_is_paged_by_50_and_the_sparkline_links_here(world):
    runs(world, 120)
    client = client_for(world.owner)
    first = parse(client.get(url(world)).content)
    assert len(first.select("#history tr.history-row")) == 50
    assert len(first.select("svg.history-chart circle")) == 120
    last = parse(client.get(url(world), {"page": 3}).content)
    assert len(last.select("#history tr.history-row")) == 20
    head = parse(client.get(reverse("cases:detail", args=[world.case.pk])).content)
    assert head.one("#history-sparkline a.sparkline-link").attrs["href"] == url(world)


@pytest.mark.django_db
def test_an_outsider_gets_404(world):
    record_run(world)
    assert client_for(world.outsider).get(url(world)).status_code == 404


@pytest.mark.django_db
@override_settings(SEARCHBENCH_HISTORY_KEEP_RUNS=0, SEARCHBENCH_HISTORY_KEEP_DAYS=0)
def test_the_statements_do_not_grow_with_the_runs(world):
    client = client_for(world.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world)).status_code == 200
        return len(ctx.captured_queries)

    runs(world, 10)
    ten = count()
    runs(world, 490)
    assert count() == ten
