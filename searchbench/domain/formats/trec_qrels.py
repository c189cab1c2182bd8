"""TREC qrels as Quepid exports a case's ratings: ``qid 0 docid rel``, and a run (export only).

Read with the one TREC reader (``trec.py``, trec_eval's rules: integer grades, ``#`` comments) a
block of lines at a time. A qrels file has no query text: each qid becomes a query of that text
unless the case already has a query with that id (``Query.external_id``, kept from an earlier
TREC or LTR import); on export the kept id is written, else the query's id in searchbench.
"""

from __future__ import annotations

from typing import IO

from searchbench.domain.formats.interchange import CaseData, Problems, QueryData, RatingData
from searchbench.domain.formats.trec import TrecFormatError, iter_qrels_blocks, write_qrels

RUN_TAG = "searchbench"


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    queries: dict[str, QueryData] = {}
    seen: set[tuple[str, str]] = set()
    row = 0
    try:
        for table in iter_qrels_blocks(source, name):
            for code, doc, rel in zip(
                table.query.tolist(), table.doc.tolist(), table.rel.tolist(), strict=True
            ):
                row += 1
                qid, doc_id = table.qids[code], doc.decode("utf-8")
                if (qid, doc_id) in seen:
                    problems.add(f"row {row}", f"doc {doc_id!r} of query {qid} judged twice")
                    continue
                seen.add((qid, doc_id))
                query = queries.setdefault(qid, QueryData(qid, qid=qid, where=f"row {row}"))
                query.ratings.append(RatingData(doc_id, float(rel), where=f"row {row}"))
    except TrecFormatError as exc:
        problems.line(exc.line, exc.reason)
    except UnicodeDecodeError as exc:
        problems.add(f"row {row + 1}", f"not UTF-8 text ({exc.reason})")
    problems.raise_if_any()
    return CaseData(queries=list(queries.values()))


def write(case: CaseData, out: IO[str]) -> None:
    def rows() -> list[tuple[str, str, int]]:
        found = []
        for query in case.queries:
            for rating in query.ratings:
                if not float(rating.rating).is_integer():
                    raise ValueError(
                        f"query {query.text!r} doc {rating.doc_id!r}: rating {rating.rating:g} "
                        "is not a whole number; TREC qrels hold integer grades"
                    )
                found.append((str(query.qid), rating.doc_id, int(rating.rating)))
        return found

    write_qrels(out, rows())


def write_run(case: CaseData, out: IO[str]) -> None:
    """The newest snapshot as a TREC run: ``qid Q0 docid rank score searchbench``, the score
    falling with the rank (a snapshot keeps the ranks, not the engine's scores)."""
    from searchbench.domain.formats.trec import write_run as write_trec_run

    if not case.snapshots:
        raise ValueError("the case has no snapshot; take one to export its results as a run")
    snapshot = case.snapshots[-1]
    run = {}
    for query in snapshot.queries:
        docs = sorted(query.docs, key=lambda d: d.position)
        run[str(query.qid)] = [(d.doc_id, float(len(docs) - i)) for i, d in enumerate(docs)]
    write_trec_run(out, run, RUN_TAG)
