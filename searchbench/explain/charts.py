"""Geometry of the server-rendered SVG charts (no chart library): the template only draws the
rectangles and texts computed here, so the numbers are testable without a browser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from searchbench.domain.explain_analysis import Summary

# Tableau 10 (distinguishable, also for the common colour-vision deficiencies); grey = the rest.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
)
REST_COLOUR = "#bab0ac"
REST_LABEL = "other clauses"

WIDTH = 760
LABEL_W = 190
VALUE_W = 120
BAR_H = 18
GAP = 7
TOP = 6
LABEL_CHARS = 26  # what fits in LABEL_W at the chart's 12px font


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str  # tooltip: what the rectangle stands for, with its number
    key: str = ""


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""


@dataclass
class Chart:
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, clause label)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def colours(summary: Summary, limit: int = len(PALETTE)) -> dict[str, str]:
    """Clause key → colour; the biggest clauses get the palette, the rest share grey."""
    out = {}
    for i, share in enumerate(summary.shares):
        out[share.key] = PALETTE[i] if i < limit else REST_COLOUR
    return out


def clause_bars(summary: Summary, max_rows: int = 12) -> Chart:
    """One bar per clause: its total contribution over the summarised docs."""
    shares = list(summary.shares)
    shown, rest = shares[:max_rows], shares[max_rows:]
    colour = colours(summary)
    rows: list[tuple[str, str, float, str, str]] = [
        (
            s.key,
            s.label,
            s.total,
            colour[s.key],
            f"{s.label}: {s.total:.4g} in total, {s.mean:.4g} per doc, "
            f"matched {s.matched} of {summary.docs}",
        )
        for s in shown
    ]
    if rest:
        total = sum(s.total for s in rest)
        rows.append(("", f"{len(rest)} more clauses", total, REST_COLOUR, f"{total:.4g} in total"))
    plot_w = WIDTH - LABEL_W - VALUE_W
    biggest = max((abs(r[2]) for r in rows), default=0.0) or 1.0
    chart = Chart(
        title=f"Clause contributions over the top {summary.docs}",
        width=WIDTH,
        height=TOP * 2 + len(rows) * (BAR_H + GAP),
    )
    for i, (key, label, total, fill, tip) in enumerate(rows):
        y = TOP + i * (BAR_H + GAP)
        width = plot_w * abs(total) / biggest
        chart.rects.append(Rect(LABEL_W, y, round(width, 2), BAR_H, fill, tip, key))
        chart.labels.append(
            Label(LABEL_W - 6, y + BAR_H - 5, _short(label, LABEL_CHARS), "end", "clause")
        )
        share = summary.share(next(s for s in shown if s.key == key)) if key else None
        pct = f" · {share:.0%}" if share is not None else ""
        chart.labels.append(
            Label(LABEL_W + width + 5, y + BAR_H - 5, f"{total:.3g}{pct}", "start", "value")
        )
    return chart


def doc_stacks(
    summary: Summary, doc_names: Sequence[str], max_colours: int = len(PALETTE)
) -> Chart:
    """One stacked bar per doc (rank order): how its score splits into clauses."""
    colour = colours(summary, max_colours)
    plot_w = WIDTH - LABEL_W - VALUE_W
    biggest = max(summary.doc_totals, default=0.0) or 1.0
    chart = Chart(
        title=f"Score of each of the top {summary.docs}, by clause",
        width=WIDTH,
        height=TOP * 2 + summary.docs * (BAR_H + GAP),
    )
    for d in range(summary.docs):
        y = TOP + d * (BAR_H + GAP)
        x = float(LABEL_W)
        name = doc_names[d] if d < len(doc_names) else f"#{d + 1}"
        chart.labels.append(
            Label(LABEL_W - 6, y + BAR_H - 5, _short(name, LABEL_CHARS), "end", "doc")
        )
        for s in summary.shares:
            value = s.per_doc[d]
            if value <= 0:  # filters add 0; a negative function part cannot be stacked
                continue
            width = plot_w * value / biggest
            chart.rects.append(
                Rect(
                    round(x, 2),
                    y,
                    round(width, 2),
                    BAR_H,
                    colour[s.key],
                    f"{name}: {s.label} {value:.4g}",
                    s.key,
                )
            )
            x += width
        total = summary.doc_totals[d]
        chart.labels.append(Label(x + 5, y + BAR_H - 5, f"{total:.4g}", "start", "value"))
    seen_rest = False
    for s in summary.shares:
        c = colour[s.key]
        if c == REST_COLOUR:
            if not seen_rest:
                chart.legend.append((c, REST_LABEL))
                seen_rest = True
        else:
            chart.legend.append((c, s.label))
    return chart
