"""Scorers: the built-ins and the custom (JavaScript) ones you may use; CRUD of your own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    delete_unless_used,
    paginate,
    with_etag,
)
from searchbench.api.errors import ApiError, not_found
from searchbench.api.forms import bind, save, scale_as_text
from searchbench.cases import services
from searchbench.cases.forms import ScorerForm
from searchbench.cases.models import Scorer

router = Router(tags=["scorers"])


class ScorerOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    scale: list[float]
    labels: dict[str, str]
    code: str
    owner: str | None
    teams: list[int]
    created_at: datetime
    updated_at: datetime


class ScorerIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = ""
    scale: list[Finite] = Field([0, 1, 2, 3], min_length=2, max_length=11)
    labels: dict[str, str] = {}
    code: str = Field(..., min_length=1)
    teams: list[Id] = []


class ScorerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    scale: list[Finite] | None = Field(None, min_length=2, max_length=11)
    labels: dict[str, str] | None = None
    code: str | None = Field(None, min_length=1)
    teams: list[Id] | None = None


class ScorerFilter(Schema):
    kind: str | None = Field(None, pattern="^(builtin|custom)$")


def scorer_out(s: Scorer) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "kind": s.kind,
        "description": s.description,
        "scale": [float(v) for v in s.scale or []],
        "labels": {str(k): str(v) for k, v in (s.labels or {}).items()},
        "code": s.code,
        "owner": s.owner.get_username() if s.owner else None,
        "teams": sorted(s.teams.values_list("pk", flat=True)),
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }


def _usable(request: HttpRequest, scorer_id: int) -> Scorer:
    """A scorer you may use: 404 for any other (its existence is not disclosed)."""
    scorer = services.usable_scorers(request.user).filter(pk=scorer_id).first()
    if scorer is None:
        raise not_found("scorer")
    return scorer


def _own(request: HttpRequest, scorer_id: int) -> Scorer:
    """One of your custom scorers: 404 for a scorer you may not use, 403 for one you may use but
    not change (a built-in, a teammate's), as for endpoints and cases."""
    scorer = _usable(request, scorer_id)
    if scorer.kind != Scorer.Kind.CUSTOM or scorer.owner_id != request.user.pk:
        raise ApiError(403, "only a custom scorer's owner changes it")
    return scorer


@router.get("", response=answers(Page[ScorerOut]), operation_id="list_scorers")
def list_scorers(
    request: HttpRequest, page: Query[PageParams], filters: Query[ScorerFilter]
) -> dict[str, Any]:
    """Built-in scorers and the custom ones you may use (yours and your teams')."""
    rows = services.usable_scorers(request.user).select_related("owner").order_by("kind", "name")
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    return paginate(rows, page, scorer_out)


@router.post("", response=answers(ScorerOut, 201), operation_id="create_scorer")
def create_scorer(request: HttpRequest, payload: ScorerIn) -> Status:
    """A custom JavaScript scorer (the code is tried on a sample query first)."""
    form = bind(ScorerForm, scale_as_text(payload.dict()), user=request.user)
    return Status(201, scorer_out(save(form, owner=request.user)))


@router.get("/{id:scorer_id}", response=answers(ScorerOut), operation_id="get_scorer")
def get_scorer(request: HttpRequest, scorer_id: Id, response: HttpResponse) -> dict[str, Any]:
    return with_etag(response, scorer_out(_usable(request, scorer_id)))


@router.patch("/{id:scorer_id}", response=answers(ScorerOut), operation_id="update_scorer")
def update_scorer(
    request: HttpRequest, scorer_id: Id, payload: ScorerPatch, response: HttpResponse
) -> dict[str, Any]:
    """Change one of your custom scorers. If-Match: 412 on change."""
    scorer = _own(request, scorer_id)
    check_if_match(request, scorer_out(scorer))
    changes = scale_as_text(changes_of(payload))
    form = bind(ScorerForm, changes, instance=scorer, user=request.user)
    save(form)
    scorer.refresh_from_db()
    return with_etag(response, scorer_out(scorer))


@router.delete("/{id:scorer_id}", response=answers(None, 204), operation_id="delete_scorer")
def delete_scorer(request: HttpRequest, scorer_id: Id) -> Status:
    """Delete one of your custom scorers (409 while a case uses it)."""
    scorer = _own(request, scorer_id)
    delete_unless_used(scorer, "cases use this scorer: give them another first")
    return Status(204, None)
