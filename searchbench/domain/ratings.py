"""Ratings CSV: ``query,docid,rating`` a line, read all-or-nothing.

A header line is optional (recognised by its column names, e.g. ``query,docid,rating``). Every bad line is
reported, with its number, in one error, so a person fixes the file in one pass and nothing is
silently dropped. The same (query, doc) pair twice with different ratings is an error: which one
was meant cannot be guessed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from searchbench.domain.formats.interchange import numbered_rows

MAX_REPORTED = 20


class RatingsFormatError(ValueError):
    """A ratings file is malformed; ``problems`` lists (line, message) pairs."""

    def __init__(self, path: str, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = problems
        shown = [f"{path}:{line}: {msg}" for line, msg in problems[:MAX_REPORTED]]
        more = len(problems) - MAX_REPORTED
        if more > 0:
            shown.append(f"... and {more} more problem(s)")
        super().__init__("\n".join(shown))


@dataclass(frozen=True, slots=True)
class Rating:
    query: str
    doc_id: str
    rating: float
    line: int


HEADER_QUERY = {"query", "query_text", "qid", "query_id", "topic"}
HEADER_RATING = {"rating", "grade", "relevance", "judgment", "judgement", "score"}


def _is_header(row: list[str]) -> bool:
    # Only recognised names count: a first data line with a typo in its rating must be reported,
    # not swallowed as a header.
    return len(row) == 3 and (
        row[0].strip().lower() in HEADER_QUERY or row[2].strip().lower() in HEADER_RATING
    )


def parse_ratings_csv(text: str, path: str = "<ratings>") -> list[Rating]:
    """Parse CSV text into ratings, in file order; raise RatingsFormatError listing every problem."""
    return read_ratings_lines(io.StringIO(text, newline=""), path)


def read_ratings_lines(
    lines: Iterable[str],
    path: str = "<ratings>",
    *,
    quepid: bool = False,
    unrated: list[tuple[str, int]] | None = None,
    cell: Callable[[str], str] = str.strip,
) -> list[Rating]:
    """Ratings from CSV lines read one at a time (a file object streams), in file order; raise
    RatingsFormatError listing every problem.

    ``quepid``: the file is Quepid's ratings CSV, whose first line must be exactly
    ``query,docid,rating``; ``query,,`` lists a query without ratings (appended to ``unrated``
    with its line) and ``query,docid,`` (a doc without a rating) is skipped, as Quepid does.
    ``cell`` turns each query and doc cell into its value (the import's formula-guard undo).
    """
    problems: list[tuple[int, str]] = []
    ratings: list[Rating] = []
    seen: dict[tuple[str, str], Rating] = {}
    first = True
    for line, row in numbered_rows(lines, lambda at, why: problems.append((at, why))):
        if first and quepid:
            first = False
            if row != ["query", "docid", "rating"]:
                problems.append((line, f"the header must be query,docid,rating, not {row}"))
                break
            continue
        if not row or all(not c.strip() for c in row):
            continue
        if first:
            first = False
            if _is_header(row):
                continue
        if len(row) != 3:
            problems.append((line, f"expected 3 columns (query,docid,rating), found {len(row)}"))
            continue
        query, doc_id, raw = cell(row[0]), cell(row[1]), row[2].strip()
        if not query:
            problems.append((line, "the query column is empty"))
            continue
        if quepid and not raw:
            if not doc_id and unrated is not None:
                unrated.append((query, line))
            continue
        if not doc_id:
            problems.append((line, "the docid column is empty"))
            continue
        try:
            value = float(raw)
        except ValueError:
            problems.append((line, f"rating {raw!r} is not a number"))
            continue
        if not math.isfinite(value):
            problems.append((line, f"rating {raw!r} is not a finite number"))
            continue
        rating = Rating(query, doc_id, value, line)
        previous = seen.get((query, doc_id))
        if previous is not None:
            if previous.rating != value:
                problems.append(
                    (
                        line,
                        f"query {query!r} doc {doc_id!r} rated {value:g} here but "
                        f"{previous.rating:g} on line {previous.line}",
                    )
                )
            continue
        seen[(query, doc_id)] = rating
        ratings.append(rating)
    if problems:
        raise RatingsFormatError(path, problems)
    return ratings


def read_ratings_csv(path: Path) -> list[Rating]:
    """Read a ratings CSV file (UTF-8, an optional BOM is accepted)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RatingsFormatError(str(path), [(0, f"not UTF-8 text ({exc.reason})")]) from None
    return parse_ratings_csv(text, str(path))
