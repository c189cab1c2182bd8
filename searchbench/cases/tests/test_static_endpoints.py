"""Frozen results from the UI (CSV upload, snapshot → endpoint), the URL policy on save, and
credentials never echoed back."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import SearchEndpoint, Snapshot, Try
from searchbench.cases.tests.htmlquery import parse

GOOD_CSV = (
    "Query Text,Doc ID,Doc Position,title\n"
    "red boots,b2,1,red rain boots\n"
    "red boots,b3,2,blue boots\n"
    "tent,t1,1,green tent\n"
)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def endpoint_post(**overrides):
    data = {
        "name": "frozen",
        "kind": "static",
        "url": "static://frozen",
        "method": "GET",
        "headers": "",
        "username": "",
        "password": "",
        "options": "",
        "timeout": "10",
    }
    data.update(overrides)
    return data


def upload(text: str, name: str = "frozen.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db
def test_a_static_endpoint_from_a_csv_upload_scores_a_case(world, data_dir):
    client = client_for(world.owner)
    page = parse(client.get(reverse("cases:endpoint_new")).content)
    form = page.one("#endpoint-form")
    assert form.attrs["enctype"] == "multipart/form-data"
    assert form.one("input[name=csv_file]").attrs["type"] == "file"
    response = client.post(reverse("cases:endpoint_new"), endpoint_post(csv_file=upload(GOOD_CSV)))
    assert response.status_code == 302, response.content
    endpoint = SearchEndpoint.objects.get(name="frozen")
    assert endpoint.url == "static://frozen"
    assert (data_dir / "static" / "frozen.sqlite").exists()
    new_try = services.create_try(
        world.case,
        parent=world.try_,
        query_template="",
        field_spec="id:id title",
        endpoint=endpoint,
    )
    run = services.run_case(world.case, user=world.owner, try_=new_try)
    # P@10 over the frozen lists: red boots has b2 (rated) and b3 (not) → 1/2; tent → t1 → 1/1.
    assert run.errors == {}
    assert run.score == pytest.approx((0.5 + 1.0) / 2)


@pytest.mark.django_db
def test_a_bad_csv_lists_every_problem_with_its_line_and_saves_nothing(world, data_dir):
    client = client_for(world.owner)
    bad = GOOD_CSV + "tent,t2,one,x\ntent,,2,y\ntent,t1,3,again\n"
    response = client.post(
        reverse("cases:endpoint_new"), endpoint_post(csv_file=upload(bad, "bad.csv"))
    )
    assert response.status_code == 200
    page = parse(response.content)
    errors = [li.text for li in page.select("#endpoint-form ul.errorlist li")]
    assert "bad.csv:5: column 'Doc Position' is 'one', expected a whole number from 1 up" in errors
    assert "bad.csv:6: column 'Doc ID' is empty" in errors
    assert any(e.startswith("bad.csv:7: query 'tent' lists doc 't1' twice") for e in errors)
    assert len(errors) == 3
    assert not SearchEndpoint.objects.filter(name="frozen").exists()
    assert not list((data_dir / "static").glob("*"))
    # The typed fields are kept for the next attempt.
    assert page.one("input[name=name]").attrs["value"] == "frozen"


@pytest.mark.django_db
def test_static_endpoint_without_stored_results_or_upload_is_refused(world, data_dir):
    client = client_for(world.owner)
    response = client.post(reverse("cases:endpoint_new"), endpoint_post(url="static://nothing"))
    assert response.status_code == 200
    errors = parse(response.content).select("#endpoint-form ul.errorlist li")
    assert any("no static results named 'nothing'" in e.text for e in errors)
    response = client.post(
        reverse("cases:endpoint_new"),
        endpoint_post(url="static://../x", csv_file=upload(GOOD_CSV)),
    )
    assert (
        "bad static results name" in parse(response.content).one("#endpoint-form ul.errorlist").text
    )
    response = client.post(
        reverse("cases:endpoint_new"),
        endpoint_post(kind="solr", url="http://solr.example/solr/x", csv_file=upload(GOOD_CSV)),
    )
    assert "for the static engine only" in response.content.decode()
    assert not SearchEndpoint.objects.filter(name="frozen").exists()


@pytest.mark.django_db
def test_another_users_static_results_cannot_be_overwritten(world, data_dir):
    assert (
        client_for(world.owner)
        .post(reverse("cases:endpoint_new"), endpoint_post(csv_file=upload(GOOD_CSV)))
        .status_code
        == 302
    )
    before = (data_dir / "static" / "frozen.sqlite").read_bytes()
    response = client_for(world.outsider).post(
        reverse("cases:endpoint_new"),
        endpoint_post(csv_file=upload("Query Text,Doc ID,Doc Position\nx,1,1\n")),
    )
    assert response.status_code == 200
    assert (
        "static://frozen is taken; choose another name"
        in parse(response.content).one("#endpoint-form ul.errorlist").text
    )
    assert (data_dir / "static" / "frozen.sqlite").read_bytes() == before


@pytest.mark.django_db
def test_a_snapshot_served_as_an_endpoint_reproduces_its_scores(world, data_dir):
    client = client_for(world.teammate)
    client.post(reverse("cases:snapshot_new", args=[world.case.pk]), {"name": "baseline"})
    snapshot = Snapshot.objects.get(case=world.case, name="baseline")
    page = parse(client.get(reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])).content)
    form = page.one("#snapshot-endpoint-form")
    assert form.attrs["action"] == reverse(
        "cases:snapshot_endpoint", args=[world.case.pk, snapshot.pk]
    )
    response = client.post(form.attrs["action"])
    assert response.status_code == 302
    endpoint = SearchEndpoint.objects.get(kind="static")
    assert endpoint.owner == world.teammate
    assert list(endpoint.teams.all()) == [world.team]
    # The try editor offers the new endpoint, preselected.
    editor = parse(client.get(response["Location"]).content)
    chosen = editor.one("select[name=endpoint] option[selected]")
    assert chosen.attrs["value"] == str(endpoint.pk)
    # A try over the frozen results scores exactly as the snapshot did, query by query.
    frozen_try = services.create_try(
        world.case,
        parent=world.try_,
        query_template="(unused)",
        field_spec=world.try_.field_spec,
        endpoint=endpoint,
    )
    run = services.run_case(world.case, user=world.teammate, try_=frozen_try)
    assert run.errors == {}
    assert run.score == pytest.approx(snapshot.score)
    by_text = {q.query_text: q.score for q in snapshot.queries.all()}
    assert {o.query.text: o.score for o in run.outcomes} == pytest.approx(by_text)
    # Read-only viewers get no button; outsiders get nothing.
    world.case.public = True
    world.case.save()
    url = reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])
    assert not parse(client_for(world.outsider).get(url).content).select("#snapshot-endpoint-form")
    post = reverse("cases:snapshot_endpoint", args=[world.case.pk, snapshot.pk])
    assert client_for(world.outsider).post(post).status_code == 403
    assert SearchEndpoint.objects.filter(kind="static").count() == 1


@pytest.mark.django_db
def test_a_denied_url_is_named_on_the_form(world, monkeypatch):
    monkeypatch.setenv("SEARCHBENCH_URL_DENY", "blocked.example,10.0.0.0/8")
    client = client_for(world.owner)
    data = endpoint_post(kind="solr", name="solr")
    for url in ("http://blocked.example:8983/solr/x", "http://10.1.2.3:8983/solr/x"):
        response = client.post(reverse("cases:endpoint_new"), {**data, "url": url})
        assert response.status_code == 200
        field_errors = parse(response.content).one("#endpoint-form ul.errorlist").text
        assert "SEARCHBENCH_URL_DENY" in field_errors
    response = client.post(
        reverse("cases:endpoint_new"), {**data, "url": "ftp://solr.example/solr/x"}
    )
    assert "only http:// and https://" in response.content.decode()
    monkeypatch.setenv("SEARCHBENCH_ALLOW_PRIVATE_URLS", "0")
    monkeypatch.setenv("SEARCHBENCH_URL_DENY", "")
    response = client.post(
        reverse("cases:endpoint_new"), {**data, "url": "http://127.0.0.1:8983/solr/x"}
    )
    assert "loopback/private/link-local" in response.content.decode()
    assert not SearchEndpoint.objects.filter(name="solr").exists()
    monkeypatch.setenv("SEARCHBENCH_ALLOW_PRIVATE_URLS", "1")
    response = client.post(
        reverse("cases:endpoint_new"), {**data, "url": "http://127.0.0.1:8983/solr/x"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_credentials_are_never_echoed_back(world, data_dir, caplog):
    secret, header_secret = "pw-Zq81-secret", "hdr-Zq81-token"
    client = client_for(world.owner)
    response = client.post(
        reverse("cases:endpoint_new"),
        endpoint_post(
            kind="solr",
            name="guarded",
            url="http://127.0.0.1:9/solr/x",
            username="reader",
            password=secret,
        ),
    )
    assert response.status_code == 302
    endpoint = SearchEndpoint.objects.get(name="guarded")
    # A password in the URL is refused (URLs are shown on pages), naming the right fields.
    response = client.post(
        reverse("cases:endpoint_new"),
        endpoint_post(kind="solr", name="leaky", url=f"http://reader:{secret}@127.0.0.1:9/solr"),
    )
    assert "use the basic-auth user and password fields" in response.content.decode()
    assert secret not in response.content.decode()
    # A row stored before that rule is masked in the list.
    old = SearchEndpoint.objects.create(
        name="old",
        kind="solr",
        url=f"http://reader:{secret}@127.0.0.1:9/solr",
        owner=world.owner,
        headers={"X-Api-Key": header_secret},
    )
    world.endpoint.teams.add(world.team)
    Try.objects.filter(pk=world.try_.pk).update(endpoint=endpoint)
    world.case.tries.update(endpoint=endpoint)
    with caplog.at_level("DEBUG"):
        client.post(reverse("cases:run", args=[world.case.pk]))  # connection refused per query
        client.post(reverse("cases:endpoint_ping", args=[endpoint.pk]))
        client.post(reverse("cases:snapshot_new", args=[world.case.pk]), {"name": "s"})
    snapshot = Snapshot.objects.get(case=world.case)
    pages = [
        reverse("cases:list"),
        reverse("cases:endpoints"),
        reverse("cases:endpoint_new"),
        reverse("cases:endpoint_edit", args=[endpoint.pk]),
        reverse("cases:endpoint_edit", args=[old.pk]),
        reverse("cases:detail", args=[world.case.pk]),
        reverse("cases:settings", args=[world.case.pk]),
        reverse("cases:try_new", args=[world.case.pk]),
        reverse("cases:query", args=[world.case.pk, world.q_boots.pk]),
        reverse("cases:snapshot", args=[world.case.pk, snapshot.pk]),
        reverse("explain:query", args=[world.case.pk, world.q_boots.pk]),
    ]
    for user in (world.owner, world.teammate):
        viewer = client_for(user)
        for url in pages:
            response = viewer.get(url)
            if user == world.teammate and "endpoints/" in url and url.endswith("edit"):
                assert response.status_code == 404
                continue
            assert response.status_code == 200, url
            html = response.content.decode()
            assert secret not in html, url
            assert header_secret not in html, url
            assert not re.search(r"reader:[^@\s]*@", html), url
    listing = client.get(reverse("cases:endpoints")).content.decode()
    assert "127.0.0.1:9/solr" in listing  # the masked URL is still shown
    assert secret not in caplog.text
    history = world.case.score_history.first()
    assert history is not None and history.errors  # the engine fault was recorded …
    assert secret not in str(history.errors)  # … without the credential


@pytest.mark.django_db
def test_secret_headers_are_masked_in_the_form_and_kept_on_save(world):
    client = client_for(world.owner)
    token = "Bearer tok-Zq81"
    endpoint = SearchEndpoint.objects.create(
        name="api",
        kind="searchapi",
        url="http://127.0.0.1:9/search",
        owner=world.owner,
        headers={"Authorization": token, "X-Team": "search"},
        options={"docs_path": "results"},
    )
    url = reverse("cases:endpoint_edit", args=[endpoint.pk])
    page = parse(client.get(url).content)
    shown = page.one("textarea[name=headers]").text
    assert token not in shown and '"X-Team": "search"' in shown and '"***"' in shown
    # Posting the form back as shown keeps the stored token; a typed value replaces it.
    data = endpoint_post(
        kind="searchapi",
        name="api",
        url=endpoint.url,
        headers=shown,
        options='{"docs_path": "results"}',
    )
    assert client.post(url, data).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.get_headers() == {"Authorization": token, "X-Team": "search"}
    data["headers"] = '{"Authorization": "Bearer new", "X-Team": "search"}'
    assert client.post(url, data).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.get_headers()["Authorization"] == "Bearer new"
    # A mask with nothing behind it is an error on the field, not a literal "***" header.
    data["headers"] = '{"X-Api-Key": "***"}'
    response = client.post(url, data)
    assert response.status_code == 200
    assert "none is stored" in parse(response.content).one("#endpoint-form ul.errorlist").text
