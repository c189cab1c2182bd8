"""The case page's list: a query's results expanded in place (the query page's panel as a
fragment), moving a query up and down, notes and removal that come back to the list."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for


def panel_url(world, query, back=""):
    url = reverse("cases:query_panel", args=[world.case.pk, query.pk])
    return f"{url}?{urlencode({'back': back})}" if back else url


def order(world) -> list[str]:
    return list(world.case.queries.order_by("position", "pk").values_list("text", flat=True))


@pytest.mark.django_db
def test_the_panel_is_the_query_pages_panel_with_its_notes(world):
    back = f"/cases/{world.case.pk}/?sort=name#q-{world.q_boots.pk}"
    response = client_for(world.owner).get(panel_url(world, world.q_boots, back))
    assert response.status_code == 200
    page = parse(response.content)
    panel = page.one("#query-panel")
    assert panel.attrs["data-query-id"] == str(world.q_boots.pk)
    assert panel.attrs["data-rated"] == "2"  # b1 and b2
    docs = page.select("#results li.doc")
    assert {d.attrs["data-doc-id"] for d in docs[:2]} == {"b1", "b2"}
    assert all(d.select("form.rating button.rate") for d in docs)  # the same rating controls
    notes = page.one("#query-notes form")
    assert notes.attrs["action"] == reverse(
        "cases:query_notes", args=[world.case.pk, world.q_boots.pk]
    )
    assert notes.one("input[name=next]").attrs["value"] == back
    assert "<html" not in response.content.decode()  # a fragment, not a page


@pytest.mark.django_db
def test_the_panel_of_an_unrated_query_says_unrated(world):
    from searchbench.cases import services

    socks = services.add_query(world.case, "wool socks")
    services.run_case(world.case)
    page = parse(client_for(world.owner).get(panel_url(world, socks)).content)
    assert page.one("#query-panel").attrs["data-rated"] == "0"
    assert page.one("#query-score").text == "unrated"
    # Rated in the list (the rate endpoint answers the same panel): it counts now.
    rated = client_for(world.owner).post(
        reverse("cases:rate", args=[world.case.pk, socks.pk]),
        {"doc_id": "s1", "rating": "1"},
        headers={"X-Requested-With": "fetch"},
    )
    fresh = parse(rated.content)
    assert fresh.one("#query-panel").attrs["data-rated"] == "1"
    assert fresh.one("#query-score .score").text != "unrated"


@pytest.mark.django_db
def test_the_panel_is_read_only_for_a_reader_and_not_there_for_others(world):
    from searchbench.cases.models import Case

    assert client_for(world.outsider).get(panel_url(world, world.q_boots)).status_code == 404
    Case.objects.filter(pk=world.case.pk).update(public=True)
    page = parse(client_for(world.outsider).get(panel_url(world, world.q_boots)).content)
    assert page.one("#query-panel") and page.select("#query-notes form") == []
    assert client_for(world.owner).post(panel_url(world, world.q_boots)).status_code == 405


@pytest.mark.django_db
def test_the_list_rows_carry_what_the_script_needs(world):
    page = parse(client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk])).content)
    rows = page.select("#queries tr.query-row")
    assert [r.attrs["tabindex"] for r in rows] == ["0", "-1"]  # one tab stop: the focused row
    # The script fetches the query page's URL + "panel"; the forms post to it + "move", "delete".
    link = rows[0].one("a.query-link").attrs["href"]
    assert link + "panel" == panel_url(world, world.q_boots)
    actions = [f.attrs["action"] for f in rows[0].select("td.row-tools form")]
    assert actions == [
        reverse(name, args=[world.case.pk, world.q_boots.pk])
        for name in ("cases:query_move", "cases:query_delete")
    ]
    assert rows[0].one("button.expand").attrs["aria-expanded"] == "false"
    assert rows[0].select("form.move button[value=up]") and rows[0].select("td.rated-count")
    scripts = [s.attrs["src"] for s in page.select("script[src]")]
    assert page.one("#list-keys") and any(s.endswith("querylist.js") for s in scripts)
    # Moves only where the order is the case's.
    sorted_page = parse(
        client_for(world.owner)
        .get(reverse("cases:detail", args=[world.case.pk]), {"sort": "name"})
        .content
    )
    assert sorted_page.select("form.move") == []


@pytest.mark.django_db
def test_no_moves_in_a_filtered_list_whose_neighbours_are_not_the_cases(world):
    # Moving tent up in "unrated only" swapped it on the server with a hidden neighbour while
    # the page swapped it with the row shown above it: the list showed an order the case lacks.
    from searchbench.cases import services

    services.add_queries(world.case, [{"text": "socks"}, {"text": "scarf"}])
    client = client_for(world.owner)
    url = reverse("cases:detail", args=[world.case.pk])
    for params in ({"show": "unrated"}, {"q": "s"}):
        page = parse(client.get(url, params).content)
        assert page.select("#queries tr.query-row"), params
        assert page.select("form.move") == [], params
    assert parse(client.get(url).content).select("form.move")


@pytest.mark.django_db
def test_a_query_moves_up_and_down_and_the_ends_stay(world):
    from searchbench.cases import services

    services.add_queries(world.case, [{"text": "socks"}, {"text": "jacket"}])
    client = client_for(world.owner)
    socks = world.case.queries.get(text="socks")
    move = reverse("cases:query_move", args=[world.case.pk, socks.pk])
    response = client.post(move, {"direction": "up", "next": f"/cases/{world.case.pk}/?page=1"})
    assert response.status_code == 302 and response["Location"] == f"/cases/{world.case.pk}/?page=1"
    assert order(world) == ["red boots", "socks", "tent", "jacket"]
    answer = client.post(move, {"direction": "up"}, headers={"X-Requested-With": "fetch"})
    assert answer.json() == {"moved": True}
    assert order(world) == ["socks", "red boots", "tent", "jacket"]
    assert client.post(move, {"direction": "up"}, headers={"X-Requested-With": "fetch"}).json() == {
        "moved": False
    }
    client.post(move, {"direction": "down"})
    assert order(world) == ["red boots", "socks", "tent", "jacket"]
    positions = list(world.case.queries.values_list("position", flat=True))
    assert len(set(positions)) == 4  # still one position each
    assert client.post(move, {"direction": "sideways"}).status_code == 400
    assert client_for(world.outsider).post(move, {"direction": "up"}).status_code == 404


@pytest.mark.django_db
def test_tied_positions_are_spread_once_so_a_move_moves(world):
    from searchbench.cases.models import Query

    Query.objects.filter(case=world.case).update(position=5)  # red boots, tent: order by id
    client_for(world.owner).post(
        reverse("cases:query_move", args=[world.case.pk, world.q_tent.pk]), {"direction": "up"}
    )
    assert order(world) == ["tent", "red boots"]


@pytest.mark.django_db
def test_a_move_past_a_tie_on_the_other_side_keeps_the_rest_in_order(world):
    # socks (1), then red boots and tent tied at 2 (by id). Moving red boots up used to swap its
    # position with socks' alone: socks landed on 2 beside tent, and the tie, broken by id (socks
    # is the newest), put tent before socks.
    from searchbench.cases import services
    from searchbench.cases.models import Query

    services.add_queries(world.case, [{"text": "socks"}])
    Query.objects.filter(case=world.case).update(position=2)
    Query.objects.filter(case=world.case, text="socks").update(position=1)
    assert order(world) == ["socks", "red boots", "tent"]
    client = client_for(world.owner)
    move = reverse("cases:query_move", args=[world.case.pk, world.q_boots.pk])
    client.post(move, {"direction": "up"})
    assert order(world) == ["red boots", "socks", "tent"]
    client.post(move, {"direction": "down"})
    assert order(world) == ["socks", "red boots", "tent"]


@pytest.mark.django_db
def test_a_move_updates_two_rows_whatever_the_case_size(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from searchbench.cases import services

    client = client_for(world.owner)
    counted = []
    for more in (8, 290):
        services.add_queries(world.case, [{"text": f"q{more}-{i}"} for i in range(more)])
        last = world.case.queries.order_by("-position").first()
        url = reverse("cases:query_move", args=[world.case.pk, last.pk])
        with CaptureQueriesContext(connection) as captured:
            client.post(url, {"direction": "up"}, headers={"X-Requested-With": "fetch"})
        counted.append(len(captured))
        updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 1, updates  # one statement, two rows (bulk_update)
    assert counted[0] == counted[1], counted


@pytest.mark.django_db
def test_notes_and_removal_from_the_list_come_back_to_it(world):
    client = client_for(world.owner)
    back = f"/cases/{world.case.pk}/?sort=name#q-{world.q_boots.pk}"
    notes = reverse("cases:query_notes", args=[world.case.pk, world.q_boots.pk])
    response = client.post(
        notes,
        {
            "notes": "ask the team",
            "information_need": "red boots, any kind",
            "options": "{}",
            "next": back,
        },
    )
    assert response["Location"] == back
    world.q_boots.refresh_from_db()
    assert (world.q_boots.notes, world.q_boots.information_need) == (
        "ask the team",
        "red boots, any kind",
    )
    page = parse(client.get(back).content)
    assert page.one(f"#q-{world.q_boots.pk} .need").text == "red boots, any kind"
    # Another site is not where a form goes back to.
    elsewhere = client.post(notes, {"notes": "x", "options": "{}", "next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("cases:query", args=[world.case.pk, world.q_boots.pk])
    removed = client.post(
        reverse("cases:query_delete", args=[world.case.pk, world.q_tent.pk]), {"next": back}
    )
    assert removed["Location"] == back and order(world) == ["red boots"]
