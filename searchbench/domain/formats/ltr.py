"""Learning-to-rank judgments, as Quepid exports them: ``rating qid:N # docid query text``.

``N`` is the query's id in the file; it is kept on import (``Query.external_id``) and written
back on export, so a file round-trips with its ids. Doc ids cannot hold whitespace; the query text
is the rest of the line.
"""

from __future__ import annotations

from typing import IO

from searchbench.domain.formats.interchange import (
    CaseData,
    Problems,
    QueryData,
    RatingData,
    number_text,
    parse_number,
    text_lines,
)


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    queries: dict[str, QueryData] = {}  # by qid
    by_text: dict[str, str] = {}
    rated: dict[tuple[str, str], tuple[float, int]] = {}
    for number, raw in enumerate(text_lines(source, problems), start=1):
        line = raw.strip()
        if not line:
            continue
        left, hash_, right = line.partition("#")
        head = left.split()
        tail = right.strip().split(None, 1)
        if not hash_ or len(head) != 2 or not head[1].startswith("qid:") or not tail:
            problems.line(number, "expected 'rating qid:N # docid query text'")
            continue
        value, qid = parse_number(head[0]), head[1][4:]
        doc_id, text = tail[0], (tail[1] if len(tail) > 1 else "")
        if value is None:
            problems.line(number, f"rating {head[0]!r} is not a number")
            continue
        if not qid:
            problems.line(number, "the qid is empty")
            continue
        if not text:
            problems.line(number, "the query text is missing after the doc id")
            continue
        query = queries.get(qid)
        if query is None:
            other = by_text.get(text)
            if other is not None:
                problems.line(number, f"query {text!r} has qid {other} on an earlier line")
                continue
            query = queries[qid] = QueryData(text, qid=qid, where=f"line {number}")
            by_text[text] = qid
        elif query.text != text:
            problems.line(number, f"qid {qid} is query {query.text!r} on {query.where}")
            continue
        earlier = rated.get((qid, doc_id))
        if earlier is not None:
            if earlier[0] != value:
                problems.line(
                    number,
                    f"doc {doc_id!r} of qid {qid} rated {value:g} here, {earlier[0]:g} on line "
                    f"{earlier[1]}",
                )
            continue
        rated[(qid, doc_id)] = (value, number)
        query.ratings.append(RatingData(doc_id, value, where=f"line {number}"))
    problems.raise_if_any()
    return CaseData(queries=list(queries.values()))


def write(case: CaseData, out: IO[str]) -> None:
    for query in case.queries:
        for rating in query.ratings:
            if any(c.isspace() for c in rating.doc_id):
                raise ValueError(f"doc id {rating.doc_id!r} has whitespace; LTR cannot hold it")
            out.write(f"{number_text(rating.rating)} qid:{query.qid} # {rating.doc_id} ")
            out.write(f"{query.text}\n")
