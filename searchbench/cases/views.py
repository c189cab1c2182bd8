"""Server-rendered pages. Each view: check access, call services, render. No scoring here."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from searchbench.cases import charts, history, querylist, scorer_trial, services
from searchbench.cases.forms import (
    CaseCreateForm,
    CaseSettingsForm,
    EndpointForm,
    QueryForm,
    QueryNotesForm,
    ScorerForm,
    TryForm,
)
from searchbench.cases.models import (
    Case,
    Query,
    ScoreHistory,
    Scorer,
    SearchEndpoint,
    Snapshot,
    SnapshotDoc,
)
from searchbench.domain import safejson
from searchbench.domain.fieldspec import parse_field_spec
from searchbench.domain.formats.registry import FORMATS
from searchbench.domain.scoring import UNRATED_RULES
from searchbench.jobs import services as jobs
from searchbench.jobs.models import Job
from searchbench.web.csp import image_src
from searchbench.web.ids import parse_id

FIELD_PREVIEW_CHARS = 300
RAW_PREVIEW_CHARS = 20_000  # of the request/response text in the query page's debugging panel
SNAPSHOT_PAGE_SIZE = 50  # queries per snapshot page
SNAPSHOT_TOP_DOCS = 10  # doc ids shown per query there
HISTORY_SPARKLINE_RUNS = 100  # runs the case page's sparkline draws
SPARKLINE_WIDTH, SPARKLINE_HEIGHT = 240, 32
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 960, 280, 12  # the history page's chart
HISTORY_PAGE_SIZE = 50  # runs per page of the history page's table


def _case_for(request: HttpRequest, case_id: int, *, write: bool = False) -> Case:
    """The case if the user may see it (404 otherwise: its existence is not disclosed)."""
    case = services.readable_case(request.user, case_id)
    if case is None:
        raise Http404("No such case")
    if write and not services.can_write(request.user, case):
        raise PermissionDenied("This case is read-only for you.")
    return case


def _wants_partial(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@login_required
@require_http_methods(["GET", "POST"])
def case_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CaseCreateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            case = services.create_case(
                request.user,
                name=data["name"],
                scorer=data["scorer"],
                endpoint=data["endpoint"],
                query_template=data["query_template"],
                field_spec=data["field_spec"],
                teams=data["teams"],
                public=data["public"],
            )
            messages.success(request, f"Case “{case.name}” created. Add some queries.")
            return redirect("cases:detail", case_id=case.pk)
    else:
        form = CaseCreateForm(user=request.user)
    show_archived = request.GET.get("archived") == "1"
    cases = services.readable_cases(request.user).select_related("owner", "scorer")
    if not show_archived:
        cases = cases.filter(archived=False)
    last = ScoreHistory.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    cases = cases.annotate(
        last_score=Subquery(last.values("score")[:1]),
        last_run=Subquery(last.values("created_at")[:1]),
    )
    rows = [{"case": case, "mine": case.owner_id == request.user.pk} for case in cases]
    return render(
        request,
        "cases/case_list.html",
        {
            "rows": rows,
            "form": form,
            "show_archived": show_archived,
            "has_endpoints": form.fields["endpoint"].queryset.exists(),
        },
    )


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    last = services.latest_history(case)
    listing = querylist.Listing.from_params(request.GET)
    queries = querylist.page(case, last, listing)
    # One scorer's number is never shown under another's name (the scorer changed since the run).
    scored_with = last.scorer_name if last and last.scorer_name != case.scorer.name else None
    return {
        "case_score": last.score if last and scored_with is None else None,
        "scored_with": scored_with,
        "unrated_rule": UNRATED_RULES[case.unrated_queries],
        "case": case,
        "current_try": case.current_try(),
        "last": last,
        "history": case.score_history.select_related("try_ref").defer("packed")[:10],
        **_history_chart(case),
        "snapshots": case.snapshots.select_related("try_ref")[:10],
        "listing": listing,
        "here": request.get_full_path(),  # where the list's forms come back to
        "queries": queries,
        "previous_url": _listing_url(listing, queries.number - 1) if queries.has_previous else "",
        "next_url": _listing_url(listing, queries.number + 1) if queries.has_next else "",
        "counts": querylist.counts(case),
        "sorts": querylist.SORTS,
        "shows": querylist.SHOWS,
        "can_write": services.can_write(request.user, case),
        "query_form": QueryForm(),
        "export_formats": FORMATS.values(),
    }


def _listing_url(listing: querylist.Listing, page: int) -> str:
    return "?" + urlencode(listing.params(page=page)) + "#queries"


def _history_chart(case: Case) -> dict[str, Any]:
    """The last runs' case scores, oldest first: a sparkline with one point per run (its try,
    scorer, time and score as the point's title), the same series as JSON (``data-series``) for
    a chart to draw, and the change of the case score since the run before the newest (when
    both were scored with the case's scorer)."""
    series = history.series(case, limit=HISTORY_SPARKLINE_RUNS)
    if len(series) < 2:
        return {"sparkline": None, "score_change": None}
    change = previous = None
    if series[-1].scorer_name == series[-2].scorer_name == case.scorer.name:
        previous = series[-2].score
        change = series[-1].score - previous
    chart = charts.line_chart(series, SPARKLINE_WIDTH, SPARKLINE_HEIGHT)
    data = [[p.at.isoformat(), round(p.score, 6)] for p in series]
    return {
        "sparkline": chart,
        "series_json": json.dumps(data),
        "score_change": change,
        # What the change is taken from, for the list's script to follow a rating in place.
        "previous_score": previous,
    }


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    return render(request, "cases/case_detail.html", _case_context(request, case))


@login_required
def case_history(request: HttpRequest, case_id: int) -> HttpResponse:
    """Every run of the case: a chart (a point per run, a marker where the try or the scorer
    changed) and the runs' table, newest first, a page at a time."""
    case = _case_for(request, case_id)
    chart = charts.line_chart(
        history.series(case, with_trigger=True), CHART_WIDTH, CHART_HEIGHT, CHART_PAD
    )
    rows = case.score_history.select_related("try_ref").defer("packed")
    page = Paginator(rows, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/case_history.html", {"case": case, "chart": chart, "page": page})


@login_required
@require_POST
def case_run(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    try:
        job = jobs.start_run(case, user=request.user)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _run_message(job))
    return redirect("cases:detail", case_id=case.pk)


def _run_message(job: Job) -> str:
    """What a started run says: queued for the workers (the page shows its progress), or, when
    it finished at once, its score."""
    number = job.try_ref.number if job.try_ref else "?"
    if job.status == Job.Status.FAILED:
        return f"The run of try {number} failed: {job.error}"
    if job.status != Job.Status.DONE:
        return f"Running try {number} on {job.total} quer{'y' if job.total == 1 else 'ies'}."
    scorer = job.scorer.name if job.scorer else "score"
    failed = job.failed
    note = f" — {failed} quer{'y' if failed == 1 else 'ies'} failed, see below" if failed else ""
    return f"Ran try {number}: {scorer} = {job.result['score']:.3f}{note}"


def _query_add_refused(request: HttpRequest, case: Case, errors: list[str]) -> HttpResponse:
    """The case page again with the add form's errors beside it and the pasted text kept (a
    redirect would drop what the person pasted)."""
    context = _case_context(request, case)
    context.update(query_add_errors=errors, query_add_text=request.POST.get("text", ""))
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_POST
def query_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    form = QueryForm(request.POST, request.FILES)
    if not form.is_valid():
        return _query_add_refused(request, case, [e for errs in form.errors.values() for e in errs])
    try:
        pasted = services.paste_queries(case, form.cleaned_data["lines"])
        added = services.add_queries(case, [{"text": t} for t in pasted.texts])
    except services.ServiceError as exc:
        return _query_add_refused(request, case, [f"Nothing added: {exc}"])
    if len(added) == 1:
        messages.success(request, f"Added “{added[0].text}”.")
    elif added:
        messages.success(request, f"Added {len(added)} queries.")
    if pasted.duplicates:
        shown = ", ".join(f"“{t}”" for t in pasted.duplicates[:10])
        more = len(pasted.duplicates) - 10
        messages.warning(
            request,
            f"Skipped {len(pasted.duplicates)} duplicate{pluralize(len(pasted.duplicates))}"
            f" (already in the case or repeated): {shown}{f' and {more} more' if more > 0 else ''}.",
        )
    return redirect("cases:detail", case_id=case.pk)


@login_required
@require_POST
def query_delete(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    query = get_object_or_404(Query, pk=query_id, case=case)
    text = query.text
    query.delete()
    messages.success(request, f"Removed “{text}” and its ratings.")
    return _back(request, reverse("cases:detail", args=[case.pk]) + "#queries")


def _display_doc(
    doc: Any, rankeddoc: Any, spec: Any, scale: list[tuple[float, str]]
) -> dict[str, Any]:
    """What a result row shows: the spec's title, its sub fields (shortened) and thumbnail."""
    media = {ref.name for ref in (spec.thumb, spec.image) if ref is not None}
    names = [n for n in spec.display_fields(list(doc.fields or {})) if n not in media]
    rating = rankeddoc.rating if rankeddoc is not None else None
    fields = []
    for name in names:
        value = (doc.fields or {}).get(name)
        if value is None:
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        if len(text) > FIELD_PREVIEW_CHARS:
            text = text[:FIELD_PREVIEW_CHARS] + "…"
        fields.append((name, text))
    return {
        "id": doc.id,
        "position": doc.position,
        "title": doc.title or doc.id,
        "fields": fields,
        # Only http(s) images (the CSP's img-src): no javascript:, data: or paths on this app.
        "thumb": image_src(doc.thumb) or image_src(doc.image),
        "score": doc.score,
        "rating": rating,
        # A rating the scorer's scale has no button for (rated 3, then the case moved to a
        # binary scorer) is shown as stored, not rounded to a button: it is what scoring reads.
        "off_scale": rating is not None and all(rating != value for value, _ in scale),
        "scale": scale,
    }


def _query_context(
    request: HttpRequest,
    case: Case,
    query: Query,
    outcome: services.QueryOutcome | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    stored = None
    if outcome is None and error is None and not services.may_search(request.user, case):
        # A reader of a public case: what was stored; nothing goes to the owner's endpoint.
        stored = services.stored_query_result(case, query)
        outcome = stored.outcome
    elif outcome is None and error is None:
        try:
            outcome = services.search_query(case, query)
        except services.ServiceError as exc:
            error = str(exc)
    scale = case.scorer.scale_with_labels()
    docs = []
    if outcome is not None and outcome.result is not None and not outcome.error:
        current = case.current_try()
        spec = parse_field_spec(current.field_spec if current else "")
        docs = [
            _display_doc(d, r, spec, scale)
            for d, r in zip(outcome.result.docs, outcome.docs, strict=False)
        ]
    previous_id, next_id = services.query_neighbours(query)
    case_score, other_scorer = history.current_score_for(case, case.scorer.name)
    shown = {d["id"] for d in docs}
    sent = outcome.result if outcome is not None and outcome.result is not None else None
    ratings = outcome.query.ratings if outcome is not None and docs else {}
    return {
        "previous_id": previous_id,
        "next_id": next_id,
        "case": case,
        "query": query,
        "outcome": outcome,
        "error": error or (outcome.error if outcome else None),
        "docs": docs,
        "total": outcome.result.total if outcome and outcome.result is not None else None,
        # A reader's stored score is the last run's: none when that run had another scorer.
        "query_score": (None if other_scorer else stored.score)
        if stored
        else outcome.score
        if outcome
        else None,
        "stored": stored,
        "case_score": case_score,
        "case_scored_with": other_scorer,
        "raw": _raw_exchange(sent) if sent is not None and sent.request else None,
        "scale": scale,
        "unrated_ids": [d["id"] for d in docs if d["rating"] is None],
        # Rated docs the search did not return: the scorer still counts them (ideal DCG, recall).
        "not_returned": sorted((d, r) for d, r in ratings.items() if d not in shown),
        # How many docs of the query are rated (None: not known, nothing was searched).
        "query_rated": len(outcome.query.ratings) if outcome is not None else None,
        "can_write": services.can_write(request.user, case),
        "unrated_label": "unrated",
    }


def _raw_exchange(result: Any) -> dict[str, Any]:
    """The request sent (secrets masked by the engine) and, for a failed search, the engine's
    answer, as text for the page's debugging panel (a successful answer is not kept: the docs
    above are what was read from it)."""

    def text(value: Any) -> str:
        out = value if isinstance(value, str) else json.dumps(value, indent=2, default=str)
        return out if len(out) <= RAW_PREVIEW_CHARS else out[:RAW_PREVIEW_CHARS] + "\n…"

    return {
        "request": text(result.request),
        "response": text(result.response) if result.error and result.response is not None else "",
        "elapsed_ms": result.elapsed_ms,
    }


@login_required
def query_detail(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    query = get_object_or_404(Query, pk=query_id, case=case)
    context = _query_context(request, case, query)
    context["notes_form"] = QueryNotesForm(instance=query)
    return render(request, "cases/query_detail.html", context)


@login_required
@require_POST
def rate(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """One rating, or one value for several docs ("rate all unrated shown": ``doc_id`` repeated,
    all or none), per request; answers a fragment to fetch(), a redirect to a plain form post."""
    case = _case_for(request, case_id, write=True)
    query = get_object_or_404(Query, pk=query_id, case=case)
    query.case = case  # with its scorer, read once
    doc_ids = request.POST.getlist("doc_id") or [""]
    doc_id = doc_ids[0]
    raw = request.POST.get("rating", "")
    try:
        value = None if raw == "clear" else safejson.parse_number(raw)
        if len(doc_ids) == 1:
            services.rate_doc(query, doc_id, value, user=request.user)
        else:
            services.set_ratings(query, [(d, value) for d in doc_ids], user=request.user)
    except ValueError as exc:
        return HttpResponse(f"rating {exc}", status=400, content_type="text/plain")
    except services.ServiceError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    # The rating is saved by now: a case that cannot be scored (no try) says so, not a 500.
    problem = None
    try:
        outcome, _history = jobs.rescore_after_rating(case, query, user=request.user)
    except services.ServiceError as exc:
        outcome, problem = None, str(exc)
    if _wants_partial(request):
        context = _query_context(request, case, query, outcome=outcome, error=problem)
        return render(request, "cases/_partials/query_panel.html", context)
    anchor = f"doc-{doc_id}" if len(doc_ids) == 1 else "results"
    return redirect(reverse("cases:query", args=[case.pk, query.pk]) + f"#{anchor}")


@login_required
@require_http_methods(["GET", "POST"])
def try_new(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    current = case.current_try()
    if "from" in request.GET:  # start from an earlier try (its page's "Edit into a new try")
        current = case.tries.filter(number=parse_id(request.GET["from"]) or 0).first()
        if current is None:
            raise Http404("No such try")
    endpoint = current.endpoint if current else None
    if request.method == "POST":
        form = TryForm(request.POST, user=request.user, current=endpoint)
        if form.is_valid():
            new_try = services.create_try(case, parent=current, **form.cleaned_data)
            job = jobs.start_run(case, user=request.user, try_=new_try)
            messages.success(request, _run_message(job))
            return redirect("cases:detail", case_id=case.pk)
    else:
        initial = {}
        endpoint_id = parse_id(request.GET.get("endpoint"))
        if endpoint_id is not None:
            initial["endpoint"] = endpoint_id
        form = TryForm(instance=current, user=request.user, current=endpoint, initial=initial)
    tries = case.tries.select_related("endpoint")[:20]
    return render(
        request,
        "cases/try_form.html",
        {"case": case, "form": form, "current": current, "tries": tries},
    )


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    from searchbench.engines.http import MASK, mask_url

    endpoints = list(services.usable_endpoints(request.user))
    for e in endpoints:
        # Rows saved before URLs with passwords were refused may still carry one.
        e.display_url = mask_url(e.url)
        # The basic-auth user is a credential too: teammates see that there is one, not which.
        e.display_username = e.username if e.owner_id == request.user.pk else MASK
    return render(request, "cases/endpoint_list.html", {"endpoints": endpoints})


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, endpoint_id: int | None = None) -> HttpResponse:
    endpoint = None
    if endpoint_id is not None:
        endpoint = get_object_or_404(SearchEndpoint, pk=endpoint_id)
        # Only the owner edits: credentials are theirs to change.
        if endpoint.owner_id != request.user.pk:
            raise Http404("No such endpoint")
    if request.method == "POST":
        form = EndpointForm(request.POST, request.FILES, instance=endpoint, user=request.user)
        if form.is_valid():
            saved = form.save(commit=False)
            if endpoint is None:
                saved.owner = request.user
            # The results file is written last, inside the transaction: if writing it fails,
            # the endpoint is not saved either.
            try:
                with transaction.atomic():
                    saved.save()
                    form.save_m2m()
                    form.store_static()
            except services.ServiceError as exc:  # the static name was taken meanwhile
                if endpoint is None:
                    saved.pk = None
                form.add_error("url", str(exc))
            else:
                messages.success(request, f"Endpoint “{saved.name}” saved.")
                return redirect("cases:endpoints")
    else:
        # A new endpoint may come prefilled from a link (the index page's "New endpoint on it").
        prefill = {k: request.GET[k][:2000] for k in ("name", "kind", "url") if k in request.GET}
        form = EndpointForm(
            instance=endpoint, user=request.user, initial=prefill if endpoint is None else None
        )
    return render(request, "cases/endpoint_form.html", {"form": form, "endpoint": endpoint})


@login_required
@require_POST
def snapshot_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    try:
        job = jobs.start_snapshot(
            case,
            request.POST.get("name", ""),
            user=request.user,
            explain=request.POST.get("explain") == "on",
        )
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("cases:detail", case_id=case.pk)
    name = job.params["name"]
    if job.status == Job.Status.FAILED:
        messages.error(request, f"Snapshot “{name}” failed: {job.error}")
    elif job.status == Job.Status.DONE:
        messages.success(request, f"Snapshot “{name}” taken.")
        return redirect("cases:snapshot", case_id=case.pk, snapshot_id=job.result["snapshot_id"])
    else:
        messages.success(request, f"Taking snapshot “{name}”; it is listed below when ready.")
    return redirect("cases:detail", case_id=case.pk)


@login_required
def snapshot_detail(request: HttpRequest, case_id: int, snapshot_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    snapshot = get_object_or_404(
        Snapshot.objects.select_related("try_ref", "created_by"), pk=snapshot_id, case=case
    )
    # Per page: the queries' rows and their top docs with titles per the field spec (their
    # stored fields are read for that, never their explains).
    explained = SnapshotDoc.objects.filter(snapshot_query=OuterRef("pk"), explain__isnull=False)
    queries = snapshot.queries.order_by("id").annotate(explained=Exists(explained))
    page = Paginator(queries, SNAPSHOT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    docs = services.snapshot_docs(snapshot, [q.pk for q in rows], SNAPSHOT_TOP_DOCS)
    for row in rows:
        row.top_docs = docs.get(row.pk, [])
    return render(
        request,
        "cases/snapshot_detail.html",
        {
            "case": case,
            "snapshot": snapshot,
            "queries": rows,
            "page": page,
            "can_write": services.can_write(request.user, case),
        },
    )


@login_required
@require_POST
def snapshot_endpoint(request: HttpRequest, case_id: int, snapshot_id: int) -> HttpResponse:
    """Serve a snapshot's frozen results as a static endpoint, then offer it in the try editor."""
    case = _case_for(request, case_id, write=True)
    snapshot = get_object_or_404(Snapshot, pk=snapshot_id, case=case)
    try:
        endpoint = services.snapshot_endpoint(snapshot, owner=request.user)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("cases:snapshot", case_id=case.pk, snapshot_id=snapshot.pk)
    messages.success(
        request,
        f"Endpoint “{endpoint.name}” serves the snapshot's results. Save a try with it to score "
        "the case against them.",
    )
    return redirect(reverse("cases:try_new", args=[case.pk]) + f"?endpoint={endpoint.pk}")


@login_required
@require_POST
def endpoint_ping(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(services.usable_endpoints(request.user), pk=endpoint_id)
    ok, message = services.ping_endpoint(endpoint)
    (messages.success if ok else messages.error)(request, f"{endpoint.name}: {message}")
    return redirect("cases:endpoints")


@login_required
@require_http_methods(["GET", "POST"])
def case_settings(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    if request.method == "POST":
        form = CaseSettingsForm(request.POST, instance=case, user=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _rescore_after_settings(request, case, form))
            return redirect("cases:detail", case_id=case.pk)
    else:
        form = CaseSettingsForm(instance=case, user=request.user)
    return render(request, "cases/case_settings.html", {"case": case, "form": form})


def _rescore_after_settings(request: HttpRequest, case: Case, form: CaseSettingsForm) -> str:
    """A new scorer, or a new rule for unrated queries, re-scores the case at once (a run job),
    so its scores follow the settings."""
    if not form.rescores():
        return "Case settings saved. Run the case to score it with them."
    try:
        job = jobs.start_run(case, user=request.user)
    except services.ServiceError as exc:
        return f"Case settings saved; not re-scored with {case.scorer.name}: {exc}"
    return f"Case settings saved. {_run_message(job)}"


@login_required
def scorer_list(request: HttpRequest) -> HttpResponse:
    scorers = (
        services.usable_scorers(request.user)
        .select_related("owner")
        .prefetch_related("teams")
        .order_by("kind", "name")
    )
    return render(request, "cases/scorer_list.html", {"scorers": scorers})


def _own_scorer(request: HttpRequest, scorer_id: int | None) -> Scorer | None:
    """The custom scorer being edited: only its owner edits; to anyone else it is not there (as
    an endpoint is not)."""
    if scorer_id is None:
        return None
    return get_object_or_404(
        Scorer, pk=scorer_id, kind=Scorer.Kind.CUSTOM, owner_id=request.user.pk
    )


def _scorer_page(
    request: HttpRequest,
    form: ScorerForm,
    scorer: Scorer | None,
    trial: scorer_trial.Trial | None = None,
) -> HttpResponse:
    code = form["code"].value() or ""
    return render(
        request,
        "cases/scorer_form.html",
        {
            "form": form,
            "scorer": scorer,
            "save_url": reverse("cases:scorer_edit", args=[scorer.pk])
            if scorer
            else reverse("cases:scorer_new"),
            "offered": scorer_trial.offered_queries(request.user),
            "trial": trial,
            "listing": code.splitlines() if trial and trial.line else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def scorer_edit(request: HttpRequest, scorer_id: int | None = None) -> HttpResponse:
    scorer = _own_scorer(request, scorer_id)
    if request.method == "POST":
        form = ScorerForm(request.POST, instance=scorer, user=request.user)
        if form.is_valid():
            saved = form.save(commit=False)
            if scorer is None:
                saved.owner = request.user
            saved.save()
            form.save_m2m()
            messages.success(request, f"Scorer “{saved.name}” saved.")
            return redirect("cases:scorers")
    else:
        # A new scorer starts from an example written against the scorer API.
        initial = {} if scorer else {"code": scorer_trial.EXAMPLE}
        form = ScorerForm(instance=scorer, initial=initial, user=request.user)
    return _scorer_page(request, form, scorer)


@login_required
@require_POST
def scorer_test(request: HttpRequest) -> HttpResponse:
    """The editor's "test on this query": the code in the form (not saved) run on a query of a
    case the user may search; the form comes back as it was, with the score or the error."""
    scorer = _own_scorer(request, parse_id(request.POST.get("scorer_id")))
    query_id = parse_id(request.POST.get("trial_query"))
    query = Query.objects.filter(pk=query_id).first() if query_id else None
    case = services.readable_case(request.user, query.case_id) if query else None
    if query is None or case is None:
        raise Http404("No such query")
    if not services.may_search(request.user, case):
        raise PermissionDenied("Only those who may change this case may search it.")
    query.case = case
    form = ScorerForm(request.POST, instance=scorer, user=request.user)
    trial = scorer_trial.run(query, request.POST.get("code", ""), request.POST.get("name", ""))
    return _scorer_page(request, form, scorer, trial)


@login_required
@require_POST
def query_notes(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    query = get_object_or_404(Query, pk=query_id, case=case)
    form = QueryNotesForm(request.POST, instance=query)
    if form.is_valid():
        form.save()
        messages.success(request, "Query notes saved.")
    else:
        problems = "; ".join(f"{f}: {e}" for f, errs in form.errors.items() for e in errs)
        messages.error(request, f"Not saved — {problems}")
    return _back(request, reverse("cases:query", args=[case.pk, query.pk]))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """A redirect to the form's ``next`` (the page it was on, e.g. the case page's list with its
    sort and page) when it is a path on this site, else to ``default``."""
    target = request.POST.get("next", "")
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


@login_required
@require_GET
def query_panel(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """A query's results expanded in place in the case page's list: the query page's panel (the
    same rows, rating controls and keys) and its notes form, as a fragment."""
    case = _case_for(request, case_id)
    query = get_object_or_404(Query, pk=query_id, case=case)
    context = _query_context(request, case, query)
    context["notes_form"] = QueryNotesForm(instance=query)
    context["back"] = request.GET.get("back", "")
    return render(request, "cases/_partials/query_expansion.html", context)


@login_required
@require_POST
def query_move(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """Move a query one place up or down in the case's order (``direction``: up or down)."""
    case = _case_for(request, case_id, write=True)
    query = get_object_or_404(Query, pk=query_id, case=case)
    query.case = case
    step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if step is None:
        return HttpResponse("direction: up or down", status=400, content_type="text/plain")
    moved = services.move_query(query, step)
    if _wants_partial(request):
        return JsonResponse({"moved": moved})
    return _back(request, reverse("cases:detail", args=[case.pk]) + "#queries")
