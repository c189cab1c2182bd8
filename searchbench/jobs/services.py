"""Jobs as the web app sees them: start one, cancel it, read its progress, mark cases for nightly
runs. Nothing here searches or waits: the work is done by ``searchbench worker`` (tasks.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from searchbench.cases import services as case_services
from searchbench.cases.models import Case, Try
from searchbench.jobs.models import CaseSchedule, Job, JobChunk

RUN_CHUNK = "searchbench.jobs.tasks.run_chunk"
RUN_SNAPSHOT = "searchbench.jobs.tasks.run_snapshot"

User = AbstractBaseUser | AnonymousUser | None


def _user(user: User) -> Any:
    return user if user is not None and user.is_authenticated else None


def _require_try(case: Case, try_: Try | None) -> Try:
    chosen = try_ or case.current_try()
    if chosen is None:
        raise case_services.ServiceError(f"case {case.name!r} has no try yet: create one first")
    return chosen


def _batched(items: Iterable[int], size: int) -> Iterator[list[int]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def start_run(
    case: Case,
    *,
    user: User = None,
    try_: Try | None = None,
    trigger: str = "web",
) -> Job:
    """Queue a run of every query of the case with ``try_`` (default: the current try), split
    into chunks of ``SEARCHBENCH_JOB_CHUNK_SIZE`` queries that workers take one by one.

    The job, its chunks and their tasks are written in one transaction (the queue is a table of
    the same database), so there is never a job whose chunks were not queued.
    """
    chosen = _require_try(case, try_)
    query_ids = list(case.queries.values_list("pk", flat=True))
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.RUN,
            case=case,
            try_ref=chosen,
            scorer=case.scorer,
            total=len(query_ids),
            params={"trigger": trigger},
            created_by=_user(user),
        )
        chunks = JobChunk.objects.bulk_create(
            JobChunk(job=job, number=n, query_ids=ids)
            for n, ids in enumerate(_batched(query_ids, settings.SEARCHBENCH_JOB_CHUNK_SIZE))
        )
        if not chunks:  # no queries: nothing for a worker to do but record the (empty) run
            from searchbench.jobs.tasks import finish_run

            finish_run(job.pk)
        for chunk in chunks:
            enqueue_chunk(job.pk, chunk)
    job.refresh_from_db()
    return job


def run_soon(case: Case, try_: Try, *, user: User = None) -> Job:
    """The case's run of ``try_`` that is queued or going on, else a new one (ratings made one
    after another need the case run once, not once per rating)."""
    active = Job.objects.filter(
        case=case, try_ref=try_, kind=Job.Kind.RUN, status__in=Job.ACTIVE
    ).first()
    return active or start_run(case, user=user, try_=try_)


def rescore_after_rating(case: Case, query: Any, *, user: User = None) -> Any:
    """Re-score ``query`` after its ratings changed (cases.services.rescore_query); a case that
    needs a whole run is handed to the workers (one queued run, joined by the ratings after)."""
    return case_services.rescore_query(
        case, query, user=user, start_run=lambda c, t: run_soon(c, t, user=user)
    )


def enqueue_chunk(job_id: int, chunk: JobChunk) -> None:
    async_task(
        RUN_CHUNK,
        chunk.pk,
        task_name=f"job-{job_id}-chunk-{chunk.number}",
        group=f"job-{job_id}",
    )


def start_snapshot(case: Case, name: str, *, user: User = None, explain: bool = False) -> Job:
    """Queue a snapshot of the case's current try named ``name`` (one task); ``explain``: with
    each result's score breakdown (cases.services.take_snapshot)."""
    name = name.strip()
    if not name:
        raise case_services.ServiceError("a snapshot needs a name")
    chosen = _require_try(case, None)
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.SNAPSHOT,
            case=case,
            try_ref=chosen,
            scorer=case.scorer,
            total=case.queries.count(),
            params={"name": name[:200], "explain": explain},
            created_by=_user(user),
        )
        async_task(RUN_SNAPSHOT, job.pk, task_name=f"job-{job.pk}-snapshot", group=f"job-{job.pk}")
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------
# Reading and cancelling


def jobs_for(user: User, case: Case) -> QuerySet[Job]:
    """The case's jobs, for a user who may change the case (others see none)."""
    if user is None or not case_services.can_write(user, case):
        return Job.objects.none()
    return Job.objects.filter(case=case)


def job_for(user: User, job_id: int) -> Job | None:
    """The job if ``user`` may change its case, else None (the caller answers 404)."""
    job = Job.objects.select_related("case", "try_ref").filter(pk=job_id).first()
    if job is None or user is None:
        return None
    if job.kind == Job.Kind.JUDGE:  # a book's judging: whoever may change the book
        from searchbench.books import services as book_services
        from searchbench.books.models import Book

        book = Book.objects.filter(pk=job.params.get("book")).first()
        return job if book is not None and book_services.can_write(user, book) else None
    if job.case is None:  # an import into a new case, not done yet: its starter's alone
        return job if job.created_by_id == getattr(user, "pk", None) else None
    if not case_services.can_write(user, job.case):
        return None
    return job


def cancel(job: Job) -> Job:
    """Ask the workers to stop the job: a queued job is cancelled at once, a running one before
    its next batch of queries (what was searched by then is dropped, nothing is recorded)."""
    Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(cancel_requested=True)
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def progress(job: Job) -> dict[str, Any]:
    """What the progress bar shows (``/jobs/ID.json``)."""
    now = timezone.now()
    eta = None
    if job.status == Job.Status.RUNNING and job.started_at and 0 < job.done < job.total:
        elapsed = (now - job.started_at).total_seconds()
        eta = round(elapsed / job.done * (job.total - job.done))
    waiting = None
    if job.status == Job.Status.QUEUED:
        waiting = round((now - job.created_at).total_seconds())
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "active": job.active,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "percent": round(100 * job.done / job.total, 1) if job.total else 100.0,
        "eta_seconds": eta,
        "queued_seconds": waiting,
        "cancel_requested": job.cancel_requested,
        "error": job.error,
        "result": job.result,
        "text": describe(job, eta),
    }


def describe(job: Job, eta: int | None = None) -> str:
    """One line for people: "120 of 400 queries · 3 failed · about 40 s left"."""
    if job.status == Job.Status.QUEUED:
        return "waiting for a worker"
    if job.status == Job.Status.FAILED:
        return f"failed: {job.error}"
    if job.status == Job.Status.CANCELLED:
        return "cancelled"
    if job.kind == Job.Kind.IMPORT:
        if job.status == Job.Status.RUNNING:
            return f"importing {job.params.get('file', 'the file')}"
        return str(job.result.get("summary", "imported"))
    if job.kind == Job.Kind.JUDGE:
        return _describe_judging(job, eta)
    if job.kind == Job.Kind.INDEX:
        return _describe_index(job)
    if job.kind == Job.Kind.SNAPSHOT and job.status == Job.Status.RUNNING:
        return f"taking the snapshot of {job.total} quer{'y' if job.total == 1 else 'ies'}"
    parts = [f"{job.done} of {job.total} quer{'y' if job.total == 1 else 'ies'}"]
    if job.failed:
        parts.append(f"{job.failed} failed")
    if job.cancel_requested and job.active:
        parts.append("cancelling")
    elif eta is not None:
        parts.append(f"about {_duration(eta)} left")
    if job.status == Job.Status.DONE and "score" in job.result:
        parts.append(f"score {job.result['score']:.3f}")
    return " · ".join(parts)


def _describe_judging(job: Job, eta: int | None) -> str:
    """The progress line of a judging job: 40 of 100 pairs · 2 failed · 3 can't rate · 12,345
    tokens · about 1 min left."""
    parts = [f"{job.done} of {job.total} pair{'' if job.total == 1 else 's'}"]
    if job.failed:
        parts.append(f"{job.failed} failed")
    if job.result.get("cant_rate"):
        parts.append(f"{job.result['cant_rate']} can't rate")
    parts.append(f"{job.result.get('tokens', 0):,} tokens")
    if job.cancel_requested and job.active:
        parts.append("cancelling")
    elif eta is not None:
        parts.append(f"about {_duration(eta)} left")
    if job.result.get("stopped"):
        parts.append(f"stopped: {job.result['stopped']}")
    return " · ".join(parts)


def _describe_index(job: Job) -> str:
    """An index build's line: what it reads and how far (bytes of the file), or what it made."""
    if job.status == Job.Status.DONE:
        docs = job.result.get("docs", 0)
        return f"{docs} doc{'s' if docs != 1 else ''} indexed in {job.result.get('seconds', 0)} s"
    percent = round(100 * job.done / job.total) if job.total else 0
    cancelling = " · cancelling" if job.cancel_requested else ""
    return f"indexing {job.params.get('file', 'the file')}: {percent} %{cancelling}"


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


# ---------------------------------------------------------------------------------------------
# Nightly runs


def is_nightly(case: Case) -> bool:
    return CaseSchedule.objects.filter(case=case, nightly=True).exists()


def set_nightly(case: Case, on: bool, *, user: User = None) -> None:
    CaseSchedule.objects.update_or_create(
        case=case, defaults={"nightly": on, "updated_by": _user(user)}
    )
