"""Filling a book from cases: for every query of a case, the top N docs of a try, plus the docs the
case has ratings for, each kept with its fields (title, thumbnail and the field spec's fields) so
judging needs no engine.

The search is the one relevance loop (``cases.services.plan_case`` then ``loop.search``) with the
try's template and field spec and N rows, at the engine concurrency of a case run; or, asked for
stored results, nothing is searched and the top docs come from the case's newest snapshot (built
with its try's field spec, as the query page shows stored results). It runs in the request, so it
is bounded: at most ``MAX_QUERIES`` queries a case (a larger case is refused with that number;
split it). A doc rated in the case but not in its top N has no fields (the engine
was not asked for it): the judging page then shows its id.

Pairs are one per (query text, doc id) in the book: a pair already there (from another case, an
earlier populate or an import) is kept as it is, with its judgements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction

from searchbench import loop
from searchbench.books.models import Book, Pair
from searchbench.books.services import BookError
from searchbench.cases import services as case_services
from searchbench.cases.models import Case, Query, Rating, SnapshotDoc, Try
from searchbench.domain.fieldspec import parse_field_spec
from searchbench.domain.search import ResultDoc, SearchResult
from searchbench.engines.base import build_doc

MAX_QUERIES = 2000
MAX_DEPTH = 100
DOC_ID_MAX = Pair._meta.get_field("doc_id").max_length or 0


@dataclass
class Populated:
    added: int = 0  # new pairs
    kept: int = 0  # pairs the book had already
    queries: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # query text -> the engine's error


def doc_fields(doc: ResultDoc) -> dict[str, Any]:
    """What a pair keeps of a result: the field spec's fields, its title and media URLs."""
    kept = dict(doc.fields)
    for name in ("title", "thumb", "image"):
        value = getattr(doc, name)
        if value:
            kept[name] = value
    return kept


def populate_from_case(
    book: Book, case: Case, *, depth: int, try_: Try | None = None, stored: bool = False
) -> Populated:
    """Add the top ``depth`` docs of ``try_`` (default: the case's current try) for every query
    of ``case``, and every doc the case has a rating for, as pairs of ``book``. ``stored``: the
    top docs come from the case's newest snapshot instead (nothing is searched)."""
    if not 1 <= depth <= MAX_DEPTH:
        raise BookError(f"the number of docs a query must be between 1 and {MAX_DEPTH}")
    queries = list(case.queries.all())
    if len(queries) > MAX_QUERIES:
        raise BookError(
            f"case {case.name!r} has {len(queries)} queries; a book is filled from at most "
            f"{MAX_QUERIES} at a time"
        )
    if stored:
        results = _stored_results(case, queries, depth)
    else:
        chosen = try_ or case.current_try()
        if chosen is None:
            raise BookError(f"case {case.name!r} has no try yet: create one first")
        plan = case_services.plan_case(case, chosen, queries, explain=False)
        plan = replace(plan, try_config=replace(plan.try_config, rows=depth, start=0))
        results = loop.search(plan)
    rated: dict[int, list[str]] = {}
    for query_id, doc_id in Rating.objects.filter(query__case=case).values_list(
        "query_id", "doc_id"
    ):
        rated.setdefault(query_id, []).append(doc_id)

    outcome = Populated(queries=len(queries))
    rows: dict[tuple[str, str], Pair] = {}
    for query, result in zip(queries, results, strict=True):
        if result.error:
            outcome.errors[query.text] = result.error
        text = query.text[: Pair._meta.get_field("query_text").max_length]
        found = [(doc.id, n, doc_fields(doc)) for n, doc in enumerate(result.docs[:depth], 1)]
        found += [(doc_id, None, {}) for doc_id in rated.get(query.pk, [])]
        for doc_id, position, fields in found:
            if len(doc_id) > DOC_ID_MAX:
                # Never stored cut short (a conflict-ignoring insert would on MariaDB).
                outcome.errors.setdefault(query.text, f"doc id {doc_id[:40]!r}… is too long")
                continue
            rows.setdefault(
                (text, doc_id),
                Pair(
                    book=book,
                    query_text=text,
                    information_need=query.information_need,
                    doc_id=doc_id,
                    position=position,
                    doc_fields=fields,
                ),
            )
    with transaction.atomic():
        Book.objects.select_for_update().only("pk").get(pk=book.pk)  # one populate at a time
        have = set(book.pairs.values_list("query_text", "doc_id"))
        before = len(have)
        new = [pair for key, pair in rows.items() if key not in have]
        # Keys apart in Python may be one pair to the database (MariaDB's collation compares
        # text without case, accents or trailing spaces): the pair it has is kept, as any other.
        Pair.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        outcome.added = book.pairs.count() - before
        book.cases.add(case)
    outcome.kept = len(rows) - outcome.added
    return outcome


def _stored_results(case: Case, queries: list[Query], depth: int) -> list[SearchResult]:
    """The top ``depth`` docs of each query in the case's newest snapshot, built with the field
    spec of the snapshot's try (as the query page shows stored results); a query the snapshot
    does not have comes back as an error."""
    snapshot = case.snapshots.select_related("try_ref").order_by("-created_at", "-pk").first()
    if snapshot is None:
        raise BookError(f"case {case.name!r} has no snapshot: search its try instead, or take one")
    spec = parse_field_spec(snapshot.try_ref.field_spec if snapshot.try_ref else "")
    stored = {row.query_id: row for row in snapshot.queries.all()}
    docs: dict[int, list[ResultDoc]] = defaultdict(list)
    rows = SnapshotDoc.objects.filter(snapshot_query__snapshot=snapshot).order_by(
        "snapshot_query", "position"
    )
    for row in rows.iterator(chunk_size=2000):
        kept = docs[row.snapshot_query_id]
        if len(kept) < depth:
            kept.append(build_doc(spec, row.position, row.fields or {}, doc_id=row.doc_id))
    results = []
    for query in queries:
        found = stored.get(query.pk)
        if found is None:
            results.append(SearchResult(error=f"not in snapshot {snapshot.name!r}"))
        else:
            results.append(SearchResult(docs=docs[found.pk], error=found.error or None))
    return results
