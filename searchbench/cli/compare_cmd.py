"""`searchbench compare QRELS RUN_A RUN_B [RUN_C …]`: is the difference real?

Every run is evaluated over every query of the qrels (a query a run misses scores 0, as with
trec_eval -c), so all runs are paired query by query. Per measure the table shows each run's
mean, its delta against the first run, a seeded bootstrap confidence interval of that delta, the
p-value of the chosen paired test, the p-value after the correction for the runs compared on that
measure, and whether that is below alpha. Exit status: 0 done; 2 an input error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, TextIO

HELP = "Compare runs against the first one: means, deltas, bootstrap CIs, significance tests."

DEFAULT_MEASURES = ("AP", "nDCG@10", "P@10", "RR")
EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from searchbench.domain.stats import CORRECTIONS, TESTS

    tests = "; ".join(f"{t.name}: {t.description}" for t in TESTS.values())
    corrections = "; ".join(f"{c.name}: {c.description}" for c in CORRECTIONS.values())
    parser.epilog = (
        f"Tests — {tests} Corrections (over the runs compared on one measure) — {corrections} "
        "See docs/compare.md."
    )
    parser.add_argument("qrels", metavar="QRELS", type=Path, help="TREC qrels file")
    parser.add_argument(
        "runs",
        metavar="RUN",
        type=Path,
        nargs="+",
        help="TREC run files; the first is the baseline",
    )
    parser.add_argument(
        "-m",
        "--measure",
        dest="measures",
        action="append",
        metavar="MEASURE",
        help="measure to compare, trec_eval or ir_measures style (repeatable; "
        f"default: {' '.join(DEFAULT_MEASURES)})",
    )
    parser.add_argument("--test", choices=tuple(TESTS), default="ttest", help="paired test")
    parser.add_argument(
        "--correction", choices=tuple(CORRECTIONS), default="holm", help="multiple-test correction"
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for the bootstrap and permutation test (0)"
    )
    parser.add_argument(
        "--resamples",
        type=int,
        default=10_000,
        metavar="N",
        help="bootstrap resamples (10000)",
    )
    parser.add_argument(
        "-l", dest="rel_level", type=int, default=1, metavar="N",
        help="lowest relevant grade for binary measures (1)",
    )  # fmt: skip
    parser.add_argument(
        "-M", dest="max_depth", type=int, default=None, metavar="N",
        help="use only the top N docs of each ranking",
    )  # fmt: skip
    parser.add_argument("--format", choices=("table", "json"), default="table")


class CompareError(Exception):
    pass


def _names(paths: list[Path]) -> list[str]:
    """File names, or full paths when two runs share a file name."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    return [str(p) for p in paths]


def compare_files(args: argparse.Namespace) -> dict[str, Any]:
    from searchbench.domain.formats.trec import TrecFormatError, load_qrels, load_run
    from searchbench.domain.metrics import evaluate
    from searchbench.domain.scoring import InvalidScorerError, parse_measures_and_scorers, score_run
    from searchbench.domain.stats import compare

    if len(args.runs) < 2:
        raise CompareError("give at least two runs: the baseline first, then the runs to compare")
    if not 0.0 < args.alpha < 1.0:
        raise CompareError(f"--alpha {args.alpha}: must be between 0 and 1")
    if args.resamples < 100:
        raise CompareError(f"--resamples {args.resamples}: use at least 100")
    measures = args.measures or list(DEFAULT_MEASURES)
    try:
        specs, scorers = parse_measures_and_scorers(measures, Path.cwd())
        qrels = load_qrels(args.qrels)
        runs = [load_run(path) for path in args.runs]
    except (InvalidScorerError, TrecFormatError) as exc:
        raise CompareError(str(exc)) from None
    except OSError as exc:
        raise CompareError(f"{exc.filename}: {exc.strerror}") from None

    evaluations = [
        evaluate(
            qrels,
            run,
            specs,
            rel_level=args.rel_level,
            complete=True,
            max_depth=args.max_depth,
        )
        for run in runs
    ]
    qrels_map = qrels.to_mapping()
    # The case scorers (quepid:…, js:FILE), over the same queries: every judged one (trec_eval -c).
    by_scorer = (
        [
            {
                ref.name: cs.per_query
                for ref, cs in score_run(scorers, qrels_map, run.to_mapping(), True).items()
            }
            for run in runs
        ]
        if scorers
        else [{} for _ in runs]
    )
    qids = evaluations[0].qids if specs else sorted(qrels_map)
    if not qids:
        raise CompareError(f"{args.qrels}: no queries to compare")
    names = _names(args.runs)
    out: dict[str, Any] = {
        "qrels": str(args.qrels),
        "runs": [str(p) for p in args.runs],
        "queries": len(qids),
        "test": args.test,
        "correction": args.correction,
        "alpha": args.alpha,
        "seed": args.seed,
        "measures": [],
    }
    labels = [*evaluations[0].values, *(ref.name for ref in scorers)]
    for label in labels:
        samples = {}
        for name, ev, extra in zip(names, evaluations, by_scorer, strict=True):
            per_query = extra[label] if label in extra else ev.per_query[label]
            samples[name] = [per_query.get(q, 0.0) for q in qids]
        rows = compare(
            samples,
            test=args.test,
            correction=args.correction,
            alpha=args.alpha,
            seed=args.seed,
            n_resamples=args.resamples,
        )
        out["measures"].append(
            {
                "measure": label,
                "runs": [
                    {
                        "run": row.name,
                        "mean": row.mean,
                        "delta": None if i == 0 else row.delta,
                        "ci95": None if i == 0 else [_num(row.ci_low), _num(row.ci_high)],
                        "p_value": None if i == 0 else _num(row.p_value),
                        "p_adjusted": None if i == 0 else _num(row.p_adjusted),
                        "significant": None if i == 0 else row.significant,
                    }
                    for i, row in enumerate(rows)
                ],
            }
        )
    return out


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def _fmt(value: float | None, spec: str = ".4f", signed: bool = False) -> str:
    if value is None:
        return "-"
    return format(value, ("+" if signed else "") + spec)


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def print_table(result: dict[str, Any], stream: TextIO) -> None:
    header = ("run", "mean", "delta", "95% CI of delta", "p", "p adj", "sig")
    stream.write(
        f"{result['queries']} queries, {result['test']} test, {result['correction']} correction, "
        f"alpha {result['alpha']}, seed {result['seed']}\n"
    )
    for block in result["measures"]:
        lines = [header]
        for row in block["runs"]:
            ci = row["ci95"]
            ci_text = (
                "-" if ci is None else f"[{_fmt(ci[0], signed=True)}, {_fmt(ci[1], signed=True)}]"
            )
            sig = "-" if row["significant"] is None else ("yes" if row["significant"] else "no")
            lines.append(
                (
                    row["run"],
                    _fmt(row["mean"]),
                    _fmt(row["delta"], signed=True),
                    ci_text,
                    _p(row["p_value"]),
                    _p(row["p_adjusted"]),
                    sig,
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        stream.write(f"\n{block['measure']}\n")
        for line in lines:
            cells = [line[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
            ]
            stream.write("  ".join(cells).rstrip() + "\n")


def run(args: argparse.Namespace) -> int:
    try:
        result = compare_files(args)
    except (CompareError, ValueError) as exc:
        print(f"searchbench compare: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(result, sys.stdout)
    return 0
