"""How documents moved between two rankings of one query (the compare page's side by side).

Pure: two lists of doc ids in rank order in, per doc where it was and where it is out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Movement:
    """One doc in the two rankings; positions are 1-based, None where the doc is absent."""

    doc_id: str
    before: int | None
    after: int | None

    @property
    def kind(self) -> str:
        """``new`` (only after), ``dropped`` (only before), ``up``, ``down`` or ``same``."""
        if self.before is None:
            return "new"
        if self.after is None:
            return "dropped"
        if self.after < self.before:
            return "up"
        return "down" if self.after > self.before else "same"

    @property
    def mark(self) -> str:
        """How pages tag it: ``↑2``, ``↓1``, ``new``, ``dropped`` or ``=``."""
        kind = self.kind
        if kind == "up":
            return f"↑{self.by}"
        if kind == "down":
            return f"↓{self.by}"
        return "=" if kind == "same" else kind

    @property
    def by(self) -> int:
        """How many places it moved (0 for new, dropped and same)."""
        if self.before is None or self.after is None:
            return 0
        return abs(self.before - self.after)


def movements(before: Sequence[str], after: Sequence[str]) -> tuple[list[Movement], list[Movement]]:
    """(``before``'s docs in its order, ``after``'s docs in its order), each doc with its place in
    both: the left list marks what ``after`` dropped, the right one what is new or moved.
    A doc listed twice in one ranking counts at its first place."""
    first_before = _first_places(before)
    first_after = _first_places(after)
    left = [Movement(d, i, first_after.get(d)) for i, d in enumerate(before, start=1)]
    right = [Movement(d, first_before.get(d), i) for i, d in enumerate(after, start=1)]
    return left, right


def _first_places(ranking: Sequence[str]) -> dict[str, int]:
    places: dict[str, int] = {}
    for i, doc_id in enumerate(ranking, start=1):
        places.setdefault(doc_id, i)
    return places
