"""The import/export formats, one row each: the CLI's choices, the API's, the docs' list and the
service layer (``cases/transfer.py``) are all read from FORMATS; a book's formats likewise from
BOOK_FORMATS (service layer ``books/transfer.py``). No name is in both tables: the CLI's
``import``/``export`` take either."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from searchbench.domain.formats import (
    bookdata,
    information_needs,
    ltr,
    quepid_book,
    quepid_case,
    ratings_csv,
    rre,
    snapshot_csv,
    trec_qrels,
)
from searchbench.domain.formats.bookdata import BookData
from searchbench.domain.formats.interchange import CaseData

IMPORT_MAX_BYTES = 100 * 1024 * 1024  # the largest file an import takes (read in pieces)

Reader = Callable[[IO[bytes], str], CaseData]
Writer = Callable[[CaseData, IO[str]], None]
BookReader = Callable[[IO[bytes], str], BookData]
BookWriter = Callable[[BookData, IO[str]], None]


@dataclass(frozen=True)
class Format:
    name: str
    title: str
    read: Reader | None  # None: export only
    write: Writer
    suffix: str
    media_type: str
    whole_case: bool = False  # carries a whole case (import makes a new case)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "quepid-case",
            "Quepid case JSON: name, scorer, queries with notes, information needs, options and "
            "ratings with raters, the try and its endpoint",
            quepid_case.read,
            quepid_case.write,
            ".json",
            "application/json",
            whole_case=True,
        ),
        Format(
            "ratings-csv",
            "query,docid,rating (a query without ratings: query,,)",
            ratings_csv.read,
            ratings_csv.write,
            ".csv",
            "text/csv",
        ),
        Format(
            "rre",
            "RRE ratings JSON ({docid: {gain}} or {grade: [docids]}, topics and query groups)",
            rre.read,
            rre.write,
            ".json",
            "application/json",
        ),
        Format(
            "ltr",
            "learning-to-rank judgments: rating qid:N # docid query text",
            ltr.read,
            ltr.write,
            ".txt",
            "text/plain",
        ),
        Format(
            "trec-qrels",
            "TREC qrels: qid 0 docid rel",
            trec_qrels.read,
            trec_qrels.write,
            ".txt",
            "text/plain",
        ),
        Format(
            "trec-run",
            "TREC run of the newest snapshot: qid Q0 docid rank score tag (export only)",
            None,
            trec_qrels.write_run,
            ".txt",
            "text/plain",
        ),
        Format(
            "snapshot-csv",
            "Snapshot Name,Snapshot Time,Case ID,Query Text,Doc ID,Doc Position,fields…",
            snapshot_csv.read,
            snapshot_csv.write,
            ".csv",
            "text/csv",
        ),
        Format(
            "information-needs",
            "query,information_need",
            information_needs.read,
            information_needs.write,
            ".csv",
            "text/csv",
        ),
    )
}


@dataclass(frozen=True)
class BookFormat:
    name: str
    title: str
    read: BookReader
    write: BookWriter
    suffix: str
    media_type: str
    whole_book: bool = False  # carries a book's name and scale (import may make a new book)
    reads_zip: bool = False  # takes its file zipped too (the API's body may then hold NUL)


BOOK_FORMATS: dict[str, BookFormat] = {
    f.name: f
    for f in (
        BookFormat(
            "quepid-book",
            "Quepid book JSON (current and older shape, zipped or not): name, scale and labels, "
            "query-doc pairs with doc fields and every rater's judgement",
            quepid_book.read,
            quepid_book.write,
            ".json",
            "application/json",
            whole_book=True,
            reads_zip=True,
        ),
        BookFormat(
            "judgements-csv",
            "query,docid,rater,rating[,explanation] (cant_rate for can't rate)",
            bookdata.read_judgements_csv,
            bookdata.write_judgements_csv,
            ".csv",
            "text/csv",
        ),
    )
}
