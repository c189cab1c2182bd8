"""The case page as a workspace: many queries at once, a paginated list, a header in view."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for


def add_url(case) -> str:
    return reverse("cases:query_add", args=[case.pk])


def texts(case) -> list[str]:
    return list(case.queries.order_by("position").values_list("text", flat=True))


def add_errors(response) -> str:
    """The add form's errors, shown beside it (status 400), as one text."""
    assert response.status_code == 400
    return " ".join(li.text for li in parse(response.content).select("#query-add-errors li"))


def messages_of(response) -> list[str]:
    return [m.text for m in parse(response.content).select("ul.messages li")]


@pytest.mark.django_db
def test_it_adds_pasted_lines_skipping_blanks_and_duplicates(world):
    pasted = "red  boots\n\nwool socks\n   \ngreen tent\r\nwool socks\nblue boots\n"
    response = client_for(world.owner).post(add_url(world.case), {"text": pasted}, follow=True)
    assert texts(world.case) == ["red boots", "tent", "wool socks", "green tent", "blue boots"]
    said = messages_of(response)
    assert "Added 3 queries." in said
    assert any(m.startswith("Skipped 2 duplicates") and "“red boots”" in m for m in said), said


@pytest.mark.django_db
def test_it_adds_the_lines_of_a_file(world):
    upload = SimpleUploadedFile("q.txt", "\ufeffhiking boots\nrain jacket\n".encode())
    response = client_for(world.owner).post(
        add_url(world.case), {"text": "", "file": upload}, follow=True
    )
    assert texts(world.case)[2:] == ["hiking boots", "rain jacket"]
    assert "Added 2 queries." in messages_of(response)


@pytest.mark.django_db
def test_a_file_that_is_not_text_adds_nothing_and_says_so(world):
    upload = SimpleUploadedFile("q.bin", b"ok\n\xff\xfe\x00bad")
    response = client_for(world.owner).post(add_url(world.case), {"file": upload})
    assert texts(world.case) == ["red boots", "tent"]
    assert "q.bin: not UTF-8 text" in add_errors(response)


@pytest.mark.django_db
def test_a_line_too_long_adds_nothing_and_names_the_line(world):
    pasted = "fine\n" + "x" * 501 + "\nalso fine"
    response = client_for(world.owner).post(add_url(world.case), {"text": pasted})
    assert texts(world.case) == ["red boots", "tent"]
    assert "Nothing added: line 2:" in add_errors(response)
    # Beside the field, which keeps what was pasted: nothing to paste again after the fix.
    page = parse(response.content)
    area = page.one("#query-add textarea[name=text]")
    assert area.attrs["aria-describedby"] == "query-add-errors"
    assert area.text.split() == pasted.split()  # (the parser folds the newlines)


@pytest.mark.django_db
def test_only_blank_lines_is_an_error(world):
    response = client_for(world.owner).post(add_url(world.case), {"text": "\n \n"})
    assert texts(world.case) == ["red boots", "tent"]
    assert "Type or paste a query" in add_errors(response)


@pytest.mark.django_db
def test_the_add_form_is_a_textarea_and_a_file_input(world):
    page = parse(client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk])).content)
    form = page.one("form#query-add")
    assert form.attrs["enctype"] == "multipart/form-data"
    assert page.one("#query-add textarea[name=text]") and page.one("#query-add input[type=file]")


# --- the query list: pages, sort, filter ---------------------------------------------------------


@dataclass
class FakeRun:
    """A run's outcome as history.record takes it (searchbench.loop.RunResult has this shape)."""

    scores: dict[str, float]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(self.scores.values()) / max(1, len(self.scores) + len(self.errors))

    def per_query(self) -> dict[str, float]:
        return self.scores


def grow(world, n: int) -> None:
    """Add n queries ("q0001" …) and record a run that scores query i as (i % 10) / 10."""
    from searchbench.cases import services

    services.add_queries(world.case, [{"text": f"q{i:05d}"} for i in range(n)])
    record_run(world)


def record_run(world, errors: dict[str, str] | None = None):
    from searchbench.cases import history

    ids = list(world.case.queries.order_by("position").values_list("pk", flat=True))
    errors = errors or {}
    scores = {str(pk): (i % 10) / 10 for i, pk in enumerate(ids) if str(pk) not in errors}
    return history.record(
        world.case, world.try_, world.case.scorer, FakeRun(scores, errors), None, "run"
    )


def listed(client, case, **params) -> list[str]:
    page = parse(client.get(reverse("cases:detail", args=[case.pk]), params).content)
    return [row.select("td a")[0].text for row in page.select("#queries tr.query-row")]


@pytest.mark.django_db
def test_the_list_is_paginated_100_a_page(world):
    grow(world, 248)  # 250 queries in all
    client = client_for(world.owner)
    url = reverse("cases:detail", args=[world.case.pk])
    first = parse(client.get(url).content)
    assert len(first.select("#queries tr.query-row")) == 100
    assert "1–100 of 250" in first.one("#query-pager").text
    last = parse(client.get(url, {"page": 3}).content)
    assert len(last.select("#queries tr.query-row")) == 50
    assert last.one("#query-page-prev").attrs["href"].startswith("?page=2")
    assert last.select("#query-page-next") == []
    assert len(parse(client.get(url, {"page": 99}).content).select("tr.query-row")) == 50


@pytest.mark.django_db
def test_the_list_sorts_by_score_name_and_unrated(world):
    grow(world, 8)
    client = client_for(world.owner)
    by_score = listed(client, world.case, sort="score")
    # query i scores (i % 10) / 10: red boots (0) and tent (.1) lead, q00007 (.9) is last.
    assert by_score[:2] == ["red boots", "tent"] and by_score[-1] == "q00007"
    assert listed(client, world.case, sort="-score")[0] == "q00007"
    assert listed(client, world.case, sort="name")[:3] == ["q00000", "q00001", "q00002"]
    unrated_first = listed(client, world.case, sort="unrated")
    assert unrated_first[-2:] == ["red boots", "tent"] and len(unrated_first) == 10
    assert listed(client, world.case, sort="nonsense")[:2] == ["red boots", "tent"]


@pytest.mark.django_db
def test_the_list_filters_by_text_unrated_and_errors(world):
    from searchbench.cases.models import ScoreHistory

    ids = {q.text: q.pk for q in world.case.queries.all()}
    grow(world, 5)
    client = client_for(world.owner)
    assert listed(client, world.case, q="BOOTS") == ["red boots"]
    assert listed(client, world.case, show="unrated") == [f"q0000{i}" for i in range(5)]
    ScoreHistory.objects.all().delete()
    record_run(world, errors={str(ids["tent"]): "engine said no"})
    assert listed(client, world.case, show="errors") == ["tent"]
    page = parse(client.get(reverse("cases:detail", args=[world.case.pk]), {"q": "zzz"}).content)
    assert page.one("#queries td.empty").text == "No query matches."


@pytest.mark.django_db
def test_rows_show_a_score_badge_and_an_unrated_marker(world):
    grow(world, 1)
    page = parse(client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk])).content)
    rows = {r.select("td a")[0].text: r for r in page.select("#queries tr.query-row")}
    assert rows["red boots"].one("span.score").text == "0.000"
    assert rows["tent"].one("span.score").text == "0.100"
    assert "unrated" in rows["q00000"].classes and rows["q00000"].select(".unrated-mark")
    assert "unrated" not in rows["tent"].classes and not rows["tent"].select(".unrated-mark")


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"sort": "score"}, {"sort": "unrated", "show": "unrated"}])
def test_the_page_sql_does_not_grow_with_the_case(world, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.owner)
    url = reverse("cases:detail", args=[world.case.pk])
    counted = []
    for more in (8, 290):  # 10 queries, then 300
        grow(world, more)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        counted.append(len(captured))
    assert counted[0] == counted[1], counted


@pytest.mark.django_db
def test_a_10000_query_case_page_stays_small(world):
    grow(world, 9998)
    response = client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk]))
    size = len(response.content)
    assert size < 200_000, size
    assert len(parse(response.content).select("#queries tr.query-row")) == 100


# --- the header ----------------------------------------------------------------------------------


def header(world, user=None):
    response = client_for(user or world.owner).get(reverse("cases:detail", args=[world.case.pk]))
    return parse(response.content).one("#case-head")


@pytest.mark.django_db
def test_the_header_names_case_scorer_try_and_counts(world):
    grow(world, 3)  # 5 queries, 2 of them rated
    head = header(world)
    assert head.one("h1").text == "Boots case"
    meta = head.one(".case-title p.meta").text
    assert "quepid:P@10" in meta and "try 1" in meta
    assert head.one("#case-stats #query-count").text == "5"
    assert head.one("#unrated-count strong").text == "3"
    assert head.one("#unrated-count").attrs["href"].startswith("?show=unrated")


@pytest.mark.django_db
def test_the_header_shows_the_change_since_the_previous_run(world):
    from searchbench.cases.models import ScoreHistory

    first = record_run(world)  # red boots 0, tent .1: 0.05
    head = header(world)
    assert head.select("#score-change") == [] and head.one("#case-score span.score").text == "0.050"
    ScoreHistory.objects.filter(pk=first.pk).update(created_at=first.created_at.replace(year=2020))
    record_run(world, errors={str(world.q_boots.pk): "down"})  # tent .1 alone: 0.1 / 2
    assert header(world).one("#score-change").text == "± 0.000"  # the same score
    ScoreHistory.objects.filter(pk=first.pk).update(score=0.2)
    change = header(world).one("#score-change")
    assert "down" in change.classes and change.text == "▼ -0.150"


@pytest.mark.django_db
def test_the_header_shows_no_score_of_another_scorer(world):
    from searchbench.cases.models import Scorer

    record_run(world)
    world.case.scorer = Scorer.objects.get(name="quepid:nDCG@10")
    world.case.save()
    head = header(world)
    assert head.one("#case-score span.score").text == "—"
    assert "quepid:P@10" in head.one("#scored-with").text


@pytest.mark.django_db
def test_the_header_sparkline_has_a_point_per_run_and_links_to_the_history(world):
    from searchbench.cases.models import ScoreHistory

    for n in range(3):
        row = record_run(world)
        ScoreHistory.objects.filter(pk=row.pk).update(
            created_at=row.created_at.replace(year=2020 + n)
        )
    head = header(world)
    link = head.one("#history-sparkline a.sparkline-link")
    assert link.attrs["href"] == reverse("cases:history", args=[world.case.pk])
    dots = link.select("svg.sparkline circle")
    assert len(dots) == 3
    assert (
        dots[0].one("title").text.startswith("2020-")
        and "try 1 · quepid:P@10 0.050" in dots[0].one("title").text
    )


@pytest.mark.django_db
def test_failed_queries_are_counted_with_a_link_to_them(world):
    record_run(world, errors={str(world.q_tent.pk): "engine said no"})
    page = parse(client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk])).content)
    assert page.one("#run-errors p.error").text.startswith("1 query failed in the last run")
    assert page.one("#show-errors").attrs["href"] == "?show=errors#queries"


@pytest.mark.django_db
def test_more_than_10000_new_queries_at_once_adds_nothing(world):
    from searchbench.cases import services

    pasted = "\n".join(f"q{i}" for i in range(services.QUERIES_AT_ONCE + 1))
    response = client_for(world.owner).post(add_url(world.case), {"text": pasted})
    assert texts(world.case) == ["red boots", "tent"]
    assert "10,001 queries: at most 10,000 at once" in add_errors(response)
