"""Explain views through Django's test client, HTML checked with selectors.

Live explains come from the built-in (tantivy) engine, end to end through the cases service layer;
stored ones are snapshots holding Solr- and OpenSearch-shaped Lucene explanations.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.cases.models import SearchEndpoint, Snapshot, SnapshotDoc, SnapshotQuery
from searchbench.cases.tests.htmlquery import parse
from searchbench.domain.tests import explain_trees as T
from searchbench.engines.explain import parse_lucene_explain


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(world: Any, name: str, query: Any = None, **params: Any) -> str:
    path = reverse(f"explain:{name}", args=[world.case.pk, (query or world.q_boots).pk])
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    return path + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")


@pytest.mark.django_db
def test_the_results_page_offers_explain_and_compare_for_each_doc(world: Any) -> None:
    page = parse(
        client_for(world.owner)
        .get(reverse("cases:query", args=[world.case.pk, world.q_boots.pk]))
        .content
    )
    docs = page.select("li.doc")
    assert len(docs) >= 4
    form_id = f"explain-compare-{world.q_boots.pk}"
    form = page.one(f"form#{form_id}")
    assert form.attrs["action"] == url(world, "compare")
    assert page.one("a#explain-top-n").attrs["href"] == url(world, "query", n=len(docs))
    for li in docs:
        doc_id = li.attrs["data-doc-id"]
        toggle = li.one("details.explain-toggle")
        assert toggle.attrs["data-explain-url"] == url(world, "doc", doc=doc_id)
        assert li.one("a.explain-link").attrs["href"] == url(world, "doc", doc=doc_id)
        pick = li.one("input[data-explain-pick]")
        assert (pick.attrs["form"], pick.attrs["value"]) == (form_id, doc_id)
    # the hot matches: each doc's top clauses inline, biggest first
    top = docs[0].select("ul.hot-matches li")
    assert 1 <= len(top) <= 3
    assert top[0].one("code").text.startswith("title:")


@pytest.mark.django_db
def test_a_doc_breakdown_shows_clauses_with_boosts_and_bm25_factors(world: Any) -> None:
    page = parse(client_for(world.owner).get(url(world, "doc", doc="b2")).content)
    assert page.one("h1").text == "#1 red rain boots"
    rows = {r.one("code").text: r for r in page.select("table.clause-table tbody tr.clause")}
    assert set(rows) == {"title:red", "title:boot", "body:red", "body:boot"}
    title_red = rows["title:red"]
    weight = title_red.select("td.num")[2].text
    assert weight == "2"  # the ^2 field boost
    factors = {f.attrs["data-factor"] for f in title_red.select("span.factor")}
    assert {"idf", "tf", "freq", "dl", "avgdl"} <= factors
    # the engine's whole tree, its clause nodes marked
    clauses = page.select("details.xtree li.is-clause")
    assert len(clauses) == 4
    assert page.select("details.xtree li.xnode")[0].text.split()[1:3] == ["sum", "BooleanClause."]


@pytest.mark.django_db
def test_the_toggle_gets_a_fragment_and_an_unknown_doc_is_a_404(world: Any) -> None:
    client = client_for(world.owner)
    response = client.get(url(world, "doc", doc="b1"), headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert parse(response.content).one("div.explain-doc").attrs["data-doc-id"] == "b1"
    missing = client.get(url(world, "doc", doc="nope"))
    assert missing.status_code == 404
    assert (
        "'nope' is not among this query's results"
        in parse(missing.content).one("p.explain-problem").text
    )


@pytest.mark.django_db
def test_why_is_this_above_that_orders_by_rank_and_names_the_gap(world: Any) -> None:
    client = client_for(world.owner)
    # picked in the "wrong" order: the page still explains #1 over #3
    page = parse(client.get(url(world, "compare", doc=["j1", "b2"])).content)
    above, below = page.one("#compare-above"), page.one("#compare-below")
    assert "b2" in above.text and "#1" in above.text
    assert "j1" in below.text
    headline = page.one("#compare-headline").text
    assert headline.startswith("#1 scores") and "more than #3" in headline
    rows = {r.one("code").text: r for r in page.select("#compare-table tbody tr")}
    assert rows["title:boot"].one("td.why").text == "matches only in A"
    assert "up" in rows["title:boot"].classes
    assert rows["body:red"].one("td.why").text.startswith("field length ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("docs", "message"),
    [
        (["b2"], "pick exactly two docs to compare (got 1)"),
        (["b2", "b2"], "pick exactly two docs to compare (got 1)"),
        (["b2", "zz"], "doc 'zz' is not among this query's results any more"),
    ],
)
def test_compare_needs_two_docs_of_the_results(world: Any, docs: list[str], message: str) -> None:
    response = client_for(world.owner).get(url(world, "compare", doc=docs))
    assert response.status_code == 400
    assert parse(response.content).one("p.explain-problem").text == message


@pytest.mark.django_db
def test_the_top_n_page_charts_clause_contributions(world: Any) -> None:
    page = parse(client_for(world.owner).get(url(world, "query", n=3)).content)
    chart = page.one("#clause-contributions svg.xchart")
    bars = chart.select("rect")
    table = page.select("#clause-share-table tbody tr")
    assert len(bars) == len(table) >= 4
    widths = [float(b.attrs["width"]) for b in bars]
    assert widths == sorted(widths, reverse=True) and widths[0] > 0
    assert table[0].select("td")[-1].text == "3/3"  # the top clause matches all three docs
    stacks = page.one("#doc-stacks svg.xchart")
    assert len([t for t in stacks.select("text") if "doc" in t.classes]) == 3
    assert page.one("#clause-contributions h2").text == "Clause contributions over the top 3"
    assert len(page.select("#explain-docs tr.explain-doc-row")) >= 4


@pytest.mark.django_db
def test_other_users_cases_are_not_found_and_login_is_required(world: Any) -> None:
    assert client_for(world.outsider).get(url(world, "query")).status_code == 404
    assert client_for(world.teammate).get(url(world, "query")).status_code == 200
    response = Client().get(url(world, "doc", doc="b1"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_an_engine_fault_is_shown_not_raised(world: Any) -> None:
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(url="local://no-such-index")
    page = parse(client_for(world.owner).get(url(world, "query")).content)
    assert page.one("p.explain-problem").text.startswith("Search failed:")
    assert "no-such-index" in page.one("p.explain-problem").text


# --- snapshots with stored Solr / OpenSearch explanations ----------------------------------------


def snapshot_of(world: Any, docs: list[tuple[str, dict[str, Any] | None]]) -> Snapshot:
    snap = Snapshot.objects.create(case=world.case, try_ref=world.try_, name="solr week 1")
    sq = SnapshotQuery.objects.create(
        snapshot=snap, query=world.q_boots, query_text=world.q_boots.text, num_results=1234
    )
    for i, (doc_id, explain) in enumerate(docs):
        SnapshotDoc.objects.create(
            snapshot_query=sq,
            doc_id=doc_id,
            position=i,
            fields={"title": [f"doc {doc_id}"]},
            explain=explain,
        )
    return snap


@pytest.mark.django_db
def test_a_snapshot_explains_its_stored_solr_trees(world: Any) -> None:
    # as the adapters store them (the common tree's JSON) and as raw Lucene JSON
    snap = snapshot_of(world, [("11", parse_lucene_explain(T.SOLR_A).to_dict()), ("40", T.SOLR_B)])
    client = client_for(world.owner)
    page = parse(client.get(url(world, "doc", doc="11", snapshot=snap.pk)).content)
    assert page.one("#explain-source").text.startswith("snapshot “solr week 1”")
    rows = {r.one("code").text: r for r in page.select("table.clause-table tbody tr.clause")}
    assert rows["body:boundari"].select("td.num")[2].text == "0.1"  # dismax tie-breaker
    assert rows["ƒ FunctionQuery(log(int(popularity)))"].one("td.adds").text == "2"
    assert 'body:"boundari layer"' in rows
    cmp = parse(client.get(url(world, "compare", doc=["40", "11"], snapshot=snap.pk)).content)
    assert cmp.one("#compare-headline").text.startswith("#1 scores 6.384 more than #2")
    top = parse(client.get(url(world, "query", snapshot=snap.pk)).content)
    hidden = top.select("input[name=snapshot]")  # the top-N form and the compare form
    assert [h.attrs["value"] for h in hidden] == [str(snap.pk)] * 2
    assert "1234 results" in top.one("#explain-source").text


@pytest.mark.django_db
def test_a_snapshot_with_opensearch_function_score_and_filters(world: Any) -> None:
    snap = snapshot_of(world, [("486", T.OS_A), ("13", T.OS_B)])
    page = parse(
        client_for(world.owner).get(url(world, "doc", doc="486", snapshot=snap.pk)).content
    )
    kinds = {r.one("code").text: r.attrs["class"] for r in page.select("tr.clause")}
    assert "kind-filter" in kinds["lang:en"]
    assert (
        "kind-function" in kinds["ƒ field value function: log1p(doc['popularity'].value * factor)"]
    )


@pytest.mark.django_db
def test_stored_docs_without_or_with_broken_explain_are_named(world: Any) -> None:
    client = client_for(world.owner)
    none = snapshot_of(world, [("a", None), ("b", None)])
    page = parse(client.get(url(world, "query", snapshot=none.pk)).content)
    assert page.one("#explain-missing").text == (
        "this engine returned no score explanation for these results"
    )
    assert page.select("#clause-contributions") == []
    broken = snapshot_of(world, [("a", T.OS_A), ("b", {"value": "high"})])
    page = parse(client.get(url(world, "query", snapshot=broken.pk)).content)
    assert page.one("#explain-missing").text == "doc b: doc b explain.value: not a number: 'high'"
    assert page.one("#clause-contributions h2").text == "Clause contributions over the top 1"
    assert client.get(url(world, "query", snapshot=999999)).status_code == 404
    assert client.get(url(world, "query", snapshot="x")).status_code == 404


@pytest.mark.django_db
def test_doc_ids_with_slashes_and_spaces_survive_the_links(world: Any) -> None:
    from urllib.parse import quote

    snap = snapshot_of(world, [("docs/a 1", T.OS_A), ("docs/b&2", T.OS_B)])
    client = client_for(world.owner)
    page = parse(client.get(url(world, "query", snapshot=snap.pk)).content)
    links = [a.attrs["href"] for a in page.select("a.explain-link")]
    assert links[0] == url(world, "doc", doc=quote("docs/a 1", safe="")) + f"&snapshot={snap.pk}"
    doc_page = parse(client.get(links[0]).content)
    assert doc_page.one("div.explain-doc").attrs["data-doc-id"] == "docs/a 1"
    both = client.get(
        url(world, "compare", doc=[quote("docs/b&2", safe=""), quote("docs/a 1", safe="")])
        + f"&snapshot={snap.pk}"
    )
    assert both.status_code == 200
    assert "docs/a 1" in parse(both.content).one("#compare-above").text


@pytest.mark.django_db
def test_every_analysis_is_also_json(world: Any) -> None:
    client = client_for(world.owner)
    doc = client.get(url(world, "doc", doc="b2", format="json")).json()
    assert (doc["id"], doc["rank"]) == ("b2", 1)
    assert sum(c["contribution"] for c in doc["clauses"]) == pytest.approx(doc["total"], rel=1e-5)
    title = next(c for c in doc["clauses"] if c["label"] == "title:red")
    assert title["weight"] == pytest.approx(2.0) and "idf" in title["factors"]
    cmp = client.get(url(world, "compare", doc=["j1", "b2"], format="json")).json()
    assert (cmp["a"]["id"], cmp["b"]["id"]) == ("b2", "j1")
    assert sum(r["delta"] for r in cmp["rows"]) == pytest.approx(cmp["gap"], abs=1e-5)
    top = client.get(url(world, "query", n=3, format="json")).json()
    assert len(top["docs"]) == 3 == len(top["doc_scores"])
    assert all(len(c["per_doc"]) == 3 for c in top["clauses"])
    assert sum(c["share"] for c in top["clauses"]) == pytest.approx(1.0)
    bad = client.get(url(world, "compare", doc="b2", format="json"))
    assert bad.status_code == 400 and bad.json() == {
        "error": "pick exactly two docs to compare (got 1)"
    }
    assert client.get(url(world, "doc", doc="zz", format="json")).status_code == 404


@pytest.mark.django_db
def test_the_compare_page_shows_the_ratings_of_both_docs(world: Any) -> None:
    page = parse(client_for(world.owner).get(url(world, "compare", doc=["b2", "j1"])).content)
    assert page.one("#compare-above span.rating-note").text == "rated 1"
    assert page.one("#compare-below span.rating-note").text == "not rated"


@pytest.mark.django_db
def test_a_snapshot_taken_by_the_case_page_is_explained_from_its_stored_trees(world: Any) -> None:
    from searchbench.cases import services

    snap = services.take_snapshot(world.case, "before title boost", user=world.owner, explain=True)
    client = client_for(world.owner)
    listing = parse(client.get(reverse("cases:snapshot", args=[world.case.pk, snap.pk])).content)
    links = [a.attrs["href"] for a in listing.select("#snapshot-queries a.explain-link")]
    assert url(world, "query", snapshot=snap.pk) in links
    # the engine may change after the snapshot: the stored trees are what gets explained
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(url="local://gone")
    live = client.get(url(world, "doc", doc="b2", format="json"))
    assert live.status_code == 502
    stored = client.get(url(world, "doc", doc="b2", snapshot=snap.pk, format="json")).json()
    assert stored["rank"] == 1
    title = next(c for c in stored["clauses"] if c["label"] == "title:red")
    assert title["weight"] == pytest.approx(2.0)
    assert sum(c["contribution"] for c in stored["clauses"]) == pytest.approx(stored["total"])
