"""Measure evaluation speed: searchbench vs pytrec_eval vs ranx, in the same process.

    python benchmarks/metrics.py            # 1k, 10k and 100k queries x 100 docs
    python benchmarks/metrics.py --quick    # 1k and 10k only (well under two minutes)

Synthetic data: every query retrieves 100 docs with distinct scores (so no library's tie-breaking
matters) and has 10 judgments with grades 0-4 (so at most 10 relevant), 7 of them on retrieved
docs. Measures: AP, RR, nDCG@10, P@10. Every library's per-query values must agree with
searchbench's to 1e-4, or the script exits 1.

Two timings per library:
* evaluation alone: inputs already in memory in the library's own form (searchbench: its
  columnar tables; pytrec_eval: dicts; ranx: Qrels/Run objects built beforehand, and timed after
  a warm-up call so its numba JIT compilation is not counted);
* end to end: read the qrels and run files from disk, then evaluate.

Needs the bench extras: ``make venv LOCK=requirements/bench.lock``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from searchbench.domain.formats.trec import load_qrels, load_run
from searchbench.domain.metrics import evaluate

DOCS_PER_QUERY = 100
JUDGED_PER_QUERY = 10
JUDGED_RETRIEVED = 7
TOLERANCE = 1e-4

OURS = ["AP", "RR", "nDCG@10", "P@10"]
PYTREC = {"AP": "map", "RR": "recip_rank", "nDCG@10": "ndcg_cut_10", "P@10": "P_10"}
RANX = {"AP": "map", "RR": "mrr", "nDCG@10": "ndcg@10", "P@10": "precision@10"}


def synthesise(n_queries: int, folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """Write qrels and run files for n_queries queries; return their paths."""
    rng = np.random.default_rng(seed)
    n, k = n_queries, DOCS_PER_QUERY
    # Distinct last two digits keep the ids of one query distinct; the rest is random.
    doc_num = rng.integers(0, 100_000, size=(n, k)) * 100 + np.arange(k)
    rank = np.argsort(rng.random((n, k)), axis=1)
    score = (k - rank) / k  # 100 distinct scores per query
    qids = np.char.add("q", np.arange(n).astype(str))
    doc_ids = np.char.add("d", doc_num.astype(str))

    # Written in rank order with ranks 1..100, as TREC runs are.
    by_rank = np.argsort(rank, axis=1)
    ranked_docs = np.take_along_axis(doc_ids, by_rank, axis=1)
    ranked_scores = np.take_along_axis(score, by_rank, axis=1)
    run_path = folder / f"run.{n}.txt"
    with run_path.open("w") as f:
        lines = np.char.add(np.repeat(qids, k), " Q0 ")
        lines = np.char.add(lines, ranked_docs.ravel())
        lines = np.char.add(lines, " ")
        lines = np.char.add(lines, np.tile(np.arange(1, k + 1), n).astype(str))
        lines = np.char.add(lines, " ")
        lines = np.char.add(lines, np.char.mod("%.2f", ranked_scores.ravel()))
        f.write("\n".join(np.char.add(lines, " synthetic").tolist()))
        f.write("\n")

    picked = np.argsort(rng.random((n, k)), axis=1)[:, :JUDGED_RETRIEVED]
    judged_run_docs = np.take_along_axis(doc_ids, picked, axis=1)
    unretrieved = np.char.add(
        "u", (rng.integers(0, 100_000, size=(n, JUDGED_PER_QUERY - JUDGED_RETRIEVED))).astype(str)
    )
    unretrieved = np.char.add(
        unretrieved, np.arange(JUDGED_PER_QUERY - JUDGED_RETRIEVED).astype(str)
    )
    judged = np.concatenate([judged_run_docs, unretrieved], axis=1)
    grades = rng.integers(0, 5, size=(n, JUDGED_PER_QUERY))
    qrels_path = folder / f"qrels.{n}.txt"
    with qrels_path.open("w") as f:
        lines = np.char.add(np.repeat(qids, JUDGED_PER_QUERY), " 0 ")
        lines = np.char.add(lines, judged.ravel())
        lines = np.char.add(lines, " ")
        lines = np.char.add(lines, grades.ravel().astype(str))
        f.write("\n".join(lines.tolist()))
        f.write("\n")
    return qrels_path, run_path


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    """((wall seconds, CPU seconds), result), each the best of ``repeat`` calls.

    CPU time (all threads of this process) is reported beside wall time because on a shared
    machine wall time mostly measures the neighbours.
    """
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return (wall, cpu), result


def disagreement(ours: dict[str, dict[str, float]], theirs: dict[str, dict[str, float]]) -> float:
    worst = 0.0
    for measure, per_query in ours.items():
        other = theirs[measure]
        if set(other) != set(per_query):
            return float("inf")
        a = np.array([per_query[q] for q in per_query])
        b = np.array([other[q] for q in per_query])
        worst = max(worst, float(np.abs(a - b).max()))
    return worst


def bench_size(n: int, folder: Path, repeat: int) -> list[dict[str, Any]]:
    import pytrec_eval
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    qrels_path, run_path = synthesise(n, folder)
    rows: list[dict[str, Any]] = []

    # searchbench
    qrels_t, run_t = load_qrels(qrels_path), load_run(run_path)
    eval_time, ev = best_of(repeat, lambda: evaluate(qrels_t, run_t, OURS))
    ours = ev.per_query
    e2e_time, _ = best_of(
        repeat, lambda: evaluate(load_qrels(qrels_path), load_run(run_path), OURS)
    )
    rows.append({"tool": "searchbench", "eval": eval_time, "e2e": e2e_time, "diff": 0.0})
    del ev

    # pytrec_eval
    qrels_d, run_d = qrels_t.to_mapping(), run_t.to_mapping()
    wanted = set(PYTREC.values())

    def pytrec_eval_only() -> Any:
        return pytrec_eval.RelevanceEvaluator(qrels_d, wanted).evaluate(run_d)

    def pytrec_end_to_end() -> Any:
        with qrels_path.open() as fq, run_path.open() as fr:
            qrels = pytrec_eval.parse_qrel(fq)
            run = pytrec_eval.parse_run(fr)
        return pytrec_eval.RelevanceEvaluator(qrels, wanted).evaluate(run)

    eval_time, res = best_of(repeat, pytrec_eval_only)
    theirs = {m: {q: v[PYTREC[m]] for q, v in res.items()} for m in OURS}
    e2e_time, _ = best_of(repeat, pytrec_end_to_end)
    rows.append(
        {
            "tool": "pytrec_eval",
            "eval": eval_time,
            "e2e": e2e_time,
            "diff": disagreement(ours, theirs),
        }
    )
    del res, theirs

    # ranx: JIT warm-up on a tiny input first, so compilation is not timed
    ranx_evaluate(
        Qrels.from_dict({"q": {"a": 1}}),
        Run.from_dict({"q": {"a": 1.0, "b": 0.5}}),
        list(RANX.values()),
    )
    qrels_r, run_r = Qrels.from_dict(qrels_d), Run.from_dict(run_d)
    metrics = list(RANX.values())
    eval_time, _ = best_of(repeat, lambda: ranx_evaluate(qrels_r, run_r, metrics))
    theirs = {m: dict(run_r.scores[RANX[m]]) for m in OURS}

    def ranx_end_to_end() -> Any:
        q = Qrels.from_file(str(qrels_path), kind="trec")
        r = Run.from_file(str(run_path), kind="trec")
        return ranx_evaluate(q, r, metrics)

    e2e_time, _ = best_of(repeat, ranx_end_to_end)
    rows.append(
        {"tool": "ranx", "eval": eval_time, "e2e": e2e_time, "diff": disagreement(ours, theirs)}
    )
    for row in rows:
        row["queries"] = n
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = [
        ("eval", 0, "eval wall"),
        ("eval", 1, "eval cpu"),
        ("e2e", 0, "e2e wall"),
        ("e2e", 1, "e2e cpu"),
    ]
    header = f"{'queries':>8}  {'tool':<12}" + "".join(f" {name:>16}" for *_, name in cols)
    print(header + f" {'max |diff|':>10}")
    print("-" * (len(header) + 11))
    ours = {r["queries"]: r for r in rows if r["tool"] == "searchbench"}
    for r in rows:
        base = ours[r["queries"]]
        cells = "".join(
            f" {r[key][i]:>8.3f}s {r[key][i] / base[key][i]:>5.1f}x" for key, i, _ in cols
        )
        print(f"{r['queries']:>8}  {r['tool']:<12}{cells} {r['diff']:>10.1e}")
    print("Nx = the tool's time / searchbench's (above 1: searchbench is faster).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k queries only")
    parser.add_argument("--sizes", type=int, nargs="*", help="query counts (overrides --quick)")
    args = parser.parse_args(argv)
    try:
        import pytrec_eval  # noqa: F401
        import ranx  # noqa: F401
    except ImportError as exc:
        print(f"missing bench dependency ({exc.name}): make venv LOCK=requirements/bench.lock")
        return 2
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="searchbench-bench-") as tmp:
        for n in sizes:
            repeat = 3 if n <= 10_000 else 2
            rows.extend(bench_size(n, Path(tmp), repeat))
            print(f"... {n} queries done", file=sys.stderr)
    print(f"AP, RR, nDCG@10, P@10 over N queries x {DOCS_PER_QUERY} docs")
    print_table(rows)
    bad = [r for r in rows if r["diff"] > TOLERANCE]
    if bad:
        print(f"DISAGREEMENT above {TOLERANCE}: {[(r['tool'], r['queries']) for r in bad]}")
        return 1
    print(f"all tools agree with searchbench to {TOLERANCE} on every query and measure")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
