"""Filling a book from a case through the relevance loop, and syncing its judgements back."""

from __future__ import annotations

import pytest
from django.db import connection

from searchbench.books import services, sync
from searchbench.books.models import Book, BookSync, Judgement, Pair
from searchbench.books.populate import MAX_DEPTH, populate_from_case
from searchbench.books.services import BookError
from searchbench.cases.models import Rating, ScoreHistory

pytestmark = pytest.mark.django_db

State = Judgement.State


@pytest.fixture
def empty_book(world):
    book = Book.objects.create(name="Fresh", owner=world.owner, scale=[0, 1])
    return book


def test_populate_takes_the_top_n_and_the_rated_docs_with_their_fields(world, empty_book):
    done = populate_from_case(empty_book, world.case, depth=2)
    assert (done.queries, done.errors) == (2, {})
    pairs = {(p.query_text, p.doc_id): p for p in empty_book.pairs.all()}
    boots = sorted(d for q, d in pairs if q == "red boots")
    # The top 2 for "red boots" are b1/b2 (both rated too): 2 pairs; "tent": t1 (rated, top 1)
    # plus the next hit if the engine has one.
    assert {"b1", "b2"} <= set(boots)
    assert ("tent", "t1") in pairs
    top = pairs[("red boots", "b1")]
    assert top.position in (1, 2)
    assert top.doc_fields["title"] == "red leather boots"
    assert list(empty_book.cases.all()) == [world.case]
    # Again: nothing new, everything kept.
    again = populate_from_case(empty_book, world.case, depth=2)
    assert (again.added, again.kept) == (0, done.added)


def test_populate_adds_rated_docs_outside_the_top_n_without_fields(world, empty_book):
    Rating.objects.create(query=world.q_tent, doc_id="not-returned", rating=0)
    populate_from_case(empty_book, world.case, depth=1)
    extra = empty_book.pairs.get(query_text="tent", doc_id="not-returned")
    assert (extra.position, extra.doc_fields) == (None, {})


def test_populate_keeps_a_pair_the_database_holds_as_the_same(world, empty_book):
    """On MariaDB "RED BOOTS" and "red boots" are one key to the unique constraint (its
    collation ignores case): populate kept the pair instead of failing with an IntegrityError."""
    Pair.objects.create(book=empty_book, query_text="RED BOOTS", doc_id="b1")
    done = populate_from_case(empty_book, world.case, depth=2)
    assert empty_book.pairs.count() == 1 + done.added
    assert done.added + done.kept >= 3  # b1, b2, t1 at least; b1 kept or added, per database
    assert done.errors == {}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite stores such a rating")
def test_populate_leaves_out_a_doc_id_too_long_to_store(world, empty_book):
    long_id = "x" * 300
    Rating.objects.create(query=world.q_tent, doc_id=long_id, rating=0)
    done = populate_from_case(empty_book, world.case, depth=1)
    assert not empty_book.pairs.filter(doc_id__startswith="xxx").exists()
    assert "too long" in done.errors["tent"]


def test_populate_refuses_bad_depth_and_a_case_without_try(world, empty_book):
    with pytest.raises(BookError, match=f"between 1 and {MAX_DEPTH}"):
        populate_from_case(empty_book, world.case, depth=0)
    world.case.tries.all().delete()
    with pytest.raises(BookError, match="has no try yet"):
        populate_from_case(empty_book, world.case, depth=3)
    assert not empty_book.pairs.exists()


def test_sync_writes_aggregates_keeps_other_ratings_and_rescores(world, book):
    book.scale = [0, 1]
    book.save()
    b1 = book.pairs.get(doc_id="b1")
    b3 = book.pairs.get(doc_id="b3")
    t1 = book.pairs.get(doc_id="t1")
    # b1: rated 1 by the case; the book says 0 (two raters agree) -> replaced.
    services.record_judgement(b1, rater=world.owner, rating=0)
    services.record_judgement(b1, rater=world.teammate, rating=0)
    # b3: unrated in the case; the book says 1 -> written.
    services.record_judgement(b3, rater=world.owner, rating=1)
    # t1: only "can't rate" and "later" -> the case's rating stays.
    services.record_judgement(t1, rater=world.owner, state=State.CANT_RATE)
    services.record_judgement(t1, rater=world.teammate, state=State.LATER)
    runs = ScoreHistory.objects.filter(case=world.case).count()

    [done] = sync.sync_book(book, user=world.owner)

    ratings = dict(Rating.objects.filter(query__case=world.case).values_list("doc_id", "rating"))
    assert ratings == {"b1": 0.0, "b2": 1.0, "b3": 1.0, "t1": 1.0}
    synced = Rating.objects.get(query=world.q_boots, doc_id="b3")
    assert synced.rated_by is None
    record = BookSync.objects.get()
    assert (record.rule, record.written, record.unchanged, record.skipped) == ("quepid", 2, 0, 0)
    assert record.synced_by == world.owner and record.case == world.case
    # The case was run again (the test settings run queued tasks at once).
    assert done.job is not None
    done.job.refresh_from_db()
    assert done.job.status == "done"
    assert ScoreHistory.objects.filter(case=world.case).count() == runs + 1

    # Again: nothing to write.
    sync.sync_book(book, user=world.owner)
    again = BookSync.objects.first()
    assert (again.written, again.unchanged) == (0, 2)


def test_sync_skips_unknown_queries_and_off_scale_values(world, book):
    from searchbench.books.models import Pair

    lost = Pair.objects.create(book=book, query_text="no such query", doc_id="x")
    services.record_judgement(lost, rater=world.owner, rating=1)
    b3 = book.pairs.get(doc_id="b3")
    services.record_judgement(b3, rater=world.owner, rating=3)  # P@10's scale is 0/1
    [done] = sync.sync_book(book)
    assert (done.record.written, done.record.skipped) == (0, 2)
    assert not Rating.objects.filter(doc_id__in=["x", "b3"]).exists()
    assert done.record.synced_by is None


def test_sync_skips_a_pair_rated_off_the_books_changed_scale(world, book):
    b1 = book.pairs.get(doc_id="b1")
    services.record_judgement(b1, rater=world.owner, rating=3)  # on 0-3
    services.record_judgement(b1, rater=world.teammate, rating=1)
    book.scale = [0, 1]  # changed since: the 3 is on no grade now
    book.save()
    Rating.objects.update_or_create(query=world.q_boots, doc_id="b1", defaults={"rating": 0})
    [done] = sync.sync_book(book)
    assert sync.aggregated(book) == {("red boots", "b1"): None}
    assert (done.record.written, done.record.skipped) == (0, 1)
    assert Rating.objects.get(query=world.q_boots, doc_id="b1").rating == 0  # not moved to 1


def test_aggregated_uses_the_books_rule(world, book):
    b1 = book.pairs.get(doc_id="b1")
    for user, value in [(world.owner, 3), (world.teammate, 1)]:
        services.record_judgement(b1, rater=user, rating=value)
    services.record_judgement(b1, rater_email="c@x.org", rating=3)
    assert sync.aggregated(book) == {("red boots", "b1"): 1.0}  # top three 3,3,1 -> min 1
    book.aggregation = "majority"
    assert sync.aggregated(book) == {("red boots", "b1"): 3.0}
    book.aggregation = "mean"
    assert sync.aggregated(book) == {("red boots", "b1"): 2.0}  # 7/3 -> 2


def test_an_engine_failure_is_reported_and_the_rated_docs_still_come_in(world, empty_book):
    world.endpoint.url = "local://no-such-index"
    world.endpoint.save()
    done = populate_from_case(empty_book, world.case, depth=3)
    assert set(done.errors) == {"red boots", "tent"}
    pairs = set(empty_book.pairs.values_list("query_text", "doc_id"))
    assert pairs == {("red boots", "b1"), ("red boots", "b2"), ("tent", "t1")}


def test_a_rater_syncs_only_into_the_cases_they_may_change(world, book):
    from searchbench.cases import services as case_services
    from searchbench.cases.models import Case

    private = Case.objects.create(name="Olive's own", owner=world.owner, scorer=world.case.scorer)
    own_query = case_services.add_query(private, "red boots")
    book.cases.add(private)
    b3 = book.pairs.get(doc_id="b3")
    services.record_judgement(b3, rater=world.teammate, rating=1)

    done = sync.sync_book(book, user=world.teammate)
    assert [d.record.case for d in done] == [world.case]
    assert not Rating.objects.filter(query=own_query).exists()
    assert Rating.objects.get(query=world.q_boots, doc_id="b3").rating == 1
    # The owner (and the command line, with no user) reach both.
    assert {d.record.case for d in sync.sync_book(book, user=world.owner)} == {world.case, private}
    assert Rating.objects.get(query=own_query, doc_id="b3").rating == 1


def test_populate_from_the_newest_snapshot_searches_nothing(world, empty_book):
    from searchbench.cases import services as case_services

    case_services.take_snapshot(world.case, "old", user=world.owner)
    world.try_.field_spec = "id:id title:body"  # the newest snapshot shows bodies as titles
    world.try_.save()
    snap = case_services.take_snapshot(world.case, "new", user=world.owner)
    world.endpoint.url = "local://no-such-index"  # nothing may be searched from here on
    world.endpoint.save()
    shown = {
        sq.query_text: [d.doc_id for d in sq.docs.order_by("position")] for sq in snap.queries.all()
    }
    done = populate_from_case(empty_book, world.case, depth=2, stored=True)
    assert done.errors == {}
    ranked = {(p.query_text, p.doc_id): p for p in empty_book.pairs.exclude(position=None)}
    assert sorted(ranked) == sorted((q, d) for q, ids in shown.items() for d in ids[:2])
    top = ranked[("red boots", shown["red boots"][0])]
    assert top.position == 1
    assert top.doc_fields["title"] == top.doc_fields["body"]  # the snapshot's field spec


def test_populate_from_a_snapshot_needs_one(world, empty_book):
    with pytest.raises(BookError, match="has no snapshot"):
        populate_from_case(empty_book, world.case, depth=2, stored=True)


def test_a_query_added_after_the_snapshot_is_reported(world, empty_book):
    from searchbench.cases import services as case_services

    case_services.take_snapshot(world.case, "s", user=world.owner)
    case_services.add_query(world.case, "socks")
    done = populate_from_case(empty_book, world.case, depth=1, stored=True)
    assert done.errors == {"socks": "not in snapshot 's'"}


def test_a_sync_that_fails_half_way_writes_nothing(world, book, monkeypatch):
    # Two ratings to write; the second write fails: the first is rolled back with it and no
    # BookSync row claims a sync that did not happen.
    book.scale = [0, 1]
    book.save()
    services.record_judgement(book.pairs.get(doc_id="b1"), rater=world.owner, rating=0)
    services.record_judgement(book.pairs.get(doc_id="b3"), rater=world.owner, rating=1)
    before = dict(Rating.objects.filter(query__case=world.case).values_list("doc_id", "rating"))
    real = sync.case_services.rate_doc
    calls = []

    def failing(query, doc_id, value):
        calls.append(doc_id)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(query, doc_id, value)

    monkeypatch.setattr(sync.case_services, "rate_doc", failing)
    with pytest.raises(RuntimeError):
        sync.sync_book(book, user=world.owner)
    assert len(calls) == 2
    after = dict(Rating.objects.filter(query__case=world.case).values_list("doc_id", "rating"))
    assert after == before
    assert not BookSync.objects.exists()
