from __future__ import annotations

import pytest

from searchbench.domain.metrics import MEASURES, UnknownMeasure, parse_measure, parse_measures
from searchbench.domain.metrics.spec import MeasureSpec


@pytest.mark.parametrize(
    ("name", "family", "fields"),
    [
        ("map", "map", {}),
        ("AP", "map", {}),
        ("AP@100", "map_cut", {"cutoff": 100}),
        ("P_10", "P", {"cutoff": 10}),
        ("P@10", "P", {"cutoff": 10}),
        ("P(rel=2)@5", "P", {"cutoff": 5, "rel": 2}),
        ("R@100", "recall", {"cutoff": 100}),
        ("recall_100", "recall", {"cutoff": 100}),
        ("RR", "recip_rank", {}),
        ("RR@10", "recip_rank", {"cutoff": 10}),
        ("nDCG", "ndcg", {}),
        ("nDCG@10", "ndcg_cut", {"cutoff": 10}),
        ("ndcg_cut_10", "ndcg_cut", {"cutoff": 10}),
        ("nDCG(gain=exp)@10", "ndcg_cut", {"cutoff": 10, "exp_gain": True}),
        ("Rprec", "Rprec", {}),
        ("Success@1", "success", {"cutoff": 1}),
        ("ERR@20", "ERR", {"cutoff": 20}),
        ("ERR(max=4)@20", "ERR", {"cutoff": 20, "value": 4.0}),
        ("RBP(p=0.8)", "rbp", {"value": 0.8}),
        ("Judged@10", "Judged", {"cutoff": 10}),
        ("iprec_at_recall_0.10", "iprec_at_recall", {"value": 0.1}),
        ("IPrec@0.5", "iprec_at_recall", {"value": 0.5}),
        ("Rprec_mult_0.20", "Rprec_mult", {"value": 0.2}),
        ("relative_P_5", "relative_P", {"cutoff": 5}),
        ("map_cut_10", "map_cut", {"cutoff": 10}),
    ],
)
def test_it_reads_both_naming_styles(name: str, family: str, fields: dict[str, object]) -> None:
    (spec,) = parse_measure(name)
    assert spec == MeasureSpec(name, family, **fields)  # type: ignore[arg-type]


def test_it_expands_trec_eval_parameter_lists_sorted() -> None:
    assert [s.label for s in parse_measure("P.5,7,3")] == ["P_3", "P_5", "P_7"]
    assert [s.label for s in parse_measure("ndcg_cut.10,23.4")] == ["ndcg_cut_10", "ndcg_cut_23"]
    assert [s.label for s in parse_measure("iprec_at_recall..5,.1")] == [
        "iprec_at_recall_0.10",
        "iprec_at_recall_0.50",
    ]
    (gains,) = parse_measure("ndcg.1=3,2=9,4=4.5")
    assert gains.label == "ndcg_1=3,2=9,4=4.5"
    assert gains.gains == ((1, 3.0), (2, 9.0), (4, 4.5))
    (util,) = parse_measure("utility.2,-1,0,0")
    assert util.label == "utility_2,-1,0,0" and util.values == (2.0, -1.0, 0.0, 0.0)


def test_a_bare_cutoff_measure_means_trec_eval_defaults() -> None:
    assert [s.label for s in parse_measure("success")] == ["success_1", "success_5", "success_10"]
    assert len(parse_measure("P")) == 9


def test_groups_expand_in_trec_eval_order() -> None:
    labels = [s.label for s in parse_measures(["official"])]
    assert labels[:6] == ["num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map"]
    assert labels[-1] == "P_1000"


def test_explicit_parameters_replace_group_defaults() -> None:
    labels = [s.label for s in parse_measures(["all_trec", "relstring.20"])]
    assert "relstring_20" in labels and "relstring" not in labels


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nDGC@10", "did you mean nDCG"),
        ("P", None),  # valid: trec_eval defaults
        ("P@0", "cutoff"),
        ("P@x", "not a number"),
        ("Success", "needs a cutoff"),
        ("RR(max=3)", "not accepted"),
        ("utility.1,2", "exactly 4"),
        ("map.5", "takes no parameters"),
        ("ndcg.a=3", "unknown parameter"),
    ],
)
def test_it_rejects_bad_names_clearly(name: str, message: str | None) -> None:
    if message is None:
        assert parse_measure(name)
        return
    with pytest.raises(UnknownMeasure, match=message):
        parse_measure(name)


def test_every_registry_entry_parses_by_its_own_name() -> None:
    for name in MEASURES:
        assert {s.family for s in parse_measure(name)} == {name}
