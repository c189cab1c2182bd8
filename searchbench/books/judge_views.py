"""The LLM judges' pages: list, create, edit (the owner), test, and judging a book with one.
Each view checks access, calls books/judges.py, renders. A judge's key is never rendered."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from searchbench.books import judges
from searchbench.books.judge_forms import JudgeBookForm, JudgeForm
from searchbench.books.models import Judge
from searchbench.books.views import _book_for
from searchbench.jobs import services as jobs


def _usable(request: HttpRequest, judge_id: int) -> Judge:
    return get_object_or_404(judges.usable_judges(request.user), pk=judge_id)


def _own(request: HttpRequest, judge_id: int) -> Judge:
    """The judge if the user owns it; others get 404 as for someone else's endpoint."""
    judge = _usable(request, judge_id)
    if not judges.can_edit(request.user, judge):
        raise Http404("No such judge")
    return judge


@login_required
@require_GET
def judge_list(request: HttpRequest) -> HttpResponse:
    rows = judges.usable_judges(request.user).select_related("owner")
    return render(request, "books/judge_list.html", {"judges": rows})


@login_required
@require_http_methods(["GET", "POST"])
def judge_new(request: HttpRequest) -> HttpResponse:
    form = JudgeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        judge = form.save()
        messages.success(request, f"Judge {judge.name!r} saved. Test it with one sample pair.")
        return redirect("books:judge_detail", judge_id=judge.pk)
    return render(request, "books/judge_form.html", {"form": form, "judge": None})


@login_required
@require_http_methods(["GET", "POST"])
def judge_edit(request: HttpRequest, judge_id: int) -> HttpResponse:
    judge = _own(request, judge_id)
    form = JudgeForm(request.POST or None, instance=judge, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Judge {judge.name!r} saved.")
        return redirect("books:judge_detail", judge_id=judge.pk)
    return render(request, "books/judge_form.html", {"form": form, "judge": judge})


@login_required
@require_GET
def judge_detail(request: HttpRequest, judge_id: int) -> HttpResponse:
    judge = _usable(request, judge_id)
    return render(
        request,
        "books/judge_detail.html",
        {
            "judge": judge,
            "stats": judges.judge_stats(judge),
            "can_edit": judges.can_edit(request.user, judge),
        },
    )


@login_required
@require_POST
def judge_test(request: HttpRequest, judge_id: int) -> HttpResponse:
    """Send one sample prompt and say what came back (the verdict, its cost, or the error)."""
    judge = _usable(request, judge_id)
    outcome, error = judges.test_judge(judge)
    if outcome is None:
        messages.error(request, f"{judge.name}: {error}")
    else:
        verdict = outcome.verdict
        said = f"judgment {verdict.rating:g}" if verdict.rated else f"can't rate ({verdict.reason})"
        cost = (
            f"{outcome.prompt_tokens or 0} + {outcome.completion_tokens or 0} tokens, "
            f"{outcome.latency_ms} ms"
        )
        explanation = f": “{verdict.explanation}”" if verdict.explanation else ""
        (messages.success if verdict.rated else messages.warning)(
            request, f"{judge.name} answered the sample pair with {said}{explanation} ({cost})."
        )
    return redirect("books:judge_detail", judge_id=judge.pk)


@login_required
@require_http_methods(["GET", "POST"])
def book_llm(request: HttpRequest, book_id: int) -> HttpResponse:
    """Judge the book with an LLM judge: choose one and a budget; the book's judging jobs with
    their progress bars."""
    book = _book_for(request, book_id)
    usable = judges.usable_judges(request.user)
    form = JudgeBookForm(request.POST or None, judges=usable)
    if request.method == "POST" and form.is_valid():
        try:
            job = judges.start_judging(
                book,
                form.cleaned_data["judge"],
                user=request.user,
                max_pairs=form.cleaned_data["max_pairs"],
                max_tokens=form.cleaned_data["max_tokens"],
            )
        except judges.JudgingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Judging queued: {job.total} pairs.")
        return redirect("books:llm", book_id=book.pk)
    recent = judges.jobs_of(book).order_by("-created_at", "-id")[:10]
    return render(
        request,
        "books/book_llm.html",
        {
            "book": book,
            "form": form,
            "has_judges": usable.exists(),
            "jobs": [(job, jobs.progress(job)) for job in recent],
        },
    )
