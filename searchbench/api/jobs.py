"""Jobs: a run's or a snapshot's progress and result; cancel one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from searchbench.api.common import Id, answers
from searchbench.api.errors import not_found
from searchbench.jobs import services as jobs
from searchbench.jobs.models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    case_id: int | None = Field(..., description="null: an import into a new case, not done yet")
    try_number: int | None
    status: str
    active: bool
    total: int
    done: int
    failed: int
    percent: float
    eta_seconds: int | None
    queued_seconds: int | None
    cancel_requested: bool
    error: str
    result: dict[str, Any]
    text: str


def job_out(job: Job) -> dict[str, Any]:
    data = jobs.progress(job)
    data["case_id"] = job.case_id
    data["try_number"] = job.try_ref.number if job.try_ref else None
    return data


def _job(request: HttpRequest, job_id: int) -> Job:
    job = jobs.job_for(request.user, job_id)
    if job is None:
        raise not_found("job")
    return job


@router.get("/{id:job_id}", response=answers(JobOut), operation_id="get_job")
def get_job(request: HttpRequest, job_id: Id) -> dict[str, Any]:
    """Progress and, when done, the result: ``{"score", "history_id"}`` of a run,
    ``{"snapshot_id"}`` of a snapshot. Only people who may change the case see its jobs."""
    return job_out(_job(request, job_id))


@router.post("/{id:job_id}/cancel", response=answers(JobOut), operation_id="cancel_job")
def cancel_job(request: HttpRequest, job_id: Id) -> dict[str, Any]:
    """Stop a job: a queued one at once, a running one before its next batch of queries."""
    return job_out(jobs.cancel(_job(request, job_id)))
