"""Markdown that people type (a book's guidelines) as HTML safe to show: CommonMark with raw HTML
escaped, not passed, and links markdown-it refuses (javascript:, vbscript:, file:) left as text."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False})


def render(text: str) -> SafeString:
    return mark_safe(_MD.render(text or ""))  # noqa: S308 - raw HTML is escaped by html=False
