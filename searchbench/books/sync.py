"""Book → case ratings: each pair's judgements aggregated by the book's rule become the rating of
(the query with the pair's text, the pair's doc) in every case linked to the book; then the case
is re-scored through its runs, so its score follows.

The rule, in one place:

- a pair with at least one rating (not "can't rate", not "later") sets the case's rating of that
  query and doc, replacing whatever the case had, a person's rating included: the book is the
  reference for the pairs it has judged;
- a pair without a rating, a doc the book has no pair for, and a query the book does not know
  leave the case's rating as it is: a sync never removes a rating;
- a pair whose query text no query of the case has is skipped (a sync adds no queries), and so is
  an aggregate that is not on the case scorer's scale (the book's scale and the scorer's differ)
  and a pair with a rating off the book's own scale (given before the scale was changed);
- the ratings written have no rater (``rated_by`` None); a ``BookSync`` row per case records the
  book, the rule, who synced and the counts; a case's ratings and its row are written in one
  transaction (all or none);
- the case is then run once (a queued run of its current try, joined by any already queued:
  ``jobs.services.run_soon``), so its score and history follow;
- a person syncs only into the linked cases they may change (``cases.services.can_write``): a
  book shared with a team may be linked to a case some of its raters may not touch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from searchbench.accounts.services import own_or_shared
from searchbench.books.models import Book, BookSync, Judgement
from searchbench.cases import services as case_services
from searchbench.cases.models import Case, Rating
from searchbench.domain.aggregation import aggregate
from searchbench.jobs import services as jobs
from searchbench.jobs.models import Job


@dataclass
class Synced:
    record: BookSync
    job: Job | None  # the run that re-scores the case; None when the case has no try


def aggregated(book: Book) -> dict[tuple[str, str], float | None]:
    """Each pair's rating by the book's rule, keyed by (query text, doc id); pairs without a
    rating are absent, a pair with a rating off the book's scale is None."""
    ratings: dict[tuple[str, str], list[float]] = defaultdict(list)
    rows = Judgement.objects.filter(
        pair__book=book, state=Judgement.State.RATED, rating__isnull=False
    ).values_list("pair__query_text", "pair__doc_id", "rating")
    for text, doc_id, rating in rows.iterator(chunk_size=2000):
        ratings[(_folded(text), doc_id)].append(rating)
    scale = [float(g) for g in book.scale or []]
    # A rating off the scale (given before the scale changed) is no grade to aggregate: the
    # pair has no value (None), and a sync skips it rather than move it to a grade it lacks.
    off = {key for key, found in ratings.items() if scale and not set(found) <= set(scale)}
    return {
        key: None if key in off else aggregate(book.aggregation, found, scale)
        for key, found in ratings.items()
    }


def _folded(text: str) -> str:
    return " ".join(text.split())


def sync_case(
    book: Book,
    case: Case,
    *,
    user: Any = None,
    values: dict[tuple[str, str], float | None] | None = None,
) -> Synced:
    """Write the book's aggregated ratings (``values``: ``aggregated(book)``, read when not
    given) into ``case`` and queue its re-scoring."""
    if values is None:
        values = aggregated(book)
    queries = {_folded(q.text): q for q in case.queries.all()}
    current = {
        (query_id, doc_id): value
        for query_id, doc_id, value in Rating.objects.filter(query__case=case).values_list(
            "query_id", "doc_id", "rating"
        )
    }
    record = BookSync(book=book, case=case, rule=book.aggregation, synced_by=_user(user))
    # All of a case's ratings and its record, or none: a failure half way leaves the case as it
    # was, not part-synced with no record saying so.
    with transaction.atomic():
        for (text, doc_id), value in values.items():
            query = queries.get(text)
            if query is None or value is None:
                record.skipped += 1
                continue
            try:
                case_services.check_rating(case.scorer, value)
            except case_services.ServiceError:
                record.skipped += 1
                continue
            if current.get((query.pk, doc_id)) == value:
                record.unchanged += 1
                continue
            query.case = case  # rate_doc reads the scorer through it
            case_services.rate_doc(query, doc_id, value)
            record.written += 1
        record.save()
    chosen = case.current_try()
    job = jobs.run_soon(case, chosen, user=user) if chosen is not None else None
    return Synced(record, job)


def sync_book(book: Book, *, user: Any = None) -> list[Synced]:
    """``sync_case`` for every case linked to the book that ``user`` may change (every one when
    no user is given: the operator's command line)."""
    cases = list(syncable_cases(book, user))
    values = aggregated(book) if cases else {}  # read once for every case
    return [sync_case(book, case, user=user, values=values) for case in cases]


def syncable_cases(book: Book, user: Any = None) -> QuerySet[Case]:
    """The linked cases ``user`` may write into (all of them for no user)."""
    cases = book.cases.select_related("scorer").order_by("name", "pk")
    return cases if user is None else own_or_shared(cases, user)


def _user(user: Any) -> Any:
    return user if user is not None and user.is_authenticated else None
