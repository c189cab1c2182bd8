"""Static result sets have an owner and teams: checked on every endpoint save and every read.

Personas: olive (owner), tom (olive's teammate), oscar (an outsider). Sets imported by the operator
with the CLI and no ``--owner`` are usable by nobody on the web until an owner is assigned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import Case, Scorer, SearchEndpoint, Snapshot
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_static_endpoints import (
    GOOD_CSV,
    client_for,
    endpoint_post,
    upload,
)
from searchbench.cli.main import main

OTHER_CSV = "Query Text,Doc ID,Doc Position,title\nred boots,x9,1,planted row\n"


def upload_set(user, name: str, text: str = GOOD_CSV, **fields) -> None:
    """``user`` saves a new static endpoint named NAME with a CSV upload; it must be accepted."""
    response = client_for(user).post(
        reverse("cases:endpoint_new"),
        endpoint_post(name=name, url=f"static://{name}", csv_file=upload(text), **fields),
    )
    assert response.status_code == 302, parse(response.content).select("ul.errorlist")


def form_errors(response) -> list[str]:
    assert response.status_code == 200
    return [li.text for li in parse(response.content).select("#endpoint-form ul.errorlist li")]


def served_ids(endpoint: SearchEndpoint, owner, text: str = "red boots") -> tuple[list[str], str]:
    """What a case on ``endpoint`` gets for one query through the web app's services."""
    case = Case.objects.create(
        name="probe", owner=owner, scorer=Scorer.objects.get(name="quepid:P@10")
    )
    services.create_try(case, query_template="", field_spec="id:id title", endpoint=endpoint)
    outcome = services.search_query(case, services.add_query(case, text))
    docs = outcome.result.docs if outcome.result is not None and not outcome.error else []
    return [d.id for d in docs], outcome.error or ""


def import_as_operator(tmp_path: Path, data_dir: Path, name: str, *extra: str) -> int:
    source = tmp_path / f"{name}.csv"
    source.write_text(OTHER_CSV, encoding="utf-8")
    return main(["index", "--data-dir", str(data_dir), "import-static", name, str(source), *extra])


@pytest.mark.django_db
def test_an_outsider_cannot_save_an_endpoint_over_someone_elses_results(world, data_dir):
    upload_set(world.owner, "alice-frozen")
    response = client_for(world.outsider).post(
        reverse("cases:endpoint_new"), endpoint_post(name="peek", url="static://alice-frozen")
    )
    errors = form_errors(response)
    assert any("no static results named 'alice-frozen' that you may use" in e for e in errors)
    assert not SearchEndpoint.objects.filter(name="peek").exists()


@pytest.mark.django_db
def test_an_endpoint_saved_over_someone_elses_results_reads_nothing(world, data_dir):
    upload_set(world.owner, "alice-frozen")
    # Saved before saves were checked (or the set's owner dropped the outsider's team since).
    squat = SearchEndpoint.objects.create(
        name="peek", kind="static", url="static://alice-frozen", owner=world.outsider
    )
    ids, error = served_ids(squat, world.outsider)
    assert ids == []
    assert "static://alice-frozen is not a result set the endpoint's owner may use" in error
    ok, message = services.ping_endpoint(squat)
    assert not ok and "b2" not in message
    # The owner's own endpoint still reads them.
    mine = SearchEndpoint.objects.get(name="alice-frozen")
    assert served_ids(mine, world.owner) == (["b2", "b3"], "")


@pytest.mark.django_db
def test_the_not_found_message_lists_only_names_the_user_may_use(world, data_dir):
    upload_set(world.owner, "alice-frozen")
    upload_set(world.outsider, "oscar-own")
    response = client_for(world.outsider).post(
        reverse("cases:endpoint_new"), endpoint_post(name="x", url="static://nothing")
    )
    text = " ".join(form_errors(response))
    assert "no static results named 'nothing' that you may use (yours: oscar-own)" in text
    assert "alice-frozen" not in text
    assert str(data_dir) not in text


@pytest.mark.django_db
def test_a_set_imported_by_the_operator_cannot_be_overwritten_from_the_form(
    world, data_dir, tmp_path
):
    assert import_as_operator(tmp_path, data_dir, "ops") == 0
    response = client_for(world.owner).post(
        reverse("cases:endpoint_new"),
        endpoint_post(name="ops", url="static://ops", csv_file=upload(GOOD_CSV)),
    )
    assert "static://ops is taken; choose another name" in form_errors(response)
    assert not SearchEndpoint.objects.filter(name="ops").exists()
    from searchbench.engines.static import load

    assert [d.id for d in load("ops", data_dir).queries["red boots"].docs] == ["x9"]


@pytest.mark.django_db
def test_after_a_squat_the_owner_can_still_reupload(world, data_dir):
    upload_set(world.owner, "frozen")
    SearchEndpoint.objects.create(
        name="squat", kind="static", url="static://frozen", owner=world.outsider
    )
    mine = SearchEndpoint.objects.get(name="frozen", owner=world.owner)
    response = client_for(world.owner).post(
        reverse("cases:endpoint_edit", args=[mine.pk]),
        endpoint_post(csv_file=upload(OTHER_CSV)),
    )
    assert response.status_code == 302, form_errors(response)
    assert served_ids(mine, world.owner) == (["x9"], "")
    # … and the squatter's upload is refused without saying whose it is.
    response = client_for(world.outsider).post(
        reverse("cases:endpoint_new"), endpoint_post(name="mine", csv_file=upload(GOOD_CSV))
    )
    assert "static://frozen is taken; choose another name" in form_errors(response)
    assert "olive" not in response.content.decode()


@pytest.mark.django_db
def test_a_set_is_shared_with_the_teams_of_the_endpoint_it_was_uploaded_with(world, data_dir):
    from searchbench.cases.models import StaticResultSet

    upload_set(world.owner, "frozen", teams=[world.team.pk])
    frozen = StaticResultSet.objects.get(name="frozen")
    assert frozen.owner == world.owner and list(frozen.teams.all()) == [world.team]
    # A teammate may build their own endpoint on it; the outsider may not.
    response = client_for(world.teammate).post(
        reverse("cases:endpoint_new"), endpoint_post(name="toms")
    )
    assert response.status_code == 302
    toms = SearchEndpoint.objects.get(name="toms")
    assert served_ids(toms, world.teammate) == (["b2", "b3"], "")
    # Out of the team, the teammate's endpoint stops serving it.
    world.team.memberships.filter(user=world.teammate).delete()
    assert served_ids(toms, world.teammate)[0] == []


@pytest.mark.django_db
def test_an_operator_set_is_usable_by_nobody_until_it_has_an_owner(world, data_dir, tmp_path):
    from searchbench.cases.models import StaticResultSet

    assert import_as_operator(tmp_path, data_dir, "ops") == 0
    owner = client_for(world.owner)
    response = owner.post(reverse("cases:endpoint_new"), endpoint_post(url="static://ops"))
    assert any("no static results named 'ops' that you may use" in e for e in form_errors(response))
    # The operator hands it to olive and her team.
    code = import_as_operator(
        tmp_path, data_dir, "ops", "--owner", "olive", "--team", world.team.name
    )
    assert code == 0
    ops = StaticResultSet.objects.get(name="ops")
    assert ops.owner == world.owner and list(ops.teams.all()) == [world.team]
    assert (
        owner.post(reverse("cases:endpoint_new"), endpoint_post(url="static://ops")).status_code
        == 302
    )
    outsider = client_for(world.outsider)
    response = outsider.post(reverse("cases:endpoint_new"), endpoint_post(url="static://ops"))
    assert form_errors(response)
    # An unknown owner is a clear CLI error, and nothing is stored.
    assert import_as_operator(tmp_path, data_dir, "ops2", "--owner", "nobody") == 2
    assert not (data_dir / "static" / "ops2.sqlite").exists()


@pytest.mark.django_db
def test_a_served_snapshot_is_a_set_owned_by_whoever_served_it(world, data_dir):
    from searchbench.cases.models import StaticResultSet

    client = client_for(world.teammate)
    client.post(reverse("cases:snapshot_new", args=[world.case.pk]), {"name": "baseline"})
    snapshot = Snapshot.objects.get(case=world.case)
    client.post(reverse("cases:snapshot_endpoint", args=[world.case.pk, snapshot.pk]))
    endpoint = SearchEndpoint.objects.get(kind="static")
    assert "results" not in endpoint.options  # the docs live in the set, not in the options
    frozen = StaticResultSet.objects.get(name=endpoint.url.removeprefix("static://"))
    assert frozen.owner == world.teammate and list(frozen.teams.all()) == [world.team]
    assert served_ids(endpoint, world.teammate)[1] == ""
    # Serving it again (someone else, same name wanted) never takes over the first set.
    client_for(world.owner).post(
        reverse("cases:snapshot_endpoint", args=[world.case.pk, snapshot.pk])
    )
    second = SearchEndpoint.objects.filter(kind="static").exclude(pk=endpoint.pk).get()
    assert second.url != endpoint.url
    frozen.refresh_from_db()
    assert frozen.owner == world.teammate


@pytest.mark.django_db
def test_the_operator_gives_no_set_whose_name_differs_only_in_case(world, data_dir, tmp_path):
    """On MariaDB 'frozen' finds olive's 'FROZEN': the operator's import-static --owner oscar
    gave oscar olive's row (so her set's rows), and wrote its file under another name."""
    from searchbench.cases.models import StaticResultSet

    upload_set(world.owner, "FROZEN")
    code = import_as_operator(tmp_path, data_dir, "frozen", "--owner", "oscar")
    assert StaticResultSet.objects.get(name="FROZEN").owner == world.owner
    found = list(StaticResultSet.objects.filter(name="frozen").values_list("name", flat=True))
    if found == ["FROZEN"]:  # a database that holds the names as one
        assert code == 2
        assert not (data_dir / "static" / "frozen.sqlite").exists()
    else:
        assert code == 0
        assert StaticResultSet.objects.get(name="frozen").owner == world.outsider
