"""A rating costs the same in a case of 10 or 10,000 queries, and its fold stays exact when
queries come and go between runs (cases/services.rescore_query, cases/history.fold_rating)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from searchbench.cases import history, services
from searchbench.cases.models import Query, ScoreHistory


def _grow(case, total: int) -> None:
    """Give ``case`` ``total`` queries (the fixture's two plus unrated ones)."""
    have = case.queries.count()
    Query.objects.bulk_create(
        Query(case=case, text=f"socks {n}", position=100 + n) for n in range(total - have)
    )


def _rating_queries(world, total: int) -> tuple[int, int]:
    """SQL statements of a rating POST and of the query page, in a case of ``total`` queries."""
    _grow(world.case, total)
    services.run_case(world.case)
    client = Client()
    client.force_login(world.owner)
    rate = reverse("cases:rate", args=[world.case.pk, world.q_boots.pk])
    page = reverse("cases:query", args=[world.case.pk, world.q_boots.pk])
    client.post(rate, {"doc_id": "b3", "rating": "1"}, HTTP_X_REQUESTED_WITH="fetch")  # warm
    with CaptureQueriesContext(connection) as posted:
        response = client.post(rate, {"doc_id": "b3", "rating": "0"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as opened:
        assert client.get(page).status_code == 200
    last = ScoreHistory.objects.get(case=world.case)  # folded in place, no run
    assert last.rated_at is not None and last.num_queries == total
    return len(posted.captured_queries), len(opened.captured_queries)


@pytest.mark.django_db
def test_a_rating_and_the_query_page_run_as_many_sql_statements_in_a_big_case(world):
    small = _rating_queries(world, 10)
    ScoreHistory.objects.filter(case=world.case).delete()
    big = _rating_queries(world, 200)
    assert big == small


@pytest.mark.django_db
def test_no_statement_of_a_rating_reads_every_query_of_the_case(world):
    _grow(world.case, 50)
    services.run_case(world.case)
    services.rate_doc(world.q_boots, "b3", 1)
    with CaptureQueriesContext(connection) as ctx:
        services.rescore_query(world.case, world.q_boots)
    # Ids of the case's queries are counted by the database, never listed to Python.
    table = connection.ops.quote_name("cases_query")
    this = f"{table}.{connection.ops.quote_name('id')} = {world.q_boots.pk}"
    reads = [q["sql"] for q in ctx.captured_queries if table in q["sql"]]
    assert reads  # the counts
    listing = [sql for sql in reads if "COUNT(" not in sql.upper()]
    assert all(this in sql for sql in listing), listing


@pytest.mark.django_db
def test_the_rating_searches_without_explanations(world):
    services.run_case(world.case)
    outcome, folded = services.rescore_query(world.case, world.q_boots)
    assert folded is not None
    assert outcome.result.docs and all(d.explain is None for d in outcome.result.docs)
    page = services.search_query(world.case, world.q_boots)  # the query page keeps them
    assert page.result.docs and all(d.explain is not None for d in page.result.docs)


@pytest.mark.django_db
def test_a_query_deleted_since_the_run_leaves_the_row_and_the_case_score(world):
    first = services.run_case(world.case)
    world.q_tent.delete()
    services.rate_doc(world.q_boots, "b3", 1)
    _outcome, folded = services.rescore_query(world.case, world.q_boots)
    assert folded.pk == first.history.pk  # folded, not run again
    assert set(folded.per_query) == {str(world.q_boots.pk)} and folded.num_queries == 1
    full = services.run_case(world.case)
    assert folded.score == pytest.approx(full.score)
    # The row holds the case's queries again: the next rating takes the cheap way.
    services.rate_doc(world.q_boots, "b3", 0)
    _outcome, again = services.rescore_query(world.case, world.q_boots)
    assert again.pk == full.history.pk and again.score == pytest.approx(
        services.run_case(world.case).score
    )


@pytest.mark.django_db
def test_rating_the_one_query_added_since_the_run_folds_it_in(world):
    first = services.run_case(world.case)
    added = services.add_query(world.case, "red jacket")
    services.rate_doc(added, "j1", 1)
    _outcome, folded = services.rescore_query(world.case, added)
    assert folded.pk == first.history.pk and folded.num_queries == 3
    assert folded.per_query[str(added.pk)] > 0
    assert folded.score == pytest.approx(services.run_case(world.case).score)


@pytest.mark.django_db
def test_a_query_deleted_and_another_added_since_the_run_make_a_whole_run(world):
    first = services.run_case(world.case)
    world.q_tent.delete()
    added = services.add_query(world.case, "wool socks")  # as many queries as recorded
    services.rate_doc(world.q_boots, "b3", 1)
    _outcome, recorded = services.rescore_query(world.case, world.q_boots)
    assert recorded.pk != first.history.pk
    assert set(recorded.per_query) | set(recorded.errors) == {
        str(world.q_boots.pk),
        str(added.pk),
    }


@pytest.mark.django_db
def test_a_record_missing_an_old_query_makes_a_whole_run(world):
    # A run that recorded fewer queries than the case had (the counts give it away).
    first = services.run_case(world.case)
    row = first.history
    row.set_queries({str(world.q_boots.pk): 0.5}, {})
    row.save()
    _outcome, recorded = services.rescore_query(world.case, world.q_boots)
    assert recorded.pk != row.pk and str(world.q_tent.pk) in recorded.per_query


@pytest.mark.django_db
def test_two_folds_in_a_row_match_a_full_run_with_a_failed_query(world):
    world.try_.escape = False  # the engine rejects this query's syntax: a failed query
    world.try_.save()
    bad = services.add_query(world.case, 'title:"unclosed')
    services.run_case(world.case)
    services.rate_doc(world.q_boots, "b1", 0)
    services.rescore_query(world.case, world.q_boots)
    _outcome, folded = services.rescore_query(world.case, bad)
    assert str(bad.pk) in folded.errors and folded.num_errors == 1
    assert folded.score == pytest.approx(services.run_case(world.case).score)


@pytest.mark.django_db
def test_the_query_page_reads_the_case_score_alone(world):
    scorer = world.case.scorer.name
    assert history.current_score_for(world.case, scorer) == (None, None)
    run = services.run_case(world.case)
    assert history.current_score_for(world.case, scorer) == (run.history.score, None)
    assert history.current_score_for(world.case, "another") == (None, scorer)


@pytest.mark.django_db
def test_neighbours_follow_position_then_id(world):
    # Positions may tie (queries imported together): the order is (position, id) as listed.
    extra = [Query.objects.create(case=world.case, text=f"q{n}", position=5) for n in range(3)]
    world.q_tent.position = 5
    world.q_tent.save()
    order = list(world.case.queries.values_list("pk", flat=True))
    assert order == [world.q_boots.pk, world.q_tent.pk, *(q.pk for q in extra)]
    for at, pk in enumerate(order):
        query = Query.objects.get(pk=pk)
        expected = (order[at - 1] if at else None, order[at + 1] if at + 1 < len(order) else None)
        assert services.query_neighbours(query) == expected


@pytest.mark.django_db
def test_neighbours_seek_the_position_index_instead_of_scanning_the_case(world):
    # On PostgreSQL an OR of position conditions alone left the index a scan of the whole case.
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("the query plans checked here are SQLite's and PostgreSQL's")
    # A case big enough, with fresh statistics, that the planner's choice does not hang on what
    # other tests left in the table (with two rows the case_id index alone costs the same).
    Query.objects.bulk_create(
        Query(case=world.case, text=f"filler {i}", position=world.q_tent.position + 1 + i)
        for i in range(2000)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Query._meta.db_table}")
    with CaptureQueriesContext(connection) as captured:
        services.query_neighbours(world.q_tent)
    assert captured.captured_queries  # else the loop below checks nothing
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plan = " / ".join(row[-1] for row in cursor.fetchall())
                assert "INDEX query_case_position (case_id=? AND position" in plan, plan
            else:
                cursor.execute("SET LOCAL enable_seqscan = off")  # two rows: it would scan
                cursor.execute("EXPLAIN " + query["sql"])
                plan = [row[0] for row in cursor.fetchall()]
                cond = next(line for line in plan if "Index Cond" in line)
                assert "case_id" in cond and "position" in cond, plan
