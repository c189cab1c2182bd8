"""The JSON search API engine against a real (small) HTTP search service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from searchbench.domain.search import EndpointConfig, QueryContext, SearchResult, TryConfig
from searchbench.engines import make_engine
from searchbench.engines.registry import ENGINES
from searchbench.engines.runner import run_queries
from searchbench.engines.searchapi import SearchApiEngine
from searchbench.engines.searchapi.tests.service import API_KEY, PASSWORD, USER, SearchService

JMES = {"total_path": "meta.found", "docs_path": "results"}
PAGED = {**JMES, "rows_param": "size", "start_param": "from"}
FIELDS = "id:doc_id title:title author.name thumb:image"

# Quepid's own style: mappers assigned as globals, a loop building plain objects.
QUEPID_MAPPERS = """
numberOfResultsMapper = function (data) {
  return data.meta.found;
};
docsMapper = function (data) {
  let docs = [];
  for (let doc of data.results) {
    docs.push({ doc_id: doc.doc_id, title: doc.title, author: doc.author, score: doc.relevance });
  }
  return docs;
};
"""


@pytest.fixture
def service() -> Iterator[SearchService]:
    with SearchService() as running:
        yield running


def endpoint(service: SearchService, path: str = "/search", **kw: Any) -> EndpointConfig:
    options = kw.pop("options", JMES)
    return EndpointConfig(kind="searchapi", url=service.url + path, options=dict(options), **kw)


def run(
    config: EndpointConfig,
    text: str = "wing boundary layer",
    template: str = "q=#$query##",
    **kw: Any,
) -> SearchResult:
    query = QueryContext(text, kw.pop("options", {}))
    try_config = TryConfig(template=template, field_spec=kw.pop("field_spec", FIELDS), **kw)
    return make_engine(config).search(query, try_config)


def ok(result: SearchResult) -> SearchResult:
    assert result.error is None, result.error
    return result


# --- mapping ------------------------------------------------------------------------------------


def test_it_is_registered_as_searchapi(service: SearchService) -> None:
    assert "searchapi" in ENGINES
    assert isinstance(make_engine(endpoint(service)), SearchApiEngine)


def test_it_maps_total_and_docs_with_jmespath(service: SearchService) -> None:
    result = ok(run(endpoint(service), rows=10))
    # The service's default page is 3 docs; the total is the API's own count of matches.
    assert result.total == 4  # a1 (wing), a2, a3, a5 (boundary layer); a4 has none of the words
    assert [d.id for d in result.docs] == ["a3", "a5", "a2"]  # overlap 3, 3, 2
    first = result.docs[0]
    assert first.title == "Wing flutter and boundary layer suction"
    assert first.fields["author.name"] == "Marsh"
    assert [d.position for d in result.docs] == [0, 1, 2]
    assert service.requests[-1].params == {"q": "wing boundary layer"}


def test_a_total_path_is_optional(service: SearchService) -> None:
    result = ok(run(endpoint(service, options={"docs_path": "results"})))
    assert result.total == len(result.docs) == 3


def test_jmespath_can_reshape_docs(service: SearchService) -> None:
    options = {
        "total_path": "meta.found",
        "docs_path": "results[].{key: doc_id, name: title, rank: relevance}",
        "score_field": "rank",
    }
    result = ok(run(endpoint(service, options=options), field_spec="id:key title:name"))
    assert [d.id for d in result.docs] == ["a3", "a5", "a2"]
    assert [d.score for d in result.docs] == [3.0, 3.0, 2.0]
    assert "rank" not in result.docs[0].fields  # the score is not shown as a field


def test_it_fills_scores_highlights_and_thumbnails(service: SearchService) -> None:
    options = {**JMES, "score_field": "relevance", "highlights_field": "snippets"}
    spec = (
        'id:doc_id title:title {"name": "image", "type": "thumb", "prefix": "https://img.example/"}'
    )
    result = ok(run(endpoint(service, options=options), "wing", field_spec=spec))
    assert [d.score for d in result.docs] == [1.0, 1.0, 1.0]
    assert result.docs[0].highlights == {"title": ["Lift of a swept <em>wing</em> at low speed"]}
    assert result.docs[0].thumb == "https://img.example/img/a1.png"


def test_an_absolute_thumbnail_url_keeps_its_own_host(service: SearchService) -> None:
    spec = 'id:doc_id {"name": "image", "type": "thumb", "prefix": "https://img.example/"}'
    result = ok(run(endpoint(service), "hypersonic", field_spec=spec))
    assert result.docs[0].thumb == "https://cdn.example/a4.png"


def test_it_runs_quepid_js_mappers(service: SearchService) -> None:
    js = ok(run(endpoint(service, options={"mapper_code": QUEPID_MAPPERS}), rows=10))
    jmes = ok(run(endpoint(service), rows=10))
    assert js.total == jmes.total == 4
    assert [d.id for d in js.docs] == [d.id for d in jmes.docs]
    assert [d.score for d in js.docs] == [3.0, 3.0, 2.0]


def test_number_of_results_mapper_is_optional(service: SearchService) -> None:
    code = "function docsMapper(data) { return data.results.map(d => ({doc_id: d.doc_id})); }"
    result = ok(run(endpoint(service, options={"mapper_code": code}), field_spec="id:doc_id"))
    assert result.total == len(result.docs) == 3


def test_a_throwing_mapper_is_a_per_query_error_with_its_line(service: SearchService) -> None:
    code = "function docsMapper(data) {\n  return data.nothing.map(d => d);\n}"
    result = run(endpoint(service, options={"mapper_code": code}))
    assert result.error and "docsMapper(data) failed" in result.error
    assert "TypeError" in result.error and "line 2" in result.error
    assert result.docs == []


def test_a_mapper_syntax_error_is_reported_with_its_line(service: SearchService) -> None:
    code = "function docsMapper(data) {\n  return [;\n}"
    engine = make_engine(endpoint(service, options={"mapper_code": code}))
    result = engine.search(QueryContext("wing"), TryConfig(template="q=#$query##"))
    assert result.error and "does not compile" in result.error and "line 2" in result.error
    assert not service.requests  # nothing is sent with a broken mapping
    assert not engine.ping().ok


def test_a_runaway_mapper_is_stopped(service: SearchService) -> None:
    code = "function docsMapper(data) { while (true) {} }"
    options = {"mapper_code": code, "mapper_time_limit_ms": 200}
    result = run(endpoint(service, options=options))
    assert result.error and "time limit" in result.error


def test_a_mapper_must_return_objects(service: SearchService) -> None:
    code = "function docsMapper(data) { return data.results.map(d => d.doc_id); }"
    result = run(endpoint(service, options={"mapper_code": code}))
    assert result.error and "doc #1 is a str, not an object" in result.error


def test_a_mapper_count_must_be_a_number(service: SearchService) -> None:
    code = QUEPID_MAPPERS.replace("return data.meta.found;", "return 'many';")
    result = run(endpoint(service, options={"mapper_code": code}))
    assert result.error and "numberOfResultsMapper(data) gave 'many'" in result.error


# --- configuration errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs a mapping"),
        ({"total_path": "meta.found"}, "needs a mapping"),
        ({**JMES, "mapper_code": QUEPID_MAPPERS}, "not both"),
        ({"docs_path": "results[?"}, "docs_path='results[?' is not JMESPath"),
        ({"mapper_code": "x", "mapper_time_limit_ms": 0}, "mapper_time_limit_ms must be"),
    ],
)
def test_a_bad_mapping_is_a_clear_error_on_every_query(
    service: SearchService, options: dict[str, Any], message: str
) -> None:
    engine = make_engine(endpoint(service, options=options))  # building the engine never fails
    result = engine.search(QueryContext("wing"), TryConfig(template="q=#$query##"))
    assert result.error and message in result.error, result.error
    assert not service.requests


def test_docs_path_that_matches_nothing_shows_the_response_shape(service: SearchService) -> None:
    result = run(endpoint(service, options={"docs_path": "hits.hits"}))
    assert (
        result.error
        == "docs_path 'hits.hits' matched nothing (the response is an object with keys meta, results)"
    )


def test_a_total_that_is_not_a_count_is_an_error(service: SearchService) -> None:
    result = run(endpoint(service, options={"docs_path": "results", "total_path": "meta"}))
    assert result.error and "total_path 'meta' gave {" in result.error


# --- requests: methods, templates, paging ----------------------------------------------------------


def test_it_pages_with_rows_and_start_params(service: SearchService) -> None:
    everything = ok(run(endpoint(service, options=PAGED), rows=10))
    page = ok(run(endpoint(service, options=PAGED), rows=2, start=2))
    assert len(everything.docs) == 4
    assert [d.id for d in page.docs] == [d.id for d in everything.docs][2:4]
    assert [d.position for d in page.docs] == [2, 3]
    assert page.total == everything.total == 4
    assert service.requests[-1].params == {"q": "wing boundary layer", "size": "2", "from": "2"}


def test_the_try_overrides_paging_params_in_the_template(service: SearchService) -> None:
    ok(run(endpoint(service, options=PAGED), template="q=#$query##&size=99", rows=1))
    assert service.requests[-1].params["size"] == "1"


def test_without_paging_params_it_cuts_the_page_out_of_the_answer(service: SearchService) -> None:
    result = ok(run(endpoint(service), rows=2, start=1))  # the service returns its first 3
    assert [d.id for d in result.docs] == ["a5", "a2"]
    assert [d.position for d in result.docs] == [1, 2]
    assert "size" not in service.requests[-1].params


def test_it_posts_a_json_template(service: SearchService) -> None:
    template = '{"query": "#$query##", "lang": "#$qOption.lang##", "boost": ##b##}'
    config = endpoint(service, method="POST", options=PAGED)
    result = ok(
        run(config, template=template, options={"lang": "en"}, curator_vars={"b": 2.5}, rows=5)
    )
    assert result.total == 4
    seen = service.requests[-1]
    assert seen.method == "POST"
    assert seen.body == {
        "query": "wing boundary layer",
        "lang": "en",
        "boost": 2.5,
        "size": 5,
        "from": 0,
    }
    assert result.request and result.request["body"]["query"] == "wing boundary layer"


def test_it_posts_a_params_template_as_a_form(service: SearchService) -> None:
    ok(run(endpoint(service, method="POST"), template="q=#$query##&size=4"))
    seen = service.requests[-1]
    assert seen.method == "POST" and seen.body == {"q": "wing boundary layer", "size": "4"}


def test_a_json_template_needs_post(service: SearchService) -> None:
    result = run(endpoint(service), template='{"q": "#$query##"}')
    assert result.error and "set the endpoint method to POST" in result.error


def test_query_text_is_sent_literally_unless_escaping_is_asked_for(service: SearchService) -> None:
    ok(run(endpoint(service), "wing: C++", escape=True))
    assert service.requests[-1].params["q"] == "wing: C++"
    ok(run(endpoint(service, options={**JMES, "escape_query": True}), "wing: C++", escape=True))
    assert service.requests[-1].params["q"] == "wing\\: C\\+\\+"


def test_user_text_cannot_add_parameters(service: SearchService) -> None:
    ok(run(endpoint(service, options=PAGED), "wing&size=1000", rows=2))
    assert service.requests[-1].params == {"q": "wing&size=1000", "size": "2", "from": "0"}


# --- faults -----------------------------------------------------------------------------------------


def test_the_apis_own_error_message_is_surfaced(service: SearchService) -> None:
    result = run(endpoint(service), "wing (")
    assert result.error and "HTTP 400" in result.error and "syntax error at 1" in result.error


def test_an_html_error_page_is_named_as_such(service: SearchService) -> None:
    result = run(endpoint(service, path="/html"))
    assert result.error and "HTTP 502" in result.error and "HTML page" in result.error


def test_a_down_api_is_a_per_query_error_and_the_run_goes_on(service: SearchService) -> None:
    queries = [QueryContext("wing"), QueryContext("wing ("), QueryContext("heat")]
    results = run_queries(
        make_engine(endpoint(service)), queries, TryConfig("q=#$query##", FIELDS), concurrency=2
    )
    assert [r.error is None for r in results] == [True, False, True]
    assert results[2].docs[0].id == "a4"


def test_credentials_and_headers_reach_the_api_and_are_not_shown(service: SearchService) -> None:
    good = endpoint(
        service,
        path="/private/search",
        username=USER,
        password=PASSWORD,
        headers={"X-Api-Key": API_KEY},
    )
    result = ok(run(good))
    assert result.total == 4
    assert PASSWORD not in str(result.request) and API_KEY not in str(result.request)
    anonymous = run(endpoint(service, path="/private/search", headers={"X-Api-Key": API_KEY}))
    assert anonymous.error and "HTTP 401" in anonymous.error and "login required" in anonymous.error
    keyless = run(endpoint(service, path="/private/search", username=USER, password=PASSWORD))
    assert keyless.error and "HTTP 403" in keyless.error and "X-Api-Key" in keyless.error


def test_ping_accepts_an_api_that_wants_a_query_and_refuses_a_wrong_url(
    service: SearchService,
) -> None:
    answer = make_engine(endpoint(service)).ping()
    assert answer.ok and "HTTP 400 without a query" in answer.message
    wrong = make_engine(endpoint(service, path="/nope")).ping()
    assert not wrong.ok and "HTTP 404" in wrong.message and "no route /nope" in wrong.message


def test_a_passed_through_lucene_explanation_becomes_the_breakdown(service: SearchService) -> None:
    options = {**JMES, "explain_field": "why", "score_field": "relevance"}
    result = ok(run(endpoint(service, options=options), "wing boundary"))
    top = result.docs[0]
    assert top.explain is not None and top.explain.value == top.score == 2.0
    terms = [(c.kind, c.field, c.term) for c in top.explain.children]
    assert terms == [("term", "title", "boundary"), ("term", "title", "wing")]
    assert "why" not in top.fields
    quiet = ok(run(endpoint(service, options=options), "wing boundary", explain=False))
    assert all(d.explain is None for d in quiet.docs)


def test_an_elasticsearch_root_cause_is_preferred_to_its_summary(service: SearchService) -> None:
    result = run(endpoint(service, path="/es"))
    assert result.error and "Failed to parse query [x(]" in result.error


def test_js_mappers_are_safe_under_concurrent_queries(service: SearchService) -> None:
    texts = ["wing", "boundary layer", "heat", "flutter", "plate", "vortices"] * 3
    results = run_queries(
        make_engine(endpoint(service, options={"mapper_code": QUEPID_MAPPERS})),
        [QueryContext(t) for t in texts],
        TryConfig("q=#$query##", FIELDS),
        concurrency=4,
    )
    alone = {t: run(endpoint(service), t) for t in set(texts)}
    for text, result in zip(texts, results, strict=True):
        assert result.error is None, result.error
        assert [d.id for d in result.docs] == [d.id for d in alone[text].docs], text
        assert result.total == alone[text].total
