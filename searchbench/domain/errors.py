"""Errors shared by the domain parsers."""

from __future__ import annotations


class PositionedError(ValueError):
    """Input that cannot be parsed; ``position`` is a 0-based offset into the text, if known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        where = f" (at position {position})" if position is not None else ""
        super().__init__(f"{message}{where}")

    def located(self, text: str) -> str:
        """The message with where it is in ``text`` as a person finds it: line and column
        (1-based) and that line with a caret under the place; the message alone when the
        position is unknown."""
        if self.position is None or not 0 <= self.position <= len(text):
            return self.message
        before = text[: self.position]
        line = before.count("\n") + 1
        start = before.rfind("\n") + 1
        end = text.find("\n", self.position)
        shown = text[start : end if end != -1 else len(text)]
        column = self.position - start + 1
        caret = " " * (column - 1) + "^"
        return f"{self.message} — line {line}, column {column}:\n{shown}\n{caret}"
