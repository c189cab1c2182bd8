"""A web request never sleeps on an endpoint's requests-per-minute limit; the CLI path waits.

The endpoint allows one request a minute. The limiter's clock stands still and its sleeps are
recorded (engines/tests/limiter.py), so "did not sleep" is checked without waiting a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import ScoreHistory
from searchbench.cases.tests.htmlquery import parse
from searchbench.engines.tests.limiter import LimiterClock, freeze_limiter_clock
from searchbench.engines.tests.server import FakeServer, start_server

SOLR_ANSWER = {
    "responseHeader": {"status": 0},
    "response": {"numFound": 1, "start": 0, "docs": [{"id": "t1", "title": "green tent"}]},
}


@pytest.fixture
def solr() -> Iterator[FakeServer]:
    state, server = start_server()
    state.json_reply("GET", "/solr/gear/select", SOLR_ANSWER)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> LimiterClock:
    return freeze_limiter_clock(monkeypatch)


@pytest.fixture
def limited(world, solr):
    """The case's endpoint is a Solr core that allows one request a minute."""
    endpoint = world.endpoint
    endpoint.kind, endpoint.url = "solr", solr.url + "/solr/gear"
    endpoint.requests_per_minute = 1
    endpoint.save()
    world.try_.query_template = "q=#$query##"
    world.try_.save()
    return world


def owner_client(world) -> Client:
    client = Client()
    client.force_login(world.owner)
    return client


@pytest.mark.django_db
def test_test_connection_answers_rate_limited_instead_of_sleeping(limited, solr, clock):
    client = owner_client(limited)
    url = reverse("cases:endpoint_ping", args=[limited.endpoint.pk])
    first = parse(client.post(url, follow=True).content)
    assert "Solr answers" in first.one("li.msg.success").text
    second = parse(client.post(url, follow=True).content).one("li.msg.error").text
    assert "rate limited" in second and "retry in 60 s" in second
    assert clock.sleeps == []
    assert len(solr.requests) == 1


@pytest.mark.django_db
def test_query_page_answers_rate_limited_instead_of_sleeping(limited, solr, clock):
    client = owner_client(limited)
    url = reverse("cases:query", args=[limited.case.pk, limited.q_tent.pk])
    assert parse(client.get(url).content).select("p.error") == []
    error = parse(client.get(url).content).one("p.error").text
    assert "rate limited" in error and "retry in 60 s" in error
    assert clock.sleeps == []


@pytest.mark.django_db
def test_rating_rescore_answers_rate_limited_instead_of_sleeping(limited, solr, clock):
    client = owner_client(limited)
    client.get(reverse("cases:query", args=[limited.case.pk, limited.q_tent.pk]))  # the token
    response = client.post(
        reverse("cases:rate", args=[limited.case.pk, limited.q_tent.pk]),
        {"doc_id": "t1", "rating": "1"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200
    assert "rate limited" in parse(response.content).one("#query-panel p.error").text
    assert clock.sleeps == []


@pytest.mark.django_db
def test_a_run_records_rate_limited_queries_as_per_query_errors(limited, solr, clock):
    response = owner_client(limited).post(reverse("cases:run", args=[limited.case.pk]))
    assert response.status_code == 302
    run = ScoreHistory.objects.get(case=limited.case)
    assert len(run.per_query) == 1  # one of the two queries got the minute's request
    [error] = run.errors.values()
    assert "rate limited" in error and "retry in 60 s" in error
    assert clock.sleeps == []
    assert len(solr.requests) == 1


@pytest.mark.django_db
def test_outside_a_web_request_the_limiter_waits(limited, solr, clock):
    # The CLI and (later) the worker run outside a request: they wait for the budget.
    for _ in range(2):
        outcome = services.search_query(limited.case, limited.q_tent)
        assert outcome.error is None
    assert clock.sleeps == [pytest.approx(60.0)]
    assert len(solr.requests) == 2
