"""Import and export in the formats of domain/formats/registry.py, through cases/transfer.py (the
one service the CLI and the web app use too). The request body is the file itself, spooled to
disk as it arrives (up to IMPORT_MAX_BYTES), and imported all or nothing."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from searchbench.api.common import Id, answers, case_for
from searchbench.api.errors import ApiError
from searchbench.api.jobs import JobOut, job_out
from searchbench.cases import transfer
from searchbench.cases.models import Case
from searchbench.domain.formats.quepid_book import ZIP_MAGIC
from searchbench.domain.formats.registry import BOOK_FORMATS, FORMATS, IMPORT_MAX_BYTES
from searchbench.jobs.imports import INLINE_MAX_BYTES, import_or_queue
from searchbench.jobs.models import Job

router = Router(tags=["import and export"])

SPOOL_BYTES = 1024 * 1024  # kept in memory up to this, then on disk
CHUNK = 64 * 1024


class FormatOut(Schema):
    name: str
    title: str
    can_import: bool
    whole_case: bool = Field(..., description="the file is a whole case: importing makes a new one")
    target: str = Field(
        "case", description="what it holds: a case's (/cases/…) or a book's (/books/…)"
    )
    media_type: str
    suffix: str


class ImportOut(Schema):
    format: str
    case_id: int
    case_name: str
    created_case: bool
    queries_added: int
    queries_updated: int
    ratings_added: int
    ratings_changed: int
    snapshots_added: int
    try_number: int | None
    raters_kept_by_email: list[str]
    off_scale: int
    warnings: list[str]


class ImportParams(Schema):
    background: bool = Field(
        False,
        description="import in a worker (202 and a job) instead of in the request; files over "
        f"{INLINE_MAX_BYTES // (1024 * 1024)} MB always are",
    )


class NewCaseParams(ImportParams):
    name: str = Field("", max_length=200, description="the new case's name (default: the file's)")


def _format(name: str, *, reading: bool = False) -> Any:
    fmt = FORMATS.get(name)
    if fmt is None or (reading and fmt.read is None):
        can = [f for f, v in FORMATS.items() if v.read is not None or not reading]
        raise ApiError(404, f"no format {name!r}{' to import' if reading else ''}; "
                       f"one of {', '.join(can)}")  # fmt: skip
    return fmt


@contextmanager
def body_file(request: HttpRequest, *, zip_ok: bool = False) -> Iterator[IO[bytes]]:
    """The request body as a file, read in chunks (never whole into memory); also the books'
    imports'. A text file with NUL is refused; ``zip_ok``: a zip (its bytes hold NUL) is taken,
    for a format that reads one."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        size = 0
        zipped = False
        while chunk := request.read(CHUNK):
            zipped = zipped or (zip_ok and size == 0 and chunk.startswith(ZIP_MAGIC))
            size += len(chunk)
            if size > IMPORT_MAX_BYTES:
                raise ApiError(413, f"the file is over {IMPORT_MAX_BYTES} bytes")
            if b"\x00" in chunk and not zipped:
                raise ApiError(422, "the file contains the NUL character: it is not a text file")
            spool.write(chunk)
        if size == 0:
            raise ApiError(422, "the request body is empty: send the file as the body")
        spool.seek(0)
        yield spool  # type: ignore[misc]


def report_out(report: transfer.ImportReport) -> dict[str, Any]:
    return {
        "format": report.format,
        "case_id": report.case.pk,
        "case_name": report.case.name,
        "created_case": report.created_case,
        "queries_added": report.queries_added,
        "queries_updated": report.queries_updated,
        "ratings_added": report.ratings_added,
        "ratings_changed": report.ratings_changed,
        "snapshots_added": report.snapshots_added,
        "try_number": report.try_number,
        "raters_kept_by_email": list(report.raters_kept_by_email),
        "off_scale": report.off_scale,
        "warnings": list(report.warnings),
    }


BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "the file, as it is (any content type)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/formats", response=answers(list[FormatOut]), operation_id="list_formats")
def list_formats(request: HttpRequest) -> list[dict[str, Any]]:
    """The import and export formats: a case's (``target`` case) and a book's (book)."""
    return [
        {
            "name": f.name,
            "title": f.title,
            "can_import": f.read is not None,
            "whole_case": f.whole_case,
            "media_type": f.media_type,
            "suffix": f.suffix,
            "target": "case",
        }
        for f in FORMATS.values()
    ] + [
        {
            "name": f.name,
            "title": f.title,
            "can_import": True,
            "whole_case": False,
            "media_type": f.media_type,
            "suffix": f.suffix,
            "target": "book",
        }
        for f in BOOK_FORMATS.values()
    ]


def _import(request: HttpRequest, fmt: str, target: Any, background: bool) -> Status:
    """Import the body into ``target`` in the request, or queue a job for a worker (asked for,
    or a file over INLINE_MAX_BYTES): 201/200 and the report, or 202 and the job."""
    _format(fmt, reading=True)
    with body_file(request) as body:
        report = import_or_queue(fmt, body, user=request.user, case=target, background=background)
    if isinstance(report, Job):
        return Status(202, job_out(report))
    return Status(200 if isinstance(target, Case) else 201, report_out(report))


@router.post("/cases/import/{fmt}", response={**answers(ImportOut, 201), 202: JobOut},
             operation_id="import_new_case", openapi_extra=BODY_DOC)  # fmt: skip
def import_new_case(request: HttpRequest, fmt: str, params: Query[NewCaseParams]) -> Status:
    """Import a file as a new case of yours, all or nothing (every problem named by line or
    field in ``details``); a big file (or ``background=true``) as a job (202): its result names
    the new case, or its error and ``result.problems`` why nothing was imported."""
    return _import(request, fmt, params.name or None, params.background)


@router.post("/cases/{id:case_id}/import/{fmt}", response={**answers(ImportOut), 202: JobOut},
             operation_id="import_into_case", openapi_extra=BODY_DOC)  # fmt: skip
def import_into_case(
    request: HttpRequest, case_id: Id, fmt: str, params: Query[ImportParams]
) -> Status:
    """Import a file into a case you may change: queries and ratings are added or updated (all
    or nothing); a big file (or ``background=true``) as a job (202)."""
    case = case_for(request, case_id, write=True)
    return _import(request, fmt, case, params.background)


@router.get(
    "/cases/{id:case_id}/export/{fmt}",
    response=answers(None),
    operation_id="export_case",
)
def export_case(request: HttpRequest, case_id: Id, fmt: str) -> HttpResponse:
    """The case as a file in a format."""
    case = case_for(request, case_id)
    found = _format(fmt)
    text = transfer.export_text(fmt, case)
    response = HttpResponse(text, content_type=f"{found.media_type}; charset=utf-8")
    filename = f"case-{case.pk}-{fmt}{found.suffix}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
