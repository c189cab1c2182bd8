"""Quepid's ratings CSV: ``query,docid,rating``, a query without ratings written ``query,,``.

Read with the one ratings-CSV reader (``domain/ratings.py``) in its Quepid mode: the header must be
exactly ``query,docid,rating``; ``query,docid,`` (a doc without a rating) is skipped, as Quepid
skips it. Query and doc cells pass the spreadsheet formula guard (``interchange.guard_cell``) both
ways, so an exported file reads back to the same values.
"""

from __future__ import annotations

import csv
import heapq
from typing import IO

from searchbench.domain.formats.interchange import (
    CaseData,
    Problems,
    QueryData,
    RatingData,
    guard_cell,
    number_text,
    text_lines,
    unguard_cell,
)
from searchbench.domain.ratings import RatingsFormatError, read_ratings_lines

HEADER = ["query", "docid", "rating"]


def _cell(raw: str) -> str:
    return unguard_cell(raw.strip())


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    unrated: list[tuple[str, int]] = []
    try:
        rows = read_ratings_lines(
            text_lines(source, problems), name, quepid=True, unrated=unrated, cell=_cell
        )
    except RatingsFormatError as exc:
        problems.items += [(f"line {line}", why) for line, why in exc.problems]
        rows = []
    problems.raise_if_any()
    # Queries in the order the file first names them, rated or not (both lists are in line order).
    queries: dict[str, QueryData] = {}
    events = heapq.merge(
        ((r.line, r.query, r) for r in rows), ((line, q, None) for q, line in unrated)
    )
    for line, text, rating in events:
        query = queries.get(text)
        if query is None:
            query = queries[text] = QueryData(text, where=f"line {line}")
        if rating is not None:
            query.ratings.append(
                RatingData(rating.doc_id, rating.rating, where=f"line {rating.line}")
            )
    return CaseData(queries=list(queries.values()))


def write(case: CaseData, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for query in case.queries:
        text = guard_cell(query.text)
        if not query.ratings:
            writer.writerow([text, "", ""])
        for rating in query.ratings:
            writer.writerow([text, guard_cell(rating.doc_id), number_text(rating.rating)])
