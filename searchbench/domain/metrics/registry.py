"""The measure table: one row per measure family. The CLI help, the docs, the UI choices and
the parser are all derived from it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from searchbench.domain.metrics import (
    average_precision,
    bpref,
    counts,
    err,
    gain,
    interpolated,
    judged,
    ndcg,
    precision,
    rbp,
    recall,
    reciprocal_rank,
    utility,
)
from searchbench.domain.metrics.ranking import Ranked
from searchbench.domain.metrics.spec import MeasureSpec

Compute = Callable[[Ranked, MeasureSpec], npt.NDArray[Any]]

TREC_CUTOFFS = (5.0, 10.0, 15.0, 20.0, 30.0, 100.0, 200.0, 500.0, 1000.0)


@dataclass(frozen=True)
class MeasureInfo:
    name: str  # trec_eval's name where trec_eval has the measure
    compute: Compute
    summary: str
    # How trec_eval-style parameters (``name.params``) are read:
    #   none | cutoffs (P.5,10 -> P_5, P_10) | points (iprec_at_recall..1,.2 -> _0.10, _0.20)
    #   | values (utility.2,-1,0,0; 11pt_avg..25,.5) | gains (ndcg.1=3,2=9) | p (rbp.p=0.8)
    #   | beta (set_F.0.5) | grade (ERR max grade) | length (relstring.20 -> relstring_20)
    params: str = "none"
    defaults: tuple[float, ...] = ()
    aggregate: str = "mean"  # mean | sum | gmean | text (per query only, not a number)
    per_query: bool = True  # printed per query with -q (trec_eval hides the gm_ measures)
    integer: bool = False
    binary: bool = True  # relevance is "grade >= level", so rel= / -l apply
    trec: bool = True  # part of trec_eval
    judgment_groups: bool = False  # averaged over the qrels' judgment groups (-R qrels_jg)
    ranked: bool = True  # reads the ranking (False: a count of the qrels alone)


def _m(*args: object, **kwargs: object) -> MeasureInfo:
    return MeasureInfo(*args, **kwargs)  # type: ignore[arg-type]


MEASURES: dict[str, MeasureInfo] = {
    m.name: m
    for m in (
        _m(
            "num_q",
            counts.num_q,
            "Number of queries evaluated.",
            aggregate="sum",
            per_query=False,
            integer=True,
            ranked=False,
        ),
        _m("num_ret", counts.num_ret, counts.num_ret.__doc__, aggregate="sum", integer=True),
        _m(
            "num_rel",
            counts.num_rel,
            counts.num_rel.__doc__,
            aggregate="sum",
            integer=True,
            ranked=False,
        ),
        _m(
            "num_rel_ret",
            counts.num_rel_ret,
            counts.num_rel_ret.__doc__,
            aggregate="sum",
            integer=True,
        ),
        _m("map", average_precision.average_precision, average_precision.average_precision.__doc__),
        _m(
            "gm_map",
            average_precision.average_precision,
            "AP per query, geometric mean over queries (AP floored at 0.00001).",
            aggregate="gmean",
            per_query=False,
        ),
        _m("Rprec", precision.r_precision, precision.r_precision.__doc__),
        _m("bpref", bpref.bpref, bpref.bpref.__doc__),
        _m("recip_rank", reciprocal_rank.reciprocal_rank, reciprocal_rank.reciprocal_rank.__doc__),
        _m(
            "iprec_at_recall",
            interpolated.iprec_at_recall,
            interpolated.iprec_at_recall.__doc__,
            "points",
            interpolated.ELEVEN_POINTS,
        ),
        _m("P", precision.precision_at, precision.precision_at.__doc__, "cutoffs", TREC_CUTOFFS),
        _m(
            "relstring",
            judged.relstring,
            judged.relstring.__doc__,
            "length",
            (10.0,),
            aggregate="text",
            binary=False,
        ),
        _m("recall", recall.recall_at, recall.recall_at.__doc__, "cutoffs", TREC_CUTOFFS),
        _m("infAP", average_precision.inferred_ap, average_precision.inferred_ap.__doc__),
        _m(
            "gm_bpref",
            bpref.bpref,
            "bpref per query, geometric mean over queries.",
            aggregate="gmean",
            per_query=False,
        ),
        _m(
            "Rprec_mult",
            precision.r_precision_mult,
            precision.r_precision_mult.__doc__,
            "points",
            (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0),
        ),
        _m(
            "utility",
            utility.utility,
            utility.utility.__doc__,
            "values",
            utility.DEFAULT_COEFFICIENTS,
        ),
        _m(
            "11pt_avg",
            interpolated.eleven_point_average,
            interpolated.eleven_point_average.__doc__,
            "values",
            interpolated.ELEVEN_POINTS,
        ),
        _m("binG", gain.bin_g, gain.bin_g.__doc__),
        _m("G", gain.g_measure, gain.g_measure.__doc__, "gains", binary=False),
        _m(
            "ndcg",
            ndcg.ndcg,
            "nDCG over the whole run and the whole ideal ranking; linear "
            "gain = grade, overridable per grade (ndcg.1=3,2=9).",
            "gains",
            binary=False,
        ),
        _m("ndcg_rel", ndcg.ndcg_rel, ndcg.ndcg_rel.__doc__, "gains", binary=False),
        _m("Rndcg", ndcg.r_ndcg, ndcg.r_ndcg.__doc__, "gains", binary=False),
        _m(
            "ndcg_cut",
            ndcg.ndcg,
            "nDCG with the run and the ideal ranking both cut at k.",
            "cutoffs",
            TREC_CUTOFFS,
            binary=False,
        ),
        _m(
            "map_cut",
            average_precision.average_precision,
            "AP over the top k only (still divided by all relevant docs).",
            "cutoffs",
            TREC_CUTOFFS,
        ),
        _m(
            "relative_P",
            precision.relative_precision,
            precision.relative_precision.__doc__,
            "cutoffs",
            TREC_CUTOFFS,
        ),
        _m("success", precision.success, precision.success.__doc__, "cutoffs", (1.0, 5.0, 10.0)),
        _m("set_P", precision.set_precision, precision.set_precision.__doc__),
        _m(
            "set_relative_P",
            precision.set_relative_precision,
            precision.set_relative_precision.__doc__,
        ),
        _m("set_recall", recall.set_recall, recall.set_recall.__doc__),
        _m(
            "set_map",
            average_precision.set_average_precision,
            average_precision.set_average_precision.__doc__,
        ),
        _m("set_F", precision.set_f, precision.set_f.__doc__, "beta", (1.0,)),
        _m(
            "num_nonrel_judged_ret",
            counts.num_nonrel_judged_ret,
            counts.num_nonrel_judged_ret.__doc__,
            aggregate="sum",
            integer=True,
        ),
        _m(
            "map_avgjg",
            average_precision.average_precision,
            "AP against each judgment group's qrels, averaged over the groups.",
            judgment_groups=True,
        ),
        _m(
            "P_avgjg",
            precision.precision_at,
            "P_k against each judgment group's qrels, averaged over the groups.",
            "cutoffs",
            TREC_CUTOFFS,
            judgment_groups=True,
        ),
        _m(
            "Rprec_mult_avgjg",
            precision.r_precision_mult,
            "Rprec_mult_x against each judgment group's qrels, averaged over the groups.",
            "points",
            (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0),
            judgment_groups=True,
        ),
        _m("rbp", rbp.rbp, rbp.rbp.__doc__, "p", (rbp.DEFAULT_PERSISTENCE,), binary=False),
        _m(
            "rbp_resid",
            rbp.rbp_residual,
            rbp.rbp_residual.__doc__,
            "p",
            (rbp.DEFAULT_PERSISTENCE,),
            binary=False,
        ),
        _m(
            "unj",
            judged.unjudged_at,
            judged.unjudged_at.__doc__,
            "cutoffs",
            (5.0, 10.0, 20.0),
            binary=False,
        ),
        _m("ERR", err.err, err.err.__doc__, "grade", binary=False, trec=False),
        _m(
            "Judged",
            judged.judged_at,
            judged.judged_at.__doc__,
            "cutoffs",
            (10.0,),
            binary=False,
            trec=False,
        ),
    )
}


def depth(spec: MeasureSpec) -> float:
    """How many ranked results a measure reads: ``k`` for one cut at k (``P@10``, ``nDCG@10``,
    ``relstring``'s length), ``math.inf`` for one of the whole ranking (AP, R-prec, RR,
    bpref, nDCG or ERR without a cutoff, the set measures …), 0 for a count of the qrels alone
    (num_q, num_rel). Given fewer results, a measure counts the rest as not retrieved."""
    info = MEASURES[spec.family]
    if not info.ranked:
        return 0
    if spec.cutoff is not None:
        return spec.cutoff
    if info.params == "length":  # relstring without a length: its default one
        return info.defaults[0]
    return math.inf


# trec_eval's -m groups (measures.c), in trec_eval's order; runid is printed by the CLI.
# all_trec is the official set followed by the rest of the standard measures.
_OFFICIAL: tuple[str, ...] = (
    "num_q",
    "num_ret",
    "num_rel",
    "num_rel_ret",
    "map",
    "gm_map",
    "Rprec",
    "bpref",
    "recip_rank",
    "iprec_at_recall",
    "P",
)

GROUPS: dict[str, tuple[str, ...]] = {
    "official": _OFFICIAL,
    "all_trec": _OFFICIAL
    + (
        "relstring",
        "recall",
        "infAP",
        "gm_bpref",
        "Rprec_mult",
        "utility",
        "11pt_avg",
        "binG",
        "G",
        "ndcg",
        "ndcg_rel",
        "Rndcg",
        "ndcg_cut",
        "map_cut",
        "relative_P",
        "success",
        "set_P",
        "set_relative_P",
        "set_recall",
        "set_map",
        "set_F",
        "num_nonrel_judged_ret",
        "rbp",
        "rbp_resid",
        "unj",
    ),
    "qrels_jg": ("num_q", "map_avgjg", "P_avgjg", "Rprec_mult_avgjg"),
    "set": (
        "num_q",
        "num_ret",
        "num_rel",
        "num_rel_ret",
        "utility",
        "set_P",
        "set_recall",
        "set_relative_P",
        "set_map",
        "set_F",
    ),
}

# ir_measures-style names: Name(params)@cutoff -> (family without cutoff, family with cutoff).
IR_NAMES: dict[str, tuple[str | None, str | None]] = {
    "AP": ("map", "map_cut"),
    "MAP": ("map", "map_cut"),
    "P": (None, "P"),
    "R": (None, "recall"),
    "Recall": (None, "recall"),
    "RR": ("recip_rank", "recip_rank"),
    "MRR": ("recip_rank", "recip_rank"),
    "nDCG": ("ndcg", "ndcg_cut"),
    "NDCG": ("ndcg", "ndcg_cut"),
    "Rprec": ("Rprec", None),
    "Success": (None, "success"),
    "ERR": ("ERR", "ERR"),
    "RBP": ("rbp", None),
    "Judged": (None, "Judged"),
    "Bpref": ("bpref", None),
    "infAP": ("infAP", None),
    "IPrec": (None, "iprec_at_recall"),
    "NumQ": ("num_q", None),
    "NumRet": ("num_ret", None),
    "NumRel": ("num_rel", None),
    "NumRelRet": ("num_rel_ret", None),
    "SetP": ("set_P", None),
    "SetR": ("set_recall", None),
    "SetF": ("set_F", None),
    "SetAP": ("set_map", None),
    "GMAP": ("gm_map", None),
}
