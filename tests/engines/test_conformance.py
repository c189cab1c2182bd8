"""The engine conformance suite: the same tests for every engine in ``conftest.HARNESSES``.

Each test gets ``engine`` (a started engine with Cranfield indexed, see conftest) and talks to it
only through searchbench's adapter (``make_engine`` + ``search``/``run_queries``), using the
engine's templates for the named roles in ``harness.TEMPLATE_ROLES``. Expected values come from the
Cranfield documents themselves, from the engine's own unpaged answer, or from the built-in engine as
a reference — never from numbers written into the test.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from searchbench.domain.scorers import RankedDoc
from searchbench.domain.scoring import score_case
from searchbench.domain.search import (
    EndpointConfig,
    ExplainNode,
    QueryContext,
    SearchResult,
    TryConfig,
)
from searchbench.engines import make_engine
from searchbench.engines.explain import EXPLAIN_KINDS
from searchbench.engines.runner import run_queries
from tests.engines.harness import (
    FAULTS,
    FIELD_SPEC,
    REPORT,
    SLOW_SECONDS,
    TEMPLATE_ROLES,
    THUMB_PREFIX,
    AuthProxy,
    EngineTarget,
    FaultyServer,
    HarnessContext,
    free_port,
    read_jsonl,
)
from tests.engines.harness_local import local_target

pytestmark = pytest.mark.engines

WORD = re.compile(r"[a-z0-9]+")


def search(
    endpoint: EndpointConfig, template: str, text: str, options: dict | None = None, **try_args
) -> SearchResult:
    try_config = TryConfig(
        template=template, field_spec=try_args.pop("field_spec", FIELD_SPEC), **try_args
    )
    return make_engine(endpoint).search(QueryContext(text, options or {}), try_config)


def ok(result: SearchResult) -> SearchResult:
    assert result.error is None, result.error
    return result


def ids(result: SearchResult) -> list[str]:
    return [doc.id for doc in result.docs]


@pytest.fixture(scope="session")
def cranfield(shared_data: Path) -> list[dict[str, object]]:
    return list(read_jsonl(shared_data / "cranfield" / "docs.jsonl"))


def docs_containing(
    docs: list[dict[str, object]], words: set[str], fields=("title", "body")
) -> set[str]:
    """Ids of the docs where one of ``words`` is a token of one of ``fields``."""
    return {
        str(doc["id"])
        for doc in docs
        if any(words & set(WORD.findall(str(doc.get(f) or "").lower())) for f in fields)
    }


# --- templating -----------------------------------------------------------------------------------


def test_it_has_a_template_for_every_role(engine: EngineTarget) -> None:
    assert engine.missing_roles() == [], (
        f"{engine.name} lacks templates for {engine.missing_roles()}"
    )
    assert set(engine.templates) <= set(TEMPLATE_ROLES)


def test_it_puts_the_query_into_the_template(engine: EngineTarget, cranfield) -> None:
    # "slipstream" has no stemming ambiguity (Porter and Snowball both keep it; plural -> singular)
    expected = docs_containing(cranfield, {"slipstream", "slipstreams"})
    result = ok(
        search(engine.endpoint, engine.templates["bm25"], "slipstream", rows=len(expected) + 5)
    )
    assert result.total == len(expected)
    assert set(ids(result)) == expected


def test_it_uses_only_the_first_keyword_for_keyword1(engine: EngineTarget) -> None:
    first = ok(search(engine.endpoint, engine.templates["keyword"], "slipstream propeller"))
    alone = ok(search(engine.endpoint, engine.templates["bm25"], "slipstream"))
    both = ok(search(engine.endpoint, engine.templates["bm25"], "slipstream propeller"))
    assert first.total == alone.total
    assert ids(first) == ids(alone)
    assert both.total > alone.total  # so the second word would have mattered


@pytest.mark.parametrize(
    "text",
    [
        "biot's principle",  # an apostrophe
        "a /boat-tail/ afterbody",  # slashes: regex syntax in Lucene and tantivy
        "title:(wing",  # field syntax and an unbalanced parenthesis
        'C++ "code',  # operators and an unbalanced quote
        "wing AND OR NOT",  # bare operators
    ],
)
def test_it_escapes_query_syntax_in_the_users_text(engine: EngineTarget, text: str) -> None:
    result = search(engine.endpoint, engine.templates["bm25"], text, escape=True)
    assert result.error is None, result.error


def test_it_takes_the_field_from_a_query_option(engine: EngineTarget, cranfield) -> None:
    by_author = docs_containing(cranfield, {"brenckman"}, fields=("author",))
    assert by_author, "Cranfield changed: no author brenckman"
    author = ok(
        search(engine.endpoint, engine.templates["option"], "brenckman", {"field": "author"})
    )
    title = ok(search(engine.endpoint, engine.templates["option"], "brenckman", {"field": "title"}))
    assert set(ids(author)) == by_author
    assert title.total == 0


def test_a_missing_query_option_is_a_per_query_error(engine: EngineTarget) -> None:
    result = search(engine.endpoint, engine.templates["option"], "wing", {})
    assert result.error and "field" in result.error
    assert result.docs == []


def test_it_applies_curator_variables(engine: EngineTarget) -> None:
    text = "slipstream"
    low = ok(
        search(engine.endpoint, engine.templates["curator"], text, curator_vars={"title_boost": 1})
    )
    high = ok(
        search(engine.endpoint, engine.templates["curator"], text, curator_vars={"title_boost": 10})
    )
    assert low.total == high.total
    low_scores = {d.id: d.score for d in low.docs}
    title_hits = [
        d for d in high.docs if d.id in low_scores and "slipstream" in (d.title or "").lower()
    ]
    assert title_hits, "no top doc has the word in its title"
    for doc in title_hits:
        assert doc.score is not None and low_scores[doc.id] is not None
        assert doc.score > low_scores[doc.id] * 1.5, (doc.id, doc.score, low_scores[doc.id])


def test_a_missing_curator_variable_is_a_per_query_error(engine: EngineTarget) -> None:
    result = search(engine.endpoint, engine.templates["curator"], "wing")
    assert result.error and "title_boost" in result.error


# --- field spec -------------------------------------------------------------------------------------


def test_it_fills_title_fields_thumbnails_and_highlights(engine: EngineTarget, cranfield) -> None:
    by_id = {str(d["id"]): d for d in cranfield}
    result = ok(search(engine.endpoint, engine.templates["bm25"], "slipstream"))
    assert result.docs
    for doc in result.docs:
        source = by_id[doc.id]
        assert doc.title == (source["title"] or doc.id)
        if source.get("author"):
            assert doc.fields["author"] == source["author"]
        assert "bib" not in doc.fields  # not in the field spec
        assert doc.thumb == f"{THUMB_PREFIX}thumbs/{doc.id}.png"
        assert doc.image is None
    highlighted = [doc for doc in result.docs if doc.highlights.get("body")]
    assert highlighted, "no doc has a body highlight"
    for doc in highlighted:
        snippet = " ".join(doc.highlights["body"]).lower()
        assert re.search(r"<em>slipstreams?</em>", snippet), snippet


# --- rows, paging, totals -----------------------------------------------------------------------------


def test_it_pages_with_rows_and_start(engine: EngineTarget) -> None:
    template = engine.templates["bm25"]
    first10 = ok(search(engine.endpoint, template, "boundary layer transition", rows=10))
    first5 = ok(search(engine.endpoint, template, "boundary layer transition", rows=5))
    next5 = ok(search(engine.endpoint, template, "boundary layer transition", rows=5, start=5))
    assert len(first10.docs) == 10
    assert ids(first5) == ids(first10)[:5]
    assert ids(next5) == ids(first10)[5:]
    assert [d.position for d in next5.docs] == [5, 6, 7, 8, 9]
    assert first10.total == first5.total == next5.total > 10


def test_it_counts_all_hits_not_just_the_page(engine: EngineTarget) -> None:
    template = engine.templates["bm25"]
    page = ok(search(engine.endpoint, template, "heat transfer", rows=3))
    everything = ok(search(engine.endpoint, template, "heat transfer", rows=1400))
    none = ok(search(engine.endpoint, template, "heat transfer", rows=0))
    assert len(page.docs) == 3
    assert len(everything.docs) == everything.total == page.total == none.total
    assert none.docs == []


def test_scores_are_in_rank_order(engine: EngineTarget) -> None:
    result = ok(
        search(engine.endpoint, engine.templates["bm25"], "supersonic flow over a cone", rows=20)
    )
    scores = [d.score for d in result.docs]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)


# --- explain ----------------------------------------------------------------------------------------


def walk(node: ExplainNode) -> Iterator[ExplainNode]:
    yield node
    for child in node.children:
        yield from walk(child)


def test_it_parses_explain_into_the_common_tree(engine: EngineTarget) -> None:
    result = ok(search(engine.endpoint, engine.templates["bm25"], "boundary layer", rows=5))
    for doc in result.docs:
        assert doc.explain is not None, f"doc {doc.id} has no explain"
        assert doc.explain.children, f"doc {doc.id}: explain has no breakdown"
        assert doc.score is not None
        assert math.isclose(doc.explain.value, doc.score, rel_tol=1e-3), (
            doc.explain.value,
            doc.score,
        )
        nodes = list(walk(doc.explain))
        assert all(n.kind in EXPLAIN_KINDS for n in nodes), {n.kind for n in nodes}
        terms = [n for n in nodes if n.kind == "term"]
        assert terms, f"doc {doc.id}: no term node"
        assert {n.field for n in terms} <= {"title", "body"}
        assert {n.term for n in terms} & {"boundari", "layer", "boundary"}
        # a term node is worth no more than the whole doc
        assert all(0 < n.value <= doc.score * (1 + 1e-3) for n in terms)


def test_explain_off_leaves_it_out(engine: EngineTarget) -> None:
    result = ok(
        search(engine.endpoint, engine.templates["bm25"], "boundary layer", rows=3, explain=False)
    )
    assert result.docs and all(d.explain is None for d in result.docs)


# --- errors -----------------------------------------------------------------------------------------


def test_a_bad_query_surfaces_the_engines_own_message(engine: EngineTarget) -> None:
    result = search(engine.endpoint, engine.templates["bad"], "wing")
    assert result.error, "the engine accepted a malformed query"
    assert engine.bad_query_error.lower() in result.error.lower(), result.error
    assert result.docs == [] and result.total == 0


def test_the_run_goes_on_past_a_failing_query(engine: EngineTarget) -> None:
    queries = [
        QueryContext("wing", {"field": "title"}),
        QueryContext("wing", {}),  # no option: this one fails
        QueryContext("boundary", {"field": "body"}),
    ]
    try_config = TryConfig(template=engine.templates["option"], field_spec=FIELD_SPEC)
    results = run_queries(make_engine(engine.endpoint), queries, try_config, concurrency=2)
    assert [r.error is None for r in results] == [True, False, True]
    assert results[0].total > 0 and results[2].total > 0


def http_only(engine: EngineTarget) -> None:
    if not engine.http:
        pytest.skip(f"{engine.name} is not reached over HTTP")


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_server_gives_a_clear_per_query_error(engine: EngineTarget, fault: str) -> None:
    http_only(engine)
    status = FAULTS[fault][0]
    with FaultyServer() as server:
        endpoint = engine.endpoint_at(f"{server.url}/{fault}")
        result = search(endpoint, engine.templates["bm25"], "wing")
        assert server.requests, "the adapter did not reach the faulty server"
    assert result.error, f"{fault}: no error"
    assert result.docs == []
    assert "Traceback" not in result.error
    if status >= 400:
        assert str(status) in result.error, result.error
    if fault == "html":
        assert "html" in result.error.lower(), result.error


def test_a_down_engine_is_a_per_query_error(engine: EngineTarget) -> None:
    http_only(engine)
    endpoint = engine.endpoint_at(f"http://127.0.0.1:{free_port()}")
    queries = [QueryContext(q) for q in ("wing", "boundary layer", "heat")]
    try_config = TryConfig(template=engine.templates["bm25"], field_spec=FIELD_SPEC)
    results = run_queries(make_engine(endpoint), queries, try_config, concurrency=2)
    assert len(results) == 3
    for result in results:
        assert result.error and "refused" in result.error.lower(), result.error


def test_a_slow_engine_times_out_per_query(engine: EngineTarget) -> None:
    http_only(engine)
    with FaultyServer() as server:
        endpoint = engine.endpoint_at(f"{server.url}/slow", timeout=0.5)
        began = time.monotonic()
        results = run_queries(
            make_engine(endpoint),
            [QueryContext("wing"), QueryContext("heat")],
            TryConfig(template=engine.templates["bm25"], field_spec=FIELD_SPEC),
            concurrency=2,
        )
        elapsed = time.monotonic() - began
    assert elapsed < SLOW_SECONDS
    for result in results:
        assert result.error and "time" in result.error.lower(), result.error


# --- credentials and headers ------------------------------------------------------------------------

USER, PASSWORD = "relevance", "s3cret word"
HEADER, HEADER_VALUE = "X-Searchbench-Test", "conformance"


def test_it_sends_basic_auth_and_custom_headers(engine: EngineTarget) -> None:
    http_only(engine)
    template = engine.templates["bm25"]
    direct = ok(search(engine.endpoint, template, "wing"))
    base = re.match(r"https?://[^/]+", engine.endpoint.url)
    assert base
    with AuthProxy(base.group(0), USER, PASSWORD, HEADER, HEADER_VALUE) as proxy:
        good = engine.endpoint_at(
            proxy.url, username=USER, password=PASSWORD, headers={HEADER: HEADER_VALUE}
        )
        through = ok(search(good, template, "wing"))
        assert ids(through) == ids(direct)
        assert through.total == direct.total

        anonymous = search(
            engine.endpoint_at(proxy.url, headers={HEADER: HEADER_VALUE}), template, "wing"
        )
        assert anonymous.error and "401" in anonymous.error, anonymous.error

        wrong = search(
            engine.endpoint_at(
                proxy.url, username=USER, password="nope", headers={HEADER: HEADER_VALUE}
            ),
            template,
            "wing",
        )
        assert wrong.error and "401" in wrong.error
        assert "nope" not in wrong.error and PASSWORD not in (through.error or "")

        headless = search(
            engine.endpoint_at(proxy.url, username=USER, password=PASSWORD), template, "wing"
        )
        assert headless.error and "403" in headless.error, headless.error


# --- the Cranfield case -----------------------------------------------------------------------------

CASE_DEPTH = 100  # MAP needs more than the first page
MEASURES = ("nDCG@10", "map")


def load_case(shared_data: Path) -> tuple[dict[str, str], dict[str, dict[str, float]]]:
    queries: dict[str, str] = {}
    with (shared_data / "cranfield" / "queries.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                qid, text = line.rstrip("\n").split("\t", 1)
                queries[qid] = text
    ratings: dict[str, dict[str, float]] = {}
    with (shared_data / "cranfield" / "qrels.txt").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                qid, _, docid, gain = line.split()
                ratings.setdefault(qid, {})[docid] = float(gain)
    return queries, ratings


def run_case(target: EngineTarget, shared_data: Path, concurrency: int = 4) -> dict[str, float]:
    queries, ratings = load_case(shared_data)
    qids = list(queries)
    try_config = TryConfig(
        template=target.templates["bm25"],
        field_spec="id:id title:title",
        rows=CASE_DEPTH,
        explain=False,
    )
    results = run_queries(
        make_engine(target.endpoint),
        [QueryContext(queries[q]) for q in qids],
        try_config,
        concurrency,
    )
    errors = {q: r.error for q, r in zip(qids, results, strict=True) if r.error}
    assert not errors, f"{len(errors)} queries failed, e.g. {next(iter(errors.items()))}"
    ranked = {
        q: [RankedDoc(d.id, d.fields, ratings.get(q, {}).get(d.id)) for d in r.docs]
        for q, r in zip(qids, results, strict=True)
    }
    return {m: score_case(m, ranked, ratings).score for m in MEASURES}


_CASE_SCORES: dict[str, dict[str, float]] = {}


def case_scores(target: EngineTarget, shared_data: Path) -> dict[str, float]:
    """The target's Cranfield scores, computed once per engine per session."""
    if target.name not in _CASE_SCORES:
        _CASE_SCORES[target.name] = run_case(target, shared_data)
    return _CASE_SCORES[target.name]


@pytest.fixture(scope="session")
def reference_scores(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> dict[str, float]:
    """The built-in engine's Cranfield scores: the yardstick the other engines are held to."""
    targets = local_target(HarnessContext(tmp_path_factory.mktemp("reference"), shared_data))
    try:
        return run_case(next(targets), shared_data)
    finally:
        targets.close()


# Published BM25 runs on Cranfield land around nDCG@10 0.3-0.45 and MAP 0.25-0.4 (depending on the
# qrels mapping); anything outside these bands means the engine or the case is broken.
SANE = {"nDCG@10": (0.25, 0.60), "map": (0.20, 0.55)}
# How far an engine may sit from the built-in one: same BM25, but different stemmers (Porter vs
# Snowball), stop words (Lucene's English set vs none in tantivy) and BM25 statistics details.
CLOSE = 0.05


def test_the_cranfield_case_scores_like_bm25(
    engine: EngineTarget, shared_data: Path, record_property: Callable[[str, object], None]
) -> None:
    scores = case_scores(engine, shared_data)
    REPORT.setdefault(engine.name, {}).update({"cranfield": scores, **engine.notes})
    record_property("cranfield", scores)
    for measure, (low, high) in SANE.items():
        assert low <= scores[measure] <= high, f"{engine.name} {measure} = {scores[measure]:.4f}"


def test_the_cranfield_case_scores_close_to_the_built_in_engine(
    engine: EngineTarget, shared_data: Path, reference_scores: dict[str, float]
) -> None:
    if engine.name == "local":
        pytest.skip("the built-in engine is the reference")
    scores = case_scores(engine, shared_data)
    for measure in MEASURES:
        gap = abs(scores[measure] - reference_scores[measure])
        assert gap <= CLOSE, (
            f"{engine.name} {measure} = {scores[measure]:.4f} "
            f"vs built-in {reference_scores[measure]:.4f}"
        )
