"""The book page's agreement box and a judge's calibration page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.books import charts
from searchbench.books.tests.test_reports import AGREES, _judge, _judge_book
from searchbench.cases import services as case_services
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for

pytestmark = pytest.mark.django_db


def _calibration_url(book, judge) -> str:
    return reverse("books:calibration", args=[book.pk, judge.pk])


def test_the_book_page_shows_alpha_kappa_bias_and_links_each_judge(world, book) -> None:
    judge = _judge_book(world, book, {"b1": 3, "b2": 0, "b3": 0, "t1": None})
    page = parse(client_for(world.teammate).get(reverse("books:detail", args=[book.pk])).content)
    (box,) = page.select("#book-agreement")
    alpha = [td.text for td in box.select("#agreement-alpha td")]
    assert alpha[0] == "all raters" and all(a != "—" for a in alpha[1:])
    kappa_rows = [tr.text for tr in box.select("#agreement-kappa tbody tr")]
    assert len(kappa_rows) == 3 and kappa_rows[0].startswith("gpt judge · olive")
    bias = {
        tr.select("td")[0].text: tr.select("td")[1].text
        for tr in box.select("#agreement-bias tbody tr")
    }
    assert set(bias) == {"gpt judge", "olive", "tom"} and bias["tom"].startswith(("+", "-"))
    (link,) = box.select("#calibration-links a")
    assert link.attrs["href"] == _calibration_url(book, judge)


def test_a_book_without_ratings_says_so(world, book) -> None:
    page = parse(client_for(world.owner).get(reverse("books:detail", args=[book.pk])).content)
    assert page.select("#book-agreement .empty")[0].text == "No ratings yet."


def test_the_calibration_page_draws_the_heat_map_and_the_effect(world, book) -> None:
    judge = _judge_book(world, book, {"b1": 3, "b2": 2, "b3": 0, "t1": 0})
    case_services.take_snapshot(world.case, "first")
    response = client_for(world.teammate).get(_calibration_url(book, judge))
    assert response.status_code == 200
    page = parse(response.content)
    assert "4 pairs with a human consensus" in page.select("#calibration-summary")[0].text
    cells = page.select("#confusion-heatmap g.cell")
    assert len(cells) == 16  # the scale 0..3, every grade drawn, used or not
    counts = [int(c.select("text")[0].text) for c in cells]
    assert sum(counts) == 4 and counts[1 * 4 + 0] == 1  # t1: consensus 1, judge 0
    assert page.select("#calibration-bias strong")[0].text == "-0.250"
    (effect,) = page.select(f"#effect-case-{world.case.pk}")
    assert len(effect.select("svg.effect-chart g.effect-row")) == 1
    row = [td.text for td in effect.select(".effect-table tbody td")]
    assert row[0] == "try 1" and row[5] == "2"  # red boots and tent


def test_the_calibration_page_is_for_book_readers_and_judges_that_judged_it(world, book) -> None:
    judge = _judge_book(world, book, AGREES)
    assert client_for(world.outsider).get(_calibration_url(book, judge)).status_code == 404
    idle = _judge(world, "idle")
    assert client_for(world.owner).get(_calibration_url(book, idle)).status_code == 404
    response = Client().get(_calibration_url(book, judge))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    page = parse(client_for(world.owner).get(_calibration_url(book, judge)).content)
    assert "take one on the case page" in page.select(f"#effect-case-{world.case.pk}")[0].text


def test_a_rating_off_a_changed_scale_is_an_error_on_the_page_not_a_crash(world, book) -> None:
    judge = _judge_book(world, book, AGREES)
    book.scale = [0, 1]
    book.save()
    page = parse(client_for(world.owner).get(_calibration_url(book, judge)).content)
    assert "not on the scale 0, 1" in page.select("#calibration-error")[0].text
    detail = parse(client_for(world.owner).get(reverse("books:detail", args=[book.pk])).content)
    assert "not on the scale" in detail.select("#book-agreement .error")[0].text


def test_the_heat_map_darkens_with_the_count_and_labels_the_grades() -> None:
    heat = charts.heat_map([[3, 0], [1, 0]], (0, 1), {"1": "Good"}, columns_are="judge")
    fills = [c.fill for c in heat.cells]
    assert fills[0] == "#1f5fa8" and fills[1] == "#f4f6fb"  # the fullest cell, an empty one
    assert heat.cells[2].title == "humans 1 Good, judge 0: 1 pair(s)"
    assert [t.text for t in heat.rows] == ["0", "1"] and heat.total == 4


def test_the_effect_chart_ticks_are_told_apart_at_any_span() -> None:
    from searchbench.domain.calibration import TryEffect

    close = [TryEffect("a", 0.039, 0.042, {}, (0, 0)), TryEffect("b", 0.072, 0.071, {}, (0, 0))]
    ticks = [t.text for t in charts.effect_chart(close).axis]
    assert len(set(ticks)) == 5 and ticks[0] == "0.036"
    (row,) = charts.effect_chart([TryEffect("only", 0.5, 0.4, {}, (-0.2, 0.0))]).rows
    assert row.worse and float(row.x_judge) < float(row.x_human)
    assert charts.effect_chart([]) is None


def test_the_effect_chart_draws_negative_scores_within_its_axis() -> None:
    # A scale with negative grades gives negative DCG-like scores: the axis was clamped at 0
    # above them (a negative span, and a math domain error drawing the ticks: a 500).
    from searchbench.domain.calibration import TryEffect

    below = [TryEffect("a", -1.0, -0.5, {}, (0, 0)), TryEffect("b", -2.0, -1.5, {}, (0, 0))]
    chart = charts.effect_chart(below)
    assert chart is not None and chart.low < -2.0 < -0.5 < chart.high
    xs = [float(v) for r in chart.rows for v in (r.x_human, r.x_judge)]
    assert all(chart.left <= x <= chart.right for x in xs)


def test_the_calibration_page_leaves_out_the_cases_the_reader_may_not_read(world, book) -> None:
    # tom reads the book (its team) but not the case once olive stops sharing it: the page must
    # not name the case nor show its tries' scores to him (the book page counts such cases only).
    judge = _judge_book(world, book, AGREES)
    case_services.take_snapshot(world.case, "first")
    world.case.teams.clear()
    world.case.public = False
    world.case.save()
    response = client_for(world.teammate).get(_calibration_url(book, judge))
    assert response.status_code == 200
    assert not parse(response.content).select(f"#effect-case-{world.case.pk}")
    assert world.case.name not in response.content.decode()
    mine = parse(client_for(world.owner).get(_calibration_url(book, judge)).content)
    assert mine.select(f"#effect-case-{world.case.pk}")
