"""The case page's query list: one page of a case's queries, filtered and sorted on the server.

What it costs is the page, not the case: a fixed number of SQL queries (the count and the page's
rows; sorting by score, or by the change since the previous try, reads the matching ids once and
sorts them here by the newest runs' packed scores), and only the page's rows are turned into
objects. A 10,000-query case lists 100 at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db.models import Count, Exists, F, Max, OuterRef, QuerySet
from django.db.models.functions import Lower

from searchbench.cases import scorepack
from searchbench.cases.models import Case, Query, Rating, ScoreHistory

PAGE_SIZE = 100
SORTS = {
    "position": "position",
    "score": "lowest score first",
    "-score": "highest score first",
    "name": "name",
    "unrated": "unrated first",
    "changed": "last rated first",
    "change": "biggest drop since the previous try",
    "-change": "biggest gain since the previous try",
}
SHOWS = {"all": "all queries", "unrated": "unrated only", "errors": "errors only"}


@dataclass(frozen=True)
class Listing:
    """What the page asked for, read leniently: an unknown value falls back to the default."""

    sort: str = "position"
    show: str = "all"
    text: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> Listing:
        sort = params.get("sort", "position")
        show = params.get("show", "all")
        try:
            page = max(1, int(params.get("page", 1)))
        except ValueError:
            page = 1
        return cls(
            sort=sort if sort in SORTS else "position",
            show=show if show in SHOWS else "all",
            text=" ".join(str(params.get("q", "")).split())[:200],
            page=page,
        )

    @property
    def movable(self) -> bool:
        """Whether the rows shown are the case's order with nothing left out, so that moving a
        query past its neighbour on the page is moving it past its neighbour in the case."""
        return self.sort == "position" and self.show == "all" and not self.text

    def params(self, **changed: Any) -> dict[str, Any]:
        """The query-string values of this listing with ``changed`` applied (defaults left out)."""
        values = {"sort": self.sort, "show": self.show, "q": self.text, "page": self.page}
        values.update(changed)
        defaults = {"sort": "position", "show": "all", "q": "", "page": 1}
        return {k: v for k, v in values.items() if defaults[k] != v}


@dataclass(frozen=True)
class Row:
    query: Query
    score: float | None
    error: str | None
    rated: int
    change: float | None = None  # since the previous try (when the list is sorted by it)
    last_rated: datetime | None = None  # when the list is sorted by it


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    number: int
    pages: int
    total: int  # queries matching the filter
    start: int  # 1-based position of the first row among them

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _rated() -> Exists:
    return Exists(Rating.objects.filter(query=OuterRef("pk")))


def counts(case: Case) -> dict[str, int]:
    """The case's number of queries and of queries with no rating, in one SQL query."""
    return Query.objects.filter(case=case).aggregate(
        queries=Count("pk"), unrated=Count("pk", filter=~_rated())
    )


def page(case: Case, last: ScoreHistory | None, listing: Listing) -> Page:
    """The listing's page of the case's queries with their scores from ``last`` (the newest run,
    or None before any)."""
    scores = last.per_query if last else {}
    errors = (last.errors or {}) if last else {}
    matching: QuerySet[Query] = Query.objects.filter(case=case)
    if listing.text:
        matching = matching.filter(text__icontains=listing.text)
    if listing.show == "unrated":
        matching = matching.filter(~_rated())
    elif listing.show == "errors":
        matching = matching.filter(pk__in=[int(k) for k in errors])
    changes: dict[int, float] = {}
    if listing.sort in ("change", "-change"):
        changes = try_changes(case, last)
    if listing.sort in ("score", "-score", "change", "-change"):
        ids = list(matching.order_by().values_list("pk", flat=True))
        total = len(ids)
        number, pages, offset = _bounds(listing.page, total)
        missing = float("inf")  # not scored (never run, or an error): after every score
        if listing.sort == "score":
            ids.sort(key=lambda pk: (scores.get(str(pk), missing), pk))
        elif listing.sort == "-score":
            ids.sort(key=lambda pk: (-scores.get(str(pk), -missing), pk))
        elif listing.sort == "change":
            ids.sort(key=lambda pk: (changes.get(pk, missing), pk))
        else:
            ids.sort(key=lambda pk: (-changes.get(pk, -missing), pk))
        wanted = ids[offset : offset + PAGE_SIZE]
        found = {q.pk: q for q in _with_counts(matching.filter(pk__in=wanted))}
        queries = [found[pk] for pk in wanted if pk in found]
    else:
        total = matching.count()
        number, pages, offset = _bounds(listing.page, total)
        shown = _with_counts(matching)
        if listing.sort == "changed":
            shown = shown.annotate(last_rated=Max("ratings__rated_at"))
        order: list[Any] = {
            "position": ["position", "pk"],
            "name": [Lower("text"), "pk"],
            "unrated": [_rated().asc(), "position", "pk"],
            "changed": [F("last_rated").desc(nulls_last=True), "position", "pk"],
        }[listing.sort]
        queries = list(shown.order_by(*order)[offset : offset + PAGE_SIZE])
    rows = [
        Row(
            q,
            scores.get(str(q.pk)),
            errors.get(str(q.pk)),
            q.num_ratings,  # type: ignore[attr-defined]
            changes.get(q.pk),
            getattr(q, "last_rated", None),
        )
        for q in queries
    ]
    return Page(rows, number, pages, total, offset + 1)


def previous_try_run(case: Case, last: ScoreHistory | None) -> ScoreHistory | None:
    """The run the change since the previous try is taken from: the newest run before ``last``
    of another try, scored with the same scorer (another scorer's numbers do not compare)."""
    if last is None or last.try_ref_id is None:
        return None
    return (
        case.score_history.filter(scorer_name=last.scorer_name, try_ref__isnull=False)
        .exclude(try_ref_id=last.try_ref_id)
        .filter(created_at__lte=last.created_at)
        .exclude(pk=last.pk)
        .order_by("-created_at", "-id")
        .first()
    )


def try_changes(case: Case, last: ScoreHistory | None) -> dict[int, float]:
    """Each query's score now minus its score in the previous try's run, by query id; a query
    not scored in both (added since, failed in either) has none. Taken from the two runs'
    packed arrays, not from dicts of every query: a few milliseconds at 10,000 queries."""
    before = previous_try_run(case, last)
    if last is None or before is None:
        return {}
    now, then = scorepack.Entries.read(last.packed), scorepack.Entries.read(before.packed)
    ok_now, ok_then = now.codes < 0, then.codes < 0
    common, i, j = np.intersect1d(
        now.ids[ok_now], then.ids[ok_then], assume_unique=True, return_indices=True
    )
    delta = now.values[ok_now][i].astype(np.float64) - then.values[ok_then][j]
    # float32 scores: a difference below their precision is no change.
    delta[np.abs(delta) < 1e-6] = 0.0
    return dict(zip(common.tolist(), delta.tolist(), strict=True))


def _with_counts(queries: QuerySet[Query]) -> QuerySet[Query]:
    return queries.annotate(num_ratings=Count("ratings")).only(
        "pk", "case_id", "text", "position", "information_need"
    )


def _bounds(number: int, total: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(number, pages)
    return number, pages, (number - 1) * PAGE_SIZE
