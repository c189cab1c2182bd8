"""The tries of a case (list, open, switch back, duplicate, rename) and the compare page.

Thin like views.py: access through ``views._case_for``, the work in ``services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from searchbench.cases import services
from searchbench.cases.models import Case, ScoreHistory, Try
from searchbench.cases.views import _case_for, _run_message
from searchbench.jobs import services as jobs

TRY_NAME_CHARS = 200


def _try_of(case: Case, number: int) -> Try:
    found = case.tries.select_related("endpoint", "parent").filter(number=number).first()
    if found is None:
        raise Http404("No such try")
    return found


@login_required
def try_list(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    # Each try's case score: that of its newest recorded run (with ratings folded in since).
    runs = ScoreHistory.objects.filter(try_ref=OuterRef("pk")).order_by("-created_at", "-id")
    tries = (
        case.tries.select_related("endpoint", "parent")
        .annotate(
            score=Subquery(runs.values("score")[:1]),
            scorer_name=Subquery(runs.values("scorer_name")[:1]),
            run_at=Subquery(runs.values("created_at")[:1]),
        )
        .order_by("-number")
    )
    current = case.current_try()
    return render(
        request,
        "cases/try_list.html",
        {
            "case": case,
            "tries": tries,
            "current": current,
            "can_write": services.can_write(request.user, case),
        },
    )


@login_required
def try_detail(request: HttpRequest, case_id: int, number: int) -> HttpResponse:
    case = _case_for(request, case_id)
    chosen = _try_of(case, number)
    current = case.current_try()
    runs = chosen.score_history.defer("packed").order_by("-created_at", "-id")[:10]
    return render(
        request,
        "cases/try_detail.html",
        {
            "case": case,
            "try": chosen,
            "current": current,
            "is_current": current is not None and current.pk == chosen.pk,
            "runs": runs,
            "can_write": services.can_write(request.user, case),
        },
    )


@login_required
@require_POST
def try_switch(request: HttpRequest, case_id: int, number: int) -> HttpResponse:
    """Switch the case back to an earlier try: a copy of it becomes the newest (current) try and
    is run, so the history of tries stays a line and every run names the try it used."""
    case = _case_for(request, case_id, write=True)
    old = _try_of(case, number)
    copy = services.duplicate_try(old)
    job = jobs.start_run(case, user=request.user, try_=copy)
    messages.success(
        request,
        f"Switched back to try {old.number}: try {copy.number} is its copy. " + _run_message(job),
    )
    return redirect("cases:detail", case_id=case.pk)


@login_required
@require_POST
def try_duplicate(request: HttpRequest, case_id: int, number: int) -> HttpResponse:
    """A copy of the try as the newest try (as the API's duplicate), not run."""
    case = _case_for(request, case_id, write=True)
    old = _try_of(case, number)
    copy = services.duplicate_try(old)
    messages.success(
        request,
        f"Try {copy.number} is a copy of try {old.number} and the current try now; "
        "run the case to score it.",
    )
    return redirect("cases:try", case_id=case.pk, number=copy.number)


@login_required
@require_POST
def try_rename(request: HttpRequest, case_id: int, number: int) -> HttpResponse:
    case = _case_for(request, case_id, write=True)
    chosen = _try_of(case, number)
    name = " ".join(request.POST.get("name", "").split())
    if len(name) > TRY_NAME_CHARS:
        messages.error(request, f"A try's name has at most {TRY_NAME_CHARS} characters.")
    else:
        chosen.name = name
        chosen.save(update_fields=["name"])
        messages.success(request, f"Try {chosen.number} renamed “{name}”." if name else
                         f"Try {chosen.number}'s name removed.")  # fmt: skip
    if request.POST.get("next") == "detail":
        return redirect("cases:try", case_id=case.pk, number=chosen.number)
    return redirect("cases:tries", case_id=case.pk)
