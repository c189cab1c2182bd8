"""Cases: list, create, show, update, delete, archive, clone; their score history; run one."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
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
    check_if_match,
    locked_match,
    paginate,
    with_etag,
)
from searchbench.api.errors import ApiError, not_found
from searchbench.api.forms import bind
from searchbench.api.jobs import JobOut, job_out
from searchbench.cases import history, services
from searchbench.cases.forms import CaseSettingsForm
from searchbench.cases.models import Case, Scorer, Try
from searchbench.cases.models import Query as CaseQuery
from searchbench.jobs import services as jobs
from searchbench.web.ids import MAX_ID

router = Router(tags=["cases"])

UnratedRule = Literal["count_zero", "leave_out"]  # scoring.UNRATED_RULES


class CaseOut(Schema):
    id: int
    name: str
    owner: str
    scorer: str
    archived: bool
    public: bool
    options: dict[str, Any]
    unrated_queries: UnratedRule = Field(
        ..., description="how queries with no rating count in the case score"
    )
    teams: list[int]
    current_try: int | None
    queries: int
    created_at: datetime
    updated_at: datetime
    can_write: bool


class CaseCreate(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    scorer: str = Field("nDCG@10", description="a scorer's name (GET /scorers)")
    endpoint_id: Id
    query_template: str = Field('{"query": "#$query##"}', min_length=1)
    field_spec: str = "id:id title:title *"
    teams: list[Id] = []
    public: bool = False


class CasePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    scorer: str | None = None
    archived: bool | None = None
    public: bool | None = None
    options: JsonObject | None = None
    unrated_queries: UnratedRule | None = Field(
        None,
        description="count_zero: an unrated query counts 0 (Quepid's rule); leave_out: it is "
        "not in the case score. A change re-scores the case (a run job).",
    )
    teams: list[Id] | None = None


class CloneIn(Schema):
    name: str = Field("", max_length=200)
    with_ratings: bool = True


class CaseFilter(Schema):
    archived: bool = Field(False, description="list archived cases instead of current ones")


class HistoryPoint(Schema):
    at: datetime
    score: float
    run_score: float
    try_number: int | None
    scorer: str
    rated_at: datetime | None


class HistoryOut(Schema):
    case_id: int
    points: list[HistoryPoint]


def with_summary(rows: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what case_out shows read in the same query (the current try's number, the
    number of queries) and their teams in one more: a page costs a few queries, not four a case."""
    current = Try.objects.filter(case=OuterRef("pk")).order_by("-number").values("number")[:1]
    count = (
        CaseQuery.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rows.annotate(
        current_try_number=Subquery(current), num_queries=Coalesce(Subquery(count), 0)
    ).prefetch_related("teams")


def case_out(case: Case, user: Any) -> dict[str, Any]:
    if hasattr(case, "current_try_number"):
        number, queries = case.current_try_number, case.num_queries
    else:
        current = case.current_try()
        number, queries = (current.number if current else None), case.queries.count()
    return {
        "id": case.pk,
        "name": case.name,
        "owner": case.owner.get_username(),
        "scorer": case.scorer.name,
        "archived": case.archived,
        "public": case.public,
        "options": case.options or {},
        "unrated_queries": case.unrated_queries,
        "teams": sorted(t.pk for t in case.teams.all()),
        "current_try": number,
        "queries": queries,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "can_write": services.can_write(user, case),
    }


def scorer_by_name(user: Any, name: str) -> Scorer:
    scorer = services.usable_scorers(user).filter(name=name).first()
    if scorer is None:
        raise ApiError(422, f"scorer: no scorer named {name!r} that you may use",
                       details=[{"field": "scorer", "message": "unknown scorer"}])  # fmt: skip
    return scorer


@router.get("", response=answers(Page[CaseOut]), operation_id="list_cases")
def list_cases(
    request: HttpRequest, page: Query[PageParams], filters: Query[CaseFilter]
) -> dict[str, Any]:
    """The cases you may read (own, your teams', public), newest change first."""
    rows = services.readable_cases(request.user).filter(archived=filters.archived)
    rows = with_summary(rows.select_related("scorer", "owner").order_by("-updated_at", "id"))
    return paginate(rows, page, lambda c: case_out(c, request.user))


@router.post("", response=answers(CaseOut, 201), operation_id="create_case")
def create_case(request: HttpRequest, payload: CaseCreate) -> Status:
    """A new case with its first try (try 1) on one of your endpoints."""
    from searchbench.accounts.services import my_teams

    endpoint = services.usable_endpoints(request.user).filter(pk=payload.endpoint_id).first()
    if endpoint is None:
        raise ApiError(422, "endpoint_id: no such endpoint that you may use",
                       details=[{"field": "endpoint_id", "message": "unknown endpoint"}])  # fmt: skip
    teams = list(my_teams(request.user).filter(pk__in=payload.teams))
    if len(teams) != len(set(payload.teams)):
        raise ApiError(422, "teams: you may share a case only with your own teams",
                       details=[{"field": "teams", "message": "not your team"}])  # fmt: skip
    case = services.create_case(
        request.user,
        name=payload.name,
        scorer=scorer_by_name(request.user, payload.scorer),
        endpoint=endpoint,
        query_template=payload.query_template,
        field_spec=payload.field_spec,
        teams=teams,
        public=payload.public,
    )
    return Status(201, case_out(case, request.user))


@router.get("/{id:case_id}", response=answers(CaseOut), operation_id="get_case")
def get_case(request: HttpRequest, case_id: Id, response: HttpResponse) -> dict[str, Any]:
    """One case. The ETag header is its version, for If-Match on PATCH and DELETE."""
    return with_etag(response, case_out(case_for(request, case_id), request.user))


@router.patch("/{id:case_id}", response=answers(CaseOut), operation_id="update_case")
def update_case(
    request: HttpRequest, case_id: Id, payload: CasePatch, response: HttpResponse
) -> dict[str, Any]:
    """Change a case's name, scorer, options, how unrated queries count, teams; archive it
    (``archived: true``) or make it public. A new scorer or unrated rule re-scores the case (a
    run job, as on the web). Send If-Match with the ETag you read: 412 if it changed since."""
    changes = changes_of(payload)
    with transaction.atomic():
        case = locked_match(
            request, case_for(request, case_id, write=True), lambda c: case_out(c, request.user)
        )
        if "scorer" in changes:
            changes["scorer"] = scorer_by_name(request.user, changes["scorer"]).pk
        form = bind(CaseSettingsForm, changes, instance=case, user=request.user)
        form.save()
    case.refresh_from_db()
    if form.rescores():
        # No try yet: nothing is scored, so there is nothing to score again.
        with contextlib.suppress(services.ServiceError):
            jobs.start_run(case, user=request.user)
    return with_etag(response, case_out(case, request.user))


@router.delete("/{id:case_id}", response=answers(None, 204), operation_id="delete_case")
def delete_case(request: HttpRequest, case_id: Id) -> Status:
    """Delete a case with everything in it (its owner only; teammates may archive it)."""
    with transaction.atomic():
        case = case_for(request, case_id, write=True)
        if case.owner_id != request.user.pk:
            raise ApiError(403, "only the case's owner deletes it; archive it instead")
        check_if_match(request, case_out(case, request.user))
        case.delete()
    return Status(204, None)


@router.post("/{id:case_id}/clone", response=answers(CaseOut, 201), operation_id="clone_case")
def clone_case(request: HttpRequest, case_id: Id, payload: CloneIn) -> Status:
    """A copy of a case you may read, owned by you: tries, queries, notes, and ratings
    (``with_ratings``). Not copied: teams, history, snapshots."""
    case = case_for(request, case_id)
    copy = services.clone_case(
        case, owner=request.user, name=payload.name, with_ratings=payload.with_ratings
    )
    return Status(201, case_out(copy, request.user))


@router.get("/{id:case_id}/history", response=answers(HistoryOut), operation_id="case_history")
def case_history(request: HttpRequest, case_id: Id) -> dict[str, Any]:
    """The case's runs, oldest first: the score now and as the run measured it."""
    case = case_for(request, case_id)
    return {
        "case_id": case.pk,
        "points": [
            {
                "at": p.at,
                "score": p.score,
                "run_score": p.run_score,
                "try_number": p.try_number,
                "scorer": p.scorer_name,
                "rated_at": p.rated_at,
            }
            for p in history.series(case)
        ],
    }


class RunQueryOut(Schema):
    query_id: int
    query: str | None = Field(..., description="null when the query was deleted since")
    score: float | None
    error: str | None


class RunOut(Schema):
    id: int
    at: datetime
    score: float
    run_score: float
    try_number: int | None
    scorer: str
    trigger: str
    queries: list[RunQueryOut]


@router.get(
    "/{id:case_id}/history/{id:history_id}", response=answers(RunOut), operation_id="get_run"
)
def get_run(request: HttpRequest, case_id: Id, history_id: Id) -> dict[str, Any]:
    """One recorded run (``result.history_id`` of a run job): every query's score or error."""
    case = case_for(request, case_id)
    row = case.score_history.select_related("try_ref").filter(pk=history_id).first()
    if row is None:
        raise not_found("run")
    texts = dict(case.queries.values_list("pk", "text"))
    scores, errors = row.per_query, row.errors
    keys = sorted({int(k) for k in scores} | {int(k) for k in errors})
    return {
        "id": row.pk,
        "at": row.created_at,
        "score": row.score,
        "run_score": row.run_score,
        "try_number": row.try_ref.number if row.try_ref else None,
        "scorer": row.scorer_name,
        "trigger": row.trigger,
        "queries": [
            {
                "query_id": k,
                "query": texts.get(k),
                "score": scores.get(str(k)),
                "error": errors.get(str(k)),
            }
            for k in keys
        ],
    }


class RunIn(Schema):
    try_number: int | None = Field(None, ge=1, le=MAX_ID, description="default: the current try")


@router.post("/{id:case_id}/run", response=answers(JobOut, 202), operation_id="run_case")
def run_case(request: HttpRequest, case_id: Id, payload: RunIn) -> Status:
    """Run every query of the case (a job for the workers); poll GET /jobs/{id}."""
    case = case_for(request, case_id, write=True)
    try_ = None
    if payload.try_number is not None:
        try_ = case.tries.filter(number=payload.try_number).first()
        if try_ is None:
            raise not_found("try")
    job = jobs.start_run(case, user=request.user, try_=try_, trigger="api")
    return Status(202, job_out(job))
