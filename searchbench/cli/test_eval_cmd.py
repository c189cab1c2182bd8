"""`searchbench eval` against trec_eval's own expected outputs, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.cli.main import main

MEAS_PARAMS = (
    "-q -miprec_at_recall..10,.20,.25,.75,.50 -m P.5,7,3 -m recall.20,2000 "
    "-m Rprec_mult.5.0,0.2,0.35 -mutility.2,-1,0,0 -m 11pt_avg..25,.5,.75 -mndcg.1=3,2=9,4=4.5 "
    "-mndcg_cut.10,20,23.4 -msuccess.2,5,20"
)

# expected output -> trec_eval's arguments (from trec_eval's Makefile), files relative to the suite
CASES = {
    "out.test": "qrels.test results.test",
    "out.test+comments": "qrels.test.with-comments results.test",
    "out.comment.test": "qrels.comment.test results.comment.test",
    "out.test.a": "-m all_trec qrels.test results.test",
    "out.test.aq": "-m all_trec -q qrels.test results.test",
    "out.test.aqc": "-m all_trec -q -c qrels.test results.trunc",
    "out.test.aqcM": "-m all_trec -q -c -M100 qrels.test results.trunc",
    "out.test.aql": "-m all_trec -mrelstring.20 -q -l2 qrels.rel_level results.test",
    "out.test.meas_params": f"{MEAS_PARAMS} qrels.test results.test",
    "out.test.aqZ": "-q -m all_trec -Z zscores_file qrels.test results.test",
    "out.test.qrels_jg": "-m qrels_jg -q -R qrels_jg qrels.123 results.test",
    "out.test.qrels_jg+comments": "-m qrels_jg -q -R qrels_jg qrels.comments.123 results.test",
}


def _args(folder: Path, line: str) -> list[str]:
    return [str(folder / a) if (folder / a).is_file() else a for a in line.split()]


@pytest.mark.parametrize("name", list(CASES))
def test_it_prints_exactly_what_trec_eval_prints(
    shared_data: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shared_data / "trec_eval"
    assert main(["eval", *_args(folder, CASES[name])]) == 0
    expected = (folder / name.split("+")[0]).read_text()
    assert capsys.readouterr().out == expected


def _files(tmp_path: Path) -> tuple[str, str]:
    qrels = tmp_path / "qrels"
    qrels.write_text("q1 0 a 1\nq1 0 b 0\nq2 0 c 2\n")
    run = tmp_path / "run"
    run.write_text("q1 Q0 a 1 2.0 mine\nq1 Q0 b 2 1.0 mine\nq2 Q0 x 1 1.0 mine\n")
    return str(qrels), str(run)


def test_it_names_measures_as_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qrels, run = _files(tmp_path)
    assert main(["eval", "-m", "nDCG@10", "-m", "P(rel=2)@5", "-q", qrels, run]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(m.strip(), q) for m, q, _ in lines] == [
        ("P(rel=2)@5", "q1"),
        ("nDCG@10", "q1"),
        ("P(rel=2)@5", "q2"),
        ("nDCG@10", "q2"),
        ("P(rel=2)@5", "all"),
        ("nDCG@10", "all"),
    ]
    assert lines[1][2] == "1.0000"


def test_it_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qrels, run = _files(tmp_path)
    assert main(["eval", "--format", "json", "-q", "-m", "map", "-m", "num_ret", qrels, run]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["run_id"] == "mine"
    assert doc["all"] == {"num_ret": 3.0, "map": 0.5}
    assert doc["per_query"]["q2"] == {"num_ret": 1.0, "map": 0.0}


@pytest.mark.parametrize(
    ("qrels_text", "run_text", "measure", "error"),
    [
        (
            "q1 0 a 1\n",
            "q1 Q0 a 1 2.0 r\nq1 Q0 a 2 1.0 r\n",
            "map",
            "run:2: document 'a' appears twice",
        ),
        ("q1 0 a 1\nq1 0 a\n", "q1 Q0 a 1 2.0 r\n", "map", "qrels:2: expected at least 4"),
        ("q1 0 a 1\n", "q1 Q0 a 1 2.0 r\n", "nDGC@10", "unknown measure 'nDGC@10'"),
        ("q1 0 a 1\n", "q2 Q0 a 1 2.0 r\n", "map", "no query is in both"),
        ("q1 0 a 1\nq1 0 a 0\n", "q1 Q0 a 1 2.0 r\n", "map", "qrels:2: document 'a' appears"),
    ],
)
def test_it_exits_2_with_a_clear_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    qrels_text: str,
    run_text: str,
    measure: str,
    error: str,
) -> None:
    (tmp_path / "qrels").write_text(qrels_text)
    (tmp_path / "run").write_text(run_text)
    code = main(["eval", "-m", measure, str(tmp_path / "qrels"), str(tmp_path / "run")])
    assert code == 2
    captured = capsys.readouterr()
    assert error in captured.err and captured.out == ""


def test_judgment_groups_refuse_plain_measures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "qrels").write_text("q 0 a 1\nq 1 a 0\n")  # two groups judge "a"
    (tmp_path / "run").write_text("q Q0 a 1 2.0 r\n")
    files = [str(tmp_path / "qrels"), str(tmp_path / "run")]
    assert main(["eval", "-R", "qrels_jg", "-m", "map_avgjg", "-q", *files]) == 0
    assert "map_avgjg             \tq\t0.5000\n" in capsys.readouterr().out  # (1 + 0) / 2
    assert main(["eval", "-R", "qrels_jg", "-m", "map", *files]) == 2
    assert "needs qrels without judgment groups" in capsys.readouterr().err


def test_judged_only_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qrels, run = _files(tmp_path)  # q2's only doc "x" is unjudged
    assert main(["eval", "-J", "-q", "-m", "num_ret", qrels, run]) == 0
    assert "num_ret               \tq2\t0\n" in capsys.readouterr().out


# -- every scorer a case takes (issue 9: eval and compare accept quepid:… and js:FILE) -----------

QRELS = "q1 0 d1 2\nq1 0 d2 1\nq2 0 d3 1\nq3 0 d9 1\n"
RUN = "q1 Q0 d2 1 3.0 r\nq1 Q0 d1 2 2.0 r\nq1 Q0 d7 3 1.0 r\nq2 Q0 d3 1 5.0 r\n"


@pytest.fixture
def trec_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    (tmp_path / "q.qrels").write_text(QRELS)
    (tmp_path / "r.run").write_text(RUN)
    (tmp_path / "returned.js").write_text("setScore(numReturned());\n")
    monkeypatch.chdir(tmp_path)
    return "q.qrels", "r.run"


def test_quepid_scorers_run_per_query_and_complete(
    trec_files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", *trec_files, "-m", "quepid:AP@10", "-q", "-c"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    values = {(name.strip(), qid): float(v) for name, qid, v in lines}
    # q1: d2 (1) then d1 (2) — both relevant, AP 1; q2: d3 first, AP 1; q3 not in the run (-c): 0
    assert values == {
        ("quepid:AP@10", "q1"): 1.0,
        ("quepid:AP@10", "q2"): 1.0,
        ("quepid:AP@10", "q3"): 0.0,
        ("quepid:AP@10", "all"): pytest.approx(2 / 3, abs=1e-4),
    }


def test_a_javascript_file_and_measures_together(
    trec_files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", *trec_files, "-m", "P@2", "-m", "js:returned.js", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["all"] == {"P@2": 0.75, "js:returned.js": 2.0}  # q1: 3 returned, q2: 1


def test_both_formats_show_a_scorer_the_same(
    trec_files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", *trec_files, "-m", "quepid:AP@10", "-q", "-c"]
    assert main(args) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    text = {qid: float(v) for _name, qid, v in lines}
    assert main([*args, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    shown = {qid: row["quepid:AP@10"] for qid, row in doc["per_query"].items()}
    assert shown == pytest.approx({k: v for k, v in text.items() if k != "all"})
    assert doc["all"]["quepid:AP@10"] == pytest.approx(text["all"], abs=1e-4) == 2 / 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("quepid:AP@1O", "did you mean 'quepid:AP@10'"),
        ("nDGC@10", "did you mean nDCG"),
        ("js:missing.js", "cannot read"),
    ],
)
def test_an_unknown_scorer_is_named(
    trec_files: tuple[str, str], capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    assert main(["eval", *trec_files, "-m", name]) == 2
    assert message in capsys.readouterr().err


def test_compare_takes_case_scorers_too(
    trec_files: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "other.run").write_text("q1 Q0 d7 1 3.0 o\nq2 Q0 d3 1 5.0 o\n")
    args = ["compare", *trec_files, "other.run", "-m", "quepid:AP@10", "--format", "json"]
    assert main(args) == 0
    block = json.loads(capsys.readouterr().out)["measures"][0]
    assert block["measure"] == "quepid:AP@10"
    assert [round(r["mean"], 4) for r in block["runs"]] == [0.6667, 0.3333]
