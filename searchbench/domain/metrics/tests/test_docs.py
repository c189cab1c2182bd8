from __future__ import annotations

from pathlib import Path

from searchbench.domain.metrics import MEASURES
from searchbench.domain.metrics.catalog import measure_table, render

DOC = Path(__file__).resolve().parents[4] / "docs" / "metrics.md"


def test_the_doc_lists_every_measure_of_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in MEASURES:
        assert f"| `{name}`" in text, f"docs/metrics.md does not list {name}"


def test_the_generated_table_is_up_to_date() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, (
        "docs/metrics.md is stale: python -m searchbench.domain.metrics.catalog docs/metrics.md"
    )


def test_the_table_has_one_row_per_measure() -> None:
    rows = [line for line in measure_table().splitlines() if line.startswith("| `")]
    assert len(rows) == len(MEASURES)
