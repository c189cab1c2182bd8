"""Books in and out (books/transfer.py): Quepid's book JSON and the judgements CSV, all or
nothing, on Quepid's real files (../shared/data/quepid_files/quepid-book, see its README)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from searchbench.books import transfer
from searchbench.books.models import Book, Judgement, Pair
from searchbench.cases.tests.conftest import World
from searchbench.testing import service_missing

pytestmark = pytest.mark.django_db

HAYSTACK = "haystack_rating_party_book.json.zip"
CSV = (
    "query,docid,rater,rating,explanation\n"
    "red boots,b1,olive@example.com,3,fits\n"
    "red boots,b1,ann@x.org,2,\n"
    "red boots,b2,ann@x.org,cant_rate,\n"
    "tent,t9,ann@x.org,0,\n"
)


def _quepid_book(shared_data: Path, name: str) -> Path:
    path = shared_data / "quepid_files" / "quepid-book" / name
    if not path.is_file():
        service_missing(f"Quepid's book file not found at {path}")
    return path


def _file(text: str, name: str = "j.csv") -> io.BytesIO:
    stream = io.BytesIO(text.encode())
    stream.name = name
    return stream


def _state(book: Book) -> tuple[list[Any], list[Any]]:
    """A book's pairs and judgements as plain values (ids and times left out)."""
    pairs = list(
        book.pairs.order_by("query_text", "doc_id").values_list(
            "query_text", "doc_id", "position", "doc_fields", "information_need", "notes",
            "options", "judged",
        )
    )  # fmt: skip
    judgements = sorted(
        Judgement.objects.filter(pair__book=book).values_list(
            "pair__query_text", "pair__doc_id", "rater_key", "rater_id", "rater_email", "state",
            "rating", "explanation",
        )
    )  # fmt: skip
    return pairs, judgements


def test_the_haystack_book_imports_whole_and_round_trips(shared_data: Path, world: World) -> None:
    path = _quepid_book(shared_data, HAYSTACK)
    report = transfer.import_book("quepid-book", path, user=world.owner)
    book = report.book
    assert (report.created_book, book.name, book.owner) == (
        True,
        "Haystack Icecat Rating Party",
        world.owner,
    )
    assert (report.pairs_added, report.judgements_added) == (2420, 1942)
    assert book.pairs.count() == 2420
    judgements = Judgement.objects.filter(pair__book=book)
    assert judgements.count() == 1942
    assert judgements.filter(state=Judgement.State.CANT_RATE, rating=None).count() == 22
    assert len(report.raters_kept_by_email) == 13  # no user has any of these e-mails
    assert judgements.filter(rater_key="e:epugh@opensourceconnections.com").count() == 937
    assert book.scale == [0, 1, 2, 3]
    assert any("names no scale" in w for w in report.warnings)
    # judged counts the answers (ratings and can't rate) of each pair
    assert sum(book.pairs.values_list("judged", flat=True)) == 1942
    # import -> export -> import: the same pairs and judgements
    exported = transfer.export_book_text("quepid-book", book)
    again = transfer.import_book(
        "quepid-book", _file(exported, "again.json"), user=world.owner, book="again"
    )
    assert _state(again.book) == _state(book)
    assert transfer.export_book_text("quepid-book", again.book) == exported.replace(
        '"name":"Haystack Icecat Rating Party"', '"name":"again"'
    )


def test_a_rater_whose_email_a_user_has_becomes_that_user(shared_data: Path, world: World) -> None:
    world.outsider.email = "Random@Example.com"
    world.outsider.save()
    path = _quepid_book(shared_data, "fixture_star_wars_book.json")
    report = transfer.import_book("quepid-book", path, user=world.owner)
    rows = Judgement.objects.filter(pair__book=report.book)
    assert {(j.rater_id, j.rater_key, j.rater_email) for j in rows} == {
        (world.outsider.pk, f"u{world.outsider.pk}", "")
    }
    assert report.raters_kept_by_email == []
    assert report.book.labels["3"] == "Highly Relevant"
    assert (
        json.loads(transfer.export_book_text("quepid-book", report.book))["query_doc_pairs"][0][
            "judgements"
        ][0]["user_email"]
        == "Random@Example.com"
    )


def test_a_judgements_csv_goes_into_an_existing_book(world: World) -> None:
    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1, 2, 3])
    Pair.objects.create(book=book, query_text="red boots", doc_id="b1", position=1,
                        doc_fields={"title": "red leather boots"})  # fmt: skip
    world.owner.email = "olive@example.com"
    world.owner.save()
    report = transfer.import_book("judgements-csv", _file(CSV), user=world.owner, book=book)
    assert (report.pairs_added, report.pairs_updated, report.judgements_added) == (2, 0, 4)
    pairs, judgements = _state(book)
    assert pairs[0] == ("red boots", "b1", 1, {"title": "red leather boots"}, "", "", {}, 2)
    assert ("red boots", "b1", f"u{world.owner.pk}", world.owner.pk, "", "rated", 3.0, "fits") in (
        judgements
    )
    assert ("red boots", "b2", "e:ann@x.org", None, "ann@x.org", "cant_rate", None, "") in (
        judgements
    )
    # the export names the user by e-mail: it reads back to the same file
    assert transfer.export_book_text("judgements-csv", book) == CSV
    # a second import of a changed file replaces the rater's judgement, adds nothing
    again = transfer.import_book(
        "judgements-csv", _file(CSV.replace("tent,t9,ann@x.org,0", "tent,t9,ann@x.org,1")),
        user=world.owner, book=book,
    )  # fmt: skip
    assert (again.judgements_added, again.judgements_changed) == (0, 1)


def test_a_bad_file_stores_nothing_and_names_every_problem(world: World) -> None:
    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1])
    bad = "query,docid,rater,rating\nq,d1,ann@x.org,1\nq,d2,ann@x.org,7\nq,d3," + "x" * 300 + ",1\n"
    with pytest.raises(transfer.TransferError) as caught:
        transfer.import_book("judgements-csv", _file(bad), user=world.owner, book=book)
    assert [w for w, _ in caught.value.problems] == ["line 3", "line 4"]
    assert "not on the book's scale (0, 1)" in caught.value.problems[0][1]
    assert book.pairs.count() == 0  # line 2 was good, and is not stored either
    with pytest.raises(transfer.TransferError, match="line 2: rating 'x'"):
        transfer.import_book("judgements-csv", _file("query,docid,rater,rating\nq,d,a,x\n"),
                             user=world.owner, book="new")  # fmt: skip
    assert not Book.objects.filter(name="new").exists()


def test_a_file_that_is_not_a_book_makes_no_book(world: World) -> None:
    count = Book.objects.count()
    with pytest.raises(transfer.TransferError, match="query_doc_pairs"):
        transfer.import_book("quepid-book", _file("{}", "x.json"), user=world.owner)
    with pytest.raises(transfer.TransferError, match="a new book needs a name"):
        transfer.import_book("judgements-csv", _file(CSV), user=world.owner)
    assert Book.objects.count() == count


def test_only_who_may_change_a_book_imports_into_it(world: World) -> None:
    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1, 2, 3])
    with pytest.raises(transfer.TransferError, match="you may not change book 'b'"):
        transfer.import_book("judgements-csv", _file(CSV), user=world.outsider, book=book)
    book.teams.add(world.team)
    report = transfer.import_book("judgements-csv", _file(CSV), user=world.teammate, book=book)
    assert report.judgements_added == 4


def test_an_unknown_format_is_named() -> None:
    with pytest.raises(transfer.TransferError, match="one of quepid-book, judgements-csv"):
        transfer.get_book_format("nope")


def test_a_stored_pair_takes_what_the_file_gives_and_keeps_the_rest(world: World) -> None:
    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1])
    Pair.objects.create(book=book, query_text="q", doc_id="d", position=4, notes="kept",
                        doc_fields={"title": "old"})  # fmt: skip
    document = {
        "name": "ignored: the book keeps its name",
        "scale": [0, 1],
        "query_doc_pairs": [
            {"query_text": "q", "doc_id": "d", "position": 1,
             "document_fields": '{"title": "new"}', "judgements": []},
        ],
    }  # fmt: skip
    report = transfer.import_book(
        "quepid-book", _file(json.dumps(document), "b.json"), user=world.owner, book=book
    )
    assert (report.pairs_added, report.pairs_updated) == (0, 1)
    pair = book.pairs.get()
    assert (pair.position, pair.doc_fields, pair.notes) == (1, {"title": "new"}, "kept")
    book.refresh_from_db()
    assert book.name == "b"


def test_raters_are_named_by_user_name_e_mail_or_judge(world: World) -> None:
    from searchbench.books import services
    from searchbench.books.models import Judge

    book = Book.objects.create(name="b", owner=world.owner, scale=[0, 1, 2, 3])
    text = "query,docid,rater,rating\nq,d,tom,1\nq,d,Someone@X.org,2\n"  # tom: a user name
    transfer.import_book("judgements-csv", _file(text), user=world.owner, book=book)
    keys = set(Judgement.objects.filter(pair__book=book).values_list("rater_key", flat=True))
    assert keys == {f"u{world.teammate.pk}", "e:someone@x.org"}
    judge = Judge.objects.create(name="gpt", owner=world.owner, base_url="http://x/v1",
                                 model="m", prompt_template="p")  # fmt: skip
    services.record_judgement(book.pairs.get(), judge=judge, rating=3)
    assert transfer.export_book_text("judgements-csv", book).splitlines()[1:] == [
        "q,d,tom,1,",  # tom has no e-mail: his user name
        "q,d,Someone@X.org,2,",
        "q,d,judge:gpt,3,",
    ]


def test_ratings_implying_a_scale_too_big_are_a_problem_not_a_hang(world: World) -> None:
    """A new book takes the scale its ratings imply: every integer up to the highest. A rating
    of 1e12 once made a trillion grades; now it is the file's problem and nothing is stored."""
    count = Book.objects.count()
    text = "query,docid,rater,rating\nq,d,ann@x.org,1000000000000\n"
    with pytest.raises(transfer.TransferError) as caught:
        transfer.import_book("judgements-csv", _file(text), user=world.owner, book="new")
    assert [where for where, _why in caught.value.problems] == ["scale"]
    assert Book.objects.count() == count
