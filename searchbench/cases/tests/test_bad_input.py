"""Hostile or broken input gets a form error or a 400 that says what is wrong, never a 500.

The test client re-raises a view's exception, so each of these failed with the server error it
used to produce (RecursionError, IntegrityError, ValueError, OverflowError …).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from searchbench.cases.models import Case, Query, Scorer, SearchEndpoint
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_static_endpoints import endpoint_post
from searchbench.cases.tests.test_views import SCORER_POST

BIG_ID = "99999999999999999999999"

# JSON that Python's json module reads (or crashes on) but no database or browser takes.
BAD_JSON = [
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper than 64 levels"),
    ('{"a": NaN}', "NaN is not JSON"),
    ('{"a": -Infinity}', "-Infinity is not JSON"),
    ('{"a": 1e309}', "out of range"),
    ('{"a": ' + "7" * 5000 + "}", "a number of 5000 characters"),
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def errors(response) -> str:
    return " ".join(li.text for li in parse(response.content).select("ul.errorlist li"))


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "message"), BAD_JSON)
def test_case_options_refuse_json_the_database_cannot_store(world, text, message):
    response = client_for(world.owner).post(
        reverse("cases:settings", args=[world.case.pk]),
        {"name": "Boots case", "scorer": world.case.scorer.pk, "options": text},
    )
    assert response.status_code == 200
    assert message in errors(response) and "line 1" in errors(response)
    assert Case.objects.get(pk=world.case.pk).options == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "message"), BAD_JSON)
def test_query_options_refuse_bad_json(world, text, message):
    url = reverse("cases:query_notes", args=[world.case.pk, world.q_boots.pk])
    page = parse(client_for(world.owner).post(url, {"options": text}, follow=True).content)
    assert message in page.one("li.msg.error").text
    assert Query.objects.get(pk=world.q_boots.pk).options == {}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["headers", "options"])
def test_endpoint_json_fields_refuse_nan(world, field):
    data = endpoint_post(kind="solr", name="solr", url="http://127.0.0.1:9/solr/x")
    response = client_for(world.owner).post(
        reverse("cases:endpoint_new"), {**data, field: '{"X-A": NaN}'}
    )
    assert response.status_code == 200 and "NaN is not JSON" in errors(response)


@pytest.mark.django_db
def test_try_curator_vars_refuse_deep_json(world):
    response = client_for(world.owner).post(
        reverse("cases:try_new", args=[world.case.pk]),
        {
            "query_template": "#$query##",
            "rows": "10",
            "curator_vars": "[" * 100_000,
            "endpoint": world.endpoint.pk,
        },
    )
    assert response.status_code == 200 and "nested deeper than" in errors(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ("nan, 1", "'nan' is not a finite number"),
        ("inf, 1", "'inf' is not a finite number"),
        ("1e309, 0", "'1e309' is not a finite number"),
        ("-Infinity, 0", "'-Infinity' is not a finite number"),
        ("1" * 5000 + ", 0", "is not a finite number"),
    ],
)
def test_scorer_scale_must_be_finite_numbers(world, scale, message):
    response = client_for(world.owner).post(
        reverse("cases:scorer_new"), {**SCORER_POST, "scale_text": scale}
    )
    assert response.status_code == 200 and message in errors(response)
    assert not Scorer.objects.filter(name=SCORER_POST["name"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("rating", ["nan", "inf", "-Infinity", "1e309"])
def test_a_rating_must_be_a_finite_number(world, rating):
    url = reverse("cases:rate", args=[world.case.pk, world.q_boots.pk])
    response = client_for(world.owner).post(url, {"doc_id": "b3", "rating": rating})
    assert response.status_code == 400
    assert response.content.decode() == f"rating {rating!r} is not a finite number"


@pytest.mark.django_db
@pytest.mark.parametrize("value", [BIG_ID, "-1", "0", "1.5", "²", "١", "x", ""])
def test_explain_snapshot_ids_that_cannot_exist_are_not_found(world, value):
    url = reverse("explain:query", args=[world.case.pk, world.q_boots.pk])
    assert client_for(world.owner).get(url, {"snapshot": value}).status_code in (
        (200,) if value == "" else (404,)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("value", [BIG_ID, "²", "-3"])
def test_the_try_editor_ignores_an_endpoint_id_that_cannot_exist(world, value):
    url = reverse("cases:try_new", args=[world.case.pk])
    assert client_for(world.owner).get(url, {"endpoint": value}).status_code == 200


def _patterns(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


@pytest.mark.django_db
def test_no_page_fails_on_an_id_too_big_for_the_database(world):
    """Every route with ids in its path, with a 23-digit id: a 404 (or a redirect), GET and
    POST. The id converter refuses what no database id can be before a view sees it. (Routes
    with no id, such as a password-reset link's user and token, say on a page of their own that
    the link is not valid; a route's other parameters, such as an export's format, get "x".)"""
    client = client_for(world.owner)
    ids = r"<(?:id|int):[^>]*>"
    routes = [
        r for r in _patterns(get_resolver()) if re.search(ids, r) and not r.startswith("admin")
    ]
    assert len(routes) > 10
    for route in routes:
        path = "/" + re.sub(r"<[^>]*>", "x", re.sub(ids, BIG_ID, route))
        for method in (client.get, client.post):
            assert method(path).status_code in (404, 405), (method, path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[127.0.0.1]:8201/", "An IPv4 address cannot be in brackets"),
        ("http://[zz]/solr", "does not appear to be an IPv4 or IPv6 address"),
        ("http://solr.example:99999/solr", "bad port"),
        ("http://solr.example:x/solr", "bad port"),
    ],
)
def test_an_unparseable_endpoint_url_is_a_form_error(world, url, message):
    data = endpoint_post(kind="solr", name="solr", url=url)
    response = client_for(world.owner).post(reverse("cases:endpoint_new"), data)
    assert response.status_code == 200 and message in errors(response)
    assert not SearchEndpoint.objects.filter(name="solr").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ('{"Content-Length": "5"}', "Content-Length: set by the HTTP client"),
        ('{"transfer-encoding": "chunked"}', "transfer-encoding: set by the HTTP client"),
        ('{"Host": "intranet"}', "Host: set by the HTTP client"),
        ('{"Connection": "close"}', "Connection: set by the HTTP client"),
        ('{"X Bad": "1"}', "'X Bad' is not a valid header name"),
        ('{"X-Bad:": "1"}', "'X-Bad:' is not a valid header name"),
        ('{"X-Bad": "a\\r\\nX-Evil: 1"}', "X-Bad: the value must be printable ASCII"),
        ('{"X-Bad": "caf\\u00e9"}', "X-Bad: the value must be printable ASCII"),
    ],
)
def test_custom_headers_that_break_http_are_refused(world, headers, message):
    data = endpoint_post(kind="solr", name="solr", url="http://127.0.0.1:9/solr/x")
    response = client_for(world.owner).post(
        reverse("cases:endpoint_new"), {**data, "headers": headers}
    )
    assert response.status_code == 200 and message in errors(response)
    assert not SearchEndpoint.objects.filter(name="solr").exists()


@pytest.mark.django_db
def test_test_connection_with_a_framing_header_saved_earlier_says_why(world, live_solrlike):
    """A row saved before headers were checked: "test connection" names the header."""
    endpoint = SearchEndpoint.objects.create(
        name="old",
        kind="solr",
        url=live_solrlike,
        headers={"Content-Length": "5"},
        owner=world.owner,
    )
    url = reverse("cases:endpoint_ping", args=[endpoint.pk])
    page = parse(client_for(world.owner).post(url, follow=True).content)
    assert "Content-Length: set by the HTTP client" in page.one("li.msg.error").text


@pytest.fixture
def live_solrlike():
    """A local HTTP server answering anything with an empty Solr response."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"responseHeader": {"status": 0}, "response": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/solr/core"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "message"), BAD_JSON)
def test_the_admin_refuses_bad_json_too(world, text, message):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("root", password="pw-root")
    url = reverse("admin:cases_case_change", args=[world.case.pk])
    data = {
        "name": "Boots case",
        "owner": world.owner.pk,
        "scorer": world.case.scorer.pk,
        "options": text,
        "teams": [world.team.pk],
        "tries-TOTAL_FORMS": "0",
        "tries-INITIAL_FORMS": "0",
    }
    response = client_for(staff).post(url, data)
    assert response.status_code == 200 and "Enter a valid JSON" in response.content.decode()
    assert Case.objects.get(pk=world.case.pk).options == {}
