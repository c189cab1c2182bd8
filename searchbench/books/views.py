"""The books' pages. Each view: check access, call services, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from searchbench.books import services


@login_required
@require_http_methods(["GET", "POST"])
def book_list(request: HttpRequest) -> HttpResponse:
    books = services.readable_books(request.user).select_related("owner")
    return render(request, "books/book_list.html", {"books": books})
