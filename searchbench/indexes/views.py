"""The built-in engine's index pages: list, upload (step 1), fields (step 2: a preview of the
first rows; the build starts as a job), the index with its build's progress bar, delete. Those
who may use an index see it; only its owner builds or deletes it (others: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from searchbench.cases import services as case_services
from searchbench.indexes import services
from searchbench.indexes.forms import FieldsForm, TeamsForm, UploadForm
from searchbench.indexes.models import LocalIndex
from searchbench.jobs import services as jobs


def _own(request: HttpRequest, index_id: int) -> LocalIndex:
    row = services.own_index(request.user, index_id)
    if row is None:
        raise Http404("No such index")
    return row


@login_required
@require_GET
def index_list(request: HttpRequest) -> HttpResponse:
    return render(request, "indexes/index_list.html", {"states": services.states(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def index_new(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("name", "")[:64]
    # A rebuild of one's own index keeps its teams unless unticked (the form sets them).
    rebuilt = LocalIndex.objects.filter(name=name, owner=request.user.pk).first()
    teams = list(rebuilt.teams.all()) if rebuilt is not None and rebuilt.name == name else []
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"name": name, "teams": teams},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.start_upload(
                request.user,
                form.cleaned_data["name"],
                upload,
                filename=upload.name or "upload",
                teams=form.cleaned_data["teams"],
            )
        except services.IndexProblem as exc:
            form.add_error(exc.field, str(exc))
        else:
            return redirect("indexes:fields", index_id=job.params["index_id"])
    return render(
        request,
        "indexes/index_new.html",
        {"form": form, "limit_mb": services.max_upload_bytes() // (1024 * 1024)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def index_fields(request: HttpRequest, index_id: int) -> HttpResponse:
    row = _own(request, index_id)
    job = services.staged_job(row)
    if job is None:
        messages.info(request, f"Upload a file to build index {row.name} from.")
        return redirect("indexes:detail", index_id=row.pk)
    try:
        docs = services.preview(job)
    except services.IndexProblem as exc:  # read once at upload: only a changed file gets here
        messages.error(request, str(exc))
        return redirect("indexes:detail", index_id=row.pk)
    names = services.field_names(docs)
    guessed_id, guessed_fields = services.guess_fields(docs)
    form = FieldsForm(
        request.POST or None,
        names=names,
        initial={"id_field": guessed_id, "fields": guessed_fields},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.start_build(
                job,
                id_field=form.cleaned_data["id_field"],
                fields=form.cleaned_data["fields"],
                analyzer=form.cleaned_data["analyzer"],
            )
        except services.IndexProblem as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("indexes:detail", index_id=row.pk)
    rows = [[_cell(doc.get(n)) for n in names] for doc in docs[: services.PREVIEW_ROWS]]
    return render(
        request,
        "indexes/index_fields.html",
        {"index": row, "job": job, "form": form, "names": names, "rows": rows},
    )


def _cell(value: object, limit: int = 80) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


@login_required
@require_GET
def index_detail(request: HttpRequest, index_id: int) -> HttpResponse:
    row = services.index_for(request.user, index_id)
    if row is None:
        raise Http404("No such index")
    state = services.state(row)
    mine = row.owner_id == request.user.pk
    progress = None
    if state.job is not None and mine and jobs.job_for(request.user, state.job.pk) is not None:
        progress = jobs.progress(state.job)
    endpoints = case_services.usable_endpoints(request.user).filter(kind="local", url=row.url)
    return render(
        request,
        "indexes/index_detail.html",
        {
            "state": state,
            "index": row,
            "mine": mine,
            "progress": progress,
            "endpoints": endpoints,
            "others_using": services.endpoints_using(row).count() - endpoints.count(),
            "teams_form": (
                TeamsForm(user=request.user, initial={"teams": list(row.teams.all())})
                if mine
                else None
            ),
        },
    )


@login_required
@require_POST
def index_teams(request: HttpRequest, index_id: int) -> HttpResponse:
    """Share the index with the owner's teams (or stop sharing it). Endpoints saved on it meanwhile
    keep it named: an endpoint is checked when it is saved."""
    row = _own(request, index_id)
    form = TeamsForm(request.POST, user=request.user)
    if form.is_valid():
        row.teams.set(form.cleaned_data["teams"])
        names = ", ".join(t.name for t in form.cleaned_data["teams"]) or "no team"
        messages.success(request, f"Index {row.name} is shared with {names}.")
    else:
        messages.error(request, "; ".join(str(e) for e in form.errors.get("teams", [])))
    return redirect("indexes:detail", index_id=row.pk)


@login_required
@require_POST
def index_delete(request: HttpRequest, index_id: int) -> HttpResponse:
    row = _own(request, index_id)
    try:
        services.delete(row)
    except services.IndexProblem as exc:
        messages.error(request, str(exc))
        return redirect("indexes:detail", index_id=index_id)
    messages.success(request, f"Index {row.name} deleted.")
    return redirect("indexes:list")
