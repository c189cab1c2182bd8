"""Acceptance: Cranfield end to end — index, run a case over all 225 queries, re-evaluate the run.

`searchbench run` scores the case with the metrics; `searchbench eval -c` over the exported TREC run
and the same qrels must give the same per-query and case numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.cli.main import main

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def cranfield(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    src = shared_data / "cranfield"
    for name in ("docs.jsonl", "queries.tsv", "qrels.txt"):
        if not (src / name).is_file():
            pytest.fail(f"{src / name} is missing from the shared data")
    data = tmp_path_factory.mktemp("data")
    code = main(
        ["index", "--data-dir", str(data), "create", "cranfield", "--from",
         str(src / "docs.jsonl"), "--id-field", "id", "--fields", "title,body", "--quiet"]
    )  # fmt: skip
    assert code == 0
    work = tmp_path_factory.mktemp("case")
    case = work / "cranfield.yaml"
    case.write_text(
        "case: Cranfield BM25\n"
        "endpoint:\n"
        "  engine: local\n"
        "  index: cranfield\n"
        "try:\n"
        # Not lenient: queries holding "/…/" or "'" must be escaped, not dropped or failed.
        """  template: '{"query": "#$query##", "fields": ["title^2", "body"]}'\n"""
        "  field_spec: id:id title:title\n"
        "  rows: 100\n"
        "scorer: nDCG@10\n"
        "measures: [AP, P@10]\n"
        f"queries_tsv: {src / 'queries.tsv'}\n"
        f"qrels: {src / 'qrels.txt'}\n"
    )
    return {"data": data, "case": case, "qrels": src / "qrels.txt", "work": work}


def run_case(cranfield: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> tuple[dict, Path]:
    run_file = cranfield["work"] / "cranfield.run"
    capsys.readouterr()
    code = main(
        ["run", str(cranfield["case"]), "--format", "json", "--export-run", str(run_file),
         "--data-dir", str(cranfield["data"]), "--quiet"]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out), run_file


def trec_eval(measure: str, qrels: Path, run: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    code = main(["eval", "-c", "-q", "-m", measure, str(qrels), str(run)])
    out = capsys.readouterr()
    assert code == 0, out.err
    values: dict[str, float] = {}
    for line in out.out.splitlines():
        name, qid, value = line.split()
        assert name == measure
        values[qid] = float(value)
    return values


def test_cranfield_case_score_is_reproduced_by_eval(
    cranfield: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    report, run_file = run_case(cranfield, capsys)
    assert report["case"] == "Cranfield BM25" and report["scorer"] == "nDCG@10"
    assert len(report["queries"]) == 225 and report["errors"] == 0
    assert all(q["num_found"] > 0 for q in report["queries"])
    first = report["queries"][0]
    assert first["id"] == "1" and first["query"].startswith("what similarity laws")
    assert len(first["docs"]) == 100
    assert {d["rating"] for d in first["docs"]} >= {None}  # unrated docs are null
    # A BM25 baseline on Cranfield lands well above zero and below perfect; exact
    # numbers are asserted against `eval` below, not hard-coded here.
    assert 0.2 < report["score"] < 0.7

    lines = run_file.read_text().splitlines()
    qid, q0, docid, rank, score, run_id = lines[0].split()
    assert (qid, q0, docid, rank, run_id) == (
        "1",
        "Q0",
        first["docs"][0]["id"],
        "1",
        "cranfield-bm25",
    )
    assert float(score) == 100.0  # len(docs) - i: the engine order survives re-evaluation

    recorded: dict[str, float] = {}
    for case_name, eval_name in (("nDCG@10", "nDCG@10"), ("AP", "map"), ("P@10", "P_10")):
        expected = trec_eval(eval_name, cranfield["qrels"], run_file, capsys)
        if case_name == report["scorer"]:
            per_query = {q["id"]: q["score"] for q in report["queries"]}
            case_score = report["score"]
        else:
            per_query = {q["id"]: q["measures"][case_name] for q in report["queries"]}
            case_score = report["measures"][case_name]
        assert set(expected) == set(per_query) | {"all"}
        for qid, value in per_query.items():
            assert value == pytest.approx(expected[qid], abs=TOLERANCE), (case_name, qid)
        assert case_score == pytest.approx(expected["all"], abs=TOLERANCE), case_name
        recorded[case_name] = case_score
    print("Cranfield:", {k: round(v, 4) for k, v in recorded.items()})  # pytest -s shows it
