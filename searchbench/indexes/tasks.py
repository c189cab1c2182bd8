"""The worker's side of an index build (one task; django-q2 calls ``run_build`` by name).

The engine builds into a new version folder and swaps it in only when complete, so a refused
line, a cancel or a killed worker leaves the index as it was (or absent) — never half-built. A
task delivered again after its worker died builds from the start: the stored upload is deleted
only when the job ends.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from searchbench.engines.local import index as engine
from searchbench.indexes.models import LocalIndex
from searchbench.indexes.services import upload_file
from searchbench.jobs.models import ImportUpload, Job
from searchbench.web.logging import get_logger

log = get_logger("searchbench.indexes")
PROGRESS_SECONDS = 0.5  # the job's row is written at most this often while building


class Cancelled(Exception):
    """Someone cancelled the build (or deleted the index) while it ran."""


def run_build(job_id: int) -> str:
    job = Job.objects.filter(pk=job_id, kind=Job.Kind.INDEX).first()
    if job is None or job.params.get("staged"):
        return "nothing to do"
    if not job.active:  # cancelled while queued: its file is not needed any more
        ImportUpload.objects.filter(job=job).delete()
        return "nothing to do"
    row = LocalIndex.objects.filter(pk=job.params["index_id"]).first()
    if row is None or job.cancel_requested:
        _end(job, Job.Status.CANCELLED)
        return "cancelled"
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    last = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_SECONDS and done < total:
            return
        last = time.monotonic()
        Job.objects.filter(pk=job.pk).update(done=done, total=total)
        if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise Cancelled

    params = job.params
    try:
        with upload_file(job) as path:
            info = engine.create_index(
                params["name"],
                path,
                id_field=params["id_field"],
                fields=list(params["fields"]),
                progress=progress,
                analyzer=params.get("analyzer", engine.DEFAULT_ANALYZER),
                fmt=params["format"],
                label=params["file"],
            )
    except Cancelled:
        _end(job, Job.Status.CANCELLED)
        return "cancelled"
    except engine.LocalIndexError as exc:
        _end(job, Job.Status.FAILED, str(exc)[:2000])
        log.warning("index_build_refused", job_id=job.pk, index=params["name"], error=str(exc))
        return "refused"
    except Exception:
        # A fault of the server (a full disk, tantivy's own errors): its words name the server's
        # files, so the job says what failed and the log has the details.
        log.exception("index_build_failed", job_id=job.pk, index=params["name"])
        _end(
            job, Job.Status.FAILED, "the build failed on the server; the server log has the details"
        )
        return "failed"
    if not LocalIndex.objects.filter(pk=row.pk).exists():  # deleted while it was built
        engine.delete_index(params["name"])
        _end(job, Job.Status.CANCELLED)
        return "cancelled"
    _end(
        job,
        Job.Status.DONE,
        result={
            "docs": info.doc_count,
            "fields": info.fields,
            "id_field": info.id_field,
            "seconds": info.build_seconds,
        },
    )
    LocalIndex.objects.filter(pk=row.pk).update(updated_at=timezone.now())
    log.info("index_built", job_id=job.pk, index=info.name, docs=info.doc_count)
    return "done"


def _end(job: Job, status: str, error: str = "", result: dict | None = None) -> None:
    """End the job once (a job already ended keeps its state) and drop its stored upload."""
    with transaction.atomic():
        fields = {"status": status, "finished_at": timezone.now(), "error": error}
        if status == Job.Status.DONE:
            fields.update(done=job.total, result=result or {})
        Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(**fields)
        ImportUpload.objects.filter(job=job).delete()
