"""What a book file carries, in one shape the book formats read into and write from: the book's
name, scale and labels, and its query–doc pairs with every rater's judgement. The service layer
(``books/transfer.py``) applies it to the database in one transaction and builds one back from a
stored book. No Django here.

A judgement is a rating on the scale, "can't rate" or "judge later"; its rater is named as the
file names it (an e-mail in Quepid's files, an e-mail or a user name in a judgements CSV).

The judgements CSV (``query,docid,rater,rating[,explanation]``) is parsed by the one reader in
``judgements_csv.py`` (also ``searchbench agreement``'s); ``read_judgements_csv`` and
``write_judgements_csv`` turn its rows into a book and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from searchbench.domain.formats import judgements_csv
from searchbench.domain.formats.interchange import number_text

RATED, CANT_RATE, LATER = "rated", "cant_rate", "later"  # as books.models.Judgement.State


@dataclass(slots=True)
class JudgementData:
    rater: str  # as the file names it
    state: str = RATED
    rating: float | None = None  # None unless rated
    explanation: str = ""
    where: str = ""  # where the file holds it ("line 7", "query_doc_pairs[2].judgements[0]")


@dataclass(slots=True)
class PairData:
    query_text: str
    doc_id: str
    position: int | None = None
    doc_fields: dict[str, Any] = field(default_factory=dict)
    information_need: str = ""
    notes: str = ""  # the query's notes and options, as Quepid copies them onto its pairs
    options: dict[str, Any] = field(default_factory=dict)
    judgements: list[JudgementData] = field(default_factory=list)
    where: str = ""


@dataclass(slots=True)
class BookData:
    name: str | None = None
    scale: list[float] | None = None  # None: the file does not say
    labels: dict[str, str] = field(default_factory=dict)  # grade ("0") -> label
    pairs: list[PairData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


MAX_GRADES = 11  # a book's scale has 2 to 11 grades (the book form's rule)


def scale_of(ratings: list[float]) -> list[float]:
    """The scale a file without one implies: every integer from the lowest grade (0 at most) to
    the highest, and any other grade seen; 0–3 (Quepid's default) when nothing is rated.
    ValueError when that is more than MAX_GRADES grades (ratings 0 to 100 are no such scale)."""
    if not ratings:
        return [0.0, 1.0, 2.0, 3.0]
    low, high = int(min(0.0, min(ratings)) // 1), int(-(-max(ratings) // 1))
    if high - low + 1 > MAX_GRADES:  # counted before any is made: a rating may be 1e300
        raise ValueError(
            f"the ratings run from {number_text(min(0.0, min(ratings)))} to "
            f"{number_text(max(ratings))}: more than the {MAX_GRADES} grades a book's scale may "
            "have; make the book with its scale first, and import into it"
        )
    scale = sorted({float(v) for v in range(low, high + 1)} | {float(r) for r in ratings})
    if len(scale) > MAX_GRADES:
        raise ValueError(
            f"the ratings make {len(scale)} grades: more than the {MAX_GRADES} a book's scale "
            "may have; make the book with its scale first, and import into it"
        )
    return scale


# --- the judgements CSV -------------------------------------------------------------------------


def read_judgements_csv(source: IO[bytes], name: str) -> BookData:
    """A judgements CSV as a book: one pair per (query, doc) in the order the file first names
    it, each row a judgement ("can't rate" for the CSV's ``cant_rate``)."""
    pairs: dict[tuple[str, str], PairData] = {}
    for row in judgements_csv.read(source, name):
        pair = pairs.get(row.pair)
        if pair is None:
            pair = pairs[row.pair] = PairData(row.query, row.doc_id, where=f"line {row.line}")
        state = CANT_RATE if row.rating is None else RATED
        pair.judgements.append(
            JudgementData(row.rater, state, row.rating, row.explanation, f"line {row.line}")
        )
    return BookData(pairs=list(pairs.values()))


def write_judgements_csv(book: BookData, out: IO[str]) -> None:
    """The book's judgements with a rating or "can't rate", a row each ("judge later" is no
    answer yet: left out)."""
    judgements_csv.write(
        (
            judgements_csv.JudgementRow(
                pair.query_text, pair.doc_id, j.rater, j.rating, j.explanation
            )
            for pair in book.pairs
            for j in pair.judgements
            if j.state != LATER
        ),
        out,
    )
