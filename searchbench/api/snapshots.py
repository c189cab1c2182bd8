"""Snapshots of a case: take (a job), list, show, their queries, delete, compare."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from searchbench.api.common import Id, Page, PageParams, answers, case_for, paginate
from searchbench.api.errors import ApiError, not_found
from searchbench.api.jobs import JobOut, job_out
from searchbench.cases import services
from searchbench.cases.models import Case, Snapshot, SnapshotDoc, SnapshotQuery
from searchbench.jobs import services as jobs

router = Router(tags=["snapshots"])

TOP_DOCS = 10


class SnapshotOut(Schema):
    id: int
    name: str
    try_number: int | None
    scorer: str
    score: float | None
    queries: int
    created_by: str | None
    created_at: datetime


class SnapshotIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    explain: bool = Field(
        False, description="keep each result's score explanation (about 4 KB a doc)"
    )


class SnapshotQueryOut(Schema):
    query_id: int | None
    query_text: str
    score: float | None
    num_results: int
    error: str
    top_docs: list[str]


class CompareParams(Schema):
    base: Id = Field(..., description="the baseline snapshot's id")
    other: list[Id] = Field(..., min_length=1, max_length=20, description="snapshots to compare")
    test: Literal["ttest", "wilcoxon", "permutation"] = "ttest"
    correction: Literal["holm", "bonferroni", "none"] = "holm"
    alpha: float = Field(0.05, gt=0, lt=1)


class CompareRow(Schema):
    snapshot_id: int
    name: str
    mean: float | None
    delta: float | None
    ci95: list[float | None] | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool | None


class CompareOut(Schema):
    queries: int
    test: str
    correction: str
    alpha: float
    scorers: list[str]
    snapshots: list[CompareRow]


def snapshot_out(s: Snapshot) -> dict[str, Any]:
    count = getattr(s, "num_queries", None)
    return {
        "id": s.pk,
        "name": s.name,
        "try_number": s.try_ref.number if s.try_ref else None,
        "scorer": s.scorer_name,
        "score": s.score,
        "queries": count if count is not None else s.queries.count(),
        "created_by": s.created_by.get_username() if s.created_by else None,
        "created_at": s.created_at,
    }


def _snapshot(case: Case, snapshot_id: int) -> Snapshot:
    found = case.snapshots.select_related("try_ref", "created_by").filter(pk=snapshot_id).first()
    if found is None:
        raise not_found("snapshot")
    return found


def _rows(case: Case) -> Any:
    from django.db.models import Count

    return (
        case.snapshots.select_related("try_ref", "created_by")
        .annotate(num_queries=Count("queries"))
        .order_by("-created_at", "-id")
    )


@router.get("/{id:case_id}/snapshots", response=answers(Page[SnapshotOut]),
            operation_id="list_snapshots")  # fmt: skip
def list_snapshots(request: HttpRequest, case_id: Id, page: Query[PageParams]) -> dict:
    """The case's snapshots, newest first."""
    return paginate(_rows(case_for(request, case_id)), page, snapshot_out)


@router.post("/{id:case_id}/snapshots", response=answers(JobOut, 202),
             operation_id="create_snapshot")  # fmt: skip
def create_snapshot(request: HttpRequest, case_id: Id, payload: SnapshotIn) -> Status:
    """Take a snapshot of the current try (a job; its result names the snapshot's id)."""
    case = case_for(request, case_id, write=True)
    return Status(
        202,
        job_out(
            jobs.start_snapshot(case, payload.name, user=request.user, explain=payload.explain)
        ),
    )


@router.get("/{id:case_id}/snapshots/compare", response=answers(CompareOut),
            operation_id="compare_snapshots")  # fmt: skip
def compare_snapshots(
    request: HttpRequest, case_id: Id, params: Query[CompareParams]
) -> dict[str, Any]:
    """Each ``other`` snapshot against ``base``, query by query (the statistics of
    ``searchbench compare``: mean, delta, bootstrap CI, corrected p-value)."""
    case = case_for(request, case_id)
    ids = [params.base, *params.other]
    found = {s.pk: s for s in case.snapshots.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApiError(404, f"no such snapshot in this case: {', '.join(map(str, missing))}")
    return services.compare_snapshots(
        found[params.base],
        [found[i] for i in params.other],
        test=params.test,
        correction=params.correction,
        alpha=params.alpha,
    )


@router.get("/{id:case_id}/snapshots/{id:snapshot_id}", response=answers(SnapshotOut),
            operation_id="get_snapshot")  # fmt: skip
def get_snapshot(request: HttpRequest, case_id: Id, snapshot_id: Id) -> dict[str, Any]:
    return snapshot_out(_snapshot(case_for(request, case_id), snapshot_id))


@router.get("/{id:case_id}/snapshots/{id:snapshot_id}/queries",
            response=answers(Page[SnapshotQueryOut]),
            operation_id="list_snapshot_queries")  # fmt: skip
def list_snapshot_queries(
    request: HttpRequest, case_id: Id, snapshot_id: Id, page: Query[PageParams]
) -> dict[str, Any]:
    """The snapshot's queries with their scores and top doc ids."""
    snapshot = _snapshot(case_for(request, case_id), snapshot_id)
    # The page's docs in one query, not one a row.
    docs = SnapshotDoc.objects.order_by("position").only("snapshot_query_id", "doc_id")
    rows = snapshot.queries.order_by("id").prefetch_related(
        Prefetch("docs", queryset=docs, to_attr="ranked_docs")
    )

    def out(sq: SnapshotQuery) -> dict[str, Any]:
        docs = [d.doc_id for d in sq.ranked_docs[:TOP_DOCS]]  # type: ignore[attr-defined]
        return {
            "query_id": sq.query_id,
            "query_text": sq.query_text,
            "score": sq.score,
            "num_results": sq.num_results,
            "error": sq.error,
            "top_docs": docs,
        }

    return paginate(rows, page, out)


@router.delete("/{id:case_id}/snapshots/{id:snapshot_id}", response=answers(None, 204),
               operation_id="delete_snapshot")  # fmt: skip
def delete_snapshot(request: HttpRequest, case_id: Id, snapshot_id: Id) -> Status:
    case = case_for(request, case_id, write=True)
    _snapshot(case, snapshot_id).delete()
    return Status(204, None)
