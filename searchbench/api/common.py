"""What every router shares: ids, access to a case, pagination, ETags and If-Match."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import Model, ProtectedError, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from pydantic import AfterValidator

from searchbench.api.errors import ERROR_CODES, ApiError, ErrorOut, not_found
from searchbench.cases import services
from searchbench.cases.models import Case
from searchbench.domain import safejson
from searchbench.web.ids import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    problem = safejson.json_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A JSON object every database stores as it is: no NaN or infinity, bounded nesting and numbers
# (domain.safejson's limits, as the web forms have them).
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
MAX_PAGE = 200
DEFAULT_PAGE = 50

T = TypeVar("T")


def answers(success: Any, status: int = 200) -> dict[Any, Any]:
    """An operation's response table: its success schema and the one error shape."""
    return {status: success, ERROR_CODES: ErrorOut}


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    limit: int
    offset: int
    next_offset: int | None


class PageParams(Schema):
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE}")
    offset: int = Field(0, ge=0, le=MAX_ID)


def changes_of(payload: Schema, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a PATCH (or a create from defaults) sent. A null leaves the field as it is,
    but for the ``nullable`` fields, where it clears the value."""
    sent = payload.dict(exclude_unset=True)
    return {k: v for k, v in sent.items() if v is not None or k in nullable}


def paginate(
    rows: QuerySet[Any] | Sequence[Any], params: PageParams, out: Callable[[Any], Any]
) -> dict[str, Any]:
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    window = rows[params.offset : params.offset + params.limit]
    nxt = params.offset + params.limit
    return {
        "items": [out(row) for row in window],
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": nxt if nxt < count else None,
    }


def case_for(request: HttpRequest, case_id: int, *, write: bool = False) -> Case:
    """The case if the caller may read it — 404 otherwise, so its existence is not disclosed —
    and, with ``write``, change it (403 for a reader who may not)."""
    case = services.readable_case(request.user, case_id)
    if case is None:
        raise not_found("case")
    if write and not services.can_write(request.user, case):
        raise ApiError(403, "this case is read-only for you")
    return case


def delete_unless_used(obj: Model, message: str) -> None:
    """Delete ``obj``; 409 with ``message`` while rows that protect it (tries, cases) use it."""
    try:
        obj.delete()
    except ProtectedError:
        raise ApiError(409, message) from None


# --- preconditions ----------------------------------------------------------------------------


def etag_of(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def with_etag(response: HttpResponse, data: dict[str, Any]) -> dict[str, Any]:
    response["ETag"] = etag_of(data)
    return data


M = TypeVar("M", bound=Model)


def locked_match(request: HttpRequest, obj: M, out: Callable[[M], dict[str, Any]]) -> M:
    """``obj`` locked for the rest of the transaction and read again, after If-Match passed
    against it (call inside ``transaction.atomic()``)."""
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
    obj.refresh_from_db()
    check_if_match(request, out(obj))
    return obj


def check_if_match(request: HttpRequest, current: dict[str, Any]) -> None:
    """412 when the caller's If-Match names another version than ``current`` (the resource as
    GET shows it now). No If-Match: no precondition (docs/api.md says to send one)."""
    given = request.headers.get("If-Match")
    if given is None:
        return
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    if "*" in tags or etag_of(current) in tags:
        return
    raise ApiError(
        412,
        "the resource changed since you read it (If-Match does not match its ETag); "
        "read it again and retry",
        details={"etag": etag_of(current)},
    )
