"""Job progress and control. Only users who may change a job's case see it; others get 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from searchbench.cases import services as case_services
from searchbench.jobs import services
from searchbench.jobs.models import Job


def _job(request: HttpRequest, job_id: int) -> Job:
    job = services.job_for(request.user, job_id)
    if job is None:
        raise Http404("No such job")
    return job


def _progress(job: Job) -> dict[str, Any]:
    data = services.progress(job)
    snapshot_id = job.result.get("snapshot_id")
    data["result_url"] = (
        reverse("cases:snapshot", args=[job.case_id, snapshot_id]) if snapshot_id else None
    )
    if job.kind == Job.Kind.IMPORT and job.status == Job.Status.DONE and job.case_id:
        data["result_url"] = reverse("cases:detail", args=[job.case_id])  # the case imported into
    if job.kind == Job.Kind.INDEX and job.params.get("index_id"):
        data["result_url"] = reverse("indexes:detail", args=[job.params["index_id"]])
    return data


@login_required
@require_GET
@never_cache
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """``/jobs/ID.json``: what the progress bar polls."""
    return JsonResponse(_progress(_job(request, job_id)))


@login_required
@require_POST
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = services.cancel(_job(request, job_id))
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse(_progress(job))
    if job.status == Job.Status.CANCELLED or job.cancel_requested:
        messages.info(request, "Cancelled." if not job.active else "Cancelling…")
    if job.kind == Job.Kind.JUDGE:
        return redirect("books:llm", book_id=job.params["book"])
    if job.kind == Job.Kind.INDEX:
        return redirect("indexes:detail", index_id=job.params["index_id"])
    return redirect("cases:detail", case_id=job.case_id)


@login_required
@require_POST
def case_nightly(request: HttpRequest, case_id: int) -> HttpResponse:
    """Mark or unmark a case for nightly runs (from the case settings page)."""
    case = case_services.readable_cases(request.user).filter(pk=case_id).first()
    if case is None or not case_services.can_write(request.user, case):
        raise Http404("No such case")
    on = request.POST.get("nightly") == "on"
    services.set_nightly(case, on, user=request.user)
    messages.success(
        request, "The case is run every night." if on else "The case is no longer run nightly."
    )
    return redirect("cases:settings", case_id=case.pk)
