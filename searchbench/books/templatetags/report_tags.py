"""The book page's agreement box (an inclusion tag, so the book page needs one line for it) and
the number format of the agreement and calibration pages."""

from __future__ import annotations

from typing import Any

from django import template

from searchbench.books import reports
from searchbench.books.models import Book
from searchbench.domain.agreement import AgreementError

register = template.Library()

UNDEFINED = "—"


@register.filter
def measure(value: float | None, digits: int = 3) -> str:
    """An agreement number, or a dash where it is undefined (docs/agreement.md)."""
    return UNDEFINED if value is None else f"{value:.{digits}f}"


@register.filter
def signed(value: float | None, digits: int = 3) -> str:
    return UNDEFINED if value is None else f"{value:+.{digits}f}"


@register.filter
def minus(value: float, other: float) -> str:
    """``value − other``, signed: a query's judge score less its human score."""
    return signed(value - other)


@register.inclusion_tag("books/_partials/agreement.html")
def book_agreement(book: Book) -> dict[str, Any]:
    try:
        return {"book": book, "result": reports.book_agreement(book), "error": ""}
    except AgreementError as exc:
        return {"book": book, "result": None, "error": str(exc)}
