"""Explain trees of Solr, OpenSearch, classic Lucene and tantivy read as clauses.

The Lucene trees go through the adapters' own parser (``parse_lucene_explain``), as in a real run,
and through :func:`tree_from_json` (a snapshot's stored JSON); tantivy's come from the built-in
engine itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from searchbench.domain.explain_analysis import (
    MAX_DEPTH,
    ExplainFormatError,
    breakdown,
    breakdown_by_field,
    compare,
    summarize,
    tree_from_json,
    tree_rows,
)
from searchbench.domain.search import ExplainNode
from searchbench.domain.tests import explain_trees as T
from searchbench.engines.explain import parse_lucene_explain


def contributions(tree: ExplainNode) -> dict[str, float]:
    return {c.label: round(c.contribution, 4) for c in breakdown(tree).clauses}


def test_it_reads_solr_edismax_as_dismax_winners_tie_breaker_losers_phrase_and_function() -> None:
    tree = parse_lucene_explain(T.SOLR_A)
    bd = breakdown(tree)
    assert math.isclose(bd.explained, tree.value, rel_tol=1e-9)
    by = bd.by_key()
    title = by["term|title:boundari"]
    body = by["term|body:boundari"]
    # title wins its dismax (weight 1); body is the loser, counted × tie (0.1).
    assert (title.weight, body.weight) == (1.0, 0.1)
    assert math.isclose(body.contribution, 0.1 * body.score)
    assert (title.field, title.term, title.kind, title.similarity) == (
        "title",
        "boundari",
        "term",
        "BM25",
    )
    # boost * idf * tf, every factor named
    assert title.factor("boost") == 2.0 and title.factor("freq") == 1.0
    assert (title.factor("n"), title.factor("N"), title.factor("dl")) == (70, 1400, 6)
    assert math.isclose(
        title.score,
        title.factor("boost") * title.factor("idf") * title.factor("tf"),  # type: ignore[operator]
    )
    phrase = by['phrase|body:"boundari layer"']
    assert phrase.kind == "phrase" and phrase.factor("freq") == 2.0
    # A phrase's idf is the sum of its terms'; one term's n would be misleading, so none is shown.
    assert phrase.factor("n") is None
    function = by["function|FunctionQuery(log(int(popularity)))"]
    assert function.label == "ƒ FunctionQuery(log(int(popularity)))"
    assert function.contribution == pytest.approx(2.0)  # log10(100)


def test_it_gives_the_same_clause_the_same_key_in_every_doc() -> None:
    a = breakdown(parse_lucene_explain(T.SOLR_A)).by_key()
    b = breakdown(parse_lucene_explain(T.SOLR_B)).by_key()
    # the function's per-doc value (popularity=100 / =10) does not split it into two clauses
    assert set(b) <= set(a)
    assert "function|FunctionQuery(log(int(popularity)))" in b


def test_it_splits_a_multiplicative_function_score_into_query_clauses_and_the_function() -> None:
    tree = parse_lucene_explain(T.OS_A)
    bd = breakdown(tree)
    query_part = T.OS_A["details"][0]["value"]
    fn = next(c for c in bd.clauses if c.kind == "function")
    assert fn.label == "ƒ field value function: log1p(doc['popularity'].value * factor)"
    assert fn.contribution == pytest.approx(tree.value - query_part)
    assert fn.factor("multiplier") == pytest.approx(tree.value / query_part)  # log1p(30)
    assert fn.path == (1,)  # the "min of:" function part, next to the query (0,)
    assert bd.explained == pytest.approx(tree.value)
    # multi_match best_fields with tie_breaker 0.3: the losing field counts × 0.3
    assert bd.by_key()["term|body:similar"].weight == pytest.approx(0.3)
    # title^2 shows as boost 4.4 in OpenSearch's explain: (k1 + 1) is folded in; report the 2
    title = bd.by_key()["term|title:similar"]
    assert title.factor("boost") == pytest.approx(2.0) and title.factor("k1+1") == pytest.approx(
        2.2
    )
    assert bd.by_key()["term|body:similar"].factor("boost") == pytest.approx(1.0)


def test_it_lists_filter_clauses_as_matching_but_adding_nothing() -> None:
    bd = breakdown(parse_lucene_explain(T.OS_A))
    (flt,) = [c for c in bd.clauses if c.kind == "filter"]
    assert (flt.label, flt.contribution) == ("lang:en", 0.0)


def test_it_folds_classic_coord_into_the_weight_and_reads_tf_idf_factors() -> None:
    tree = parse_lucene_explain(T.CLASSIC)
    bd = breakdown(tree)
    boot = bd.by_key()["term|title:boot"]
    assert boot.weight == pytest.approx(2 / 3)
    assert boot.similarity == "TF-IDF"
    assert (boot.factor("freq"), boot.factor("n"), boot.factor("N")) == (2.0, 1.0, 10.0)
    assert boot.factor("fieldNorm") == 0.5 and boot.factor("queryNorm") == 0.3
    assert bd.explained == pytest.approx(tree.value)


def test_it_explains_why_a_is_above_b_clause_by_clause() -> None:
    a, b = parse_lucene_explain(T.SOLR_A), parse_lucene_explain(T.SOLR_B)
    cmp = compare(a, b)
    assert cmp.gap == pytest.approx(a.value - b.value)
    assert sum(r.delta for r in cmp.rows) == pytest.approx(cmp.gap)
    assert abs(cmp.unexplained) < 1e-9
    assert [abs(r.delta) for r in cmp.rows] == sorted(
        (abs(r.delta) for r in cmp.rows), reverse=True
    )
    first = cmp.rows[0]
    assert (first.label, first.reasons) == ("title:boundari", ("matches only in A",))
    body = next(r for r in cmp.rows if r.label == "body:boundari")
    # B ranks body:boundari as its dismax winner; A only counts it × 0.1
    assert body.reasons == ("occurs 3 vs 2 times", "field length 120 vs 60", "weighted ×0.1 vs ×1")
    assert body.delta < 0
    assert cmp.headline("#1", "#2").startswith("#1 scores 6.384 more than #2; the biggest part is")


def test_compare_is_antisymmetric_and_reports_only_in_b() -> None:
    a, b = parse_lucene_explain(T.OS_A), parse_lucene_explain(T.OS_B)
    ab, ba = compare(a, b), compare(b, a)
    assert ab.gap == pytest.approx(-ba.gap)
    assert {r.key: r.delta for r in ab.rows} == pytest.approx({r.key: -r.delta for r in ba.rows})
    assert next(r for r in ba.rows if r.label == "title:similar").reasons == ("matches only in B",)
    fn = next(r for r in ab.rows if r.kind == "function")
    assert fn.reasons[0] == "function adds 21.67 vs 17.43"


def test_breakdown_by_field_says_which_fields_gained_or_lost_between_two_explanations() -> None:
    before, after = parse_lucene_explain(T.SOLR_B), parse_lucene_explain(T.SOLR_A)
    gaps = breakdown_by_field(before, after)
    by_field = {g.field: g for g in gaps}
    # The fields' sums are those of each tree's own breakdown.
    assert {f: g.before for f, g in by_field.items() if g.before} == pytest.approx(
        breakdown(before).by_field()
    )
    assert {f: g.after for f, g in by_field.items() if g.after} == pytest.approx(
        breakdown(after).by_field()
    )
    # title matched nothing before (B has no title terms): all of it is gained.
    assert by_field["title"].before == 0.0
    assert (
        by_field["title"].change == pytest.approx(by_field["title"].after)
        and by_field["title"].change > 0
    )
    assert sum(g.change for g in gaps) == pytest.approx(
        breakdown(after).explained - breakdown(before).explained
    )
    assert [abs(g.change) for g in gaps] == sorted((abs(g.change) for g in gaps), reverse=True)


def test_equal_scores_have_a_plain_headline() -> None:
    a = parse_lucene_explain(T.SOLR_B)
    assert compare(a, a).headline() == "A and B score the same (3.012)."
    assert all(r.reasons == ("same in both",) for r in compare(a, a).rows)


def test_summarize_adds_contributions_over_the_top_n_and_skips_docs_without_explain() -> None:
    trees = [parse_lucene_explain(T.SOLR_A), None, parse_lucene_explain(T.SOLR_B)]
    s = summarize(trees)
    assert (s.docs, s.skipped) == (2, 1)
    assert s.total == pytest.approx(T.SOLR_A["value"] + T.SOLR_B["value"])
    assert sum(s.share(c) for c in s.shares) == pytest.approx(1.0)
    fn = next(c for c in s.shares if c.kind == "function")
    assert fn.per_doc == pytest.approx((2.0, 1.0)) and fn.matched == 2
    title = next(c for c in s.shares if c.label == "title:boundari")
    assert title.matched == 1 and title.per_doc[1] == 0.0
    assert [c.total for c in s.shares] == sorted((c.total for c in s.shares), reverse=True)
    assert summarize(trees, top_n=1).docs == 1


def test_tree_from_json_reads_raw_lucene_and_the_common_json_alike() -> None:
    raw = tree_from_json(T.OS_A)
    common = tree_from_json(json.loads(json.dumps(parse_lucene_explain(T.OS_A).to_dict())))
    expected = [(c.key, c.contribution) for c in breakdown(parse_lucene_explain(T.OS_A)).clauses]
    assert [(c.key, c.contribution) for c in breakdown(raw).clauses] == expected
    assert [(c.key, c.contribution) for c in breakdown(common).clauses] == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "explain: expected an object, got list"),
        ({"value": "high"}, "explain.value: not a number: 'high'"),
        (
            {"value": 1, "details": [{"value": 1, "details": "x"}]},
            "explain.children[0].children: expected a list",
        ),
    ],
)
def test_tree_from_json_names_where_bad_json_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ExplainFormatError) as err:
        tree_from_json(data)
    assert str(err.value) == message


def test_tree_from_json_reads_null_values_as_nan() -> None:
    # services._jsonable stores NaN as null (PostgreSQL and MariaDB JSON refuse NaN)
    tree = tree_from_json({"value": None, "description": "sum of:", "details": []})
    assert math.isnan(tree.value)


def test_tree_from_json_refuses_absurdly_deep_json() -> None:
    deep: dict[str, object] = {"value": 1.0, "description": "leaf"}
    for _ in range(MAX_DEPTH + 5):
        deep = {"value": 1.0, "description": "sum of:", "details": [deep]}
    with pytest.raises(ExplainFormatError, match=f"nested deeper than {MAX_DEPTH} levels"):
        tree_from_json(deep)


def test_tree_rows_mark_the_nodes_the_clauses_stand_for() -> None:
    tree = parse_lucene_explain(T.SOLR_A)
    rows = tree_rows(tree)
    assert rows[0].depth == 0 and rows[0].kind == "sum"
    marked = [r for r in rows if r.clause is not None]
    assert {r.clause.key for r in marked if r.clause} == set(breakdown(tree).by_key())
    title = next(r for r in marked if r.clause and r.clause.label == "title:boundari")
    assert title.description.startswith("weight(title:boundari in 11)")
    assert title.depth == 3 and title.path_id == "n0-0-0"


# --- tantivy, from the real built-in engine ------------------------------------------------------

DOCS = [
    {"id": "b1", "title": "red leather boots", "body": "warm red boots for winter"},
    {"id": "b2", "title": "red rain boots", "body": "waterproof boots in red"},
    {"id": "j1", "title": "red jacket", "body": "a red jacket, pairs with boots"},
    {"id": "t1", "title": "green tent", "body": "a two person tent"},
]


@pytest.fixture
def local_search(tmp_path: Path):  # type: ignore[no-untyped-def]
    from searchbench.domain.search import EndpointConfig, QueryContext, TryConfig
    from searchbench.engines import make_engine
    from searchbench.engines.local import create_index

    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    create_index("shop", source, id_field="id", fields=["title", "body"], data_dir=tmp_path)
    engine = make_engine(EndpointConfig(kind="local", url="local://shop", data_dir=tmp_path))

    def search(text: str):  # type: ignore[no-untyped-def]
        template = '{"query": "#$query##", "fields": ["title^2", "body"]}'
        res = engine.search(QueryContext(text), TryConfig(template=template, escape=False))
        assert res.error is None, res.error
        return res

    return search


def test_it_reads_tantivy_boosts_and_bm25_factors(local_search) -> None:  # type: ignore[no-untyped-def]
    res = local_search("red boots")
    for doc in res.docs:
        bd = breakdown(doc.explain)
        assert bd.explained == pytest.approx(doc.score, rel=1e-5)
    top = breakdown(res.docs[0].explain).by_key()
    title = top["term|title:red"]
    assert title.weight == pytest.approx(2.0)  # the ^2 field boost
    assert title.factor("k1+1") == pytest.approx(2.2) and title.similarity == "BM25"
    assert top["term|body:red"].weight == pytest.approx(1.0)
    # b1 and b2 tie on title; b2's shorter body is what puts it above b1
    ids = [d.id for d in res.docs]
    b2, b1 = res.docs[ids.index("b2")], res.docs[ids.index("b1")]
    cmp = compare(b2.explain, b1.explain)
    assert {r.label for r in cmp.rows[:2]} == {"body:red", "body:boot"}
    assert all("field length 4 vs 5" in r.reasons and r.delta > 0 for r in cmp.rows[:2])
    assert next(r for r in cmp.rows if r.label == "title:red").delta == pytest.approx(0.0)


def test_it_reads_a_tantivy_phrase(local_search) -> None:  # type: ignore[no-untyped-def]
    res = local_search('"red boots" jacket')
    by_id = {d.id: d for d in res.docs}
    (phrase,) = breakdown(by_id["b1"].explain).clauses
    assert phrase.kind == "phrase" and phrase.factor("freq") == 1.0
    s = summarize(d.explain for d in res.docs)
    assert {c.kind for c in s.shares} == {"term", "phrase"}
