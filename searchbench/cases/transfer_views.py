"""Import and export from the web pages, through the one service the API and the CLI use
(cases/transfer.py) and the one rule of when a file is imported by a worker instead
(jobs/imports.import_or_queue). Export: readers of a case. Import: into a case its writers, or
into a new case of one's own."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from searchbench.cases import transfer
from searchbench.cases.models import Case
from searchbench.cases.views import _case_for
from searchbench.domain.formats.registry import FORMATS, IMPORT_MAX_BYTES
from searchbench.jobs import imports
from searchbench.jobs import services as jobs
from searchbench.jobs.models import Job

DEFAULT_EXPORT = next(iter(FORMATS))  # the whole case (quepid-case)


def _choices(*, new_case: bool) -> list[tuple[str, str]]:
    """Formats that can import: into a new case, any; into a case, those that are not a case."""
    return [
        (f.name, f.title)
        for f in FORMATS.values()
        if f.read is not None and (new_case or not f.whole_case)
    ]


class UploadForm(forms.Form):
    """A file to import, at most IMPORT_MAX_BYTES: the cases' import page's and the books'."""

    file = forms.FileField(label="File")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"the file is over {IMPORT_MAX_BYTES // 2**20} MB")
        return upload


class ImportForm(UploadForm):
    field_order = ["format", "file", "name"]
    format = forms.ChoiceField(label="Format")
    name = forms.CharField(
        label="New case name",
        max_length=200,
        required=False,
        help_text="blank: the name the file gives (a Quepid case), else the file's name",
    )

    def __init__(self, *args: Any, new_case: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(n, n) for n, _ in _choices(new_case=new_case)]
        if not new_case:
            del self.fields["name"]


@login_required
@require_GET
def case_export(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case as a file in a format (``?format=``; by default the whole case), as the API's
    export: same file, same name."""
    case = _case_for(request, case_id)
    name = request.GET.get("format") or DEFAULT_EXPORT
    fmt = FORMATS.get(name)
    if fmt is None:
        raise Http404(f"No format {name!r}")
    try:
        text = transfer.export_text(name, case)
    except transfer.TransferError as exc:
        messages.error(request, f"Not exported: {exc}")
        return redirect("cases:detail", case_id=case.pk)
    response = HttpResponse(text, content_type=f"{fmt.media_type}; charset=utf-8")
    filename = f"case-{case.pk}-{name}{fmt.suffix}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _import_page(
    request: HttpRequest, case: Case | None, form: ImportForm, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "cases/import.html",
        {
            "case": case,
            "form": form,
            "formats": _choices(new_case=case is None),
            "inline_bytes": imports.INLINE_MAX_BYTES,
            **extra,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_import(request: HttpRequest, case_id: int | None = None) -> HttpResponse:
    """Import a file into a case (``case_id``, its writers) or into a new case (none): small
    files at once (the report as a message), big ones as a job whose progress the page shows;
    a refused file lists every problem and nothing is imported."""
    case = _case_for(request, case_id, write=True) if case_id is not None else None
    new_case = case is None
    if request.method == "GET":
        job = import_job(request, request.GET.get("job"))
        text = jobs.progress(job)["text"] if job is not None else ""
        return _import_page(request, case, ImportForm(new_case=new_case), job=job, job_text=text)
    form = ImportForm(request.POST, request.FILES, new_case=new_case)
    if not form.is_valid():
        return _import_page(request, case, form)
    data = form.cleaned_data
    upload = data["file"]
    target: Case | str | None = case
    if new_case and not FORMATS[data["format"]].whole_case:
        target = data["name"] or PurePath(upload.name).stem
    elif new_case:
        target = data["name"] or None
    try:
        done = imports.import_or_queue(data["format"], upload, user=request.user, case=target)
    except transfer.TransferError as exc:
        return _import_page(request, case, form, problems=exc.problems)
    if isinstance(done, Job):
        messages.info(request, f"{upload.name} is imported by a worker; its progress is below.")
        if case is not None:
            return redirect("cases:detail", case_id=case.pk)
        return redirect(f"{reverse('cases:import_new')}?job={done.pk}")
    messages.success(request, _summary(done))
    for warning in done.warnings[:20]:
        messages.warning(request, warning)
    return redirect("cases:detail", case_id=done.case.pk)


def import_job(request: HttpRequest, job_id: str | None) -> Job | None:
    """An import job the user may see (?job=ID after a big file), else none."""
    if not job_id or not job_id.isdigit():
        return None
    job = jobs.job_for(request.user, int(job_id))
    return job if job is not None and job.kind == Job.Kind.IMPORT else None


def _summary(report: transfer.ImportReport) -> str:
    line = f"Imported: {report.summary()}."
    if report.raters_kept_by_email:
        n = len(report.raters_kept_by_email)
        line += (
            f" {n} rater{pluralize(n)} kept by e-mail (no user has it): "
            + ", ".join(report.raters_kept_by_email[:10])
            + (" …" if n > 10 else "")
        )
    if report.off_scale:
        line += f" {report.off_scale} rating{pluralize(report.off_scale)} off the scorer's scale."
    return line
