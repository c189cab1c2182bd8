"""A book import on a database whose collation folds case and accents (MariaDB's default): two
pairs the file tells apart but the database does not are a problem of the file, named, and
nothing is stored — not a database error."""

from __future__ import annotations

import io

import pytest

from searchbench.books import transfer
from searchbench.books.models import Book, Pair
from searchbench.cases.tests.conftest import World

pytestmark = pytest.mark.django_db


def _file(text: str) -> io.BytesIO:
    stream = io.BytesIO(text.encode())
    stream.name = "j.csv"
    return stream


def test_pairs_the_database_cannot_tell_apart_are_refused_or_kept_apart(world: World) -> None:
    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1])
    Pair.objects.create(book=book, query_text="red boots", doc_id="b1")
    text = "query,docid,rater,rating\nRed Boots,b1,ann@x.org,1\ntent,t1,ann@x.org,0\n"
    try:
        report = transfer.import_book("judgements-csv", _file(text), user=world.owner, book=book)
    except transfer.TransferError as exc:  # a database that folds case: one pair to it
        assert exc.problems[0][0] == "line 2"
        assert "red boots" in exc.problems[0][1]
        assert book.pairs.count() == 1  # nothing stored
    else:  # a database that keeps them apart: two pairs
        assert report.pairs_added == 2
        assert sorted(book.pairs.values_list("query_text", flat=True)) == [
            "Red Boots", "red boots", "tent",
        ]  # fmt: skip


def test_a_pair_another_import_added_meanwhile_is_named_so(world: World) -> None:
    """Two imports of one file at once: the later one's insert meets the pair the first added
    after it read the book; that is no clash of names (the message said so before)."""
    from searchbench.books.transfer import _Applier
    from searchbench.domain.formats.bookdata import BookData, PairData

    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1])
    Pair.objects.create(book=book, query_text="tent", doc_id="t1")  # the other import's
    applier = _Applier(transfer.get_book_format("judgements-csv"), BookData(), world.owner)
    assert applier._same_to_the_database(book, [PairData("tent", "t1", where="line 3")]) == 1
    assert applier.problems == [
        ("line 3", "query 'tent' doc 't1' was added to the book meanwhile; import the file again")
    ]
