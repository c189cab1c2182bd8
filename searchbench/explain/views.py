"""Explain pages: one doc's score breakdown, "why is this above that", and clause contributions
over the top N. Each view: check access, load the explained docs (sources.py), analyse, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from searchbench.cases import services
from searchbench.domain.explain_analysis import (
    CLAUSE_KINDS,
    FACTOR_LABELS,
    breakdown,
    breakdown_by_field,
    compare,
    summarize,
)
from searchbench.domain.movements import movements
from searchbench.explain import charts, serialize, sources

DEFAULT_TOP_N = 10
MAX_TOP_N = 100
# The factors shown in a clause table, in this order (the full list is in the tree).
TABLE_FACTORS = ("multiplier", "boost", "idf", "tf", "freq", "dl", "avgdl", "fieldNorm")


def _wants_partial(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format") == "json"


def _json_problem(problem: str, status: int) -> JsonResponse:
    return JsonResponse({"error": problem}, status=status)


def _base(request: HttpRequest, case_id: int, query_id: int) -> dict[str, Any]:
    case = sources.case_for(request.user, case_id)
    query = sources.query_for(case, query_id)
    source = sources.load(
        case,
        query,
        request.GET.get("snapshot"),
        live_allowed=services.may_search(request.user, case),
    )
    return {"case": case, "query": query, "source": source, "snapshot": source.snapshot_id}


def _clause_rows(tree: Any) -> tuple[Any, list[dict[str, Any]]]:
    bd = breakdown(tree)
    rows = []
    for c in bd.clauses:
        factors = [(name, FACTOR_LABELS[name], c.factor(name)) for name in TABLE_FACTORS]
        rows.append(
            {
                "clause": c,
                "share": f"{c.contribution / bd.total:.0%}" if bd.total else "–",
                "factors": [(n, label, v) for n, label, v in factors if v is not None],
            }
        )
    return bd, rows


@login_required
def query_explain(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """All docs of the query: contributions chart over the top N, pick two to compare."""
    ctx = _base(request, case_id, query_id)
    source: sources.ExplainSource = ctx["source"]
    try:
        top_n = max(1, min(MAX_TOP_N, int(request.GET.get("n", DEFAULT_TOP_N))))
    except ValueError:
        top_n = DEFAULT_TOP_N
    top = source.docs[:top_n]
    summary = summarize([d.tree for d in top])
    if _wants_json(request):
        if source.error:
            return _json_problem(source.error, 502)
        ids = [d.id for d in top if d.tree is not None]
        data = {"source": source.label, "top_n": top_n, "note": source.missing_note}
        return JsonResponse({**data, **serialize.summary(summary, ids)})
    names = [f"#{d.rank} {d.title}" for d in top if d.tree is not None]
    ctx.update(
        top_n=top_n,
        summary=summary,
        clause_chart=charts.clause_bars(summary) if summary.docs else None,
        stack_chart=charts.doc_stacks(summary, names) if summary.docs else None,
        shares=[
            (s, f"{summary.share(s):.0%}", CLAUSE_KINDS.get(s.kind, "")) for s in summary.shares
        ],
    )
    return render(request, "explain/query.html", ctx)


@login_required
def doc_explain(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """One doc's breakdown: its clauses with their factors, then the engine's whole tree."""
    ctx = _base(request, case_id, query_id)
    source: sources.ExplainSource = ctx["source"]
    doc_id = request.GET.get("doc", "")
    doc = source.find(doc_id)
    problem = source.error
    if problem is None and doc is None:
        problem = f"doc {doc_id!r} is not among this query's results any more"
    elif problem is None and doc is not None and doc.tree is None:
        problem = doc.problem or "the engine returned no score explanation for this doc"
    ctx.update(doc=doc, problem=problem)
    if _wants_json(request):
        if problem is not None or doc is None or doc.tree is None:
            return _json_problem(problem or "no explanation", 502 if source.error else 404)
        payload = {"source": source.label, "id": doc.id, "rank": doc.rank}
        return JsonResponse({**payload, **serialize.breakdown(breakdown(doc.tree))})
    if problem is None and doc is not None and doc.tree is not None:
        bd, rows = _clause_rows(doc.tree)
        ctx.update(breakdown=bd, rows=rows, tree=sources.nested_tree(doc.tree))
    template = "explain/_partials/doc.html" if _wants_partial(request) else "explain/doc.html"
    # An unknown doc is a 404; an engine fault or a doc without explain is a page that says so.
    status = 404 if doc is None and source.error is None else 200
    return render(request, template, ctx, status=status)


@login_required
def compare_docs(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """Why is this above that: the clause-by-clause difference of two docs' scores."""
    ctx = _base(request, case_id, query_id)
    source: sources.ExplainSource = ctx["source"]
    wanted = list(dict.fromkeys(request.GET.getlist("doc")))
    problem = source.error
    picked: list[sources.ExplainedDoc] = []
    if problem is None:
        if len(wanted) != 2:
            problem = f"pick exactly two docs to compare (got {len(wanted)})"
        else:
            for doc_id in wanted:
                doc = source.find(doc_id)
                if doc is None:
                    problem = f"doc {doc_id!r} is not among this query's results any more"
                    break
                if doc.tree is None:
                    problem = f"doc {doc_id!r} has no score explanation"
                    break
                picked.append(doc)
    if problem is not None:
        if _wants_json(request):
            return _json_problem(problem, 502 if source.error else 400)
        ctx.update(problem=problem)
        return render(request, "explain/compare.html", ctx, status=400)
    above, below = sorted(picked, key=lambda d: d.position)
    assert above.tree is not None and below.tree is not None
    cmp = compare(above.tree, below.tree)
    biggest = max((abs(r.delta) for r in cmp.rows), default=0.0) or 1.0
    rows = [
        {"gap": r, "width": w, "left": round(61 - w, 1), "up": r.delta >= 0}
        for r, w in ((r, round(60 * abs(r.delta) / biggest, 1)) for r in cmp.rows)
    ]
    headline = cmp.headline(f"#{above.rank}", f"#{below.rank}")
    if _wants_json(request):
        return JsonResponse(serialize.comparison(cmp, above.id, below.id, headline))
    ctx.update(above=above, below=below, comparison=cmp, headline=headline, rows=rows)
    return render(request, "explain/compare.html", ctx)


@login_required
@require_GET
def doc_moved(request: HttpRequest, case_id: int, query_id: int) -> HttpResponse:
    """Why did this doc move between two tries or snapshots (``?a=SIDE&b=SIDE[&doc=ID]``, as the
    compare page names them): both sides' results for the query with each doc's movement, and for
    the doc asked for its rank, score and explanation in each with the clauses and fields that
    gained or lost. A try is searched now, explain on (runs keep scores only)."""
    case = sources.case_for(request.user, case_id)
    query = sources.query_for(case, query_id)
    found = [services.side_of(case, request.GET.get(k, "")) for k in ("a", "b")]
    if found[0] is None or found[1] is None:
        raise Http404("No such try or snapshot")
    live_allowed = services.may_search(request.user, case)
    a, b = (sources.side(case, query, f, live_allowed=live_allowed) for f in found)
    left, right = movements([d.id for d in a.docs], [d.id for d in b.docs])
    doc_id = request.GET.get("doc")
    ctx: dict[str, Any] = {
        "case": case,
        "query": query,
        "a": a,
        "b": b,
        "a_key": request.GET["a"],
        "b_key": request.GET["b"],
        "sides": [
            (a, list(zip(a.docs, left, strict=True)), "a"),
            (b, list(zip(b.docs, right, strict=True)), "b"),
        ],
        "doc_id": doc_id,
    }
    if doc_id:
        ctx.update(_why_moved(a, b, doc_id))
    return render(request, "explain/moved.html", ctx)


def _why_moved(a: sources.ExplainSource, b: sources.ExplainSource, doc_id: str) -> dict[str, Any]:
    """One doc on both sides: where it is and, when both explain it, the clause-by-clause and
    field-by-field difference of its score (A is the baseline ``a``, B the other side)."""
    in_a, in_b = a.find(doc_id), b.find(doc_id)
    out: dict[str, Any] = {"in_a": in_a, "in_b": in_b}
    if in_a is None and in_b is None:
        out["problem"] = f"doc {doc_id!r} is in neither side's results"
    elif in_a is None or in_b is None:
        where = a.label if in_a is None else b.label
        out["problem"] = f"doc {doc_id!r} is not among the results of {where}"
    elif in_a.tree is None or in_b.tree is None:
        out["problem"] = f"doc {doc_id!r} has no score explanation on both sides"
    else:
        cmp = compare(in_b.tree, in_a.tree)
        out["comparison"] = cmp
        out["headline"] = cmp.headline(b.label, a.label)
        out["fields"] = breakdown_by_field(in_a.tree, in_b.tree)
    return out
