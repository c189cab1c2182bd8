from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import Case, Rating, ScoreHistory, SearchEndpoint, Try
from searchbench.cases.tests.htmlquery import parse


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_url(world, name="cases:detail"):
    return reverse(name, args=[world.case.pk])


def query_url(world, query, name="cases:query"):
    return reverse(name, args=[world.case.pk, query.pk])


@pytest.mark.django_db
def test_pages_require_login(world):
    response = Client().get(case_url(world))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_login_page_logs_in(world):
    client = Client(enforce_csrf_checks=False)
    page = parse(client.get("/accounts/login/").content)
    assert page.one("form#login-form input[name=username]")
    response = client.post("/accounts/login/", {"username": "olive", "password": "pw-olive"})
    assert response.status_code == 302 and response["Location"] == "/"
    bad = Client().post("/accounts/login/", {"username": "olive", "password": "nope"})
    assert parse(bad.content).one("p.error").text.startswith("Your user name and password")


@pytest.mark.django_db
def test_case_list_shows_own_and_team_cases_not_others(world):
    other = Case.objects.create(name="Secret case", owner=world.outsider, scorer=world.case.scorer)
    for user, expected in [
        (world.owner, {"Boots case"}),
        (world.teammate, {"Boots case"}),
        (world.outsider, {"Secret case"}),
    ]:
        page = parse(client_for(user).get("/").content)
        names = {row.select("td a")[0].text for row in page.select("#case-table tr.case-row")}
        assert names == expected, user
    assert other.pk


@pytest.mark.django_db
def test_create_case_makes_a_first_try(world):
    client = client_for(world.owner)
    response = client.post(
        "/",
        {
            "name": "New case",
            "scorer": world.case.scorer.pk,
            "endpoint": world.endpoint.pk,
            "query_template": '{"query": "#$query##"}',
            "field_spec": "id:id title:title",
        },
    )
    case = Case.objects.get(name="New case")
    assert response.status_code == 302 and response["Location"] == reverse(
        "cases:detail", args=[case.pk]
    )
    assert case.owner == world.owner
    assert list(case.tries.values_list("number", "endpoint_id")) == [(1, world.endpoint.pk)]


@pytest.mark.django_db
def test_case_page_lists_queries_with_scores(world):
    run = services.run_case(world.case)
    page = parse(client_for(world.teammate).get(case_url(world)).content)
    rows = page.select("#queries tr.query-row")
    assert [r.select("td a")[0].text for r in rows] == ["red boots", "tent"]
    tent_score = rows[1].select("span.score")[0].text
    assert tent_score == "1.000"
    assert page.one("#case-score span.score").text == f"{run.score:.3f}"
    assert len(page.select("#history tbody tr")) == 1
    assert page.one("#run-case")  # teammates may run


@pytest.mark.django_db
def test_outsider_gets_404_and_public_case_is_read_only(world):
    outsider = client_for(world.outsider)
    assert outsider.get(case_url(world)).status_code == 404
    assert outsider.get(query_url(world, world.q_boots)).status_code == 404
    world.case.public = True
    world.case.save()
    page = parse(outsider.get(case_url(world)).content)
    assert page.select("#run-case") == [] and page.select("#query-add") == []
    results = parse(outsider.get(query_url(world, world.q_boots)).content)
    assert all("disabled" in b.attrs for b in results.select("form.rating button.rate"))
    rate = outsider.post(
        query_url(world, world.q_boots, "cases:rate"), {"doc_id": "b3", "rating": "1"}
    )
    assert rate.status_code == 403
    assert outsider.post(case_url(world, "cases:run")).status_code == 403
    assert not Rating.objects.filter(doc_id="b3").exists()


@pytest.mark.django_db
def test_add_and_remove_query(world):
    client = client_for(world.owner)
    client.post(case_url(world, "cases:query_add"), {"text": "  wool   socks "})
    added = world.case.queries.get(text="wool socks")
    assert added.position == 3
    Rating.objects.create(query=added, doc_id="s1", rating=1)
    client.post(query_url(world, added, "cases:query_delete"))
    assert not world.case.queries.filter(pk=added.pk).exists()
    assert not Rating.objects.filter(doc_id="s1").exists()


@pytest.mark.django_db
def test_query_page_shows_field_spec_fields_and_rating_buttons(world):
    page = parse(client_for(world.owner).get(query_url(world, world.q_tent)).content)
    doc = page.one("li.doc")
    assert doc.attrs["data-doc-id"] == "t1"
    assert doc.one(".title").text == "green tent"
    assert doc.one("dl.fields dd").text == "a two person tent"
    buttons = doc.select("form.rating button.rate")
    assert [b.attrs["value"] for b in buttons][:2] == ["0.0", "1.0"]
    assert "chosen" in buttons[1].classes  # t1 is rated 1


@pytest.mark.django_db
def test_rating_with_fetch_returns_the_panel_with_new_scores(world):
    services.run_case(world.case)
    client = client_for(world.teammate)
    response = client.post(
        query_url(world, world.q_tent, "cases:rate"),
        {"doc_id": "t1", "rating": "0.0"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200
    panel = parse(response.content).one("#query-panel")
    assert panel.one("#query-score span.score").text == "0.000"
    last = ScoreHistory.objects.get(case=world.case)  # the run's row, with the rating folded in
    assert last.rated_at is not None and last.score != last.run_score
    assert panel.one("#case-score-value span.score").text == f"{last.score:.3f}"
    assert Rating.objects.get(query=world.q_tent, doc_id="t1").rating == 0.0


@pytest.mark.django_db
def test_rating_without_js_redirects_back_to_the_doc(world):
    response = client_for(world.owner).post(
        query_url(world, world.q_boots, "cases:rate"), {"doc_id": "b3", "rating": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == query_url(world, world.q_boots) + "#doc-b3"
    assert Rating.objects.get(query=world.q_boots, doc_id="b3").rating == 1.0


@pytest.mark.django_db
def test_bad_rating_is_a_400_with_the_reason(world):
    client = client_for(world.owner)
    url = query_url(world, world.q_boots, "cases:rate")
    assert client.post(url, {"doc_id": "b3", "rating": "lots"}).status_code == 400
    response = client.post(url, {"doc_id": "b3", "rating": "2"})
    assert response.status_code == 400 and b"scale" in response.content


@pytest.mark.django_db
def test_rating_needs_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    url = query_url(world, world.q_boots, "cases:rate")
    assert client.post(url, {"doc_id": "b3", "rating": "1"}).status_code == 403
    page = parse(client.get(query_url(world, world.q_boots)).content)
    token = page.select("form.rating input[name=csrfmiddlewaretoken]")[0].attrs["value"]
    ok = client.post(url, {"doc_id": "b3", "rating": "1", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_try_editor_creates_a_numbered_child_try_and_reruns(world):
    client = client_for(world.owner)
    form = parse(client.get(case_url(world, "cases:try_new")).content).one("form#try-form")
    assert "title^2" in form.one("textarea[name=query_template]").text
    response = client.post(
        case_url(world, "cases:try_new"),
        {
            "name": "body only",
            "query_template": '{"query": "#$query##", "fields": ["body"]}',
            "field_spec": "id:id title:title",
            "rows": "5",
            "escape": "on",
            "curator_vars": '{"boost": "3"}',
            "endpoint": world.endpoint.pk,
        },
    )
    assert response.status_code == 302
    new = Try.objects.get(case=world.case, number=2)
    assert (new.parent, new.rows, new.curator_vars) == (world.try_, 5, {"boost": "3"})
    assert ScoreHistory.objects.get(case=world.case).try_ref == new


@pytest.mark.django_db
def test_try_editor_reports_bad_json_with_position(world):
    response = client_for(world.owner).post(
        case_url(world, "cases:try_new"),
        {
            "query_template": "#$query##",
            "rows": "10",
            "curator_vars": '{"a": ',
            "endpoint": world.endpoint.pk,
        },
    )
    assert response.status_code == 200
    error = parse(response.content).select("ul.errorlist li")[0].text
    assert "not valid JSON" in error and "line 1" in error
    assert world.case.tries.count() == 1


@pytest.mark.django_db
def test_endpoint_password_is_write_only_and_encrypted(world):
    client = client_for(world.owner)
    url = reverse("cases:endpoint_new")
    response = client.post(
        url,
        {
            "name": "secure solr",
            "kind": "solr",
            "url": "http://solr.example:8983/solr/products",
            "method": "GET",
            "headers": '{"X-Team": "search"}',
            "username": "reader",
            "password": "s3cret-pass",
            "options": "",
            "timeout": "10",
        },
    )
    assert response.status_code == 302, response.content
    endpoint = SearchEndpoint.objects.get(name="secure solr")
    assert "s3cret-pass" not in endpoint.password_encrypted
    assert endpoint.get_password() == "s3cret-pass"
    edit = client.get(reverse("cases:endpoint_edit", args=[endpoint.pk]))
    assert b"s3cret-pass" not in edit.content
    assert parse(edit.content).one("input[name=password]").attrs.get("value", "") == ""
    # Saving the form without typing a password keeps the stored one.
    client.post(
        reverse("cases:endpoint_edit", args=[endpoint.pk]),
        {
            "name": "secure solr",
            "kind": "solr",
            "url": endpoint.url,
            "method": "GET",
            "headers": "",
            "username": "reader",
            "password": "",
            "options": "",
            "timeout": "5",
        },
    )
    endpoint.refresh_from_db()
    assert endpoint.get_password() == "s3cret-pass" and endpoint.timeout == 5.0


@pytest.mark.django_db
def test_endpoints_are_edited_by_their_owner_only(world):
    url = reverse("cases:endpoint_edit", args=[world.endpoint.pk])
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.owner).get(url).status_code == 200


@pytest.mark.django_db
def test_snapshot_from_the_case_page(world):
    client = client_for(world.teammate)
    response = client.post(case_url(world, "cases:snapshot_new"), {"name": "baseline"})
    assert response.status_code == 302
    page = parse(client.get(response["Location"]).content)
    rows = page.select("#snapshot-queries tr.snapshot-query")
    assert [r.select("td")[0].text for r in rows] == ["red boots", "tent"]
    assert rows[1].select("code")[0].text == "t1"
    listed = parse(client.get(case_url(world)).content).select("#snapshots td a")
    assert [a.text for a in listed] == ["baseline"]
    outsider = client_for(world.outsider)
    assert outsider.get(response["Location"]).status_code == 404


@pytest.mark.django_db
def test_endpoint_test_button_pings_the_engine(world):
    client = client_for(world.teammate)  # shared through the team? not yet: 404
    url = reverse("cases:endpoint_ping", args=[world.endpoint.pk])
    assert client.post(url).status_code == 404
    world.endpoint.teams.add(world.team)
    page = parse(client.post(url, follow=True).content)
    assert "6 docs" in page.one("li.msg.success").text
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(url="local://gone")
    page = parse(client.post(url, follow=True).content)
    assert "gone" in page.one("li.msg.error").text


@pytest.mark.django_db
def test_case_settings_change_scorer_and_archive(world):
    from searchbench.cases.models import Scorer

    client = client_for(world.owner)
    ndcg = Scorer.objects.get(name="nDCG@10")
    response = client.post(
        case_url(world, "cases:settings"),
        {
            "name": "Boots case",
            "scorer": ndcg.pk,
            "archived": "on",
            "teams": [world.team.pk],
            "options": '{"lang": "en"}',
        },
    )
    assert response.status_code == 302
    world.case.refresh_from_db()
    assert (world.case.scorer, world.case.archived, world.case.options) == (
        ndcg,
        True,
        {"lang": "en"},
    )
    listed = parse(client.get("/").content).select("#case-table tr.case-row")
    assert listed == []  # archived cases are hidden by default
    shown = parse(client.get("/?archived=1").content).select("#case-table tr.case-row")
    assert len(shown) == 1
    assert client_for(world.outsider).get(case_url(world, "cases:settings")).status_code == 404


@pytest.mark.django_db
def test_query_page_shows_the_engine_error(world):
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(url="local://missing-index")
    page = parse(client_for(world.owner).get(query_url(world, world.q_tent)).content)
    assert "missing-index" in page.one("p.error").text
    assert page.select("li.doc") == []


@pytest.mark.django_db
def test_query_pages_link_to_the_previous_and_next_query(world):
    client = client_for(world.owner)
    first = parse(client.get(query_url(world, world.q_boots)).content)
    assert first.select("#prev-query") == []
    assert first.one("#next-query").attrs["href"] == query_url(world, world.q_tent)
    last = parse(client.get(query_url(world, world.q_tent)).content)
    assert last.one("#prev-query").attrs["href"] == query_url(world, world.q_boots)
    assert last.select("#next-query") == []


@pytest.mark.django_db
def test_case_list_shows_the_latest_score(world):
    services.run_case(world.case)
    services.rate_doc(world.q_tent, "t1", 0)
    _outcome, latest = services.rescore_query(world.case, world.q_tent)
    row = parse(client_for(world.owner).get("/").content).one("#case-table tr.case-row")
    assert row.one("span.score").text == f"{latest.score:.3f}"


SCORER_POST = {
    "name": "top-heavy",
    "description": "half credit for a relevant first doc",
    "scale_text": "0, 1",
    "labels": '{"0": "no", "1": "yes"}',
    "code": "var s = 0;\nif (docRating(0) > 0) { s = 0.5; }\nsetScore(s);",
}


@pytest.mark.django_db
def test_create_a_custom_scorer_and_score_a_case_with_it(world):
    from searchbench.cases.models import Scorer

    client = client_for(world.owner)
    response = client.post(reverse("cases:scorer_new"), SCORER_POST)
    assert response.status_code == 302, response.content
    scorer = Scorer.objects.get(name="top-heavy")
    assert (scorer.kind, scorer.scale, scorer.owner) == ("custom", [0.0, 1.0], world.owner)
    world.case.scorer = scorer
    world.case.save()
    run = services.run_case(world.case)
    assert run.history.per_query == {str(world.q_boots.pk): 0.5, str(world.q_tent.pk): 0.5}
    names = [
        r.select("td")[0].text
        for r in parse(client.get(reverse("cases:scorers")).content).select("tr.scorer-row")
    ]
    assert "top-heavy" in names and "nDCG@10" in names


@pytest.mark.django_db
def test_scorer_code_errors_name_the_line(world):
    from searchbench.cases.models import Scorer

    bad = {**SCORER_POST, "code": "var s = 0;\nsetScore(undefinedThing.x);"}
    response = client_for(world.owner).post(reverse("cases:scorer_new"), bad)
    assert response.status_code == 200
    error = parse(response.content).select("ul.errorlist li")[0].text
    assert "line 2" in error
    assert not Scorer.objects.filter(name="top-heavy").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "nDCG@10", "built-in scorer"),
        ("name", "quepid:mine", "reserved"),
        ("scale_text", "0, x", "numbers separated by commas"),
        ("scale_text", "1", "between 2 and 11"),
        ("labels", '{"5": "wow"}', "not a value of the scale"),
    ],
)
def test_scorer_form_refuses_bad_input(world, field, value, message):
    response = client_for(world.owner).post(
        reverse("cases:scorer_new"), {**SCORER_POST, field: value}
    )
    assert response.status_code == 200
    errors = " ".join(li.text for li in parse(response.content).select("ul.errorlist li"))
    assert message in errors


@pytest.mark.django_db
def test_only_the_owner_edits_a_custom_scorer(world):
    client_for(world.owner).post(reverse("cases:scorer_new"), SCORER_POST)
    from searchbench.cases.models import Scorer

    url = reverse("cases:scorer_edit", args=[Scorer.objects.get(name="top-heavy").pk])
    # Not the owner: as with an endpoint, the edit page is not there for them (404).
    assert client_for(world.teammate).get(url).status_code == 404
    assert client_for(world.owner).get(url).status_code == 200
    builtin = Scorer.objects.get(name="nDCG@10")
    assert (
        client_for(world.owner).get(reverse("cases:scorer_edit", args=[builtin.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_query_notes_and_options_are_saved(world):
    client = client_for(world.teammate)
    url = query_url(world, world.q_boots, "cases:query_notes")
    response = client.post(
        url,
        {
            "information_need": "red winter boots",
            "notes": "b3 is blue",
            "options": '{"lang": "en"}',
        },
    )
    assert response.status_code == 302
    world.q_boots.refresh_from_db()
    assert (world.q_boots.information_need, world.q_boots.notes, world.q_boots.options) == (
        "red winter boots",
        "b3 is blue",
        {"lang": "en"},
    )
    bad = client.post(url, {"options": "[1]"}, follow=True)
    assert "expected a JSON object" in parse(bad.content).one("li.msg.error").text
    assert client_for(world.outsider).post(url, {"notes": "x"}).status_code == 404


@pytest.mark.django_db
def test_rating_a_case_without_a_try_keeps_the_rating_and_says_why_it_is_not_scored(world):
    world.case.tries.all().delete()
    client = client_for(world.owner)
    url = query_url(world, world.q_boots, "cases:rate")
    response = client.post(
        url, {"doc_id": "b3", "rating": "1"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 200
    assert "has no try yet" in response.content.decode()
    plain = client.post(url, {"doc_id": "s1", "rating": "0"})
    assert plain.status_code == 302
    assert Rating.objects.get(query=world.q_boots, doc_id="b3").rating == 1.0
    assert Rating.objects.get(query=world.q_boots, doc_id="s1").rating == 0.0
