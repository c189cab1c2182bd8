"""Score history: one row per run, retention (cases/history.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from searchbench.cases import history, services
from searchbench.cases.models import ScoreHistory


@dataclass
class FakeRun:
    score: float
    scores: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def per_query(self) -> dict[str, float]:
        return self.scores


def _record(world, score: float, *, days_ago: int = 0) -> ScoreHistory:
    run = FakeRun(score, {str(world.q_boots.pk): score}, {str(world.q_tent.pk): "engine down"})
    row = services.record_run(world.case, world.try_, world.case.scorer, run, None, "schedule")
    if days_ago:
        ScoreHistory.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return row


@pytest.mark.django_db
def test_record_run_writes_one_row_with_the_queries_packed(world):
    row = _record(world, 0.25)
    row = ScoreHistory.objects.get(pk=row.pk)  # as read back from the database
    assert (row.score, row.run_score, row.trigger, row.scorer_name) == (
        0.25,
        0.25,
        "schedule",
        "quepid:P@10",
    )
    assert row.per_query == {str(world.q_boots.pk): 0.25}
    assert row.errors == {str(world.q_tent.pk): "engine down"}
    assert (row.num_queries, row.num_errors, row.created_by) == (2, 1, None)


@pytest.mark.django_db
def test_record_run_refuses_an_unknown_trigger(world):
    with pytest.raises(ValueError, match="unknown trigger 'rating'"):
        services.record_run(world.case, world.try_, world.case.scorer, FakeRun(0.0), None, "rating")


@pytest.mark.django_db
def test_retention_by_count_keeps_the_newest_runs(world, settings):
    settings.SEARCHBENCH_HISTORY_KEEP_RUNS = 3
    rows = [_record(world, i / 10) for i in range(5)]
    kept = ScoreHistory.objects.filter(case=world.case).order_by("created_at", "id")
    assert [r.pk for r in kept] == [r.pk for r in rows[2:]]


@pytest.mark.django_db
def test_retention_by_age_keeps_young_runs_and_always_the_newest(world, settings):
    settings.SEARCHBENCH_HISTORY_KEEP_DAYS = 30
    _record(world, 0.1, days_ago=90)
    stale_newest = _record(world, 0.2, days_ago=60)  # the newest row, though 60 days old
    history.prune(world.case)
    assert list(ScoreHistory.objects.values_list("pk", flat=True)) == [stale_newest.pk]
    young = _record(world, 0.3)
    assert list(ScoreHistory.objects.values_list("pk", flat=True)) == [young.pk]


@pytest.mark.django_db
def test_retention_keeps_a_run_that_either_rule_keeps(world, settings):
    settings.SEARCHBENCH_HISTORY_KEEP_RUNS = 1
    settings.SEARCHBENCH_HISTORY_KEEP_DAYS = 7
    recent = _record(world, 0.1, days_ago=2)  # beyond the newest 1, but younger than 7 days
    _record(world, 0.2, days_ago=20)
    newest = _record(world, 0.3)
    assert {r.pk for r in ScoreHistory.objects.all()} == {recent.pk, newest.pk}


@pytest.mark.django_db
def test_retention_off_keeps_everything(world):
    for i in range(4):
        _record(world, i / 10, days_ago=400)
    assert history.prune() == 0 and ScoreHistory.objects.count() == 4


@pytest.mark.django_db
def test_prune_history_command_prunes_every_case(world, settings, capsys):
    for i in range(3):
        _record(world, i / 10)
    call_command("prune_history")
    assert "retention is off" in capsys.readouterr().out
    settings.SEARCHBENCH_HISTORY_KEEP_RUNS = 1
    call_command("prune_history")
    assert "deleted 2 score-history runs" in capsys.readouterr().out
    assert ScoreHistory.objects.count() == 1


@pytest.mark.django_db
def test_the_series_reads_every_run_oldest_first(world):
    for i in range(4):
        _record(world, i / 10)
    points = history.series(world.case)
    assert [p.score for p in points] == [0.0, 0.1, 0.2, 0.3]
    assert [p.score for p in history.series(world.case, limit=2)] == [0.2, 0.3]
    assert points[0].try_number == world.try_.number and points[0].rated_at is None


@pytest.mark.django_db
def test_the_case_page_shows_one_row_per_run_and_marks_ratings_since(world):
    import json

    from django.urls import reverse

    from searchbench.cases.tests.htmlquery import parse
    from searchbench.cases.tests.test_views import client_for

    client = client_for(world.owner)
    url = reverse("cases:detail", args=[world.case.pk])
    services.run_case(world.case)
    assert parse(client.get(url).content).one("#history-sparkline").children == []  # one run
    first = services.run_case(world.case)
    for grade in (0, 1, 0):
        services.rate_doc(world.q_tent, "t1", grade)
        services.rescore_query(world.case, world.q_tent)
    page = parse(client.get(url).content)
    rows = page.select("#history tr.history-row")
    assert len(rows) == 2  # two runs; the three ratings added none
    newest = rows[0].select("td")
    assert newest[3].one("small.rated").text == f"rated; run {first.score:.3f}"
    assert newest[3].one("span.score").text == f"{services.latest_history(world.case).score:.3f}"
    assert rows[1].select("small.rated") == []
    chart = page.one("#history-sparkline svg.sparkline")
    series = json.loads(chart.attrs["data-series"])
    assert [score for _at, score in series] == [
        pytest.approx(p.score, abs=1e-6) for p in history.series(world.case)
    ]
    assert len(chart.one("polyline").attrs["points"].split()) == 2


@pytest.mark.django_db
def test_history_rows_open_in_the_admin(world):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from searchbench.cases.tests.test_views import client_for

    row = _record(world, 0.5)
    staff = client_for(get_user_model().objects.create_superuser("root", password="pw-root"))
    listing = staff.get(reverse("admin:cases_scorehistory_changelist"))
    assert listing.status_code == 200 and b"0.5" in listing.content
    assert staff.get(reverse("admin:cases_scorehistory_change", args=[row.pk])).status_code == 200


@pytest.mark.django_db
def test_the_series_is_read_from_the_index_alone(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the query plan checked here is SQLite's")
    _record(world, 0.1)
    with CaptureQueriesContext(connection) as captured:
        history.series(world.case)
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
        plan = " / ".join(row[-1] for row in cursor.fetchall())
    assert "USING COVERING INDEX scorehistory_case_series" in plan, plan
