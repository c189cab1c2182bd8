"""`searchbench eval QRELS RUN`: trec_eval's output, from searchbench's measures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from searchbench.domain.formats.trec import TrecFormatError, load_qrels, load_run
from searchbench.domain.metrics import GROUPS, MEASURES
from searchbench.domain.metrics.evaluate import Evaluation, evaluate_tables
from searchbench.domain.metrics.spec import MeasureSpec
from searchbench.domain.metrics.zscores import ZScoreFileError, read_zscores, to_zscores
from searchbench.domain.scoring import (
    CaseScore,
    InvalidScorerError,
    ScorerRef,
    parse_measures_and_scorers,
    score_run,
)

HELP = "Evaluate a TREC run against qrels (trec_eval-compatible output and numbers)."

_ORDER = {name: i for i, name in enumerate(MEASURES)}


def _epilog() -> str:
    families = ", ".join(MEASURES)
    groups = "; ".join(f"{g} = {' '.join(members)}" for g, members in GROUPS.items())
    return (
        f"measures: {families}. "
        "trec_eval names (map, P_10, ndcg_cut_10, P.5,10, ndcg.1=3,2=9) and ir_measures names "
        "(AP, P@10, P(rel=2)@5, nDCG@10, nDCG(gain=exp)@10, RR, R@100, Success@1, "
        f"ERR(max=4)@20, RBP(p=0.8), Judged@10) are both accepted. Groups: {groups}. "
        "Without -m: official. See docs/metrics.md."
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = _epilog()
    parser.add_argument("qrels", help="qrels file: qid iter docno rel")
    parser.add_argument("run", help="run file: qid Q0 docno rank score run_id")
    parser.add_argument(
        "-m",
        "--measure",
        action="append",
        default=[],
        metavar="MEASURE",
        help="measure or group to compute (repeatable; default: official)",
    )
    parser.add_argument("-q", "--per-query", action="store_true", help="also print every query")
    parser.add_argument(
        "-c",
        "--complete",
        action="store_true",
        help="score queries missing from the run as 0 and count them in the mean",
    )
    parser.add_argument(
        "-M", "--max-depth", type=int, metavar="N", help="use only the top N docs of each query"
    )
    parser.add_argument(
        "-l",
        "--rel-level",
        type=int,
        default=1,
        metavar="N",
        help="lowest grade that counts as relevant for binary measures (default 1)",
    )
    parser.add_argument(
        "-n", "--no-summary", action="store_true", help="omit the summary ('all') lines"
    )
    parser.add_argument(
        "-J",
        "--judged-only",
        action="store_true",
        help="drop unjudged docs from each ranking before evaluating (trec_eval's -J)",
    )
    parser.add_argument(
        "-R",
        "--rel-info-format",
        choices=("qrels", "qrels_jg"),
        default="qrels",
        help="qrels_jg: the qrels' second column is a judgment group (for the *_avgjg measures)",
    )
    parser.add_argument(
        "-Z",
        "--zscores",
        metavar="FILE",
        help="print z-scores against a 'qid measure mean stddev' file (trec_eval's -Z)",
    )
    parser.add_argument("--format", choices=("trec", "json"), default="trec")


def _value(spec: MeasureSpec, value: float, zscores: bool = False) -> str:
    if MEASURES[spec.family].integer and not zscores:
        return str(round(value))
    return f"{value:6.4f}"


def _line(label: str, qid: str, value: str, prefix: str = "") -> str:
    # trec_eval pads the name to 22 and puts -Z's "Z" in front of the padding.
    return f"{prefix}{label:<22}\t{qid}\t{value}\n"


def _print_trec(
    ev: Evaluation,
    specs: list[MeasureSpec],
    run_id: str,
    args: argparse.Namespace,
    out: TextIO,
    extra: dict[str, CaseScore],
) -> None:
    prefix = "Z" if args.zscores else ""
    if args.per_query:
        for i, qid in enumerate(ev.qids):
            for name, scored in extra.items():
                if qid in scored.per_query:
                    out.write(_line(name, qid, f"{scored.per_query[qid]:6.4f}"))
            for spec in specs:
                info = MEASURES[spec.family]
                label = prefix + spec.label
                if info.aggregate == "text":
                    out.write(_line(spec.label, qid, f"'{ev.text[spec.label][qid]}'"))
                elif info.per_query:
                    value = _value(spec, float(ev.values[label][i]), bool(prefix))
                    out.write(_line(spec.label, qid, value, prefix))
    if args.no_summary:
        return
    if args.print_runid:
        out.write(_line("runid", "all", run_id))
    for spec in specs:
        label = prefix + spec.label
        if label in ev.aggregate:
            value = _value(spec, ev.aggregate[label], bool(prefix))
            out.write(_line(spec.label, "all", value, prefix))
    for name, scored in extra.items():
        out.write(_line(name, "all", f"{scored.score:6.4f}"))


def _print_json(
    ev: Evaluation,
    specs: list[MeasureSpec],
    run_id: str,
    args: argparse.Namespace,
    out: TextIO,
    extra: dict[str, CaseScore],
) -> None:
    prefix = "Z" if args.zscores else ""
    labels = [prefix + s.label for s in specs]
    doc: dict[str, object] = {
        "run_id": run_id,
        "num_q": len(ev.qids),
        "measures": labels + list(extra),
    }
    if not args.no_summary:
        doc["all"] = {
            **{label: ev.aggregate[label] for label in labels if label in ev.aggregate},
            **{name: scored.score for name, scored in extra.items()},
        }
    if args.per_query:
        doc["per_query"] = {
            qid: {
                **{label: float(ev.values[label][i]) for label in labels if label in ev.values},
                **{label: texts[qid] for label, texts in ev.text.items()},
                **{name: s.per_query[qid] for name, s in extra.items() if qid in s.per_query},
            }
            for i, qid in enumerate(ev.qids)
        }
    json.dump(doc, out, indent=2)
    out.write("\n")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    names = args.measure or ["official"]
    args.print_runid = any(n in GROUPS for n in names)
    try:
        specs, scorers = parse_measures_and_scorers(names, Path.cwd())
    except InvalidScorerError as exc:
        print(f"searchbench eval: error: {exc}", file=sys.stderr)
        return 2
    # trec_eval prints measures in its own table order, whatever the order of -m options.
    specs.sort(key=lambda s: _ORDER[s.family])
    try:
        qrels = load_qrels(args.qrels, judgment_groups=args.rel_info_format == "qrels_jg")
        ranking = load_run(args.run)
        ev = evaluate_tables(
            qrels,
            ranking,
            specs,
            rel_level=args.rel_level,
            complete=args.complete,
            max_depth=args.max_depth,
            judged_only=args.judged_only,
        )
    except (TrecFormatError, ValueError) as exc:
        print(f"searchbench eval: error: {exc}", file=sys.stderr)
        return 2
    if not ev.qids:
        print(
            f"searchbench eval: error: no query is in both {args.qrels} and {args.run}",
            file=sys.stderr,
        )
        return 2
    if args.zscores:
        try:
            ev = to_zscores(ev, read_zscores(args.zscores))
        except ZScoreFileError as exc:
            print(f"searchbench eval: error: {exc}", file=sys.stderr)
            return 2
    extra = _score_with_scorers(scorers, qrels, ranking, args) if scorers else {}
    printer = _print_json if args.format == "json" else _print_trec
    printer(ev, specs, ranking.run_id, args, out, extra)
    return 0


def _score_with_scorers(
    scorers: list[ScorerRef], qrels: Any, ranking: Any, args: argparse.Namespace
) -> dict[str, CaseScore]:
    """Each scorer's scores by name, over the queries trec_eval reports (``-c``: all judged):
    the per-query values and the case score both printers show."""
    if args.zscores or args.judged_only or args.max_depth or args.rel_level != 1:
        raise SystemExit(
            "searchbench eval: error: -Z, -J, -M and -l apply to trec_eval measures only, "
            f"not to {scorers[0].name}"
        )
    scored = score_run(scorers, qrels.to_mapping(), ranking.to_mapping(), complete=args.complete)
    return {ref.name: scored[ref] for ref in scorers}
