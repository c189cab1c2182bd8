"""A public case is read-only for everyone logged in, and its outsiders see what was stored (the
newest snapshot's results, the last run's scores) without a single request reaching the owner's
endpoint. The endpoint here is a real HTTP server that records every request it gets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import Rating, SearchEndpoint
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.engines.tests.server import start_server


@pytest.fixture
def engine():
    state, server = start_server()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def public(world, engine):
    """The world's case made public, run and snapshotted on the built-in engine; then its try
    is pointed at the recording server, so any search for it shows up in engine.requests."""
    services.run_case(world.case, user=world.owner)
    services.take_snapshot(world.case, "before", user=world.owner, explain=True)
    world.case.public = True
    world.case.save()
    recorder = SearchEndpoint.objects.create(
        name="owner's solr", kind="solr", url=f"{engine.url}/solr/core/select", owner=world.owner
    )
    world.try_.endpoint = recorder
    world.try_.save()
    return world


def query_url(world, name: str = "cases:query", **kw) -> str:
    return reverse(name, args=[world.case.pk, world.q_boots.pk], **kw)


@pytest.mark.django_db
def test_an_outsider_reads_the_stored_results_and_nothing_is_searched(public, engine):
    response = client_for(public.outsider).get(query_url(public))
    assert response.status_code == 200
    page = parse(response.content)
    assert "snapshot “before”" in page.one("#stored-results").text
    assert {d.attrs["data-doc-id"] for d in page.select("li.doc")[:2]} == {"b1", "b2"}
    assert page.one("#query-score").text not in ("", "–")  # the last run's score
    buttons = page.select("button.rate")
    assert buttons and all("disabled" in b.attrs for b in buttons)
    assert engine.requests == []


@pytest.mark.django_db
def test_the_owner_and_a_teammate_still_search_live(public, engine):
    for user in (public.owner, public.teammate):
        page = parse(client_for(user).get(query_url(public)).content)
        assert page.select("#stored-results") == []
    assert len(engine.requests) >= 2


@pytest.mark.django_db
def test_without_a_snapshot_an_outsider_is_told_so(world, engine):
    world.case.public = True
    world.case.save()
    world.try_.endpoint = SearchEndpoint.objects.create(
        name="solr", kind="solr", url=f"{engine.url}/solr/core/select", owner=world.owner
    )
    world.try_.save()
    page = parse(client_for(world.outsider).get(query_url(world)).content)
    assert "no snapshot of this case has this query yet" in page.one("#stored-results").text
    assert engine.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["explain:query", "explain:doc", "explain:compare"])
def test_an_outsider_s_explain_pages_read_the_newest_snapshot(public, engine, view):
    query = {"doc": "b1"} if view == "explain:doc" else {}
    if view == "explain:compare":
        query = {"doc": ["b1", "b2"]}
    response = client_for(public.outsider).get(query_url(public, view), query)
    assert response.status_code == 200
    assert "snapshot “before”" in response.content.decode()
    assert engine.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("cases:run", "post", {}),
        ("cases:rate", "post", {"doc_id": "b1", "rating": "1"}),
        ("cases:snapshot_new", "post", {"name": "mine"}),
        ("cases:try_new", "get", {}),
        ("cases:try_new", "post", {"query_template": "{}", "endpoint": "1"}),
        ("cases:settings", "post", {"name": "taken", "scorer": "1"}),
        ("cases:query_add", "post", {"text": "added"}),
        ("cases:query_notes", "post", {"notes": "mine"}),
    ],
)
def test_an_outsider_changes_nothing_and_searches_nothing(public, engine, name, method, data):
    per_query = name in ("cases:rate", "cases:query_notes")
    args = [public.case.pk, public.q_boots.pk] if per_query else [public.case.pk]
    client = client_for(public.outsider)
    response = getattr(client, method)(reverse(name, args=args), data)
    assert response.status_code == 403
    assert engine.requests == []
    assert Rating.objects.filter(query=public.q_boots).count() == 2
    public.case.refresh_from_db()
    assert public.case.name == "Boots case" and public.case.queries.count() == 2


@pytest.mark.django_db
def test_may_search_is_the_write_rule(public):
    assert services.may_search(public.owner, public.case)
    assert services.may_search(public.teammate, public.case)
    assert not services.may_search(public.outsider, public.case)
