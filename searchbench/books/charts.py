"""The calibration page's drawings, made on the server as SVG (the CSP allows no inline script or
style; colours are SVG attributes): the confusion matrix as a heat map, and the score effect as
one line a try from its score with the human ratings to its score with the judge's.

Each shape's ``<title>`` is its hover note, and the numbers are also in the page's tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from searchbench.domain.calibration import TryEffect

LOW = (244, 246, 251)  # an empty cell
HIGH = (31, 95, 168)  # the fullest cell (the history chart's line colour)
CELL = 44
MARGIN = 64  # room for the axis labels


def _mix(share: float) -> str:
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(LOW, HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def grade_label(grade: float, labels: dict[str, str] | None = None) -> str:
    text = f"{grade:g}"
    label = (labels or {}).get(text, "")
    return f"{text} {label}" if label else text


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    cx: int  # the centre, where the count is written
    cy: int
    fill: str
    ink: str  # the count's colour, readable on the fill
    count: int
    title: str


@dataclass(frozen=True)
class Tick:
    at: int  # the centre of the row or column
    text: str


@dataclass(frozen=True)
class HeatMap:
    width: int
    height: int
    size: int  # a cell's side
    margin: int
    cells: list[Cell]
    rows: list[Tick]  # the human consensus's grades, down the left
    columns: list[Tick]  # the judge's grades, along the top
    total: int


def heat_map(
    table: npt.ArrayLike,
    scale: Sequence[float],
    labels: dict[str, str] | None = None,
    *,
    rows_are: str = "humans",
    columns_are: str = "judge",
) -> HeatMap:
    """A grades × grades count table as coloured squares, darker for more pairs; the diagonal
    is where the two sides agree."""
    counts = np.asarray(table, dtype=np.int64)
    top = int(counts.max()) if counts.size else 0
    cells = []
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            share = count / top if top else 0.0
            cells.append(
                Cell(
                    x=MARGIN + j * CELL,
                    y=MARGIN + i * CELL,
                    cx=MARGIN + j * CELL + CELL // 2,
                    cy=MARGIN + i * CELL + CELL // 2,
                    fill=_mix(share),
                    ink="#ffffff" if share > 0.55 else "#1b1f24",
                    count=int(count),
                    title=f"{rows_are} {grade_label(scale[i], labels)}, {columns_are} "
                    f"{grade_label(scale[j], labels)}: {int(count)} pair(s)",
                )
            )
    ticks = [Tick(MARGIN + k * CELL + CELL // 2, f"{g:g}") for k, g in enumerate(scale)]
    side = MARGIN + len(scale) * CELL + 4
    return HeatMap(side, side, CELL, MARGIN, cells, ticks, ticks, int(counts.sum()))


@dataclass(frozen=True)
class EffectRow:
    y: int
    name: str
    x_human: str
    x_judge: str
    diamond: str  # the judge's marker, as polygon points
    title: str
    worse: bool  # the judge's ratings score this try lower


@dataclass(frozen=True)
class EffectChart:
    width: int
    height: int
    left: int
    right: int
    rows: list[EffectRow]
    low: float
    high: float
    axis: list[Tick]


ROW = 28
LEFT = 150  # room for the tries' names
WIDTH = 560


def effect_chart(tries: Sequence[TryEffect]) -> EffectChart | None:
    """Each try a row: a dot at its case score from the human consensus, a diamond at its score
    from the judge, a line between (the effect). The axis spans the scores shown, padded."""
    if not tries:
        return None
    values = [v for t in tries for v in (t.human, t.judge)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 0.05
    # padded down to 0 at most, unless a score is below it (a scale with negative grades)
    low, high = (low - pad if low < 0 else max(0.0, low - pad)), high + pad
    span = high - low
    right = WIDTH - 20

    def x(value: float) -> str:
        return f"{LEFT + (value - low) / span * (right - LEFT):.1f}"

    def diamond(value: float, y: int) -> str:
        at = float(x(value))
        return f"{at:.1f},{y - 6} {at + 6:.1f},{y} {at:.1f},{y + 6} {at - 6:.1f},{y}"

    rows = [
        EffectRow(
            y=20 + i * ROW,
            name=t.name,
            x_human=x(t.human),
            x_judge=x(t.judge),
            diamond=diamond(t.judge, 20 + i * ROW),
            title=f"{t.name}: {t.human:.3f} with the human ratings, {t.judge:.3f} with the "
            f"judge's ({t.difference:+.3f}; 95% CI {t.ci[0]:+.3f} to {t.ci[1]:+.3f})",
            worse=t.judge < t.human,
        )
        for i, t in enumerate(tries)
    ]
    # as many decimals as tell the five ticks apart
    digits = max(2, math.ceil(-math.log10(span / 4)))
    axis = [Tick(round(float(x(v))), f"{v:.{digits}f}") for v in np.linspace(low, high, 5)]
    return EffectChart(WIDTH, 20 + len(tries) * ROW + 24, LEFT, right, rows, low, high, axis)
