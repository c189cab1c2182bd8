"""Score-history charts drawn on the server as SVG: the case header's sparkline and the history
page's full chart come from one function (:func:`line_chart`), in two sizes.

No script draws them (the CSP allows none inline); each point's ``<title>`` is its hover note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from searchbench.cases.history import Point

TRIGGERS = {"run": "run", "schedule": "schedule"}


@dataclass(frozen=True)
class Dot:
    x: str
    y: str
    label: str
    changed: str  # "" or what changed since the run before: "try", "scorer", "try and scorer"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    pad: int
    dots: list[Dot]
    low: float
    high: float
    points: str = ""
    changes: list[Dot] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return len(self.dots)


def _label(p: Point) -> str:
    trigger = f" · {TRIGGERS.get(p.trigger, p.trigger)}" if p.trigger else ""
    rated = " (rated since)" if p.rated_at else ""
    return (
        f"{p.at:%Y-%m-%d %H:%M} · try {p.try_number or '?'} · {p.scorer_name}"
        f" {p.score:.3f}{rated}{trigger}"
    )


def _change(before: Point | None, p: Point) -> str:
    if before is None:
        return ""
    what = [
        name
        for name, differs in (
            ("try", before.try_number != p.try_number),
            ("scorer", before.scorer_name != p.scorer_name),
        )
        if differs
    ]
    return " and ".join(what)


def line_chart(series: Sequence[Point], width: int, height: int, pad: int = 2) -> Chart | None:
    """The series (oldest first) as a polyline in a ``width`` × ``height`` box with ``pad`` left
    free on each side; one dot per run, titled with its time, try, scorer, score and trigger; the
    runs where the try or the scorer changed since the one before listed apart (``changes``).
    None when there is nothing to draw a line through (fewer than two runs)."""
    if len(series) < 2:
        return None
    scores = [p.score for p in series]
    low, high = min(scores), max(scores)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(series) - 1)
    dots = [
        Dot(
            x=f"{pad + i * step:.1f}",
            y=f"{pad + (high - p.score) / span * (height - 2 * pad):.1f}",
            label=_label(p),
            changed=_change(series[i - 1] if i else None, p),
        )
        for i, p in enumerate(series)
    ]
    return Chart(
        width=width,
        height=height,
        pad=pad,
        dots=dots,
        low=low,
        high=high,
        points=" ".join(f"{d.x},{d.y}" for d in dots),
        changes=[d for d in dots if d.changed],
    )
