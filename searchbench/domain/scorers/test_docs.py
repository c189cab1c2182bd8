"""docs/scorers.md lists every registered scorer, and its example scorer really works."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from searchbench.domain.scorers import (
    SCORERS,
    JsScorer,
    RankedDoc,
    ScoringInput,
    get_scorer,
    scorers_table_markdown,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "scorers.md"


def test_the_doc_carries_the_generated_table_of_every_scorer() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert scorers_table_markdown() in text
    for name in SCORERS:
        assert f"`{name}`" in text


def test_the_docs_example_scorer_is_quepids_ap_at_10() -> None:
    blocks = re.findall(r"```js\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/scorers.md lost its JavaScript example"
    scorer = JsScorer(blocks[0])
    native = get_scorer("quepid:AP@10")
    rng = random.Random(5)
    try:
        for _ in range(100):
            ratings = {f"d{i}": float(rng.randint(0, 3)) for i in range(rng.randint(0, 20))}
            docs = [RankedDoc(f"d{i}", {}, ratings.get(f"d{i}")) for i in range(rng.randint(0, 25))]
            inp = ScoringInput(docs=docs, ratings=ratings, num_found=len(docs))
            assert scorer.score(inp) == pytest.approx(native.score(inp))
    finally:
        scorer.close()
