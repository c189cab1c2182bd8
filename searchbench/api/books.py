"""Books: list, create, show, update, delete; their pairs and judgements (a judgement is the
caller's own, through books.services.record_judgement); import and export in the book formats
(books/transfer.py). Access is books.services': a book is its owner's and its teams' members',
who may all read and change it; to anyone else it is not there (404). Only the owner deletes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from searchbench.api.common import (
    Finite,
    Id,
    Page,
    PageParams,
    answers,
    changes_of,
    check_if_match,
    locked_match,
    paginate,
    with_etag,
)
from searchbench.api.errors import ApiError, not_found
from searchbench.api.forms import bind, save, scale_as_text
from searchbench.api.jobs import JobOut, job_out
from searchbench.api.transfer import BODY_DOC, ImportParams, body_file
from searchbench.books import services, transfer
from searchbench.books.forms import BookForm
from searchbench.books.models import Book, Judgement, Pair
from searchbench.jobs.imports import import_or_queue
from searchbench.jobs.models import Job

router = Router(tags=["books"])

NAME_MAX = Book._meta.get_field("name").max_length or 200
AGGREGATIONS = tuple(Book.Aggregation.values)


class BookOut(Schema):
    id: int
    name: str
    owner: str
    scale: list[float]
    labels: dict[str, str]
    guidelines: str
    target_judgements: int
    hide_others: bool
    aggregation: str
    teams: list[int]
    cases: list[int]
    pairs: int
    created_at: datetime
    updated_at: datetime
    can_write: bool


class BookIn(Schema):
    name: str = Field(..., min_length=1, max_length=NAME_MAX)
    scale: list[Finite] = Field([0, 1, 2, 3], min_length=2, max_length=11)
    labels: dict[str, str] = {}
    guidelines: str = Field("", description="Markdown, shown to every rater")
    target_judgements: int = Field(3, ge=1, le=1000, description="judgements wanted a pair")
    hide_others: bool = True
    aggregation: Literal[AGGREGATIONS] = "quepid"  # type: ignore[valid-type]
    teams: list[Id] = []


class BookPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    scale: list[Finite] | None = Field(None, min_length=2, max_length=11)
    labels: dict[str, str] | None = None
    guidelines: str | None = None
    target_judgements: int | None = Field(None, ge=1, le=1000)
    hide_others: bool | None = None
    aggregation: Literal[AGGREGATIONS] | None = None  # type: ignore[valid-type]
    teams: list[Id] | None = None


class PairOut(Schema):
    id: int
    query_text: str
    doc_id: str
    position: int | None
    information_need: str
    notes: str
    options: dict[str, Any]
    doc_fields: dict[str, Any]
    judged: int = Field(..., description="judgements with a rating or can't rate")


class JudgementOut(Schema):
    id: int
    pair_id: int
    rater: str = Field(..., description="the rater's e-mail (or user name), or judge:NAME")
    rater_key: str
    state: str = Field(..., description="rated, cant_rate or later")
    rating: float | None
    explanation: str
    judged_at: datetime


class JudgementIn(Schema):
    state: Literal["rated", "cant_rate", "later"] = "rated"
    rating: Finite | None = Field(None, description="a grade of the book's scale when rated")
    explanation: str = ""


class JudgementFilter(Schema):
    mine: bool = Field(False, description="only your own judgements")


class BookImportOut(Schema):
    format: str
    book_id: int
    book_name: str
    created_book: bool
    pairs_added: int
    pairs_updated: int
    judgements_added: int
    judgements_changed: int
    raters_kept_by_email: list[str]
    warnings: list[str]
    summary: str


class NewBookParams(ImportParams):
    name: str = Field(
        "", max_length=NAME_MAX, description="the new book's name (default: the file's)"
    )


def book_out(book: Book, user: Any) -> dict[str, Any]:
    pairs = book.num_pairs if hasattr(book, "num_pairs") else book.pairs.count()
    return {
        "id": book.pk,
        "name": book.name,
        "owner": book.owner.get_username(),
        "scale": [float(v) for v in book.scale or []],
        "labels": {str(k): str(v) for k, v in (book.labels or {}).items()},
        "guidelines": book.guidelines,
        "target_judgements": book.target_judgements,
        "hide_others": book.hide_others,
        "aggregation": book.aggregation,
        "teams": sorted(t.pk for t in book.teams.all()),
        "cases": sorted(c.pk for c in book.cases.all()),
        "pairs": pairs,
        "created_at": book.created_at,
        "updated_at": book.updated_at,
        "can_write": services.can_write(user, book),
    }


def pair_out(pair: Pair) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "query_text": pair.query_text,
        "doc_id": pair.doc_id,
        "position": pair.position,
        "information_need": pair.information_need,
        "notes": pair.notes,
        "options": pair.options or {},
        "doc_fields": pair.doc_fields or {},
        "judged": pair.judged,
    }


def judgement_out(j: Judgement) -> dict[str, Any]:
    return {
        "id": j.pk,
        "pair_id": j.pair_id,
        "rater": transfer.rater_name(j),
        "rater_key": j.rater_key,
        "state": j.state,
        "rating": j.rating,
        "explanation": j.explanation,
        "judged_at": j.judged_at,
    }


def book_for(request: HttpRequest, book_id: int) -> Book:
    """The book if the caller may read it (and so change it); 404 otherwise: its existence is
    not disclosed."""
    book = services.readable_book(request.user, book_id)
    if book is None:
        raise not_found("book")
    return book


def _pair(book: Book, pair_id: int) -> Pair:
    pair = book.pairs.filter(pk=pair_id).first()
    if pair is None:
        raise not_found("pair")
    pair.book = book
    return pair


def _format(name: str) -> Any:
    fmt = transfer.BOOK_FORMATS.get(name)
    if fmt is None:
        raise ApiError(404, f"no book format {name!r}; one of {', '.join(transfer.BOOK_FORMATS)}")
    return fmt


def _with_counts(rows: QuerySet[Book]) -> QuerySet[Book]:
    return (
        rows.select_related("owner")
        .annotate(num_pairs=Count("pairs", distinct=True))
        .prefetch_related("teams", "cases")
    )


@router.get("", response=answers(Page[BookOut]), operation_id="list_books")
def list_books(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The books you may read (yours and your teams'), by name."""
    rows = _with_counts(services.readable_books(request.user)).order_by("name", "id")
    return paginate(rows, page, lambda b: book_out(b, request.user))


@router.post("", response=answers(BookOut, 201), operation_id="create_book")
def create_book(request: HttpRequest, payload: BookIn) -> Status:
    """A new, empty book of yours (fill it by importing a file, or from a case on its page)."""
    form = bind(BookForm, scale_as_text(payload.dict()), user=request.user)
    return Status(201, book_out(save(form, owner=request.user), request.user))


def _import(request: HttpRequest, fmt: str, target: Book | str | None, background: bool) -> Status:
    """Import the body into ``target`` in the request, or queue a job for a worker (asked for,
    or a file over INLINE_MAX_BYTES): 201/200 and the report, or 202 and the job."""
    found = _format(fmt)
    with body_file(request, zip_ok=found.reads_zip) as body:
        done = import_or_queue(fmt, body, user=request.user, book=target, background=background)
    if isinstance(done, Job):
        return Status(202, job_out(done))
    return Status(200 if isinstance(target, Book) else 201, done.as_dict())


@router.post(
    "/import/{fmt}", response={**answers(BookImportOut, 201), 202: JobOut},
    operation_id="import_new_book", openapi_extra=BODY_DOC,
)  # fmt: skip
def import_new_book(request: HttpRequest, fmt: str, params: Query[NewBookParams]) -> Status:
    """Import a file (the body) as a new book of yours, all or nothing: every problem is named
    by line or JSON path in ``details``, and nothing is stored. A big file (or
    ``background=true``) is imported by a worker (202 and the job; its result names the book)."""
    return _import(request, fmt, params.name or None, params.background)


@router.get("/{id:book_id}", response=answers(BookOut), operation_id="get_book")
def get_book(request: HttpRequest, book_id: Id, response: HttpResponse) -> dict[str, Any]:
    """One book. The ETag header is its version, for If-Match on PATCH and DELETE."""
    return with_etag(response, book_out(book_for(request, book_id), request.user))


@router.patch("/{id:book_id}", response=answers(BookOut), operation_id="update_book")
def update_book(
    request: HttpRequest, book_id: Id, payload: BookPatch, response: HttpResponse
) -> dict[str, Any]:
    """Change a book's name, scale and labels, guidelines, target, aggregation rule or teams.
    Send If-Match with the ETag you read: 412 if it changed since."""
    changes = scale_as_text(changes_of(payload))
    with transaction.atomic():
        book = locked_match(
            request, book_for(request, book_id), lambda b: book_out(b, request.user)
        )
        save(bind(BookForm, changes, instance=book, user=request.user))
    book.refresh_from_db()
    return with_etag(response, book_out(book, request.user))


@router.delete("/{id:book_id}", response=answers(None, 204), operation_id="delete_book")
def delete_book(request: HttpRequest, book_id: Id) -> Status:
    """Delete a book with its pairs and judgements (its owner only)."""
    with transaction.atomic():
        book = book_for(request, book_id)
        if book.owner_id != request.user.pk:
            raise ApiError(403, "only the book's owner deletes it")
        check_if_match(request, book_out(book, request.user))
        book.delete()
    return Status(204, None)


@router.get("/{id:book_id}/pairs", response=answers(Page[PairOut]), operation_id="list_pairs")
def list_pairs(request: HttpRequest, book_id: Id, page: Query[PageParams]) -> dict[str, Any]:
    """The book's query-doc pairs, in the order they were added."""
    book = book_for(request, book_id)
    return paginate(book.pairs.order_by("id"), page, pair_out)


@router.get(
    "/{id:book_id}/judgements", response=answers(Page[JudgementOut]),
    operation_id="list_judgements",
)  # fmt: skip
def list_judgements(
    request: HttpRequest, book_id: Id, page: Query[PageParams], filters: Query[JudgementFilter]
) -> dict[str, Any]:
    """Every rater's judgements of the book (``mine=true``: yours), pair by pair."""
    book = book_for(request, book_id)
    rows = Judgement.objects.filter(pair__book=book).select_related("rater", "judge")
    if filters.mine:
        rows = rows.filter(rater_key=services.rater_key(rater=request.user))
    return paginate(rows.order_by("pair_id", "id"), page, judgement_out)


@router.put(
    "/{id:book_id}/pairs/{id:pair_id}/judgement", response=answers(JudgementOut),
    operation_id="record_judgement",
)  # fmt: skip
def record_judgement(
    request: HttpRequest, book_id: Id, pair_id: Id, payload: JudgementIn
) -> dict[str, Any]:
    """Your judgement of one pair: a rating of the book's scale, ``cant_rate`` or ``later``
    (replaces your earlier one). 422 for a rating off the scale."""
    pair = _pair(book_for(request, book_id), pair_id)
    judgement = services.record_judgement(
        pair,
        rater=request.user,
        state=payload.state,
        rating=payload.rating,
        explanation=payload.explanation,
    )
    return judgement_out(judgement)


@router.delete(
    "/{id:book_id}/pairs/{id:pair_id}/judgement", response=answers(None, 204),
    operation_id="remove_judgement",
)  # fmt: skip
def remove_judgement(request: HttpRequest, book_id: Id, pair_id: Id) -> Status:
    """Take back your judgement of one pair (nothing to take back is no error)."""
    pair = _pair(book_for(request, book_id), pair_id)
    services.remove_judgement(pair, services.rater_key(rater=request.user))
    return Status(204, None)


@router.post(
    "/{id:book_id}/import/{fmt}", response={**answers(BookImportOut), 202: JobOut},
    operation_id="import_into_book", openapi_extra=BODY_DOC,
)  # fmt: skip
def import_into_book(
    request: HttpRequest, book_id: Id, fmt: str, params: Query[ImportParams]
) -> Status:
    """Import a file (the body) into a book: pairs added, each rater's judgement added or
    replaced, all or nothing (a rating off the book's scale is a problem with its line); a big
    file (or ``background=true``) as a job (202)."""
    return _import(request, fmt, book_for(request, book_id), params.background)


@router.get("/{id:book_id}/export/{fmt}", response=answers(None), operation_id="export_book")
def export_book(request: HttpRequest, book_id: Id, fmt: str) -> HttpResponse:
    """The book as a file in a format (quepid-book: Quepid's current shape)."""
    book = book_for(request, book_id)
    found = _format(fmt)
    response = HttpResponse(
        transfer.export_book_text(fmt, book), content_type=f"{found.media_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="book-{book.pk}-{fmt}{found.suffix}"'
    return response
