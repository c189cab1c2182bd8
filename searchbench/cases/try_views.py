"""The tries of a case (list, open, switch back, duplicate, rename) and the compare page.

Thin like views.py: access through ``views._case_for``, the work in ``services``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from searchbench.cases import services
from searchbench.cases.models import Case, ScoreHistory, Try
from searchbench.cases.views import _case_for, _run_message
from searchbench.domain.movements import Movement, movements
from searchbench.domain.stats import CORRECTIONS, TESTS
from searchbench.jobs import services as jobs

TRY_NAME_CHARS = 200
COMPARE_PAGE_SIZE = 50  # queries per compare page
COMPARE_TOP_DOCS = 10  # docs shown side by side per query


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
    tries = list(tries)
    # The compare form's defaults: the newest run try against the one run before it.
    ran = [t.number for t in tries if t.run_at is not None]
    return render(
        request,
        "cases/try_list.html",
        {
            "case": case,
            "tries": tries,
            "pick_b": ran[0] if ran else None,
            "pick_a": ran[1] if len(ran) > 1 else None,
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
    found = services.side_of(case, value)
    if found is None:
        raise Http404("No such try or snapshot")
    if isinstance(found, Try):
        return services.try_side(found)
    return services.snapshot_side(found)


@dataclass
class SideDocs:
    """One side's top docs for a query (None: the side stored none, a try's run), each with its
    movement against the baseline's (None on the baseline, or when either side has no docs), and
    the baseline's docs this side no longer has."""

    side: services.CompareSide
    docs: list[tuple[services.ShownDoc, Movement | None]] | None
    dropped: list[services.ShownDoc]
    moved: str | None = None  # "why did it move" against the baseline (add &doc=ID)


@dataclass
class QueryDelta:
    key: str
    text: str
    scores: list[float]  # per side, the baseline first
    deltas: list[float]  # per side but the baseline, against it
    delta: float  # the biggest change of any side (its sign kept): the sort key
    sides: list[SideDocs] | None = None  # per side when any side stored docs
    compared: list[services.CompareSide] | None = None  # the sides but the baseline
    moved: list[str | None] | None = None  # per side but the baseline: "why did it move"

    @property
    def query_id(self) -> int | None:
        return int(self.key[1:]) if self.key.startswith("q") else None

    @property
    def others(self) -> list[tuple[services.CompareSide, float, float, str | None]]:
        """(side, score, delta, "why did it move" URL) of each side but the baseline."""
        return list(zip(self.compared or [], self.scores[1:], self.deltas, self.moved or [],
                        strict=True))  # fmt: skip


MAX_SIDES = 8  # a baseline and up to seven others on one page


@login_required
@require_GET
def compare(request: HttpRequest, case_id: int) -> HttpResponse:
    """Two or more tries (their newest runs) or snapshots, mixed: the first (``a``) is the
    baseline, every ``b`` is compared with it. The case-level delta of each with its test, CI and
    the correction over the family of them; then every query's scores and deltas, biggest change
    of any side first, and for snapshot sides the docs side by side with their movements."""
    case = _case_for(request, case_id)
    test = request.GET.get("test") if request.GET.get("test") in TESTS else "ttest"
    correction = request.GET.get("correction")
    correction = correction if correction in CORRECTIONS else "holm"
    a = request.GET.get("a", "")
    others = [b for b in request.GET.getlist("b") if b]
    context: dict[str, Any] = {
        "case": case,
        "choices": _choices(case),
        "a": a,
        "b": others,
        "b_selects": [*others, ""] if len(others) < MAX_SIDES - 1 else others,
        "test": test,
        "correction": correction,
        "tests": TESTS.values(),
        "corrections": CORRECTIONS.values(),
        "query_string": _query_string(a, others, test, correction),
    }
    if len(others) >= MAX_SIDES:
        context["error"] = (
            f"compare at most {MAX_SIDES} sides at once (a baseline and {MAX_SIDES - 1} others)"
        )
    elif a and others:
        try:
            sides = [_side(case, a), *(_side(case, b) for b in others)]
            result = services.compare_sides(
                sides[0], sides[1:], case=case, test=test, correction=correction
            )
        except services.ServiceError as exc:
            context["error"] = str(exc)
        else:
            context.update(_comparison(case, result, request.GET.get("page")))
    return render(request, "cases/compare.html", context)


def _query_string(a: str, others: list[str], test: str, correction: str) -> str:
    return urlencode([("a", a), *(("b", b) for b in others), ("test", test),
                      ("correction", correction)])  # fmt: skip


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
    import numpy as np

    # Every query's deltas (vectorised: 10,000 queries), sorted; rows made for the shown page only.
    scores = np.array(result.scores)
    deltas = scores[1:] - scores[0]
    biggest = deltas[np.abs(deltas).argmax(axis=0), np.arange(len(result.keys))]
    order = np.argsort(-np.abs(biggest), kind="stable")  # ties: by key, as keys are sorted
    page = Paginator(order, COMPARE_PAGE_SIZE).get_page(page_number)
    shown = [
        QueryDelta(result.keys[i], "", scores[:, i].tolist(), deltas[:, i].tolist(),
                   float(biggest[i]), compared=result.sides[1:])
        for i in page.object_list
    ]  # fmt: skip
    _fill_texts(case, result.sides, shown)
    _fill_moved(case, result.sides, shown)
    _fill_docs(result.sides, shown)
    return {
        "sides": result.sides,
        "summary": [
            (
                side,
                row,
                None if math.isnan(row.p_value) else row.p_value,
                None if math.isnan(row.p_adjusted) else row.p_adjusted,
            )
            for side, row in zip(result.sides, result.rows, strict=True)
        ],  # fmt: skip
        "num_queries": len(result.keys),
        "scorers_differ": len({s.scorer_name for s in result.sides}) > 1,
        "rows": shown,
        "page": page,
        "changed": int(np.count_nonzero(np.any(deltas != 0, axis=0))),
        "columns": 2 * len(result.sides),
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


def _fill_moved(case: Case, sides: list[services.CompareSide], rows: list[QueryDelta]) -> None:
    """Each shown query's "why did this doc move" link per side against the baseline (one URL
    reversed a row: the page lists up to 50 × 10 docs a side)."""
    pairs = [f"?{urlencode([('a', sides[0].key), ('b', side.key)])}" for side in sides[1:]]
    for r in rows:
        qid = r.query_id
        page = reverse("explain:moved", args=[case.pk, qid]) if qid is not None else None
        r.moved = [page + pair if page else None for pair in pairs]


def _fill_docs(sides: list[services.CompareSide], rows: list[QueryDelta]) -> None:
    """Each snapshot side's top docs for the shown queries; against a snapshot baseline, each
    other snapshot's movements (new, up, down, same) and what it dropped."""
    if not any(side.snapshot is not None for side in sides):
        return
    ids = [r.query_id for r in rows if r.query_id is not None]
    texts = [r.key[2:] for r in rows if r.key.startswith("t:")]
    docs = [_side_docs(side.snapshot, rows, ids, texts) if side.snapshot else None
            for side in sides]  # fmt: skip
    base_docs = docs[0]
    for r in rows:
        base = base_docs.get(r.key, []) if base_docs is not None else None
        r.sides = [SideDocs(sides[0], _unmoved(base), [])]
        for side, side_docs, moved in zip(sides[1:], docs[1:], r.moved or [], strict=True):
            mine = side_docs.get(r.key, []) if side_docs is not None else None
            if mine is None or base is None:
                r.sides.append(SideDocs(side, _unmoved(mine), [], moved))
                continue
            left, right = movements([d.id for d in base], [d.id for d in mine])
            dropped = [d for d, m in zip(base, left, strict=True) if m.kind == "dropped"]
            r.sides.append(SideDocs(side, list(zip(mine, right, strict=True)), dropped, moved))


def _unmoved(
    docs: list[services.ShownDoc] | None,
) -> list[tuple[services.ShownDoc, Movement | None]] | None:
    return [(d, None) for d in docs] if docs is not None else None


def _side_docs(
    snapshot: Any, rows: list[QueryDelta], ids: list[int], texts: list[str]
) -> dict[str, list[services.ShownDoc]]:
    """A snapshot's top docs of the shown queries, by query key."""
    page_rows = snapshot.queries.filter(
        Q(query_id__in=ids) | Q(query_id__isnull=True, query_text__in=texts)
    )
    by_key = {}
    for pk, query_id, text in page_rows.values_list("pk", "query_id", "query_text"):
        by_key[f"q{query_id}" if query_id is not None else f"t:{text}"] = pk
    keys = [r.key for r in rows if r.key in by_key]
    found = services.snapshot_docs(snapshot, [by_key[k] for k in keys], COMPARE_TOP_DOCS)
    return {k: found.get(by_key[k], []) for k in keys}
