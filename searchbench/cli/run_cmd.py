"""`searchbench run CASE.yaml`: relevance tests as code.

Loads a case file (docs/casefile.md), checks everything that can be checked before a request is
sent (the file, the scorer and measures, the thresholds, the template for every query, the field
spec, the engine), runs the queries concurrently through the engines runner, scores them with
``score_case`` and prints a table or JSON. Exit codes: 0 all good; 1 a ``--fail-under`` threshold
was missed (a quality failure); 2 an error — bad input, or any query the engine failed on, since
scores over failed queries say nothing about quality.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchbench import env

if TYPE_CHECKING:  # the CLI imports its heavy parts only when the command runs
    from rich.console import Console

    from searchbench.domain.casefile import CaseFile
    from searchbench.domain.scoring import ScorerRef
    from searchbench.engines import Engine, QueryContext, TryConfig
    from searchbench.loop import Plan, RunResult

HELP = "Run a case file (YAML) against its endpoint, score it, and gate CI on the scores."

EXIT_OK = 0
EXIT_BELOW_THRESHOLD = 1
EXIT_ERROR = 2


class RunError(Exception):
    """A problem found before or instead of running: printed, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Exit status: 0 passed; 1 a --fail-under threshold was missed or a --fail-on-drop "
        "measure is significantly worse than --baseline; 2 an error (malformed case "
        "file, unknown measure, bad template, or any query the engine failed on). "
        "The case file format is described in docs/casefile.md."
    )
    parser.add_argument("case", metavar="CASE.yaml", type=Path, help="the case file")
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output on stdout: a table (default) or one JSON document",
    )
    parser.add_argument(
        "--export-run",
        metavar="FILE",
        type=Path,
        help="write the results as a TREC run file (engine order kept; run id = case name slug)",
    )
    parser.add_argument(
        "--fail-under",
        metavar="MEASURE=VALUE",
        action="append",
        default=[],
        help="exit 1 when the case score of MEASURE (the scorer or any measure) is below VALUE; "
        "repeatable",
    )
    gate = parser.add_argument_group(
        "comparing with a baseline run",
        "Fail only when a measure is significantly worse than a baseline run (a TREC run file, "
        "e.g. an earlier --export-run), by the paired test of `searchbench compare`: noise does "
        "not fail the build, a real drop does.",
    )
    gate.add_argument(
        "--baseline", metavar="BASE.run", type=Path, help="the run to compare with (TREC format)"
    )
    gate.add_argument(
        "--fail-on-drop",
        metavar="MEASURE",
        action="append",
        default=[],
        help="exit 1 when MEASURE (the scorer or any measure) is significantly worse than the "
        "baseline; repeatable (the measures are one family for the correction)",
    )
    gate.add_argument(
        "--test",
        choices=("ttest", "wilcoxon", "permutation"),
        default="ttest",
        help="paired significance test (default ttest)",
    )
    gate.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    gate.add_argument(
        "--correction",
        choices=("holm", "bonferroni", "none"),
        default="holm",
        help="multiple-comparison correction over the --fail-on-drop measures (default holm)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="queries in flight at once (default: SEARCHBENCH_ENGINE_CONCURRENCY, 8)",
    )
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="use this endpoint URL instead of the case file's (the same case against staging, "
        "a CI service, ...)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="data directory of local indexes and static result sets "
        "(default: SEARCHBENCH_DATA_DIR)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no warnings on stderr"
    )


@dataclass
class Threshold:
    measure: str
    minimum: float


def parse_threshold(text: str) -> Threshold:
    # rsplit: measure names may hold "=" themselves, e.g. ERR(max=3)@10=0.5
    name, sep, raw = text.rpartition("=")
    if not sep or not name.strip():
        raise RunError(f"--fail-under {text!r}: expected MEASURE=VALUE, e.g. nDCG@10=0.45")
    try:
        value = float(raw)
    except ValueError:
        raise RunError(f"--fail-under {text!r}: {raw!r} is not a number") from None
    return Threshold(name.strip(), value)


def slug(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower()
    return text or "searchbench"


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return _run(args, err)
    except RunError as exc:
        err.print(f"[bold red]error:[/] {_plain(str(exc))}", highlight=False)
        return EXIT_ERROR


def _plain(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _run(args: argparse.Namespace, err: Console) -> int:
    from searchbench.domain.casefile import CaseFileError, load_case
    from searchbench.domain.scoring import InvalidScorerError, ScorerRef

    thresholds = [parse_threshold(t) for t in args.fail_under]
    try:
        concurrency = args.concurrency or env.get("SEARCHBENCH_ENGINE_CONCURRENCY")
        default_timeout = float(env.get("SEARCHBENCH_ENGINE_TIMEOUT"))
    except env.SettingError as exc:
        raise RunError(str(exc)) from None
    if concurrency < 1:
        raise RunError(f"--concurrency {concurrency}: must be at least 1")

    try:
        case = load_case(args.case, environ=os.environ, default_timeout=default_timeout)
    except CaseFileError as exc:
        raise RunError(str(exc)) from None

    # Scorers to compute, by name: the case scorer, its extra measures, any threshold measure.
    wanted: dict[str, ScorerRef] = {case.scorer.name: case.scorer}
    for m in case.measures:
        wanted.setdefault(m, ScorerRef.parse(m, check=False))  # checked by the case file loader
    for t in thresholds:
        if t.measure in wanted:
            continue
        try:
            wanted[t.measure] = ScorerRef.parse(t.measure)
        except InvalidScorerError as exc:
            raise RunError(f"--fail-under {t.measure}={t.minimum:g}: {exc}") from None
    baseline = _load_baseline(args)
    for measure in args.fail_on_drop:
        if measure not in wanted:
            try:
                wanted[measure] = ScorerRef.parse(measure)
            except InvalidScorerError as exc:
                raise RunError(f"--fail-on-drop {measure}: {exc}") from None

    if args.export_run is not None:
        spaced = [q for q in case.queries if not q.id or any(c.isspace() for c in q.id)]
        if spaced:
            q = spaced[0]
            at = f" (line {q.line})" if q.line else ""
            raise RunError(
                f"--export-run: a TREC run needs query ids without spaces; query {q.id!r}{at} "
                f"and {len(spaced) - 1} more have none: give them an id: (or use queries_tsv)"
            )
    if args.endpoint_url:
        case.endpoint = dataclasses.replace(case.endpoint, url=args.endpoint_url.strip())
    engine, try_config, contexts = _prepare(case, args.data_dir)
    if not args.quiet:
        for w in case.warnings:
            err.print(f"[yellow]warning:[/] {_plain(w)}")

    from searchbench.domain.scoring import ranked_run
    from searchbench.loop import Plan, PlannedQuery

    ratings = case.ratings()
    plan = Plan(
        engine=engine,
        try_config=try_config,
        scorers=list(wanted.values()),
        queries=[
            PlannedQuery(key=qid, text=ctx.text, options=ctx.options, ratings=ratings.get(qid, {}))
            for qid, ctx in contexts
        ],
        options=case.options,
        concurrency=concurrency,
        unrated_rule=case.unrated_queries,
    )
    result = _execute(plan, case.name, err, args.quiet)
    outcomes = result.queries
    main_score = result.score
    scorer_errors = {
        key: text for errors in result.scorer_errors.values() for key, text in errors.items()
    }
    results = {o.key: o.result.docs for o in outcomes}

    if args.export_run is not None:
        _export(args.export_run, ranked_run(results), slug(case.name))

    verdicts = []
    for t in thresholds:
        value = result.case_scores[t.measure]
        verdicts.append((t, value, value >= t.minimum))
    report = _report(case, result, verdicts, scorer_errors)
    drops = _compare_with_baseline(args, baseline, result, [wanted[m] for m in args.fail_on_drop])
    if drops:
        report["baseline"] = {
            "run": str(args.baseline),
            "test": args.test,
            "alpha": args.alpha,
            "correction": args.correction,
            "measures": drops,
        }
    if args.format == "json":
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_table(report, list(wanted)[1:])

    failed_queries = [o for o in outcomes if o.result.error]
    if failed_queries or scorer_errors:
        n = len(failed_queries)
        err.print(
            f"[bold red]error:[/] {n} of {len(outcomes)} queries failed at the engine"
            + (f", {len(scorer_errors)} in the scorer" if scorer_errors else "")
            + f"; the case score {main_score:.4f} counts them as 0"
        )
        return EXIT_ERROR
    for drop in drops:
        if args.format != "json":
            print(_drop_line(drop, args.alpha), flush=True)
    missed = [v for v in verdicts if not v[2]]
    for t, value, _ in missed:
        err.print(f"[bold red]FAIL:[/] {_plain(t.measure)} = {value:.4f} is below {t.minimum:g}")
    worse = [d for d in drops if d["verdict"] == "significantly worse"]
    for d in worse:
        err.print(f"[bold red]FAIL:[/] {_plain(_drop_line(d, args.alpha))}")
    if missed or worse:
        return EXIT_BELOW_THRESHOLD
    return EXIT_OK


def _load_baseline(args: argparse.Namespace) -> dict[str, dict[str, float]] | None:
    """The baseline run as ``{qid: {docno: score}}``; RunError for a bad combination or file."""
    from searchbench.domain.formats.trec import TrecFormatError, read_run

    if args.fail_on_drop and args.baseline is None:
        raise RunError("--fail-on-drop needs --baseline BASE.run (a run to compare with)")
    if args.baseline is None:
        return None
    if not args.fail_on_drop:
        raise RunError("--baseline needs at least one --fail-on-drop MEASURE")
    if not 0.0 < args.alpha < 1.0:
        raise RunError(f"--alpha {args.alpha}: must be between 0 and 1")
    try:
        return read_run(args.baseline)
    except OSError as exc:
        raise RunError(f"--baseline {args.baseline}: cannot read it ({exc.strerror})") from None
    except TrecFormatError as exc:
        raise RunError(f"--baseline {exc}") from None


def _compare_with_baseline(
    args: argparse.Namespace,
    baseline: dict[str, dict[str, float]] | None,
    result: RunResult,
    refs: Sequence[ScorerRef],
) -> list[dict[str, Any]]:
    """Each --fail-on-drop measure, this run against the baseline, paired by query (every query
    of the case; a query missing from a run counts 0), with the test and correction of
    `searchbench compare` over the measures as one family."""
    from searchbench.domain.scoring import UNRATED_COUNT_ZERO, case_mean, score_run
    from searchbench.domain.stats import adjust, compare

    if baseline is None:
        return []
    plan = result.plan
    # The queries the case score counts (its unrated ones, when the case leaves them out, are in
    # neither mean nor the paired test: they would only add zero differences).
    unrated = {q.key for q in plan.queries if not q.ratings}
    keys = [
        q.key
        for q in plan.queries
        if plan.unrated_rule == UNRATED_COUNT_ZERO or q.key not in unrated
    ]
    qrels = {q.key: dict(q.ratings) for q in plan.queries}
    base_scores = score_run(refs, qrels, baseline, complete=True)
    rows = []
    for ref in refs:
        base = [base_scores[ref].per_query.get(k, 0.0) for k in keys]
        now = [result.per_query(ref.name).get(k, 0.0) for k in keys]
        if len(keys) < 2:
            raise RunError("--fail-on-drop needs at least two queries to test a difference")
        row = compare(
            {"baseline": base, "this run": now},
            test=args.test,
            correction="none",
            alpha=args.alpha,
            seed=0,
        )[1]
        rows.append(
            {
                "measure": ref.name,
                "baseline": case_mean(base_scores[ref].per_query, keys),
                "mean": row.mean,
                "delta": row.delta,
                "ci95": [row.ci_low, row.ci_high],
                "p_value": row.p_value,
            }
        )
    for entry, p_adj in zip(
        rows, adjust([r["p_value"] for r in rows], args.correction), strict=True
    ):
        entry["p_adjusted"] = p_adj
        significant = p_adj == p_adj and p_adj < args.alpha  # NaN (no difference at all): no
        if entry["delta"] < 0:
            entry["verdict"] = "significantly worse" if significant else "worse but not significant"
        elif entry["delta"] > 0:
            entry["verdict"] = (
                "significantly better" if significant else "better but not significant"
            )
        else:
            entry["verdict"] = "no change"
    return rows


def _drop_line(drop: dict[str, Any], alpha: float) -> str:
    low, high = drop["ci95"]
    p = drop["p_adjusted"]
    p_text = "-" if p != p else ("<0.0001" if p < 0.0001 else f"{p:.4f}")
    return (
        f"{drop['measure']}: {drop['mean']:.4f} against the baseline's {drop['baseline']:.4f} "
        f"({drop['delta']:+.4f}, 95% CI [{low:+.4f}, {high:+.4f}], p = {p_text}, "
        f"alpha {alpha:g}): {drop['verdict']}"
    )


def _prepare(
    case: CaseFile, data_dir: Path | None
) -> tuple[Engine, TryConfig, list[tuple[str, QueryContext]]]:
    """Everything checked before the first request: template per query, field spec, engine."""
    from searchbench.domain.fieldspec import FieldSpecError, parse_field_spec
    from searchbench.domain.templating import TemplateContext, TemplateError, check, validate
    from searchbench.engines import (
        ENGINES,
        EngineError,
        QueryContext,
        make_engine,
    )
    from searchbench.engines.registry import refused_options

    t = case.try_
    kind = ENGINES[case.endpoint.kind]  # the case file names only known kinds
    uses_template = kind.uses_template  # static results are looked up by query text
    try:
        if uses_template:
            validate(t.template)
    except TemplateError as exc:
        raise RunError(f"{case.where('try.template')} {exc}") from None
    contexts: list[tuple[str, QueryContext]] = []
    for q in case.queries:
        options = {**case.options, **q.options}
        try:
            if uses_template:  # every placeholder has a value; the engine renders it once
                check(t.template, TemplateContext(q.text, options, t.curator_vars, t.escape))
        except TemplateError as exc:
            raise RunError(f"{case.where('try.template')} {exc} (for query {q.id!r})") from None
        contexts.append((q.id, QueryContext(text=q.text, options=options)))
    try:
        parse_field_spec(t.field_spec)
    except FieldSpecError as exc:
        raise RunError(f"{case.where('try.field_spec')} {exc}") from None
    refused = refused_options(case.endpoint.options)
    if refused:
        # The data directory comes from --data-dir (or SEARCHBENCH_DATA_DIR), not the case file.
        raise RunError(f"{case.where('endpoint.options')} {'; '.join(refused)}; use --data-dir")
    config = dataclasses.replace(
        case.endpoint, data_dir=data_dir.resolve() if data_dir is not None else None
    )
    try:
        engine = make_engine(config)
    except (EngineError, ValueError) as exc:
        raise RunError(f"{case.where('endpoint')} {exc}") from None
    if not kind.remote:
        # A missing local index or result set is a set-up mistake, not an engine fault: say it
        # once, up front. (Remote engines are not pinged: an outage lists every query's error.)
        ping = engine.ping()
        if not ping.ok:
            fld = "endpoint.index" if "endpoint.index" in case.lines else "endpoint.url"
            raise RunError(f"{case.where(fld)} {ping.message}")
    return engine, case.try_, contexts


def _execute(plan: Plan, name: str, err: Console, quiet: bool) -> RunResult:
    """The relevance loop, with a progress bar on a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from searchbench import loop

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,  # a log file gets no bar redraws
    ) as progress:
        task = progress.add_task(f"{name}: {len(plan.queries)} queries", total=len(plan.queries))

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return loop.execute(plan, progress=advance)


def _export(path: Path, run: dict[str, list[tuple[str, float]]], run_id: str) -> None:
    from searchbench.domain.formats.trec import write_run

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_run(path, run, run_id)
    except OSError as exc:
        raise RunError(f"--export-run {path}: cannot write it ({exc.strerror})") from None
    except ValueError as exc:  # a doc id with whitespace cannot be a TREC docno
        raise RunError(f"--export-run {path}: {exc}") from None


def _report(
    case: CaseFile,
    result: RunResult,
    verdicts: Sequence[tuple[Threshold, float, bool]],
    scorer_errors: dict[str, str],
) -> dict[str, Any]:
    main = case.scorer.name
    extra = [ref.name for ref in result.plan.scorers[1:]]
    queries = []
    for o in result.queries:
        entry: dict[str, Any] = {
            "id": o.key,
            "query": o.query.text,
            "score": o.scores.get(main, 0.0),
            "measures": {name: o.scores.get(name, 0.0) for name in extra},
            "num_found": o.result.total,
            "elapsed_ms": round(o.result.elapsed_ms, 1),
            "error": o.result.error or scorer_errors.get(o.key),
            "docs": [{"id": d.id, "rating": o.query.ratings.get(d.id)} for d in o.result.docs],
        }
        queries.append(entry)
    return {
        "case": case.name,
        "scorer": case.scorer.name,
        "score": result.case_scores[main],
        "measures": {name: result.case_scores[name] for name in extra},
        "engine": case.endpoint.kind,
        "url": case.endpoint.url,
        "errors": sum(1 for q in queries if q["error"]),
        "thresholds": [
            {"measure": t.measure, "min": t.minimum, "value": v, "passed": ok}
            for t, v, ok in verdicts
        ],
        "queries": queries,
    }


def _print_table(report: dict[str, Any], extra: Sequence[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped into a CI log, rich would assume 80 columns and fold every query text.
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(highlight=False, soft_wrap=False, width=160)
    table = Table(title=f"{report['case']} ({report['engine']}: {report['url']})", show_footer=True)
    show_ids = any(q["id"] != q["query"] for q in report["queries"])
    if show_ids:
        table.add_column("id", footer="case")
    table.add_column("query", overflow="fold", footer="" if show_ids else "case")
    table.add_column(report["scorer"], justify="right", footer=f"{report['score']:.4f}")
    for name in extra:
        table.add_column(name, justify="right", footer=f"{report['measures'][name]:.4f}")
    table.add_column("found", justify="right")
    table.add_column("error")
    for q in report["queries"]:
        cells = [q["id"]] if show_ids else []
        cells += [q["query"], f"{q['score']:.4f}"]
        cells += [f"{q['measures'][name]:.4f}" for name in extra]
        cells += [str(q["num_found"]), "error" if q["error"] else ""]
        table.add_row(*cells, style="red" if q["error"] else None)
    out.print(table)
    failed = [q for q in report["queries"] if q["error"]]
    for q in failed:
        out.print(f"error in query {q['id']!r}: {q['error']}", markup=False)
    for t in report["thresholds"]:
        mark = "pass" if t["passed"] else "FAIL"
        cmp = ">=" if t["passed"] else "<"
        out.print(f"{mark}: {t['measure']} = {t['value']:.4f} {cmp} {t['min']:g}", markup=False)
