"""Imports as jobs: a file too big to import in a request is stored in the database in pieces
(ImportUpload, so a worker on any machine reads it) and imported by a worker through
cases/transfer.py (or books/transfer.py, for a book format), all or nothing, like any other
import.

The job is marked done in the import's own transaction, so a task delivered again after its
worker died either finds the job done (the import was committed) or imports from the start (it
was rolled back). A refused file fails the job with every problem in ``error`` and
``result["problems"]``.
"""

from __future__ import annotations

import io
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from searchbench.books import services as book_services
from searchbench.books import transfer as book_transfer
from searchbench.books.models import Book
from searchbench.cases import services as case_services
from searchbench.cases import transfer
from searchbench.cases.models import Case
from searchbench.domain.formats.registry import BOOK_FORMATS
from searchbench.jobs.models import ImportUpload, Job
from searchbench.web.logging import get_logger

RUN_IMPORT = "searchbench.jobs.imports.run_import"
PIECE = 1024 * 1024  # bytes a row of ImportUpload
INLINE_MAX_BYTES = 5 * 1024 * 1024  # bigger files are imported by a worker (a job)
log = get_logger("searchbench.jobs")


def start_import(
    fmt: str,
    source: IO[bytes],
    *,
    user: Any,
    case: Case | str | None = None,
    book: Book | str | None = None,
) -> Job:
    """Queue an import of ``source`` (read here in pieces into the database) into ``case`` (an
    existing case the user may change, a new case's name, or None: named as the file says) or,
    for a book format, into ``book`` likewise. The job of an import into a book is its
    starter's alone (jobs.services.job_for: it has no case)."""
    if fmt in BOOK_FORMATS:
        book_transfer.get_book_format(fmt)
        if isinstance(book, Book) and not book_services.can_write(user, book):
            raise transfer.TransferError(fmt, [("book", f"you may not change book {book.name!r}")])
    else:
        transfer.get_format(fmt, reading=True)
    if isinstance(case, Case) and not case_services.can_write(user, case):
        raise transfer.TransferError(fmt, [("case", f"you may not change case {case.name!r}")])
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.IMPORT,
            case=case if isinstance(case, Case) else None,
            params={
                "format": fmt,
                "case_name": case if isinstance(case, str) else "",
                "book": book.pk if isinstance(book, Book) else None,
                "book_name": book if isinstance(book, str) else "",
                "file": str(getattr(source, "name", "") or "upload")[:200],
            },
            created_by=user,
        )
        number = 0
        while piece := source.read(PIECE):
            ImportUpload.objects.create(job=job, number=number, data=piece)
            number += 1
        job.total = number
        job.save(update_fields=["total"])
        transaction.on_commit(
            lambda: async_task(RUN_IMPORT, job.pk, task_name=f"job-{job.pk}-import")
        )
    job.refresh_from_db()
    return job


def import_or_queue(
    fmt: str,
    source: IO[bytes],
    *,
    user: Any,
    case: Case | str | None = None,
    book: Book | str | None = None,
    background: bool = False,
) -> transfer.ImportReport | book_transfer.BookImportReport | Job:
    """The one rule of the API and the web pages: import a (seekable) file at once, all or
    nothing (TransferError lists every problem), or, when asked to or when it is over
    INLINE_MAX_BYTES, queue it as a job for a worker and return the job. A book format goes
    into ``book``, any other into ``case``."""
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    if background or size > INLINE_MAX_BYTES:
        return start_import(fmt, source, user=user, case=case, book=book)
    if fmt in BOOK_FORMATS:
        return book_transfer.import_book(fmt, source, user=user, book=book)
    return transfer.import_into(fmt, source, user=user, case=case)


class _Pieces(io.RawIOBase):
    """The stored pieces of a job's file as one stream, read a piece at a time."""

    def __init__(self, job: Job) -> None:
        self.job, self.number, self.pending = job, 0, b""
        self.name = job.params.get("file") or "upload"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.pending:
            row = ImportUpload.objects.filter(job=self.job, number=self.number).first()
            if row is None:
                return 0
            self.pending, self.number = bytes(row.data), self.number + 1
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def run_import(job_id: int) -> str:
    """The worker's task: import the job's file, end the job, drop the stored pieces."""
    job = Job.objects.select_related("case", "created_by").filter(pk=job_id).first()
    if job is None or not job.active:
        if job is not None:  # cancelled while queued: nobody reads its file any more
            ImportUpload.objects.filter(job=job).delete()
        return "nothing to do"
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    stream = io.BufferedReader(_Pieces(job), PIECE)  # its name is the file's, for messages
    try:
        with transaction.atomic():
            case, result = _import(job, stream)
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.DONE,
                finished_at=timezone.now(),
                case=case,
                done=job.total,
                result=result,
            )
    except transfer.TransferError as exc:
        Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            error=str(exc)[:2000],
            result={"problems": [list(p) for p in exc.problems[:1000]]},
        )
        log.warning("import_failed", job_id=job.pk, problems=len(exc.problems))
        return "refused"
    except Exception:
        # A fault of the server, or a starter whose account is gone: the job ends (it stayed
        # running for ever), its words stay in the log (they may name the server's files).
        log.exception("import_crashed", job_id=job.pk)
        Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            error="the import failed on the server; the server log has the details",
        )
        return "failed"
    finally:
        ImportUpload.objects.filter(job=job).delete()
    return "done"


def _import(job: Job, stream: IO[bytes]) -> tuple[Case | None, dict[str, Any]]:
    """Import the job's file into its target: (the case, if any; the job's result)."""
    fmt = job.params["format"]
    if fmt in BOOK_FORMATS:
        book: Book | str | None = job.params.get("book_name") or None
        if job.params.get("book"):
            book = Book.objects.filter(pk=job.params["book"]).first()
            if book is None:
                raise transfer.TransferError(stream.name, [("book", "the book was deleted")])
        report = book_transfer.import_book(fmt, stream, user=job.created_by, book=book)
        return None, report.as_dict()
    target: Case | str | None = job.case or job.params.get("case_name") or None
    done = transfer.import_into(fmt, stream, user=job.created_by, case=target)
    return done.case, _result(done)


def _result(report: transfer.ImportReport) -> dict[str, Any]:
    return {
        "case_id": report.case.pk,
        "created_case": report.created_case,
        "summary": report.summary(),
        "queries_added": report.queries_added,
        "ratings_added": report.ratings_added,
        "ratings_changed": report.ratings_changed,
        "snapshots_added": report.snapshots_added,
        "raters_kept_by_email": report.raters_kept_by_email,
        "warnings": report.warnings[:100],
    }
