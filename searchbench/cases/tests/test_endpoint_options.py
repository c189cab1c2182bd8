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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('{"docs_path": "results", "mapper_memory_limit_mb": 2048}', "from 1 to 128"),
        ('{"docs_path": "results", "mapper_time_limit_ms": 600000}', "from 1 to 5000"),
    ],
)
def test_sandbox_limits_above_the_servers_ceiling_are_refused_on_save(world, options, message):
    """Issue 8, item 3: 2,048 MB was accepted and a worker grew by 500 MB on test connection."""
    response = client_for(world.owner).post(
        reverse("cases:endpoint_new"),
        endpoint_post(kind="searchapi", url="http://api.example/search", options=options),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SearchEndpoint.objects.filter(url="http://api.example/search").exists()


def test_the_ceilings_are_the_servers_settings(monkeypatch):
    from searchbench.engines.registry import refused_options

    options = {"docs_path": "results", "mapper_memory_limit_mb": 200}
    assert refused_options(options, "searchapi")
    monkeypatch.setenv("SEARCHBENCH_JS_MEMORY_LIMIT_MB_MAX", "256")
    assert refused_options(options, "searchapi") == []
