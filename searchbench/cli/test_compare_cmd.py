"""`searchbench compare`: end to end from TREC files, p-values checked against scipy."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import scipy.stats as sps

from searchbench.cli.main import main
from searchbench.domain.formats.trec import read_qrels, read_run
from searchbench.domain.metrics import evaluate


def write_collection(tmp_path: Path, n_runs: int = 3, queries: int = 40) -> list[Path]:
    """qrels plus runs whose quality grows with their index (run0 is the weakest)."""
    rng = random.Random(42)
    qrels = tmp_path / "qrels.txt"
    runs = [tmp_path / f"run{i}.txt" for i in range(n_runs)]
    q_lines: list[str] = []
    r_lines: list[list[str]] = [[] for _ in runs]
    for qi in range(queries):
        rel = {f"d{j}": rng.choice([0, 0, 0, 1, 2, 3]) for j in range(30)}
        q_lines += [f"q{qi} 0 {doc} {grade}" for doc, grade in rel.items()]
        for i in range(n_runs):
            if i == 1 and qi == 0:
                continue  # run1 misses q0: it must score 0 there, not drop the pair
            scores = {doc: rng.random() + 0.2 * i * grade for doc, grade in rel.items()}
            top = sorted(scores.items(), key=lambda item: -item[1])[:15]
            r_lines[i] += [
                f"q{qi} Q0 {doc} {rank} {score:.6f} r{i}"
                for rank, (doc, score) in enumerate(top, 1)
            ]
    qrels.write_text("\n".join(q_lines) + "\n")
    for path, lines in zip(runs, r_lines, strict=True):
        path.write_text("\n".join(lines) + "\n")
    return [qrels, *runs]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["compare", *argv, "--format", "json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def per_query(qrels: Path, run: Path, measure: str) -> list[float]:
    q = read_qrels(qrels)
    ev = evaluate(q, read_run(run), [measure], complete=True)
    values = ev.per_query[measure]
    return [values.get(qid, 0.0) for qid in sorted(q)]


@pytest.mark.parametrize(
    ("test", "reference"), [("ttest", sps.ttest_rel), ("wilcoxon", sps.wilcoxon)]
)
def test_p_values_match_scipy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test: str, reference: Any
) -> None:
    qrels, *runs = write_collection(tmp_path)
    out = run_json(
        capsys,
        str(qrels),
        *map(str, runs),
        "-m",
        "AP",
        "-m",
        "nDCG@10",
        "--test",
        test,
        "--correction",
        "none",
    )
    assert out["queries"] == 40 and [m["measure"] for m in out["measures"]] == ["AP", "nDCG@10"]
    for block in out["measures"]:
        base = per_query(qrels, runs[0], block["measure"])
        for i, row in enumerate(block["runs"][1:], start=1):
            other = per_query(qrels, runs[i], block["measure"])
            expected = reference(other, base).pvalue
            assert row["p_value"] == pytest.approx(expected, rel=1e-9, abs=1e-300)
            assert row["p_adjusted"] == row["p_value"]
            assert row["delta"] == pytest.approx(sum(other) / 40 - sum(base) / 40)
            assert row["ci95"][0] < row["delta"] < row["ci95"][1]
            assert row["significant"] == (row["p_value"] < 0.05)


def test_holm_and_bonferroni_adjust_over_the_runs_of_one_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qrels, *runs = write_collection(tmp_path, n_runs=3)
    args = [str(qrels), *map(str, runs), "-m", "P@5", "--test", "ttest"]
    raw = run_json(capsys, *args, "--correction", "none")["measures"][0]["runs"][1:]
    bonf = run_json(capsys, *args, "--correction", "bonferroni")["measures"][0]["runs"][1:]
    for plain, adjusted in zip(raw, bonf, strict=True):
        assert adjusted["p_adjusted"] == pytest.approx(min(1.0, 2 * plain["p_value"]))


def test_bootstrap_and_permutation_are_reproducible_with_a_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qrels, *runs = write_collection(tmp_path, n_runs=2)
    args = [str(qrels), *map(str, runs), "-m", "RR", "--test", "permutation", "--resamples", "2000"]
    first = run_json(capsys, *args, "--seed", "7")
    assert first == run_json(capsys, *args, "--seed", "7")
    other = run_json(capsys, *args, "--seed", "8")
    assert first["measures"][0]["runs"][1]["ci95"] != other["measures"][0]["runs"][1]["ci95"]


def test_the_table_lists_every_run_per_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qrels, *runs = write_collection(tmp_path)
    assert main(["compare", str(qrels), *map(str, runs), "-m", "map", "-m", "ndcg_cut_10"]) == 0
    out = capsys.readouterr().out
    assert "40 queries, ttest test, holm correction" in out
    lines = out.splitlines()
    for measure in ("map", "ndcg_cut_10"):
        at = lines.index(measure)
        assert lines[at + 1].split()[:3] == ["run", "mean", "delta"]
        assert [line.split()[0] for line in lines[at + 2 : at + 5]] == [
            "run0.txt",
            "run1.txt",
            "run2.txt",
        ]
        assert lines[at + 4].split()[-1] == "yes"  # run2 is much better than run0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda paths: ["-m", "nDCG@ten"], "nDCG@ten"),
        (lambda paths: paths[1].write_text("q1 Q0 d1 1 notanumber r\n") and [], "run0.txt:1:"),
        (lambda paths: paths[1].unlink() or [], "run0.txt"),
        (lambda paths: ["--alpha", "2"], "alpha"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Any, message: str
) -> None:
    paths = write_collection(tmp_path, n_runs=2)
    extra = mutate(paths)
    assert main(["compare", *map(str, paths), *extra]) == 2
    err = capsys.readouterr().err
    assert "searchbench compare:" in err and message in err


def test_one_run_is_not_a_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qrels, run0, _ = write_collection(tmp_path, n_runs=2)
    assert main(["compare", str(qrels), str(run0)]) == 2
    assert "at least two runs" in capsys.readouterr().err
