"""The tries list and a try's page: open, switch back, duplicate, rename; who may."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import ScoreHistory
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for

pytestmark = pytest.mark.django_db


def _second_try(world):
    """Try 2: a template that finds the socks whatever the query (no rated doc), run once."""
    try2 = services.create_try(
        world.case,
        parent=world.try_,
        name="socks",
        query_template='{"query": "socks", "fields": ["title"]}',
        field_spec=world.try_.field_spec,
        endpoint=world.endpoint,
    )
    services.run_case(world.case, try_=try2)
    return try2


def test_it_lists_tries_with_their_latest_run_score(world):
    first = services.run_case(world.case)
    try2 = _second_try(world)
    page = parse(
        client_for(world.teammate)
        .get(reverse("cases:tries", args=[world.case.pk]))
        .content.decode()
    )
    rows = {r.attrs["data-try"]: r for r in page.select("#try-table tr.try-row")}
    assert set(rows) == {"1", "2"}
    assert "current" in rows["2"].classes and "current" not in rows["1"].classes
    assert rows["1"].one("td.try-score .score").text == f"{first.score:.3f}"
    run2 = ScoreHistory.objects.filter(try_ref=try2).first()
    assert run2.score == 0.0 < first.score
    assert rows["2"].one("td.try-score .score").text == f"{run2.score:.3f}"
    assert "tiny" in rows["1"].text
    # Only the non-current try offers "switch back"; both offer "duplicate".
    assert rows["1"].select("button.switch") and not rows["2"].select("button.switch")
    assert rows["2"].select("button.duplicate")


def test_a_try_page_shows_its_settings(world):
    world.try_.curator_vars = {"boost": 3}
    world.try_.save()
    page = parse(
        client_for(world.owner).get(reverse("cases:try", args=[world.case.pk, 1])).content.decode()
    )
    assert page.one("#try-template").text == world.try_.query_template
    assert page.one("#try-field-spec").text == "id:id title:title body"
    assert page.one("#try-rows").text == "10"
    assert "boost" in page.one("#try-curator-vars").text
    assert "tiny" in page.one("#try-endpoint").text


def test_switching_back_makes_a_copy_the_current_try_and_runs_it(world):
    services.run_case(world.case)
    _second_try(world)
    response = client_for(world.owner).post(reverse("cases:try_switch", args=[world.case.pk, 1]))
    assert response.status_code == 302
    current = world.case.current_try()
    assert current.number == 3 and current.parent_id == world.try_.pk
    assert current.query_template == world.try_.query_template
    # The run was queued (and, without workers in tests, done inline or waiting): a job for try 3.
    from searchbench.jobs.models import Job

    assert Job.objects.filter(case=world.case, try_ref=current).exists()


def test_duplicate_copies_without_running(world):
    from searchbench.jobs.models import Job

    response = client_for(world.teammate).post(
        reverse("cases:try_duplicate", args=[world.case.pk, 1])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:try", args=[world.case.pk, 2])
    copy = world.case.current_try()
    assert copy.number == 2 and copy.field_spec == world.try_.field_spec
    assert not Job.objects.filter(try_ref=copy).exists()


def test_rename(world):
    client = client_for(world.owner)
    url = reverse("cases:try_rename", args=[world.case.pk, 1])
    assert client.post(url, {"name": "  title  boost "}).status_code == 302
    world.try_.refresh_from_db()
    assert world.try_.name == "title boost"
    client.post(url, {"name": "x" * 201})
    world.try_.refresh_from_db()
    assert world.try_.name == "title boost"  # refused, kept


def test_outsiders_get_404_and_readers_403(world):
    outsider = client_for(world.outsider)
    case = world.case.pk
    for name in ("cases:tries",):
        assert outsider.get(reverse(name, args=[case])).status_code == 404
    for name in ("cases:try", "cases:try_switch", "cases:try_duplicate", "cases:try_rename"):
        method = outsider.get if name == "cases:try" else outsider.post
        assert method(reverse(name, args=[case, 1])).status_code == 404
    # A try number the case does not have is 404 to its owner too.
    owner = client_for(world.owner)
    assert owner.get(reverse("cases:try", args=[case, 9])).status_code == 404
    assert owner.post(reverse("cases:try_switch", args=[case, 9])).status_code == 404
    # A public case's reader sees the tries, changes nothing.
    world.case.public = True
    world.case.save()
    assert outsider.get(reverse("cases:tries", args=[case])).status_code == 200
    assert outsider.post(reverse("cases:try_duplicate", args=[case, 1])).status_code == 403
    assert world.case.tries.count() == 1


def test_the_case_page_links_the_current_try_the_tries_and_compare(world):
    case = world.case.pk
    page = parse(client_for(world.teammate).get(reverse("cases:detail", args=[case])).content)
    assert page.one("#current-try-link").attrs["href"] == reverse("cases:try", args=[case, 1])
    assert page.one("#tries-link").attrs["href"] == reverse("cases:tries", args=[case])
    assert page.one("#case-compare-link").attrs["href"] == reverse("cases:compare", args=[case])


def test_an_earlier_try_can_be_edited_into_a_new_one(world):
    _second_try(world)
    client = client_for(world.owner)
    page = parse(client.get(reverse("cases:try", args=[world.case.pk, 1])).content)
    href = page.one("#try-edit-from").attrs["href"]
    assert href == reverse("cases:try_new", args=[world.case.pk]) + "?from=1"
    form = parse(client.get(href).content)
    assert form.one("#id_query_template").text == world.try_.query_template  # try 1's, not 2's
    data = {
        "name": "from one",
        "query_template": '{"query": "#$query##", "fields": ["title"]}',
        "field_spec": world.try_.field_spec,
        "rows": 10,
        "escape": "on",
        "curator_vars": "{}",
        "endpoint": world.endpoint.pk,
    }
    assert client.post(href, data).status_code == 302
    new = world.case.current_try()
    assert new.number == 3 and new.parent_id == world.try_.pk and new.name == "from one"
    assert client.get(reverse("cases:try_new", args=[world.case.pk]) + "?from=9").status_code == 404
    assert client.get(reverse("cases:try_new", args=[world.case.pk]) + "?from=x").status_code == 404
