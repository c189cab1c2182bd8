"""Queries of a case (with their notes, information need and options) and their ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja import Query as QueryParams

from searchbench.api.common import (
    Finite,
    Id,
    JsonObject,
    Page,
    PageParams,
    answers,
    case_for,
    changes_of,
    check_if_match,
    locked_match,
    paginate,
    with_etag,
)
from searchbench.api.errors import ApiError, not_found
from searchbench.api.forms import bind
from searchbench.cases import services
from searchbench.cases.forms import QueryNotesForm
from searchbench.cases.models import Case, Query, Rating
from searchbench.jobs import services as jobs

router = Router(tags=["queries"])
ratings_router = Router(tags=["ratings"])

TEXT_MAX = Query._meta.get_field("text").max_length or 500
DOC_ID_MAX = Rating._meta.get_field("doc_id").max_length or 255
BULK_MAX = services.QUERIES_AT_ONCE


class QueryOut(Schema):
    id: int
    text: str
    position: int
    notes: str
    information_need: str
    options: dict[str, Any]
    ratings: int
    created_at: datetime


class QueryIn(Schema):
    text: str = Field(..., min_length=1, max_length=TEXT_MAX)
    notes: str = ""
    information_need: str = ""
    options: JsonObject = {}


class QueryPatch(Schema):
    text: str | None = Field(None, min_length=1, max_length=TEXT_MAX)
    notes: str | None = None
    information_need: str | None = None
    options: JsonObject | None = None


class BulkQueries(Schema):
    queries: list[QueryIn] = Field(..., min_length=1, max_length=BULK_MAX)


class BulkOut(Schema):
    added: int
    ids: list[int]


class Reorder(Schema):
    order: list[Id] = Field(..., description="every query id of the case, in the new order")


class OrderOut(Schema):
    order: list[int]


class RatingOut(Schema):
    doc_id: str
    rating: float
    rated_by: str | None
    rated_at: datetime


class RatingIn(Schema):
    doc_id: str = Field(..., min_length=1, max_length=DOC_ID_MAX)
    rating: Finite | None = Field(..., description="a value of the scorer's scale; null clears")


class RatingsIn(Schema):
    ratings: list[RatingIn] = Field(..., min_length=1, max_length=BULK_MAX)


class RatingsOut(Schema):
    query_id: int
    ratings: list[RatingOut]
    query_score: float | None
    case_score: float | None


class DocParam(Schema):
    doc_id: str = Field(..., min_length=1, max_length=DOC_ID_MAX)


def query_out(q: Query) -> dict[str, Any]:
    count = getattr(q, "num_ratings", None)
    return {
        "id": q.pk,
        "text": q.text,
        "position": q.position,
        "notes": q.notes,
        "information_need": q.information_need,
        "options": q.options or {},
        "ratings": count if count is not None else q.ratings.count(),
        "created_at": q.created_at,
    }


def _query(case: Case, query_id: int) -> Query:
    found = case.queries.filter(pk=query_id).first()
    if found is None:
        raise not_found("query")
    return found


# --- queries ----------------------------------------------------------------------------------


@router.get("/{id:case_id}/queries", response=answers(Page[QueryOut]), operation_id="list_queries")
def list_queries(
    request: HttpRequest, case_id: Id, page: QueryParams[PageParams]
) -> dict[str, Any]:
    """The case's queries in their order."""
    from django.db.models import Count

    case = case_for(request, case_id)
    rows = case.queries.annotate(num_ratings=Count("ratings")).order_by("position", "id")
    return paginate(rows, page, query_out)


@router.post("/{id:case_id}/queries", response=answers(QueryOut, 201), operation_id="add_query")
def add_query(request: HttpRequest, case_id: Id, payload: QueryIn) -> Status:
    """Add a query at the end of the case."""
    case = case_for(request, case_id, write=True)
    return Status(
        201, query_out(services.add_query(case, payload.text, **payload.dict(exclude={"text"})))
    )


@router.post(
    "/{id:case_id}/queries/bulk", response=answers(BulkOut, 201), operation_id="add_queries"
)
def add_queries(request: HttpRequest, case_id: Id, payload: BulkQueries) -> Status:
    """Add many queries at once, all or none (at most 10,000 a request)."""
    case = case_for(request, case_id, write=True)
    added = services.add_queries(case, [q.dict() for q in payload.queries])
    return Status(201, {"added": len(added), "ids": [q.pk for q in added]})


@router.put(
    "/{id:case_id}/queries/order", response=answers(OrderOut), operation_id="reorder_queries"
)
def reorder_queries(request: HttpRequest, case_id: Id, payload: Reorder) -> dict[str, Any]:
    """Put the queries in a new order (list every query id of the case once)."""
    case = case_for(request, case_id, write=True)
    services.reorder_queries(case, payload.order)
    return {"order": list(case.queries.order_by("position", "id").values_list("pk", flat=True))}


@router.get(
    "/{id:case_id}/queries/{id:query_id}", response=answers(QueryOut), operation_id="get_query"
)
def get_query(
    request: HttpRequest, case_id: Id, query_id: Id, response: HttpResponse
) -> dict[str, Any]:
    return with_etag(response, query_out(_query(case_for(request, case_id), query_id)))


@router.patch(
    "/{id:case_id}/queries/{id:query_id}", response=answers(QueryOut), operation_id="update_query"
)
def update_query(
    request: HttpRequest, case_id: Id, query_id: Id, payload: QueryPatch, response: HttpResponse
) -> dict[str, Any]:
    """Change a query's text, notes, information need or options. If-Match: 412 on change."""
    case = case_for(request, case_id, write=True)
    changes = changes_of(payload)
    with transaction.atomic():
        query = locked_match(request, _query(case, query_id), query_out)
        text = changes.pop("text", None)
        if changes:
            bind(QueryNotesForm, changes, instance=query).save()
        if text is not None:
            try:
                text = services.query_text(text)
            except services.ServiceError as exc:
                raise ApiError(422, f"text: {exc}") from None
            Query.objects.filter(pk=query.pk).update(text=text)
        query.refresh_from_db()
    return with_etag(response, query_out(query))


@router.delete(
    "/{id:case_id}/queries/{id:query_id}", response=answers(None, 204), operation_id="delete_query"
)
def delete_query(request: HttpRequest, case_id: Id, query_id: Id) -> Status:
    """Remove a query and its ratings. If-Match: 412 on change."""
    case = case_for(request, case_id, write=True)
    query = _query(case, query_id)
    check_if_match(request, query_out(query))
    query.delete()
    return Status(204, None)


# --- ratings ----------------------------------------------------------------------------------


def ratings_out(case: Case, query: Query, outcome: Any = None) -> dict[str, Any]:
    last = services.latest_history(case)
    rows = query.ratings.select_related("rated_by").order_by("doc_id")
    return {
        "query_id": query.pk,
        "ratings": [
            {
                "doc_id": r.doc_id,
                "rating": r.rating,
                "rated_by": r.rated_by.get_username() if r.rated_by else None,
                "rated_at": r.rated_at,
            }
            for r in rows
        ],
        "query_score": outcome.score if outcome is not None else None,
        "case_score": last.score if last else None,
    }


def _rescored(request: HttpRequest, case: Case, query: Query) -> Any:
    """The query's new score (the case's current scores move as on the web page)."""
    try:
        outcome, _history = jobs.rescore_after_rating(case, query, user=request.user)
    except services.ServiceError:
        return None  # no try yet: the ratings are saved, there is nothing to score
    return outcome


RATINGS = "/{id:case_id}/queries/{id:query_id}/ratings"


@ratings_router.get(RATINGS, response=answers(RatingsOut), operation_id="list_ratings")
def list_ratings(request: HttpRequest, case_id: Id, query_id: Id) -> dict[str, Any]:
    case = case_for(request, case_id)
    return ratings_out(case, _query(case, query_id))


@ratings_router.post(RATINGS, response=answers(RatingsOut), operation_id="rate_doc")
def rate_doc(request: HttpRequest, case_id: Id, query_id: Id, payload: RatingIn) -> dict:
    """Set one rating (``rating: null`` clears it); the query is scored again."""
    case = case_for(request, case_id, write=True)
    query = _query(case, query_id)
    services.rate_doc(query, payload.doc_id, payload.rating, user=request.user)
    return ratings_out(case, query, _rescored(request, case, query))


@ratings_router.delete(RATINGS + "/doc", response=answers(RatingsOut), operation_id="clear_rating")
def clear_rating(
    request: HttpRequest, case_id: Id, query_id: Id, doc: QueryParams[DocParam]
) -> dict[str, Any]:
    """Clear one rating (``?doc_id=…``)."""
    case = case_for(request, case_id, write=True)
    query = _query(case, query_id)
    services.rate_doc(query, doc.doc_id, None, user=request.user)
    return ratings_out(case, query, _rescored(request, case, query))


@ratings_router.put(RATINGS, response=answers(RatingsOut), operation_id="set_ratings")
def set_ratings(request: HttpRequest, case_id: Id, query_id: Id, payload: RatingsIn) -> dict:
    """Set or clear (null) many ratings of the query, all or none."""
    case = case_for(request, case_id, write=True)
    query = _query(case, query_id)
    pairs = [(r.doc_id, r.rating) for r in payload.ratings]
    services.set_ratings(query, pairs, user=request.user)
    return ratings_out(case, query, _rescored(request, case, query))


@ratings_router.delete(RATINGS, response=answers(RatingsOut), operation_id="clear_ratings")
def clear_ratings(request: HttpRequest, case_id: Id, query_id: Id) -> dict[str, Any]:
    """Clear every rating of the query."""
    case = case_for(request, case_id, write=True)
    query = _query(case, query_id)
    docs = list(query.ratings.values_list("doc_id", flat=True))
    services.set_ratings(query, [(d, None) for d in docs], user=request.user)
    return ratings_out(case, query, _rescored(request, case, query))
