from __future__ import annotations

import pytest

from searchbench.domain.explain_analysis import breakdown
from searchbench.engines import EndpointConfig, QueryContext, TryConfig, make_engine
from searchbench.engines.tests.fixtures import ES6_OK, ES_INDEX_MISSING, ES_OK, ES_PARSE_ERROR
from searchbench.engines.tests.server import FakeServer

TEMPLATE = '{"query": {"multi_match": {"query": "#$query##", "fields": ["title^2", "body"], "tie_breaker": ##tb##}}, "size": 999}'


@pytest.fixture(params=["elasticsearch", "opensearch"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def engine(server: FakeServer, kind: str, **kw: object):  # type: ignore[no-untyped-def]
    return make_engine(EndpointConfig(kind=kind, url=server.url + "/cranfield", **kw))  # type: ignore[arg-type]


def test_it_posts_the_templated_body_with_paging_source_explain_and_highlight(
    fake_server: FakeServer, kind: str
) -> None:
    fake_server.json_reply("POST", "/cranfield/_search", ES_OK)
    res = engine(fake_server, kind).search(
        QueryContext('similarity "laws"'),
        TryConfig(
            template=TEMPLATE,
            field_spec="id:_id title:title author hl:body",
            rows=5,
            start=10,
            curator_vars={"tb": 0.3},
        ),
    )
    assert res.error is None
    body = fake_server.requests[0].json()
    assert body["query"]["multi_match"] == {
        "query": 'similarity "laws"',
        "fields": ["title^2", "body"],
        "tie_breaker": 0.3,
    }
    assert (body["from"], body["size"], body["explain"], body["track_total_hits"]) == (
        10,
        5,
        True,
        True,
    )
    assert body["_source"] == ["_id", "title", "author", "body"]
    assert body["highlight"]["fields"] == {"body": {}}
    assert fake_server.requests[0].headers["Content-Type"] == "application/json"
    assert res.request is not None and res.request["body"] == body


def test_it_parses_hits_total_highlights_and_explain(fake_server: FakeServer, kind: str) -> None:
    fake_server.json_reply("POST", "/cranfield/_search", ES_OK)
    res = engine(fake_server, kind).search(
        QueryContext("similarity"),
        TryConfig(
            template=TEMPLATE,
            field_spec="id:_id title:title author thumb:thumb hl:body",
            curator_vars={"tb": 0},
            start=0,
        ),
    )
    assert res.total == 1234
    first, second = res.docs
    assert (first.id, first.title, first.score, first.thumb) == (
        "486",
        "similarity laws",
        6.0,
        "t/486.png",
    )
    assert first.fields == {
        "_id": "486",
        "title": "similarity laws",
        "author": "x. y",
        "thumb": "t/486.png",
    }
    assert first.highlights == {"body": ["<em>similarity</em> laws for testing"]}
    assert first.explain is not None
    assert [(c.label, c.contribution) for c in breakdown(first.explain).clauses] == [
        ("title:similar", 4.0),
        ("body:similar", 2.0),
    ]
    assert second.id == "13" and second.position == 1


def test_it_reads_the_pre_7_integer_total_and_an_id_field_from_source(
    fake_server: FakeServer, kind: str
) -> None:
    fake_server.json_reply("POST", "/cranfield/_search", ES6_OK)
    res = engine(fake_server, kind, options={"track_total_hits": False}).search(
        QueryContext("x"),
        TryConfig(
            template='{"query": {"match": {"title": "#$query##"}}}', field_spec="id:id title"
        ),
    )
    assert res.total == 3 and res.docs[0].id == "A-1"
    assert "track_total_hits" not in fake_server.requests[0].json()


def test_star_asks_for_the_whole_source(fake_server: FakeServer, kind: str) -> None:
    fake_server.json_reply("POST", "/cranfield/_search", ES_OK)
    res = engine(fake_server, kind).search(
        QueryContext("x"), TryConfig(template="", field_spec="", explain=False)
    )
    body = fake_server.requests[0].json()
    assert body["_source"] is True and "explain" not in body
    assert body["query"] == {"multi_match": {"query": "x"}}
    assert res.docs[0].id == "486" and res.docs[0].fields["author"] == "x. y"


@pytest.mark.parametrize(
    ("reply", "status", "expected"),
    [
        (ES_PARSE_ERROR, 400, "error (HTTP 400): parsing_exception: unknown query [mach]"),
        (
            ES_INDEX_MISSING,
            404,
            "error (HTTP 404): index_not_found_exception: no such index [nope]",
        ),
        (
            {"error": "IndexMissingException[[nope] missing]", "status": 404},
            404,
            "IndexMissingException",
        ),
    ],
)
def test_engine_errors_are_surfaced_in_the_engines_words(
    fake_server: FakeServer, kind: str, reply: dict[str, object], status: int, expected: str
) -> None:
    fake_server.json_reply("POST", "/cranfield/_search", reply, status=status)
    res = engine(fake_server, kind).search(
        QueryContext("x"), TryConfig(template='{"query": {"mach": {}}}')
    )
    product = "OpenSearch" if kind == "opensearch" else "Elasticsearch"
    assert res.error is not None and res.error.startswith(product) and expected in res.error


def test_a_template_that_is_not_an_object_is_refused(fake_server: FakeServer, kind: str) -> None:
    res = engine(fake_server, kind).search(QueryContext("x"), TryConfig(template='["#$query##"]'))
    assert "must be a JSON object" in (res.error or "")


def test_faults_become_per_query_errors(
    fake_server: FakeServer, kind: str, closed_port_url: str
) -> None:
    fake_server.route(
        "POST",
        "/cranfield/_search",
        lambda _r: (500, {"Content-Type": "text/plain"}, "upstream exploded"),
    )
    res = engine(fake_server, kind).search(QueryContext("x"), TryConfig(template=""))
    assert res.error is not None and "HTTP 500" in res.error and "upstream exploded" in res.error
    fake_server.route(
        "POST",
        "/cranfield/_search",
        lambda _r: (200, {"Content-Type": "application/json"}, "{not json"),
    )
    assert "expected JSON" in (
        engine(fake_server, kind).search(QueryContext("x"), TryConfig(template="")).error or ""
    )
    down = make_engine(EndpointConfig(kind=kind, url=closed_port_url + "/i")).search(
        QueryContext("x"), TryConfig(template="")
    )
    assert "connection refused" in (down.error or "")
    fake_server.delay = 0.5
    slow = engine(fake_server, kind, timeout=0.1).search(QueryContext("x"), TryConfig(template=""))
    assert "timeout" in (slow.error or "")


def test_ping_uses_count(fake_server: FakeServer, kind: str) -> None:
    fake_server.json_reply(
        "GET", "/cranfield/_count", {"count": 1400, "_shards": {"total": 1, "successful": 1}}
    )
    ping = engine(fake_server, kind).ping()
    assert ping.ok and "1400 docs" in ping.message
    fake_server.json_reply("GET", "/cranfield/_count", ES_INDEX_MISSING, status=404)
    ping = engine(fake_server, kind).ping()
    assert not ping.ok and "no such index" in ping.message


def test_credentials_do_not_leak_into_the_request_record(
    fake_server: FakeServer, kind: str
) -> None:
    fake_server.json_reply("POST", "/cranfield/_search", ES_OK)
    res = engine(
        fake_server,
        kind,
        username="admin",
        password="Adm1n!",
        headers={"Authorization": "ApiKey c2VjcmV0"},
    ).search(QueryContext("x"), TryConfig(template=""))
    assert fake_server.requests[0].headers["Authorization"].startswith("Basic ")
    assert "Adm1n" not in repr(res.request) and "c2VjcmV0" not in repr(res.request)
