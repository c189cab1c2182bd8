"""The clause model (domain/explain_analysis.py) on every real engine's explain output.

Runs on the same engines as the conformance suite (``engine`` fixture: Solr, OpenSearch,
Elasticsearch, the built-in engine, the JSON-API engine) with Cranfield indexed: whatever shape
each engine gives its explanation, the clauses must add up to the engine's score, name their field
and term, carry BM25's factors, see a curator-variable boost, and explain the gap between two docs.
"""

from __future__ import annotations

import math

import pytest

from searchbench.domain.explain_analysis import breakdown, compare, summarize
from searchbench.domain.search import QueryContext, SearchResult, TryConfig
from searchbench.engines import make_engine
from tests.engines.harness import FIELD_SPEC, EngineTarget

pytestmark = pytest.mark.engines


def search(engine: EngineTarget, role: str, text: str, **try_args: object) -> SearchResult:
    try_config = TryConfig(
        template=engine.templates[role], field_spec=FIELD_SPEC, explain=True, **try_args
    )  # type: ignore[arg-type]
    result = make_engine(engine.endpoint).search(QueryContext(text), try_config)
    assert result.error is None, result.error
    assert result.docs
    return result


def test_clauses_add_up_to_the_engines_score(engine: EngineTarget) -> None:
    result = search(engine, "bm25", "boundary layer flow", rows=10)
    for doc in result.docs:
        assert doc.explain is not None and doc.score is not None
        bd = breakdown(doc.explain)
        assert math.isclose(bd.explained, doc.score, rel_tol=2e-3), (
            doc.id,
            bd.explained,
            doc.score,
        )
        assert bd.clauses and all(c.kind == "term" for c in bd.clauses), [
            c.label for c in bd.clauses
        ]
        for c in bd.clauses:
            assert c.field in ("title", "body"), c.label
            assert c.term and c.label == f"{c.field}:{c.term}"
            assert c.similarity == "BM25", (c.label, c.factors)
            idf, tf, freq = c.factor("idf"), c.factor("tf"), c.factor("freq")
            assert idf is not None and idf > 0 and tf is not None and tf > 0
            assert freq is not None and freq >= 1
            dl, avgdl = c.factor("dl"), c.factor("avgdl")
            assert dl is not None and dl > 0 and avgdl is not None and avgdl > 0


def test_a_curator_boost_shows_on_the_title_clauses(engine: EngineTarget) -> None:
    result = search(engine, "curator", "boundary layer", rows=10, curator_vars={"title_boost": 3})
    seen = 0
    for doc in result.docs:
        assert doc.explain is not None
        for c in breakdown(doc.explain).clauses:
            # Lucene puts the boost inside the term's formula; tantivy wraps the term in "Boost x3"
            boost = (c.factor("boost") or 1.0) * c.weight
            if c.field == "title":
                assert boost == pytest.approx(3.0, rel=1e-3), (c.label, c.factors, c.weight)
                seen += 1
            else:
                assert boost == pytest.approx(1.0, rel=1e-3), (c.label, c.factors, c.weight)
    assert seen, "no title match among the top 10"


def test_why_the_first_doc_is_above_the_fifth(engine: EngineTarget) -> None:
    docs = search(engine, "bm25", "boundary layer flow", rows=5).docs
    a, b = docs[0], docs[-1]
    assert a.explain is not None and b.explain is not None
    cmp = compare(a.explain, b.explain)
    assert cmp.gap == pytest.approx((a.score or 0) - (b.score or 0), rel=2e-3, abs=1e-4)
    assert sum(r.delta for r in cmp.rows) == pytest.approx(cmp.gap, rel=5e-3, abs=1e-3)
    assert all(r.reasons for r in cmp.rows)
    summary = summarize(d.explain for d in docs)
    assert summary.docs == 5
    assert sum(summary.share(s) for s in summary.shares) == pytest.approx(1.0, rel=5e-3)


# Richer queries in each engine's own language: dismax with a tie-breaker, a phrase, a function
# and a filter, so the real shapes of those nodes go through the clause model too.
RICH: dict[str, str] = {
    "solr": "q=#$query##&defType=edismax&q.op=OR&qf=title^2 body&tie=0.1&pf=body^3&bf=product(2,1)",
    "opensearch": '{"query": {"function_score": {"query": {"bool": {"must": {"multi_match": '
    '{"query": "#$query##", "type": "best_fields", "tie_breaker": 0.1, "fields": ["title^2", '
    '"body"]}}, "should": {"match_phrase": {"body": {"query": "#$query##", "boost": 3}}}, '
    '"filter": {"exists": {"field": "title"}}}}, "functions": [{"filter": {"match": {"title": '
    '"flow"}}, "weight": 3}], "boost_mode": "multiply"}}}',
}
RICH["elasticsearch"] = RICH["opensearch"]


def test_dismax_phrase_function_and_filter_shapes(engine: EngineTarget) -> None:
    template = RICH.get(engine.endpoint.kind)
    if template is None:
        pytest.skip(f"{engine.name}: no dismax/function/filter template for this engine kind")
    try_config = TryConfig(template=template, field_spec=FIELD_SPEC, rows=10, explain=True)
    result = make_engine(engine.endpoint).search(QueryContext("boundary layer flow"), try_config)
    assert result.error is None, result.error
    kinds: set[str] = set()
    losers = 0
    for doc in result.docs:
        assert doc.explain is not None and doc.score is not None
        bd = breakdown(doc.explain)
        assert math.isclose(bd.explained, doc.score, rel_tol=2e-3), (
            doc.id,
            bd.explained,
            doc.score,
        )
        kinds |= {c.kind for c in bd.clauses}
        losers += sum(1 for c in bd.clauses if c.weight == pytest.approx(0.1))
        for c in bd.clauses:
            if c.kind == "function" and engine.endpoint.kind != "solr":
                assert c.factor("multiplier") == pytest.approx(3.0, rel=1e-3), c
            if c.kind == "filter":
                assert c.contribution == 0.0
    assert losers, "no dismax loser weighted by the 0.1 tie-breaker"
    assert "phrase" in kinds and "function" in kinds, kinds
    if engine.endpoint.kind != "solr":  # Solr's fq never shows in explain
        assert "filter" in kinds, kinds
