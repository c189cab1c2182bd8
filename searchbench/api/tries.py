"""Tries of a case: list, create, show by number, rename, duplicate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from searchbench.api.common import (
    Id,
    JsonObject,
    Page,
    PageParams,
    answers,
    case_for,
    changes_of,
    locked_match,
    paginate,
    with_etag,
)
from searchbench.api.errors import not_found
from searchbench.api.forms import bind
from searchbench.cases import services
from searchbench.cases.forms import TryForm
from searchbench.cases.models import Case, Try

router = Router(tags=["tries"])


class TryOut(Schema):
    number: int
    name: str
    parent: int | None
    query_template: str
    field_spec: str
    rows: int
    escape: bool
    curator_vars: dict[str, Any]
    endpoint_id: int
    created_at: datetime


class TryCreate(Schema):
    name: str = Field("", max_length=200)
    query_template: str | None = Field(None, description="default: the current try's")
    field_spec: str | None = None
    rows: int | None = Field(None, ge=1, le=500)
    escape: bool | None = None
    curator_vars: JsonObject | None = None
    endpoint_id: Id | None = None


class TryPatch(Schema):
    name: str = Field(..., max_length=200)


def try_out(t: Try) -> dict[str, Any]:
    return {
        "number": t.number,
        "name": t.name,
        "parent": t.parent.number if t.parent_id and t.parent else None,
        "query_template": t.query_template,
        "field_spec": t.field_spec,
        "rows": t.rows,
        "escape": t.escape,
        "curator_vars": t.curator_vars or {},
        "endpoint_id": t.endpoint_id,
        "created_at": t.created_at,
    }


def _try(case: Case, number: int) -> Try:
    found = case.tries.select_related("parent").filter(number=number).first()
    if found is None:
        raise not_found("try")
    return found


@router.get("/{id:case_id}/tries", response=answers(Page[TryOut]), operation_id="list_tries")
def list_tries(request: HttpRequest, case_id: Id, page: Query[PageParams]) -> dict[str, Any]:
    """The case's tries, newest first."""
    case = case_for(request, case_id)
    rows = case.tries.select_related("parent").order_by("-number")
    return paginate(rows, page, try_out)


@router.post("/{id:case_id}/tries", response=answers(TryOut, 201), operation_id="create_try")
def create_try(request: HttpRequest, case_id: Id, payload: TryCreate) -> Status:
    """A new try, numbered after the last; what it leaves out is taken from the current try.
    Nothing is run: POST /cases/{id}/run."""
    case = case_for(request, case_id, write=True)
    current = case.current_try()
    changes = changes_of(payload)
    if "endpoint_id" in changes:
        changes["endpoint"] = changes.pop("endpoint_id")
    form = bind(
        TryForm,
        changes,
        instance=current or Try(case=case),
        user=request.user,
        current=current.endpoint if current else None,
    )
    new_try = services.create_try(case, parent=current, **form.cleaned_data)
    return Status(201, try_out(new_try))


@router.get("/{id:case_id}/tries/{id:number}", response=answers(TryOut), operation_id="get_try")
def get_try(request: HttpRequest, case_id: Id, number: Id, response: HttpResponse) -> dict:
    """One try by its number."""
    return with_etag(response, try_out(_try(case_for(request, case_id), number)))


@router.patch(
    "/{id:case_id}/tries/{id:number}", response=answers(TryOut), operation_id="update_try"
)
def update_try(
    request: HttpRequest, case_id: Id, number: Id, payload: TryPatch, response: HttpResponse
) -> dict[str, Any]:
    """Rename a try (its settings are fixed: a change is a new try). If-Match: 412 on change."""
    case = case_for(request, case_id, write=True)
    with transaction.atomic():
        found = locked_match(request, _try(case, number), try_out)
        found.name = payload.name.strip()
        found.save(update_fields=["name"])
    return with_etag(response, try_out(found))


@router.post(
    "/{id:case_id}/tries/{id:number}/duplicate",
    response=answers(TryOut, 201),
    operation_id="duplicate_try",
)
def duplicate_try(request: HttpRequest, case_id: Id, number: Id) -> Status:
    """A new try with the settings of try ``number``."""
    case = case_for(request, case_id, write=True)
    return Status(201, try_out(services.duplicate_try(_try(case, number))))
