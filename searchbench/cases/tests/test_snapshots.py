"""Snapshots are written in bulk and shown a page at a time."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import Query, SnapshotDoc, SnapshotQuery
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for

WORDS = ["red", "boots", "tent", "socks", "jacket", "blue", "wool", "green"]


def _add_queries(case, n: int) -> None:
    """``n`` more queries (word pairs over the tiny index), after the world's two."""
    Query.objects.bulk_create(
        Query(case=case, text=f"{WORDS[i % 8]} {WORDS[i // 8 % 8]}", position=10 + i)
        for i in range(n)
    )


def _inserts_into(captured, table: str) -> int:
    return sum(
        1
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("INSERT") and table in q["sql"].replace("`", '"')
    )


@pytest.mark.django_db
def test_a_snapshot_is_written_in_a_few_statements_not_one_per_query(world):
    _add_queries(world.case, 118)
    with CaptureQueriesContext(connection) as captured:
        snapshot = services.take_snapshot(world.case, "big")
    assert snapshot.queries.count() == 120
    assert _inserts_into(captured, '"cases_snapshotquery"') == 1  # one batch of 120 rows
    assert _inserts_into(captured, '"cases_snapshotdoc"') <= 2
    # Not as UNNEST arrays on PostgreSQL: psycopg quotes arrays of JSON texts slowly.
    docs_sql = [q["sql"] for q in captured.captured_queries if "cases_snapshotdoc" in q["sql"]]
    assert docs_sql and not any("UNNEST" in sql for sql in docs_sql)
    # Every doc hangs under its own query's row.
    for sq in snapshot.queries.filter(query=world.q_tent):
        assert [d.doc_id for d in sq.docs.all()] == ["t1"]


@pytest.mark.django_db
def test_docs_find_their_query_row_where_the_database_returns_no_ids(world, monkeypatch):
    # MySQL (not MariaDB) returns no ids from a multi-row INSERT: the rows are read back.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    snapshot = services.take_snapshot(world.case, "no ids")
    tent = SnapshotQuery.objects.get(snapshot=snapshot, query=world.q_tent)
    assert list(SnapshotDoc.objects.filter(snapshot_query=tent).values_list("doc_id")) == [("t1",)]
    boots = SnapshotQuery.objects.get(snapshot=snapshot, query=world.q_boots)
    assert boots.docs.count() == boots.num_results


@pytest.mark.django_db
def test_the_snapshot_page_shows_fifty_queries_a_page(world):
    _add_queries(world.case, 118)
    snapshot = services.take_snapshot(world.case, "paged")
    url = reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])
    client = client_for(world.owner)
    first = parse(client.get(url).content)
    rows = first.select("#snapshot-queries tr.snapshot-query")
    assert len(rows) == 50
    assert [r.select("td")[0].text for r in rows[:2]] == ["red boots", "tent"]
    assert "page 1 of 3" in first.one("#snapshot-pages").text
    assert first.one("#snapshot-pages a[rel=next]").attrs["href"] == "?page=2"
    last = parse(client.get(url + "?page=3").content)
    assert len(last.select("#snapshot-queries tr.snapshot-query")) == 20
    assert "queries 101–120 of 120" in last.one("#snapshot-pages").text
    beyond = parse(client.get(url + "?page=99").content)  # past the end: the last page
    assert "page 3 of 3" in beyond.one("#snapshot-pages").text


@pytest.mark.django_db
def test_a_small_snapshot_has_no_pager(world):
    snapshot = services.take_snapshot(world.case, "small")
    url = reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])
    page = parse(client_for(world.owner).get(url).content)
    assert page.select("#snapshot-pages") == []
    assert len(page.select("#snapshot-queries tr.snapshot-query")) == 2


@pytest.mark.django_db
def test_the_snapshot_page_shows_the_top_ten_docs_of_a_query(world):
    snapshot = services.take_snapshot(world.case, "top")
    sq = SnapshotQuery.objects.get(snapshot=snapshot, query=world.q_boots)
    returned = list(sq.docs.order_by("position").values_list("doc_id", flat=True))
    SnapshotDoc.objects.bulk_create(
        SnapshotDoc(snapshot_query=sq, doc_id=f"x{i}", position=100 + i) for i in range(12)
    )
    url = reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])
    row = parse(client_for(world.owner).get(url).content).select("tr.snapshot-query")[0]
    shown = [li.attrs["data-doc-id"] for li in row.select("ol.snapshot-docs li")]
    assert shown == (returned + [f"x{i}" for i in range(12)])[:10]


@pytest.mark.django_db
def test_the_snapshot_page_titles_docs_per_the_field_spec(world):
    snapshot = services.take_snapshot(world.case, "titles")  # field spec: id:id title:title body
    url = reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])
    page = parse(client_for(world.owner).get(url).content)
    tent = page.select("tr.snapshot-query")[1]
    assert tent.one("ol.snapshot-docs li[data-doc-id=t1]").text == "green tent t1"
    assert tent.one("li[data-doc-id=t1] code.doc-id").text == "t1"
    # The snapshot's try deleted: no field spec, the id stands in.
    snapshot.try_ref = None
    snapshot.save()
    page = parse(client_for(world.owner).get(url).content)
    assert page.select("tr.snapshot-query")[1].one("li[data-doc-id=t1]").text == "t1"


@pytest.mark.django_db
def test_a_snapshot_keeps_explanations_only_when_asked(world):
    plain = services.take_snapshot(world.case, "plain")
    explained = services.take_snapshot(world.case, "explained", explain=True)
    docs = SnapshotDoc.objects.filter(snapshot_query__snapshot=plain)
    assert docs.count() == 6 and not docs.exclude(explain=None).exists()
    assert docs.get(doc_id="t1").fields["title"] == "green tent"
    trees = SnapshotDoc.objects.filter(snapshot_query__snapshot=explained)
    assert trees.count() == 6 and not trees.filter(explain=None).exists()
    # The explain link is offered where trees were stored.
    client = client_for(world.owner)
    for snapshot, links in ((plain, 0), (explained, 2)):
        url = reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])
        page = parse(client.get(url).content)
        assert len(page.select("#snapshot-queries a.explain-link")) == links


@pytest.mark.django_db
def test_explain_trees_are_stored_as_the_nodes_say_with_nan_as_null(world):
    from searchbench.domain.search import ExplainNode

    leaf = ExplainNode(float("nan"), "idf, computed as …", kind="idf", field="title", term="red")
    tree = ExplainNode(1.5, "sum of:", [leaf], kind="sum")
    assert json.loads(services._json_text(tree)) == {
        "value": 1.5,
        "description": "sum of:",
        "kind": "sum",
        "field": None,
        "term": None,
        "children": [{**leaf.to_dict(), "value": None}],
    }
    fine = ExplainNode(2.0, "leaf")
    assert json.loads(services._json_text(fine)) == fine.to_dict()
    assert json.loads(services._json_text({"price": float("inf"), "when": object})) == {
        "price": None,
        "when": str(object),
    }


@pytest.mark.django_db
def test_doc_rows_go_in_statements_of_bounded_size(world, monkeypatch):
    # Big stored fields and explain trees: a statement stays under what MariaDB accepts.
    monkeypatch.setattr(services, "INSERT_BYTES", 1500)
    _add_queries(world.case, 8)
    with CaptureQueriesContext(connection) as captured:
        snapshot = services.take_snapshot(world.case, "bounded", explain=True)
    docs = SnapshotDoc.objects.filter(snapshot_query__snapshot=snapshot)
    assert _inserts_into(captured, '"cases_snapshotdoc"') > 2
    assert docs.count() == sum(q.num_results for q in snapshot.queries.exclude(error__gt=""))
    assert not docs.filter(explain=None).exists()
