"""The calibration page of an LLM judge in a book (the book page's agreement box is the
``book_agreement`` template tag). Thin: the numbers come from books.reports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from searchbench.books import charts, reports, services
from searchbench.books.models import Judge
from searchbench.domain.agreement import AgreementError


@login_required
@require_GET
def calibration(request: HttpRequest, book_id: int, judge_id: int) -> HttpResponse:
    book = services.readable_book(request.user, book_id)
    judge = Judge.objects.filter(pk=judge_id).first()
    # A judge is shown where it has judged: its name is not to be found by trying ids.
    if book is None or judge is None or not reports.has_judged(book, judge):
        raise Http404("no such judge in this book")
    context = {"book": book, "judge": judge, "report": None, "error": ""}
    try:
        report = reports.judge_calibration(
            book, judge, services.readable_cases_of(book, request.user)
        )
    except AgreementError as exc:
        context["error"] = str(exc)
        return render(request, "books/calibration.html", context)
    context.update(
        report=report,
        heat=charts.heat_map(
            report.agreement.kappa.confusion,
            report.scale,
            book.labels,
            rows_are="human consensus",
            columns_are=judge.name,
        ),
        cases=[
            (effect, charts.effect_chart(effect.effect.tries if effect.effect else []))
            for effect in report.cases
        ],
    )
    return render(request, "books/calibration.html", context)
