"""Scores on pages: the colour step of a score badge (app.css colours ``.score[data-s]``)."""

from __future__ import annotations

import math
from typing import Any

from django import template

register = template.Library()


@register.filter
def score_tenths(value: Any) -> int:
    """0–10: the score in tenths, clamped (scores above 1 are as good as it gets). A CSS class or
    attribute rather than an inline style, which the Content-Security-Policy forbids."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(number):
        return 0
    return max(0, min(10, round(number * 10)))
