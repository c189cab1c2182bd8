"""Import and export of books from the web pages, through the one service the API and the CLI
use (books/transfer.py). Export and import into a book: whoever may read it (its owner and its
teams' members, books.services); import into a new book: anyone signed in, as its owner."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods

from searchbench.books import transfer
from searchbench.books.models import Book
from searchbench.books.views import _book_for
from searchbench.cases.transfer_views import UploadForm, import_job
from searchbench.domain.formats.registry import BOOK_FORMATS
from searchbench.jobs import imports
from searchbench.jobs import services as jobs
from searchbench.jobs.models import Job

DEFAULT_EXPORT = next(iter(BOOK_FORMATS))  # the whole book (quepid-book)


class BookImportForm(UploadForm):
    field_order = ["format", "file", "name"]
    format = forms.ChoiceField(label="Format", choices=[(n, n) for n in BOOK_FORMATS])
    name = forms.CharField(
        label="New book name",
        max_length=200,
        required=False,
        help_text="blank: the name the file gives (a Quepid book), else the file's name",
    )

    def __init__(self, *args: Any, new_book: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not new_book:
            del self.fields["name"]


@login_required
@require_GET
def book_export(request: HttpRequest, book_id: int) -> HttpResponse:
    """The book as a file (``?format=``, by default Quepid's book JSON): the API's file and
    name."""
    book = _book_for(request, book_id)
    name = request.GET.get("format") or DEFAULT_EXPORT
    fmt = BOOK_FORMATS.get(name)
    if fmt is None:
        raise Http404(f"No format {name!r}")
    response = HttpResponse(
        transfer.export_book_text(name, book), content_type=f"{fmt.media_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="book-{book.pk}-{name}{fmt.suffix}"'
    return response


def _page(request: HttpRequest, book: Book | None, form: BookImportForm, **extra: Any) -> Any:
    formats = [(f.name, f.title) for f in BOOK_FORMATS.values()]
    return render(
        request,
        "books/book_import.html",
        {
            "book": book,
            "form": form,
            "formats": formats,
            "inline_bytes": imports.INLINE_MAX_BYTES,
            **extra,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def book_import(request: HttpRequest, book_id: int | None = None) -> HttpResponse:
    """Import a file into a book (``book_id``) or a new book (none), all or nothing: the
    report as messages on the book's page, or every problem listed here with nothing stored; a
    big file as a job whose progress this page shows (``?job=ID``, its starter's)."""
    book = _book_for(request, book_id) if book_id is not None else None
    if request.method == "GET":
        job = import_job(request, request.GET.get("job"))
        text = jobs.progress(job)["text"] if job is not None else ""
        form = BookImportForm(new_book=book is None)
        return _page(request, book, form, job=job, job_text=text)
    form = BookImportForm(request.POST, request.FILES, new_book=book is None)
    if not form.is_valid():
        return _page(request, book, form)
    data = form.cleaned_data
    upload = data["file"]
    target: Book | str | None = book
    if book is None:
        whole = BOOK_FORMATS[data["format"]].whole_book
        target = data["name"] or (None if whole else PurePath(upload.name).stem)
    try:
        report = imports.import_or_queue(data["format"], upload, user=request.user, book=target)
    except transfer.TransferError as exc:
        return _page(request, book, form, problems=exc.problems)
    if isinstance(report, Job):
        messages.info(request, f"{upload.name} is imported by a worker; its progress is below.")
        return redirect(f"{request.path}?job={report.pk}")
    assert isinstance(report, transfer.BookImportReport)
    messages.success(request, _summary(report))
    for warning in report.warnings[:20]:
        messages.warning(request, warning)
    return redirect("books:detail", report.book.pk)


def _summary(report: transfer.BookImportReport) -> str:
    line = f"Imported: {report.summary()}."
    kept = report.raters_kept_by_email
    if kept:
        line += (
            f" {len(kept)} rater{pluralize(len(kept))} kept by e-mail (no user has it): "
            + ", ".join(kept[:10])
            + (" …" if len(kept) > 10 else "")
        )
    return line
