from __future__ import annotations

import pytest

from searchbench.domain.explain_analysis import breakdown
from searchbench.engines import EndpointConfig, QueryContext, TryConfig, make_engine
from searchbench.engines.tests.fixtures import SOLR_OK, SOLR_SYNTAX_ERROR
from searchbench.engines.tests.server import FakeServer

TEMPLATE = "q=#$query##&defType=edismax&qf=title^2 body&rows=999&fl=everything"


def solr(server: FakeServer, **kw: object):  # type: ignore[no-untyped-def]
    return make_engine(EndpointConfig(kind="solr", url=server.url + "/solr/cran", **kw))  # type: ignore[arg-type]


def test_it_sends_the_template_params_with_fl_rows_wt_and_debug(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    res = solr(fake_server).search(
        QueryContext("flat & plate"),
        TryConfig(
            template=TEMPLATE,
            field_spec="id title author thumb:poster hl:body",
            rows=2,
            start=0,
            escape=False,
        ),
    )
    assert res.error is None
    sent = fake_server.requests[0]
    assert sent.param("q") == "flat & plate"
    assert sent.param("qf") == "title^2 body"
    assert sent.param("rows") == "2" and sent.param("start") == "0" and sent.param("wt") == "json"
    assert sent.param("fl") == "id title author poster body score"
    assert [v for k, v in sent.params if k == "fl"] == ["id title author poster body score"]
    assert sent.param("debugQuery") == "true" and sent.param("debug.explain.structured") == "true"
    assert sent.param("hl") == "true" and sent.param("hl.fl") == "body"
    assert res.request is not None and "q=flat+%26+plate" in res.request["url"]


def test_it_parses_docs_total_highlights_and_explain(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    res = solr(fake_server).search(
        QueryContext("flat plate"),
        TryConfig(
            template="q=#$query##", field_spec="id:id title:title author thumb:poster hl:body"
        ),
    )
    assert res.total == 57
    first, second = res.docs
    assert (first.id, first.title, first.score, first.position) == ("12", "flat plate flow", 7.5, 0)
    assert first.thumb == "p12.jpg"
    assert first.fields == {
        "id": "12",
        "title": "flat plate flow",
        "author": ["a. smith"],
        "poster": "p12.jpg",
    }
    assert first.highlights == {"body": ["over a <em>flat</em> <em>plate</em>"]}
    assert second.highlights == {}
    assert first.explain is not None and first.explain.kind == "sum"
    term = first.explain.children[0]
    assert (term.kind, term.field, term.term) == ("term", "title", "flat")
    assert [(c.label, c.contribution) for c in breakdown(first.explain).clauses] == [
        ("title:flat", 4.5),
        ("title:plate", 3.0),
    ]


def test_it_escapes_the_query_when_the_try_says_so(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    solr(fake_server).search(
        QueryContext("a:b (c)"), TryConfig(template="q=#$query##", escape=True)
    )
    assert fake_server.requests[0].param("q") == "a\\:b \\(c\\)"


def test_post_sends_the_params_form_encoded(fake_server: FakeServer) -> None:
    fake_server.json_reply("POST", "/solr/cran/select", SOLR_OK)
    res = solr(fake_server, method="POST").search(
        QueryContext("x"), TryConfig(template="q=#$query##")
    )
    assert res.error is None
    sent = fake_server.requests[0]
    assert sent.method == "POST" and sent.param("q") == "x" and sent.param("wt") == "json"


def test_a_url_ending_in_a_handler_is_used_as_is(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/query", SOLR_OK)
    engine = make_engine(EndpointConfig(kind="solr", url=fake_server.url + "/solr/cran/query"))
    assert engine.search(QueryContext("x"), TryConfig(template="q=#$query##")).error is None


def test_solr_errors_are_surfaced_in_solr_words(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_SYNTAX_ERROR, status=400)
    res = solr(fake_server).search(
        QueryContext("title:("), TryConfig(template="q=#$query##", escape=False)
    )
    assert res.error is not None
    assert res.error.startswith(
        "Solr error (HTTP 400): org.apache.solr.search.SyntaxError: Cannot parse 'title:('"
    )
    assert res.docs == [] and res.total == 0


def test_a_5xx_html_page_is_reported_with_its_title(fake_server: FakeServer) -> None:
    page = "<html><head><title>Error 503 Service Unavailable</title></head></html>"
    fake_server.route(
        "GET", "/solr/cran/select", lambda _r: (503, {"Content-Type": "text/html"}, page)
    )
    res = solr(fake_server).search(QueryContext("x"), TryConfig(template="q=#$query##"))
    assert res.error is not None
    assert res.error.startswith(f"HTTP 503 from {fake_server.url}/solr/cran/select?")
    assert res.error.endswith(": an HTML page ('Error 503 Service Unavailable')")


def test_malformed_json_and_wrong_shapes_are_clear(fake_server: FakeServer) -> None:
    fake_server.route(
        "GET",
        "/solr/cran/select",
        lambda _r: (200, {"Content-Type": "application/json"}, '{"response": {"docs": ['),
    )
    res = solr(fake_server).search(QueryContext("x"), TryConfig(template="q=#$query##"))
    assert "expected JSON but got text" in (res.error or "")
    fake_server.json_reply("GET", "/solr/cran/select", {"hello": "world"})
    res = solr(fake_server).search(QueryContext("x"), TryConfig(template="q=#$query##"))
    assert "no response.docs" in (res.error or "")


def test_a_missing_id_field_names_the_field_spec(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    res = solr(fake_server).search(
        QueryContext("x"), TryConfig(template="q=#$query##", field_spec="id:sku title")
    )
    assert "no id field 'sku'" in (res.error or "")


def test_basic_auth_and_headers_are_sent_and_masked(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    engine = solr(
        fake_server, username="solr", password="SolrRocks", headers={"X-Api-Key": "abc123"}
    )
    res = engine.search(QueryContext("x"), TryConfig(template="q=#$query##"))
    sent = fake_server.requests[0]
    assert (
        sent.headers["Authorization"].startswith("Basic ") and sent.headers["X-Api-Key"] == "abc123"
    )
    assert "SolrRocks" not in repr(res.request) and "abc123" not in repr(res.request)
    assert "SolrRocks" not in repr(engine.config)


def test_ping(fake_server: FakeServer, closed_port_url: str) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    ping = solr(fake_server).ping()
    assert ping.ok and "57 docs" in ping.message
    down = make_engine(EndpointConfig(kind="solr", url=closed_port_url + "/solr/x")).ping()
    assert not down.ok and "connection refused" in down.message


@pytest.mark.parametrize("template", ["q=#$query##&x=#$nope##", "q=#$query"])
def test_bad_templates_are_per_query_errors(fake_server: FakeServer, template: str) -> None:
    res = solr(fake_server).search(QueryContext("x"), TryConfig(template=template))
    assert res.error and "position" in res.error
    assert fake_server.requests == []


def test_a_failed_query_keeps_the_request_and_the_raw_answer(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_SYNTAX_ERROR, status=400)
    res = solr(fake_server, password="pw", username="u").search(
        QueryContext("title:("), TryConfig(template="q=#$query##", escape=False)
    )
    assert res.error and res.request is not None
    assert (
        "q=title%3A%28" in res.request["url"]
        and res.request["headers"]["Authorization"] == "Basic ***"
    )
    assert "SyntaxError" in res.response


def test_a_json_template_uses_the_json_request_api(fake_server: FakeServer) -> None:
    fake_server.json_reply("POST", "/solr/cran/select", SOLR_OK)
    template = (
        '{"query": {"edismax": {"query": "#$query##", "qf": "title^##tb## body"}}, '
        '"filter": ["year:[1950 TO *]"], "limit": 99, "params": {"rows": 99, "mm": "1"}}'
    )
    res = solr(fake_server).search(
        QueryContext('flat "plate'),
        TryConfig(
            template=template,
            field_spec="id:id title:title hl:body",
            rows=3,
            curator_vars={"tb": 2},
        ),
    )
    assert res.error is None and res.total == 57
    body = fake_server.requests[0].json()
    assert body["query"] == {"edismax": {"query": 'flat \\"plate', "qf": "title^2 body"}}
    assert body["filter"] == ["year:[1950 TO *]"] and "limit" not in body
    assert body["params"]["rows"] == "3" and body["params"]["mm"] == "1"
    assert body["params"]["fl"] == "id title body score" and body["params"]["hl.fl"] == "body"
    assert body["params"]["debug.explain.structured"] == "true"
    assert res.docs[0].explain is not None


def test_a_successful_result_carries_the_docs_not_solrs_whole_answer(
    fake_server: FakeServer,
) -> None:
    fake_server.json_reply("GET", "/solr/cran/select", SOLR_OK)
    res = solr(fake_server).search(QueryContext("flat plate"), TryConfig(template="q=#$query##"))
    assert res.error is None and len(res.docs) == 2 and res.response is None
