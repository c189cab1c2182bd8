"""How deep a measure reads the ranking, from its parsed name (what `try.rows` must reach)."""

from __future__ import annotations

import math

import pytest

from searchbench.domain.metrics import measure_depth

WHOLE = math.inf


@pytest.mark.parametrize(
    ("name", "depth"),
    [
        # cut at k: the top k
        ("nDCG@10", 10),
        ("P@20", 20),
        ("AP@100", 100),
        ("R@50", 50),
        ("RR@10", 10),
        ("ERR(max=4)@20", 20),
        ("Judged@5", 5),
        ("P(rel=2)@5", 5),
        ("ndcg_cut_10", 10),
        ("map_cut.5,100", 100),  # two measures: the deeper one
        ("P", 1000),  # trec_eval's default cutoffs, up to 1000
        ("success_1", 1),
        ("relstring", 10),  # its default length
        # the whole ranking
        ("AP", WHOLE),
        ("map", WHOLE),
        ("nDCG", WHOLE),
        ("ndcg", WHOLE),
        ("ERR", WHOLE),
        ("RR", WHOLE),
        ("Rprec", WHOLE),
        ("bpref", WHOLE),
        ("infAP", WHOLE),
        ("RBP(p=0.8)", WHOLE),
        ("iprec_at_recall_0.50", WHOLE),
        ("set_P", WHOLE),
        ("official", WHOLE),
        # counts of the qrels: no ranking at all
        ("num_q", 0),
        ("num_rel", 0),
    ],
)
def test_the_depth_comes_from_the_parsed_measure(name: str, depth: float) -> None:
    assert measure_depth(name) == depth
