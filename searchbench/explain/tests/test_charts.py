"""Chart geometry: bar lengths follow the numbers, colours are shared between the two charts."""

from __future__ import annotations

import pytest

from searchbench.domain.explain_analysis import summarize
from searchbench.domain.tests import explain_trees as T
from searchbench.engines.explain import parse_lucene_explain
from searchbench.explain import charts


def solr_summary():  # type: ignore[no-untyped-def]
    return summarize([parse_lucene_explain(T.SOLR_A), parse_lucene_explain(T.SOLR_B)])


def test_clause_bars_are_proportional_to_the_clause_totals() -> None:
    s = solr_summary()
    chart = charts.clause_bars(s)
    assert len(chart.rects) == len(s.shares)
    plot = charts.WIDTH - charts.LABEL_W - charts.VALUE_W
    biggest = s.shares[0].total
    for rect, share in zip(chart.rects, s.shares, strict=True):
        assert rect.x == charts.LABEL_W
        assert rect.width == pytest.approx(plot * share.total / biggest, abs=0.01)
        assert rect.key == share.key
    assert chart.height == 2 * charts.TOP + len(s.shares) * (charts.BAR_H + charts.GAP)


def test_clause_bars_fold_the_long_tail_into_one_bar() -> None:
    s = solr_summary()
    chart = charts.clause_bars(s, max_rows=2)
    assert len(chart.rects) == 3
    tail = chart.rects[-1]
    assert tail.fill == charts.REST_COLOUR
    assert tail.title == f"{sum(x.total for x in s.shares[2:]):.4g} in total"


def test_doc_stacks_add_up_to_each_docs_score_with_the_clause_colours() -> None:
    s = solr_summary()
    chart = charts.doc_stacks(s, ["#1 a", "#2 b"])
    plot = charts.WIDTH - charts.LABEL_W - charts.VALUE_W
    for d, total in enumerate(s.doc_totals):
        y = charts.TOP + d * (charts.BAR_H + charts.GAP)
        row = [r for r in chart.rects if r.y == y]
        assert sum(r.width for r in row) == pytest.approx(
            plot * total / max(s.doc_totals), abs=0.05
        )
        # stacked left to right without gaps
        for left, right in zip(row, row[1:], strict=False):
            assert right.x == pytest.approx(left.x + left.width, abs=0.02)
    colour = charts.colours(s)
    assert all(r.fill == colour[r.key] for r in chart.rects)
    assert [label for _, label in chart.legend] == [x.label for x in s.shares]


def test_doc_stacks_skip_zero_parts_and_group_the_legend_tail() -> None:
    s = summarize([parse_lucene_explain(T.OS_A), parse_lucene_explain(T.OS_B)])
    chart = charts.doc_stacks(s, ["a", "b"], max_colours=1)
    assert all(r.width > 0 for r in chart.rects)  # the filter adds 0 and draws nothing
    assert chart.legend[-1] == (charts.REST_COLOUR, charts.REST_LABEL)
    assert len(chart.legend) == 2
