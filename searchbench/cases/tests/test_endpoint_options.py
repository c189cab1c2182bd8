"""Users do not choose server paths: endpoint options naming one are refused on save, ignored when
already stored, and engine errors shown to users name no server path."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import SearchEndpoint
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_static_endpoints import client_for, endpoint_post


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "url"), [("local", "local://tiny"), ("static", "static://frozen"), ("solr", "")]
)
def test_an_option_naming_a_server_path_is_refused_on_save(world, tmp_path, kind, url):
    response = client_for(world.owner).post(
        reverse("cases:endpoint_new"),
        endpoint_post(
            kind=kind,
            url=url or "http://solr.example/solr/x",
            options=f'{{"data_dir": "{tmp_path}"}}',
        ),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "data_dir: not an endpoint option" in text
    assert not SearchEndpoint.objects.filter(name="frozen").exists()


@pytest.mark.django_db
def test_test_connection_ignores_a_stored_data_dir_and_names_no_server_path(
    world, tmp_path, data_dir
):
    system = tmp_path / "system"
    system.mkdir()
    (system / "passwd").write_text("root:x:0:0\n")
    stored = {"kind": "local", "url": "local://missing", "options": {"data_dir": str(system)}}
    endpoint = SearchEndpoint.objects.create(name="probe", owner=world.owner, **stored)
    response = client_for(world.owner).post(
        reverse("cases:endpoint_ping", args=[endpoint.pk]), follow=True
    )
    page = response.content.decode()
    assert "no local index 'missing'" in parse(response.content).one("li.msg.error").text
    assert not (system / "indexes").exists()
    assert str(system) not in page and str(data_dir) not in page
    # The same endpoint aimed at the server's own index works: the stored option is ignored.
    SearchEndpoint.objects.filter(pk=endpoint.pk).update(url="local://tiny")
    ok, message = services.ping_endpoint(SearchEndpoint.objects.get(pk=endpoint.pk))
    assert ok, message
