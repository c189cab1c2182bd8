"""Errors shared by the domain parsers."""

from __future__ import annotations


class PositionedError(ValueError):
    """Input that cannot be parsed; ``position`` is a 0-based offset into the text, if known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        where = f" (at position {position})" if position is not None else ""
        super().__init__(f"{message}{where}")
