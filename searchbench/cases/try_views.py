"""The tries of a case (list, open, switch back, duplicate, rename) and the compare page.

Thin like views.py: access through ``views._case_for``, the work in ``services``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from searchbench.cases import services
from searchbench.cases.models import Case, ScoreHistory, Try
from searchbench.cases.views import _case_for, _run_message
from searchbench.domain.movements import Movement, movements
from searchbench.domain.stats import CORRECTIONS, TESTS
from searchbench.jobs import services as jobs
from searchbench.web.ids import parse_id

TRY_NAME_CHARS = 200
COMPARE_PAGE_SIZE = 50  # queries per compare page
COMPARE_TOP_DOCS = 10  # docs shown side by side per query
_SIDE = re.compile(r"(try|snapshot)-([0-9]+)")


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


# --- compare ------------------------------------------------------------------------------------


def _side(case: Case, value: str) -> services.CompareSide:
    """``try-N`` (its newest run) or ``snapshot-ID`` of this case; 404 for anything else."""
    match = _SIDE.fullmatch(value)
    number = parse_id(match.group(2)) if match else None
    if match is None or number is None:
        raise Http404("No such try or snapshot")
    if match.group(1) == "try":
        found = case.tries.filter(number=number).first()
        if found is None:
            raise Http404("No such try")
        return services.try_side(found)
    snapshot = case.snapshots.select_related("try_ref").filter(pk=number).first()
    if snapshot is None:
        raise Http404("No such snapshot")
    return services.snapshot_side(snapshot)


@dataclass
class QueryDelta:
    key: str
    text: str
    a: float
    b: float
    delta: float
    left: list[tuple[services.ShownDoc, Movement | None]] | None = None
    right: list[tuple[services.ShownDoc, Movement | None]] | None = None


@login_required
@require_GET
def compare(request: HttpRequest, case_id: int) -> HttpResponse:
    """Two tries (their newest runs) or snapshots, or one of each: the case-level delta with its
    test, CI and correction, then every query's delta, biggest change first, and for snapshots
    the docs side by side with their movements."""
    case = _case_for(request, case_id)
    test = request.GET.get("test") if request.GET.get("test") in TESTS else "ttest"
    correction = request.GET.get("correction")
    correction = correction if correction in CORRECTIONS else "holm"
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    context: dict[str, Any] = {
        "case": case,
        "choices": _choices(case),
        "a": a,
        "b": b,
        "test": test,
        "correction": correction,
        "tests": TESTS.values(),
        "corrections": CORRECTIONS.values(),
    }
    if a and b:
        try:
            sides = [_side(case, a), _side(case, b)]
            result = services.compare_sides(sides[0], sides[1:], test=test, correction=correction)
        except services.ServiceError as exc:
            context["error"] = str(exc)
        else:
            context.update(_comparison(case, result, request.GET.get("page")))
    return render(request, "cases/compare.html", context)


def _choices(case: Case) -> list[tuple[str, str]]:
    runs = ScoreHistory.objects.filter(try_ref=OuterRef("pk"))
    tries = case.tries.annotate(run=Subquery(runs.values("pk")[:1])).filter(run__isnull=False)
    out = [
        (f"try-{t.number}", f"try {t.number}" + (f" “{t.name}”" if t.name else ""))
        for t in tries.order_by("-number")
    ]
    out += [
        (f"snapshot-{s.pk}", f"snapshot “{s.name}” ({s.created_at:%Y-%m-%d %H:%M})")
        for s in case.snapshots.order_by("-created_at", "-id")
    ]
    return out


def _comparison(case: Case, result: services.SideComparison, page_number: Any) -> dict[str, Any]:
    base, other = result.rows
    rows = [QueryDelta(k, "", a, b, b - a) for k, (a, b) in result.per_query()]
    rows.sort(key=lambda r: (-abs(r.delta), r.key))
    page = Paginator(rows, COMPARE_PAGE_SIZE).get_page(page_number)
    shown: list[QueryDelta] = list(page.object_list)
    _fill_texts(case, result.sides, shown)
    _fill_docs(result.sides, shown)
    return {
        "sides": result.sides,
        "base": base,
        "other": other,
        "p_value": None if math.isnan(other.p_value) else other.p_value,
        "p_adjusted": None if math.isnan(other.p_adjusted) else other.p_adjusted,
        "num_queries": len(result.keys),
        "scorers_differ": len({s.scorer_name for s in result.sides}) > 1,
        "rows": shown,
        "page": page,
        "changed": sum(1 for r in rows if r.delta),
    }


def _fill_texts(case: Case, sides: list[services.CompareSide], rows: list[QueryDelta]) -> None:
    ids = [int(r.key[1:]) for r in rows if r.key.startswith("q")]
    texts = dict(case.queries.filter(pk__in=ids).values_list("pk", "text"))
    for side in sides:  # a query deleted since: the snapshot kept its text
        if side.snapshot is not None:
            missing = [i for i in ids if i not in texts]
            texts.update(side.snapshot.queries.filter(query_id__in=missing).values_list(
                "query_id", "query_text"))  # fmt: skip
    for r in rows:
        if r.key.startswith("t:"):
            r.text = r.key[2:]
        else:
            r.text = texts.get(int(r.key[1:]), f"(deleted query {r.key[1:]})")


def _fill_docs(sides: list[services.CompareSide], rows: list[QueryDelta]) -> None:
    """Each snapshot side's top docs for the shown queries; movements when both are snapshots."""
    docs: list[dict[str, list[services.ShownDoc]] | None] = []
    ids = [int(r.key[1:]) for r in rows if r.key.startswith("q")]
    texts = [r.key[2:] for r in rows if r.key.startswith("t:")]
    for side in sides:
        if side.snapshot is None:
            docs.append(None)
            continue
        page_rows = side.snapshot.queries.filter(
            Q(query_id__in=ids) | Q(query_id__isnull=True, query_text__in=texts)
        )
        by_key = {}
        for pk, query_id, text in page_rows.values_list("pk", "query_id", "query_text"):
            by_key[f"q{query_id}" if query_id is not None else f"t:{text}"] = pk
        keys = [r.key for r in rows if r.key in by_key]
        found = services.snapshot_docs(side.snapshot, [by_key[k] for k in keys], COMPARE_TOP_DOCS)
        docs.append({k: found.get(by_key[k], []) for k in keys})
    left_docs, right_docs = docs
    for r in rows:
        left = left_docs.get(r.key, []) if left_docs is not None else None
        right = right_docs.get(r.key, []) if right_docs is not None else None
        if left is not None and right is not None:
            moved_left, moved_right = movements([d.id for d in left], [d.id for d in right])
            r.left = list(zip(left, moved_left, strict=True))
            r.right = list(zip(right, moved_right, strict=True))
        else:
            r.left = [(d, None) for d in left] if left is not None else None
            r.right = [(d, None) for d in right] if right is not None else None
