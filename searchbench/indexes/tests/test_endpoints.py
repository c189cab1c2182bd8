"""An endpoint may name a built-in index only if its owner may use it (own, or their team's) and
it is built: refused at save by the web form and by the API alike, with a message naming the
index — never where the server keeps it. The operator's door (the CLI) gives indexes owners.

Personas (cases' conftest): olive owns the index ``tiny``, shared with her team (tom); oscar is
an outsider.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from searchbench.api.tests.conftest import assert_error, token_api
from searchbench.cases.models import SearchEndpoint
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.cli.main import main
from searchbench.indexes.models import LocalIndex

pytestmark = pytest.mark.django_db


def endpoint_post(url: str, **overrides: str) -> dict[str, str]:
    return {
        "name": "probe",
        "kind": "local",
        "url": url,
        "method": "GET",
        "headers": "",
        "options": "",
        "timeout": "10",
        **overrides,
    }


def url_errors(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [li.text for li in parse(response.content).select("#endpoint-form ul.errorlist li")]


def test_the_owner_and_a_teammate_may_save_an_endpoint_on_it(world) -> None:
    for user in (world.owner, world.teammate):
        response = client_for(user).post(reverse("cases:endpoint_new"), endpoint_post("tiny"))
        assert response.status_code == 302
    # the name alone is read as local://NAME
    assert set(SearchEndpoint.objects.filter(name="probe").values_list("url", flat=True)) == {
        "local://tiny"
    }


def test_an_outsider_is_refused_naming_the_index_only(world, data_dir: Path) -> None:
    response = client_for(world.outsider).post(
        reverse("cases:endpoint_new"), endpoint_post("local://tiny")
    )
    assert url_errors(response) == [
        "no built-in index named 'tiny' that you may use (yours: none); make one on the "
        "Indexes page"
    ]
    assert str(data_dir) not in response.text
    assert not SearchEndpoint.objects.filter(name="probe").exists()


def test_a_missing_or_unbuilt_index_is_refused_at_save(world, data_dir: Path) -> None:
    client = client_for(world.owner)
    response = client.post(reverse("cases:endpoint_new"), endpoint_post("local://nowhere"))
    assert url_errors(response) == [
        "no built-in index named 'nowhere' that you may use (yours: tiny); make one on the "
        "Indexes page"
    ]
    LocalIndex.objects.create(name="later", owner=world.owner)  # reserved, not built yet
    response = client.post(reverse("cases:endpoint_new"), endpoint_post("local://later"))
    assert url_errors(response) == ["index 'later' is not built yet; see it on the Indexes page"]
    response = client.post(reverse("cases:endpoint_new"), endpoint_post("local://../etc"))
    assert url_errors(response)[0].startswith("bad index name")
    assert str(data_dir) not in response.text


def test_editing_an_endpoint_onto_anothers_index_is_refused(world) -> None:
    mine = SearchEndpoint.objects.create(
        name="mine", kind="local", url="local://tiny", owner=world.outsider
    )
    response = client_for(world.outsider).post(
        reverse("cases:endpoint_edit", args=[mine.pk]), endpoint_post("local://tiny")
    )
    assert url_errors(response)[0].startswith("no built-in index named 'tiny'")


def test_the_api_refuses_alike_on_create_and_update(world, data_dir: Path) -> None:
    outsider = token_api(world.outsider)
    body = {"name": "probe", "kind": "local", "url": "local://tiny"}
    error = assert_error(outsider.post("/endpoints", body), 422)
    assert error["message"] == (
        "url: no built-in index named 'tiny' that you may use (yours: none); make one on the "
        "Indexes page"
    )
    made = token_api(world.teammate).post("/endpoints", body)
    assert made.status_code == 201, made.content
    own = SearchEndpoint.objects.create(
        name="own", kind="local", url="local://elsewhere", owner=world.outsider
    )
    changed = outsider.patch(f"/endpoints/{own.pk}", {"url": "local://tiny"})
    assert str(data_dir) not in changed.content.decode()
    assert assert_error(changed, 422)["message"].startswith("url: no built-in index named 'tiny'")


def test_the_test_button_names_no_server_path(world, data_dir: Path) -> None:
    """A missing index, or one whose files are unreadable: the index's name, not its path."""
    from searchbench.engines.local import indexes_dir

    gone = SearchEndpoint.objects.create(
        name="gone", kind="local", url="local://gone", owner=world.owner
    )
    client = client_for(world.owner)
    response = client.post(reverse("cases:endpoint_ping", args=[gone.pk]), follow=True)
    message = parse(response.content).one("li.msg.error").text
    assert "no local index 'gone'" in message and "Indexes page" in message
    meta = indexes_dir() / "tiny" / "searchbench.json"
    meta.write_text("{broken")
    response = client.post(reverse("cases:endpoint_ping", args=[world.endpoint.pk]), follow=True)
    message = parse(response.content).one("li.msg.error").text
    assert message.startswith("tiny: local index 'tiny' has unreadable metadata")
    api = token_api(world.owner).post(f"/endpoints/{gone.pk}/test")
    for text in (response.text, api.content.decode()):
        assert str(data_dir) not in text and "searchbench.json" not in text


def test_the_cli_gives_an_index_to_its_owner_and_teams(world, data_dir: Path, capsys) -> None:
    source = data_dir / "docs.jsonl"
    source.write_text(json.dumps({"id": "a", "title": "alpha"}) + "\n")
    args = ["index", "create", "given", "--from", str(source), "--fields", "title", "--quiet"]
    assert main([*args, "--owner", "oscar"]) == 0
    row = LocalIndex.objects.get(name="given")
    assert row.owner == world.outsider and list(row.teams.all()) == []
    # its page names the file it was built from, not where the operator kept it
    page = client_for(world.outsider).get(reverse("indexes:detail", args=[row.pk])).text
    assert "from docs.jsonl in" in page and str(data_dir) not in page
    # a rebuild without --owner keeps the owner; with --team it is shared
    assert main(args) == 0
    assert LocalIndex.objects.get(name="given").owner == world.outsider
    assert main([*args, "--owner", "olive", "--team", "search team"]) == 0
    row.refresh_from_db()
    assert row.owner == world.owner and list(row.teams.all()) == [world.team]
    # without --owner, a new index is the operator's: no row, usable by nobody on the web
    assert main(["index", "create", "ops", "--from", str(source), "--fields", "title"]) == 0
    assert not LocalIndex.objects.filter(name="ops").exists()
    response = client_for(world.owner).post(reverse("indexes:new"), {"name": "ops"})
    assert response.status_code == 200
    capsys.readouterr()
    # a wrong owner or team is refused before anything is built
    assert main(["index", "create", "x", "--from", str(source), "--owner", "nobody"]) == 2
    assert "--owner: no user named 'nobody'" in capsys.readouterr().err
    assert main(["index", "create", "x", "--from", str(source), "--team", "search team"]) == 2
    assert "give --owner too" in capsys.readouterr().err
    from searchbench.engines.local import index_exists

    assert not index_exists("x")


def test_a_name_differing_in_case_is_another_index(world, data_dir: Path) -> None:
    """MariaDB compares names case-insensitively; the indexes folder does not: olive's ``tiny``
    gives her no right to the operator's ``TINY``, nor may she take that name."""
    from searchbench.cases import services
    from searchbench.engines.local import create_index

    source = data_dir / "tiny.jsonl"
    create_index("TINY", source, id_field="id", fields=["title"])
    assert not services.may_use_data(world.owner, "local", "TINY")
    assert services.data_name_taken(world.owner, "local", "TINY") == (
        "local://TINY is taken; choose another name"
    )
    response = client_for(world.owner).post(
        reverse("cases:endpoint_new"), endpoint_post("local://TINY")
    )
    assert url_errors(response)[0].startswith("no built-in index named 'TINY'")


def test_the_cli_gives_no_index_whose_name_differs_only_in_case(
    world, data_dir: Path, capsys
) -> None:
    """On MariaDB 'shop' finds olive's 'SHOP': ``index create shop --owner oscar`` gave oscar
    olive's row (and so her index's docs). Refused before anything is built."""
    from searchbench.engines.local import index_exists
    from searchbench.indexes import services

    LocalIndex.objects.create(name="SHOP", owner=world.owner)
    source = data_dir / "docs.jsonl"
    source.write_text(json.dumps({"id": "a", "title": "alpha"}) + "\n")
    args = ["index", "create", "shop", "--from", str(source), "--fields", "title", "--quiet"]
    code = main([*args, "--owner", "oscar"])
    if services.name_clash("shop") is None:  # a database that tells the names apart
        assert code == 0
        assert LocalIndex.objects.get(name="shop").owner == world.outsider
    else:
        assert code == 2
        assert "local://SHOP holds that name" in capsys.readouterr().err
        assert not index_exists("shop")
        with pytest.raises(services.IndexProblem, match="SHOP"):
            services.assign("shop", world.outsider)
    assert LocalIndex.objects.get(name="SHOP").owner == world.owner
