"""Judgements CSV: ``query,docid,rater,rating`` (plus an optional ``explanation``), one judgement a
row — several raters' answers on the same query–doc pairs, as a book holds them.

The first line is the header: the four columns, and ``explanation`` if the file has it, named in
any order (letter case and surrounding spaces do not matter); any other column is refused, so a
misspelt name is not silently dropped. A rating is a finite number, or ``cant_rate`` (also
``can't rate`` or ``unrateable``, Quepid's word) for a rater who could not rate the pair; it is
read as None. The same rater on the same pair twice is refused when the two rows differ (which one
was meant cannot be guessed) and read once when they repeat each other.

Every problem is collected with its line and raised as one ``FormatError`` at the end: a file is
read whole or not at all. Query, doc, rater and explanation cells pass the spreadsheet formula
guard both ways (``interchange.guard_cell``), so a written file reads back to the same values.

Shared by ``searchbench agreement`` (domain/agreement.py) and the books' judgements import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from searchbench.domain.formats.interchange import (
    Problems,
    csv_rows,
    guard_cell,
    number_text,
    parse_number,
    unguard_cell,
)

REQUIRED = ("query", "docid", "rater", "rating")
OPTIONAL = ("explanation",)
HEADER = [*REQUIRED, *OPTIONAL]
CANT_RATE = "cant_rate"  # what a written file says for "can't rate"
CANT_RATE_WORDS = frozenset({CANT_RATE, "can't rate", "cant rate", "unrateable"})


@dataclass(frozen=True, slots=True)
class JudgementRow:
    query: str
    doc_id: str
    rater: str
    rating: float | None  # None: the rater could not rate the pair
    explanation: str = ""
    line: int = 0

    @property
    def pair(self) -> tuple[str, str]:
        return (self.query, self.doc_id)


def _columns(row: list[str], line: int, problems: Problems) -> dict[str, int] | None:
    """Each known column's index from the header row, or None (and a problem) if it is wrong."""
    names = [cell.strip().lower() for cell in row]
    wrong = [n for n in names if n not in HEADER]
    twice = sorted({n for n in names if names.count(n) > 1})
    missing = [n for n in REQUIRED if n not in names]
    if wrong or twice or missing:
        why = []
        if missing:
            why.append(f"missing {', '.join(missing)}")
        if wrong:
            why.append(f"unknown {', '.join(repr(n) for n in wrong)}")
        if twice:
            why.append(f"named twice: {', '.join(twice)}")
        problems.line(
            line,
            f"the header must name the columns {','.join(REQUIRED)} (and optionally "
            f"explanation): {'; '.join(why)}",
        )
        return None
    return {name: names.index(name) for name in names}


def _rating(raw: str) -> tuple[bool, float | None]:
    """(ok, rating): a number, or None for "can't rate"; ok is False for anything else."""
    text = raw.strip()
    if text.lower() in CANT_RATE_WORDS:
        return True, None
    value = parse_number(text)
    return value is not None, value


def read(source: IO[bytes], name: str) -> list[JudgementRow]:
    """Every judgement of a judgements CSV in file order; raise ``FormatError`` listing every
    problem by line."""
    problems = Problems(name)
    rows: list[JudgementRow] = []
    seen: dict[tuple[str, str, str], JudgementRow] = {}
    columns: dict[str, int] | None = None
    for line, row in csv_rows(source, problems):
        if columns is None:
            columns = _columns(row, line, problems)
            if columns is None:
                break
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.line(line, f"expected {len(columns)} columns, found {len(row)}")
            continue
        cells = {key: unguard_cell(row[at].strip()) for key, at in columns.items()}
        empty = [key for key in ("query", "docid", "rater") if not cells[key]]
        if empty:
            problems.line(line, f"the {' and '.join(empty)} column is empty")
            continue
        ok, rating = _rating(row[columns["rating"]])
        if not ok:
            problems.line(
                line,
                f"rating {row[columns['rating']].strip()!r} is not a number nor {CANT_RATE}",
            )
            continue
        judgement = JudgementRow(
            cells["query"],
            cells["docid"],
            cells["rater"],
            rating,
            cells.get("explanation", ""),
            line,
        )
        key = (judgement.query, judgement.doc_id, judgement.rater)
        previous = seen.get(key)
        if previous is not None:
            if (previous.rating, previous.explanation) != (rating, judgement.explanation):
                problems.line(
                    line,
                    f"rater {judgement.rater!r} judged query {judgement.query!r} doc "
                    f"{judgement.doc_id!r} differently on line {previous.line}",
                )
            continue
        seen[key] = judgement
        rows.append(judgement)
    if columns is None and not problems:
        problems.line(1, f"the file is empty; expected the header {','.join(REQUIRED)}")
    problems.raise_if_any()
    return rows


def check_scale(rows: Iterable[JudgementRow], scale: Iterable[float], name: str) -> None:
    """Raise ``FormatError`` naming the line of every rating that is not a grade of ``scale``."""
    grades = set(scale)
    problems = Problems(name)
    shown = ", ".join(number_text(g) for g in sorted(grades))
    for row in rows:
        if row.rating is not None and row.rating not in grades:
            problems.line(row.line, f"rating {number_text(row.rating)} is not on the scale {shown}")
    problems.raise_if_any()


def write(rows: Iterable[JudgementRow], out: IO[str], *, explanation: bool = True) -> None:
    """Judgements as CSV, header first; ``explanation=False`` leaves that column out."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER if explanation else list(REQUIRED))
    for row in rows:
        rating = CANT_RATE if row.rating is None else number_text(row.rating)
        cells = [guard_cell(row.query), guard_cell(row.doc_id), guard_cell(row.rater), rating]
        if explanation:
            cells.append(guard_cell(row.explanation))
        writer.writerow(cells)
