"""Endpoint credentials at rest and on pages: secret custom headers are encrypted like the
password (also rows stored before, by a data migration); teammates see a masked username."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from searchbench.cases.models import SearchEndpoint
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_static_endpoints import client_for, endpoint_post

TOKEN = "Bearer tok-Zq81-at-rest"


def stored_headers(endpoint_id: int) -> str:
    """The headers column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT headers FROM cases_searchendpoint WHERE id = %s", [endpoint_id])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_secret_header_values_are_encrypted_at_rest(world):
    client = client_for(world.owner)
    data = endpoint_post(
        kind="searchapi",
        name="api",
        url="http://127.0.0.1:9/search",
        headers=f'{{"Authorization": "{TOKEN}", "X-Team": "search"}}',
        options='{"docs_path": "results"}',
    )
    assert client.post(reverse("cases:endpoint_new"), data).status_code == 302
    endpoint = SearchEndpoint.objects.get(name="api")
    raw = stored_headers(endpoint.pk)
    assert "tok-Zq81" not in raw and "search" in raw
    assert "tok-Zq81" not in endpoint.headers_encrypted
    # The engine still gets the clear value.
    assert endpoint.to_config().headers == {"Authorization": TOKEN, "X-Team": "search"}
    # Posting the masked form back keeps it, still encrypted.
    url = reverse("cases:endpoint_edit", args=[endpoint.pk])
    shown = parse(client.get(url).content).one("textarea[name=headers]").text
    assert "tok-Zq81" not in shown
    assert client.post(url, {**data, "headers": shown}).status_code == 302
    endpoint.refresh_from_db()
    assert "tok-Zq81" not in stored_headers(endpoint.pk)
    assert endpoint.to_config().headers == {"Authorization": TOKEN, "X-Team": "search"}
    # Rows made in code are sealed on save too.
    other = SearchEndpoint.objects.create(
        name="code", kind="solr", url="http://x", owner=world.owner, headers={"X-Api-Key": "k-9"}
    )
    assert "k-9" not in stored_headers(other.pk)
    assert other.to_config().headers == {"X-Api-Key": "k-9"}


@pytest.mark.django_db
def test_teammates_see_a_masked_username_and_the_owner_sees_it(world):
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(username="svc-reader-7")
    world.endpoint.teams.add(world.team)
    mine = client_for(world.owner).get(reverse("cases:endpoints")).content.decode()
    assert "svc-reader-7" in mine
    theirs = client_for(world.teammate).get(reverse("cases:endpoints"))
    assert theirs.status_code == 200
    assert "svc-reader-7" not in theirs.content.decode()
    row = parse(theirs.content).one("#endpoints tbody tr")
    assert "***" in row.text


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_secret_headers_already_stored():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0002_endpoint_timeout_default")])
    old = executor.loader.project_state([("cases", "0002_endpoint_timeout_default")]).apps
    user = old.get_model("auth", "User").objects.create(username="legacy")
    row = old.get_model("cases", "SearchEndpoint").objects.create(
        name="legacy",
        kind="solr",
        url="http://x",
        owner_id=user.pk,
        headers={"Authorization": TOKEN, "X-Team": "search"},
        options={"data_dir": "/etc", "request_handler": "select"},
        timeout=10,
    )
    assert "tok-Zq81" in stored_headers(row.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    endpoint = SearchEndpoint.objects.get(pk=row.pk)
    assert "tok-Zq81" not in stored_headers(row.pk)
    assert endpoint.to_config().headers == {"Authorization": TOKEN, "X-Team": "search"}
    # Stored options naming a server path are dropped (item 4).
    assert endpoint.options == {"request_handler": "select"}
