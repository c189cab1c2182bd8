"""`searchbench run` counts unrated queries by the case file's ``unrated_queries`` (the same rule
as the web app's case setting): 0 by default, as Quepid does, or left out of the case score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.cli.main import main

DOCS = [
    {"id": "1", "title": "boundary layer flow", "body": "the boundary layer on a flat plate"},
    {"id": "2", "title": "supersonic flow", "body": "shock waves in supersonic flow"},
]

CASE = """\
case: Unrated case
endpoint:
  engine: local
  index: tiny
try:
  template: '{"query": "#$query##", "fields": ["title", "body"]}'
scorer: quepid:P@10
RULE
queries:
  - query: boundary layer
    id: q1
    ratings: {"1": 1}
  - query: supersonic
    id: q2
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    src = data / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    assert (
        main(["index", "--data-dir", str(data), "create", "tiny", "--from", str(src), "--quiet"])
        == 0
    )
    return data


def score(tmp_path: Path, data_dir: Path, rule: str, capsys: pytest.CaptureFixture[str]) -> dict:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.replace("RULE", rule))
    capsys.readouterr()
    code = main(["run", str(case), "--format", "json", "--data-dir", str(data_dir), "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("", 1 / 2), ("unrated_queries: count_zero", 1 / 2), ("unrated_queries: leave_out", 1.0)],
)
def test_the_case_score_follows_the_rule(tmp_path, data_dir, capsys, rule, expected):
    # q1 finds doc 1 alone, rated 1: Quepid's P@10 = 1; q2 has no rating and scores 0.
    report = score(tmp_path, data_dir, rule, capsys)
    assert [q["score"] for q in report["queries"]] == [1.0, 0.0]
    assert report["score"] == pytest.approx(expected)


def test_an_unknown_rule_names_the_line(tmp_path, data_dir, capsys):
    case = tmp_path / "case.yaml"
    case.write_text(CASE.replace("RULE", "unrated_queries: skip"))
    code = main(["run", str(case), "--data-dir", str(data_dir), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "case.yaml:8: unrated_queries: 'skip': one of count_zero, leave_out" in err, err


GATED = """\
case: Gated
endpoint: {engine: local, index: tiny}
try:
  template: '{"query": "#$query##", "fields": ["title", "body"]}'
scorer: quepid:P@10
RULE
queries:
  - {query: boundary layer, id: q1, ratings: {"1": 1}}
  - {query: supersonic, id: q2, ratings: {"2": 1}}
  - {query: flow, id: q3}
"""


@pytest.mark.parametrize(("rule", "expected"), [("", 2 / 3), ("unrated_queries: leave_out", 1.0)])
def test_the_baseline_gate_counts_the_queries_the_case_score_counts(
    tmp_path, data_dir, capsys, rule, expected
):
    case = tmp_path / "case.yaml"
    case.write_text(GATED.replace("RULE", rule))
    base = tmp_path / "base.run"
    args = ["run", str(case), "--data-dir", str(data_dir), "--quiet"]
    assert main([*args, "--export-run", str(base)]) == 0
    capsys.readouterr()
    code = main(
        [*args, "--format", "json", "--baseline", str(base), "--fail-on-drop", "quepid:P@10"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["score"] == pytest.approx(expected)
    (measure,) = report["baseline"]["measures"]
    assert measure["baseline"] == pytest.approx(expected)
    assert measure["mean"] == pytest.approx(expected)
