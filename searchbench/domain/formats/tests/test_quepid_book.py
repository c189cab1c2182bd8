"""Quepid's book JSON, both shapes, on Quepid's own files (../shared/data/quepid_files/quepid-book,
see its README) and on small hand-made ones; written back in the current shape."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from searchbench.domain.formats import bookdata, quepid_book
from searchbench.domain.formats.bookdata import BookData
from searchbench.domain.formats.interchange import FormatError


@pytest.fixture
def book_files(shared_data: Path) -> Path:
    from searchbench.testing import service_missing

    path = shared_data / "quepid_files" / "quepid-book"
    if not path.is_dir():
        service_missing(f"Quepid's book files not found at {path}")
    return path


def _read(document: Any) -> BookData:
    return quepid_book.read(io.BytesIO(json.dumps(document).encode()), "book.json")


def _problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(FormatError) as caught:
        _read(document)
    return caught.value.problems


def _written(book: BookData) -> Any:
    out = io.StringIO()
    quepid_book.write(book, out)
    return json.loads(out.getvalue())


def test_it_reads_the_haystack_book_zipped_as_quepid_ships_it(book_files: Path) -> None:
    path = book_files / "haystack_rating_party_book.json.zip"
    with path.open("rb") as stream:
        book = quepid_book.read(stream, path.name)
    judgements = [j for p in book.pairs for j in p.judgements]
    assert book.name == "Haystack Icecat Rating Party"
    assert len(book.pairs) == 2420
    assert len(judgements) == 1942
    assert sum(j.state == bookdata.CANT_RATE for j in judgements) == 22
    assert sum(j.state == bookdata.RATED for j in judgements) == 1920
    assert len({p.query_text for p in book.pairs}) == 137
    # the older shape names no scale: 0..3 from its ratings, and the person is told
    assert book.scale == [0, 1, 2, 3]
    assert "names no scale" in book.warnings[0]
    first = book.pairs[0]
    assert (first.query_text, first.doc_id, first.position) == ("projector screen", "325961", 1)
    assert first.doc_fields["brand"] == "Projecta"
    assert first.information_need.startswith("I am looking for a screen")
    assert [(j.rater, j.rating) for j in first.judgements] == [
        ("dtaivpp@gmail.com", 3.0),
        ("epugh@opensourceconnections.com", 3.0),
    ]


def test_it_reads_the_current_shape_with_scale_labels_and_explanations(book_files: Path) -> None:
    path = book_files / "fixture_star_wars_book.json"
    with path.open("rb") as stream:
        book = quepid_book.read(stream, path.name)
    assert book.name == "TMDB Star Wars Judgements"
    assert book.scale == [0, 1, 2, 3]
    assert book.labels == {
        "0": "Not Relevant",
        "1": "Somewhat Relevant",
        "2": "Relevant",
        "3": "Highly Relevant",
    }
    assert [(p.doc_id, p.judgements[0].rating) for p in book.pairs] == [
        ("Han Solo-A Star Wars Story", 1.0),
        ("Star Wars The Movie", 2.0),
    ]
    assert book.warnings == []


def test_the_haystack_books_pair_notes_are_kept(book_files: Path) -> None:
    with (book_files / "haystack_rating_party_book.json.zip").open("rb") as stream:
        book = quepid_book.read(stream, "haystack")
    noted = [p for p in book.pairs if p.notes]
    assert len(noted) == 10
    assert noted[0].notes.startswith('If the info need is to fetch "nintendo switch"')


@pytest.mark.parametrize(
    "name", ["fixture_star_wars_book.json", "haystack_rating_party_book.json.zip"]
)
def test_written_books_read_back_to_the_same_book(book_files: Path, name: str) -> None:
    with (book_files / name).open("rb") as stream:
        book = quepid_book.read(stream, name)
    out = io.StringIO()
    quepid_book.write(book, out)
    again = quepid_book.read(io.BytesIO(out.getvalue().encode()), "again.json")
    assert again.pairs == book.pairs  # judgements and their JSON paths too
    assert (again.name, again.scale, again.labels) == (book.name, book.scale, book.labels)


def test_the_written_shape_is_quepids_current_one() -> None:
    book = BookData(
        "b",
        [0.0, 1.0],
        {"1": "good"},
        [
            bookdata.PairData(
                "q",
                "d",
                2,
                {"title": "t"},
                "need",
                "a note",
                {"k": 1},
                [
                    bookdata.JudgementData("a@x.org", bookdata.RATED, 1.0, "why"),
                    bookdata.JudgementData("b@x.org", bookdata.CANT_RATE),
                    bookdata.JudgementData("c@x.org", bookdata.LATER),
                ],
            )
        ],
    )
    written = _written(book)
    assert list(written) == [
        "name",
        "show_rank",
        "support_implicit_judgements",
        "scale",
        "scale_with_labels",
        "query_doc_pairs",
    ]
    assert written["scale"] == [0, 1]
    pair = written["query_doc_pairs"][0]
    assert json.loads(pair["document_fields"]) == {"title": "t"}  # a JSON text, as Quepid's
    assert (pair["notes"], pair["options"]) == ("a note", {"k": 1})
    assert pair["judgements"] == [
        {"rating": 1.0, "unrateable": False, "judge_later": False, "user_email": "a@x.org",
         "explanation": "why"},
        {"rating": None, "unrateable": True, "judge_later": False, "user_email": "b@x.org",
         "explanation": None},
        {"rating": None, "unrateable": False, "judge_later": True, "user_email": "c@x.org",
         "explanation": None},
    ]  # fmt: skip


def test_the_older_shape_takes_the_scale_from_its_scorer() -> None:
    book = _read(
        {
            "name": "b",
            "scorer": {"name": "P@10", "scale": [0, 1], "scale_with_labels": {"1": "yes"}},
            "selection_strategy": {"name": "Single Rater"},
            "query_doc_pairs": [],
        }
    )
    assert (book.scale, book.labels, book.warnings) == ([0, 1], {"1": "yes"}, [])


def test_every_problem_is_named_by_its_json_path() -> None:
    problems = _problems(
        {
            "name": "",
            "scale": [0, "x"],
            "query_doc_pairs": [
                {"query_text": "q", "doc_id": "d", "document_fields": "{nope"},
                {"query_text": "", "doc_id": 7},
                {"query_text": "q", "doc_id": "e", "judgements": [{"rating": None, "user_email": "a"}]},
                {"query_text": "q", "doc_id": "g", "judgements": [{"rating": 1}]},
                {"query_text": "q", "doc_id": "f", "judgements": [{"unrateable": True, "judge_later": True, "user_email": "a"}]},
                {"query_text": "q", "doc_id": "d"},
                "nope",
            ],
        }
    )  # fmt: skip
    where = [w for w, _ in problems]
    assert where == [
        "name",
        "scale",
        "query_doc_pairs[0].document_fields",
        "query_doc_pairs[1].query_text",
        "query_doc_pairs[2].judgements[0].rating",
        "query_doc_pairs[3].judgements[0].user_email",
        "query_doc_pairs[4].judgements[0]",
        "query_doc_pairs[5]",  # the same pair again
        "query_doc_pairs[6]",
    ]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"[]", "expected a JSON object with query_doc_pairs"),
        (b'{"name": "x"', "not JSON"),
        (b"PK\x03\x04broken", "a broken zip"),
    ],
)
def test_a_file_that_is_no_book_is_refused(raw: bytes, why: str) -> None:
    with pytest.raises(FormatError) as caught:
        quepid_book.read(io.BytesIO(raw), "x.json")
    assert why in str(caught.value)


def test_a_zip_must_hold_one_json_file() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.json", "{}")
        archive.writestr("b.json", "{}")
    with pytest.raises(FormatError, match="holds 2"):
        quepid_book.read(io.BytesIO(buffer.getvalue()), "two.zip")


def test_a_zip_with_damaged_data_is_a_problem_not_a_crash() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("book.json", '{"name": "x", "query_doc_pairs": []}' * 50)
    damaged = bytearray(buffer.getvalue())
    start = 30 + len("book.json")  # the member's compressed data, after its local header
    for i in range(start, start + 20):
        damaged[i] ^= 0xFF
    with pytest.raises(FormatError) as caught:
        quepid_book.read(io.BytesIO(bytes(damaged)), "book.json.zip")
    assert caught.value.problems == [("file", caught.value.problems[0][1])]
    assert "a broken zip" in caught.value.problems[0][1]


def test_a_cut_zip_is_one_problem() -> None:
    with pytest.raises(FormatError) as caught:
        quepid_book.read(io.BytesIO(b"PK\x03\x04broken"), "x.zip")
    assert [where for where, _why in caught.value.problems] == ["file"]


def test_the_judgements_csv_reads_into_pairs_and_writes_back() -> None:
    text = (
        "query,docid,rater,rating,explanation\n"
        "tent,d1,ann@x.org,3,fits\n"
        "tent,d1,bob,cant_rate,\n"
        "boots,d2,ann@x.org,0,\n"
    )
    book = bookdata.read_judgements_csv(io.BytesIO(text.encode()), "j.csv")
    assert [(p.query_text, p.doc_id, len(p.judgements)) for p in book.pairs] == [
        ("tent", "d1", 2),
        ("boots", "d2", 1),
    ]
    assert book.pairs[0].judgements[1].state == bookdata.CANT_RATE
    assert book.pairs[0].judgements[0].where == "line 2"
    out = io.StringIO()
    bookdata.write_judgements_csv(book, out)
    assert out.getvalue() == text


def test_the_implied_scale_runs_from_zero_to_the_highest_grade() -> None:
    assert bookdata.scale_of([]) == [0, 1, 2, 3]
    assert bookdata.scale_of([2.0, 4.0]) == [0, 1, 2, 3, 4]
    assert bookdata.scale_of([1.5]) == [0, 1, 1.5, 2]


def test_an_implied_scale_past_eleven_grades_is_refused_before_it_is_made() -> None:
    """A rating of 1e300 once made a scale of every integer up to it (the process ran out of
    memory); a scale has at most 11 grades."""
    assert bookdata.scale_of([10.0]) == [float(v) for v in range(11)]
    for ratings in ([1e300], [11.0], [-5.0, 5.5], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]):
        with pytest.raises(ValueError, match="more than"):
            bookdata.scale_of(ratings)
    older = {
        "name": "b",
        "query_doc_pairs": [
            {"query_text": "q", "doc_id": "d",
             "judgements": [{"user_email": "a@x.org", "rating": 1e12}]}
        ],
    }  # fmt: skip
    [(where, why)] = _problems(older)
    assert where == "scale"
    assert "more than the 11 grades" in why


def test_a_position_is_a_rank_a_database_holds() -> None:
    pair = {"query_text": "q", "doc_id": "d"}
    document = {
        "name": "b",
        "scale": [0, 1],
        "query_doc_pairs": [{**pair, "position": 10**20}, {**pair, "doc_id": "e", "position": -1}],
    }
    assert [where for where, _why in _problems(document)] == [
        "query_doc_pairs[0].position",
        "query_doc_pairs[1].position",
    ]
