"""The books' pages. Each view: check access, call services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from searchbench.books import populate, queue, services, sync
from searchbench.books.forms import BookForm, JudgementForm, PopulateForm
from searchbench.books.models import Book, Judgement, Pair
from searchbench.cases.services import ServiceError
from searchbench.domain.formats.registry import BOOK_FORMATS
from searchbench.web import markdown
from searchbench.web.csp import image_src

MEDIA_FIELDS = ("title", "thumb", "image")


def _book_for(request: HttpRequest, book_id: int) -> Book:
    """The book if the user may see it (404 otherwise: its existence is not disclosed). Who may
    see a book may change it (books.services.can_write)."""
    book = services.readable_book(request.user, book_id)
    if book is None:
        raise Http404("No such book")
    return book


def _key(request: HttpRequest) -> str:
    return services.rater_key(rater=request.user)


@login_required
@require_GET
def book_list(request: HttpRequest) -> HttpResponse:
    books = (
        services.readable_books(request.user)
        .select_related("owner")
        .annotate(pair_count=Count("pairs", distinct=True))
    )
    return render(request, "books/book_list.html", {"books": books})


@login_required
@require_http_methods(["GET", "POST"])
def book_new(request: HttpRequest) -> HttpResponse:
    form = BookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        book = form.save()
        messages.success(request, f"Book {book.name!r} created: now fill it from a case.")
        return redirect("books:detail", book.pk)
    return render(request, "books/book_form.html", {"form": form, "book": None})


@login_required
@require_http_methods(["GET", "POST"])
def book_settings(request: HttpRequest, book_id: int) -> HttpResponse:
    book = _book_for(request, book_id)
    form = BookForm(request.POST or None, instance=book, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Book saved.")
        return redirect("books:detail", book.pk)
    return render(request, "books/book_form.html", {"form": form, "book": book})


@login_required
@require_GET
def book_detail(request: HttpRequest, book_id: int) -> HttpResponse:
    book = _book_for(request, book_id)
    cases = list(services.readable_cases_of(book, request.user).select_related("scorer"))
    return render(
        request,
        "books/book_detail.html",
        {
            "book": book,
            "progress": queue.progress(book),
            "guidelines": markdown.render(book.guidelines),
            # A book's raters may not all see each of its cases: those they cannot are counted.
            "cases": cases,
            "hidden_cases": book.cases.count() - len(cases),
            "syncable": {c.pk for c in sync.syncable_cases(book, request.user)},
            # The sync history names cases too: only those the reader may see.
            "syncs": book.syncs.filter(case__in=[c.pk for c in cases]).select_related(
                "case", "synced_by"
            )[:10],
            "populate_form": PopulateForm(user=request.user),
            "scale": _scale(book),
            "book_formats": list(BOOK_FORMATS),
        },
    )


@login_required
@require_POST
def book_populate(request: HttpRequest, book_id: int) -> HttpResponse:
    book = _book_for(request, book_id)
    form = PopulateForm(request.POST, user=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("books:detail", book.pk)
    depth, stored = form.cleaned_data["depth"], form.cleaned_data["source"] == "snapshot"
    for case in form.cleaned_data["cases"]:
        try:
            done = populate.populate_from_case(book, case, depth=depth, stored=stored)
        except ServiceError as exc:
            messages.error(request, str(exc))
            continue
        text = (
            f"{case.name}: {done.added} pair{pluralize(done.added)} added, {done.kept} "
            f"already in the book, from {done.queries} quer{pluralize(done.queries, 'y,ies')}."
        )
        messages.success(request, text)
        for query, error in list(done.errors.items())[:5]:
            messages.warning(request, f"{case.name}: {query!r} failed: {error}")
    return redirect("books:detail", book.pk)


@login_required
@require_POST
def book_sync(request: HttpRequest, book_id: int) -> HttpResponse:
    book = _book_for(request, book_id)
    done = sync.sync_book(book, user=request.user)
    left = book.cases.count() - len(done)
    if not done and not left:
        messages.warning(request, "No case is linked to this book: fill it from a case first.")
    if left:
        messages.warning(
            request, f"{left} linked case{pluralize(left)} you may not change left as they are."
        )
    for item in done:
        r = item.record
        messages.success(
            request,
            f"{r.case.name}: {r.written} rating{pluralize(r.written)} written, {r.unchanged} "
            f"unchanged, {r.skipped} skipped ({book.get_aggregation_display()})"
            + ("; re-scoring." if item.job else "; the case has no try to re-score."),
        )
    return redirect("books:detail", book.pk)


@login_required
@require_GET
def judge_next(request: HttpRequest, book_id: int) -> HttpResponse:
    """The rater's next pair (see books.queue), or the page saying there is none."""
    book = _book_for(request, book_id)
    key = _key(request)
    pair = queue.next_pair(book, key)
    if pair is None:
        progress = queue.progress(book)
        return render(
            request,
            "books/judge_done.html",
            {
                "book": book,
                "progress": progress,
                "mine": progress.of(key),
                "previous": queue.previous_judgement(book, key),
            },
        )
    return redirect("books:judge_pair", book.pk, pair.pk)


@login_required
@require_http_methods(["GET", "POST"])
def judge_pair(request: HttpRequest, book_id: int, pair_id: int) -> HttpResponse:
    book = _book_for(request, book_id)
    pair = book.pairs.filter(pk=pair_id).first()
    if pair is None:
        raise Http404("No such pair")
    key = _key(request)
    mine = pair.judgements.filter(rater_key=key).first()
    # A revision starts from the rater's explanation: an answer posts the box as it stands.
    initial = {"explanation": mine.explanation} if mine is not None else None
    form = JudgementForm(request.POST or None, book=book, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_judgement(
                    pair,
                    rater=request.user,
                    explanation=form.cleaned_data["explanation"].strip(),
                    **form.judgement(),
                )
            except ServiceError as exc:
                form.add_error("answer", str(exc))
            else:
                return redirect("books:judge", book.pk)
    else:
        queue.open_pair(pair, key)
    progress = queue.progress(book)
    others = [] if book.hide_others else pair.judgements.exclude(rater_key=key)
    return render(
        request,
        "books/judge.html",
        {
            "book": book,
            "pair": pair,
            "doc": _doc(pair),
            "form": form,
            "mine": mine,
            "others": others,
            "names": queue.rater_names(book) if others else {},
            "progress": progress,
            "my_progress": progress.of(key),
            "previous": queue.previous_judgement(book, key, before=pair),
            "guidelines": markdown.render(book.guidelines),
            "scale": _scale(book),
            "answered": _answer_of(mine),
        },
        status=400 if request.method == "POST" else 200,
    )


def _doc(pair: Pair) -> dict[str, Any]:
    fields = pair.doc_fields or {}
    return {
        "title": fields.get("title") or pair.doc_id,
        "thumb": image_src(_text(fields.get("thumb"))) or image_src(_text(fields.get("image"))),
        "fields": [(k, v) for k, v in fields.items() if k not in MEDIA_FIELDS],
    }


def _text(value: Any) -> str | None:
    """An imported doc's field as one text: its first value when it is a list (a multi-valued
    field), None when it is not a text (a number, an object)."""
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, str) else None


def _scale(book: Book) -> list[tuple[str, str, int]]:
    """(value as text, label, the digit that gives it) for each grade of the scale; a grade
    past the tenth has no key (it is clicked)."""
    labels = {f"{float(k):g}": v for k, v in (book.labels or {}).items()}
    grades = [f"{float(g):g}" for g in book.scale or []]
    return [(g, labels.get(g, ""), str(n) if n < 10 else "") for n, g in enumerate(grades)]


def _answer_of(judgement: Judgement | None) -> str:
    if judgement is None:
        return ""
    if judgement.state == Judgement.State.RATED and judgement.rating is not None:
        return f"{judgement.rating:g}"
    return judgement.state
